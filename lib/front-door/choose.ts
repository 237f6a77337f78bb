/**
 * A click on one of a private choice's buttons: by the requester alone, while the choice is kept,
 * under the policy in force. It records the request (the same one as typing the full command)
 * when the pick names a server and an image, or has the worker look up what follows; either way
 * the message clicked is replaced, so no live buttons are left behind.
 */
import {
  type Choice,
  isExpired,
  newChoice,
  nextChoiceId,
  parseButtonValue,
  pickOf,
  requestFrom,
  requestSeed,
} from "../choices/choice";
import { isUuid } from "../ecl/validate";
import { recordedWords, recordRequest, summaryOf } from "../operations/record-request";
import { choiceRefusal, mayChoose, requestPolicy } from "../policy/permissions";
import { pickedWords, sentences, serverName } from "../slack/choice-messages";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { type FrontDoorDeps, refuse } from "./deps";

export interface ChoiceClick {
  teamId: string;
  userId: string;
  /** The button's value: a choice's id and an option's place. */
  value: string;
  /** The click's response_url (a checked one), which replaces the message clicked. */
  responseUrl?: string;
}

/** Words for the clicker, and whether they replace the message clicked. */
export interface ChoiceAnswer {
  text: Mrkdwn;
  replace: boolean;
}

const EXPIRED = md`These choices have expired: bm keeps them 30 minutes, as long as Slack lets it answer here. Nothing was recorded; run ${code("/bm detach")} again.`;

export async function choose(deps: FrontDoorDeps, click: ChoiceClick): Promise<ChoiceAnswer> {
  const named = parseButtonValue(click.value);
  const refusal = async (reason: string, text: Mrkdwn, replace = false) => ({
    text: await refuse(
      deps,
      {
        operationId: named?.choiceId ?? "choice-unknown",
        teamId: click.teamId,
        userId: click.userId,
        reason,
        facts: { option: named?.index ?? -1 },
      },
      text,
    ),
    replace,
  });
  if (!named) return refusal("not_a_choice", md`That button is not one of bm's choices.`);
  const choice = await deps.choices.getChoice(named.choiceId);
  // An expired choice's message is replaced, so that its buttons go too.
  if (!choice || isExpired(choice, deps.now())) return refusal("choice_expired", EXPIRED, true);
  const notTheirs = choiceRefusal(choice, click);
  if (notTheirs) return refusal(notTheirs.reason, notTheirs.message);
  const option = choice.options?.[named.index];
  if (!option || (choice.state !== "open" && choice.state !== "taken"))
    return refusal("not_a_choice", md`That button is not one of bm's choices.`);
  if (choice.state === "taken" && choice.taken?.index !== named.index)
    return { text: alreadyPicked(choice), replace: false };

  // The same checks as typing the command, under the policy in force now.
  const may = await mayChoose(deps, choice, click);
  if (!may.ok) return refusal(may.reason, may.message);

  // One pick per choice: a second click, or a double click, carries the same pick on (its
  // request has the same id, so it is recorded once).
  let taken = choice;
  if (choice.state === "open") {
    const saved = await deps.choices.saveChoice(choice, {
      ...choice,
      state: "taken",
      taken: { index: named.index, userId: click.userId, at: deps.now().toISOString() },
    });
    const latest = saved ?? (await deps.choices.getChoice(choice.id));
    if (!latest || latest.taken?.index !== named.index)
      return { text: latest ? alreadyPicked(latest) : EXPIRED, replace: false };
    taken = latest;
  }
  // A taken choice carries its pick: saved with it in one write.
  const pickedAt = new Date((taken.taken as NonNullable<Choice["taken"]>).at);
  const picks = [...choice.picks, pickOf(choice, named.index, click.userId, pickedAt)];
  const policy = requestPolicy(deps.policy, may.channel);
  const responseUrl = click.responseUrl ?? choice.responseUrl;
  const picked = pickedWords(choice, option);
  // An option carries the image a click records (lib/choices/choice.ts, serverOption); one of a
  // server that shows the image typed is not attached carries none, and its images follow.
  const image = option.image;

  if (image && isUuid(option.server)) {
    const fields = requestFrom(choice, {
      seed: requestSeed(choice, named.index),
      policy,
      serverRef: option.server,
      serverName: option.name,
      imageId: image,
      responseUrl,
      picks,
    });
    const recorded = await recordRequest(deps, fields);
    const words = recordedWords(
      summaryOf(recorded, fields),
      serverName({ name: option.name, id: option.server }),
    );
    return { text: sentences(picked, words), replace: true };
  }

  // A server whose image is still to pick, or a name several servers share: the worker looks it
  // up and answers in a new message (this one is replaced at once, with no buttons left).
  const next = newChoice(
    {
      id: nextChoiceId(choice, named.index),
      teamId: choice.teamId,
      channelId: choice.channelId,
      requester: choice.requester,
      ...policy,
      reason: choice.reason,
      asked: {
        server: option.server,
        ...(choice.asked.image ? { image: choice.asked.image } : {}),
      },
      ...(responseUrl ? { responseUrl } : {}),
      picks,
    },
    deps.now(),
  );
  const created = await deps.choices.createChoice(next);
  if (created.created || created.existing.state === "looking")
    await deps.queue.send({ kind: "lookup", choiceId: next.id });
  const what = isUuid(option.server) ? md`its images` : md`the servers named ${code(option.name)}`;
  return {
    text: sentences(picked, md`bm is looking up ${what}: they appear below in a moment.`),
    replace: true,
  };
}

function alreadyPicked(choice: Choice): Mrkdwn {
  const option = choice.taken ? choice.options?.[choice.taken.index] : undefined;
  return option
    ? md`You already picked ${code(option.name)} here; a choice is made once. ${code("/bm history")} shows what it started.`
    : md`A choice is made once, and this one is made.`;
}
