/**
 * The Bolt listeners of the front door: the slash command, the card's buttons, the reject modal.
 * The Lambda receiver answers only when a listener returns, so each does its work first and
 * acks last; none throws: every failure becomes words for the user. Text Slack sent encoded
 * (a slash command's) is decoded here, once; every answer is built as escaped mrkdwn.
 */
import type { App } from "@slack/bolt";
import { message } from "../slack/blocks";
import { isResponseUrl } from "../slack/chat";
import { CHOOSE_ACTION } from "../slack/choice-messages";
import { ACTIONS, REJECT_VIEW, rejectModal } from "../slack/messages";
import { code, decodeSlackText, md } from "../slack/mrkdwn";
import { SlackApiError } from "../slack/slack-error";
import { choose } from "./choose";
import { type Answer, type Decision, decideOnRequest } from "./decide-on-request";
import type { FrontDoorDeps } from "./deps";
import { handleSlashCommand } from "./handle-command";
import { requestRecheck } from "./request-recheck";

const FAILED = md`bm could not record that just now (an internal error), so nothing was done. Try again in a minute.`;

/**
 * How long a listener's own work may take. Slack gives up after 3 s, and on Lambda the answer
 * leaves only when the listener returns; a reply to the clicker (at most a second) comes after.
 */
const WORK_MS = 1800;
const SLOW_COMMAND = md`bm is slow to answer just now (its database or queue). If you asked for a detach, it may have been recorded and then goes on by itself: \`/bm history\` shows it in a minute.`;
const SLOW_CLICK = md`bm is slow to answer just now: look at the request's card in a moment, and click again if your click is not shown there.`;

/** Who decides what on which request, from an interaction's payload. */
function decisionOf(
  body: { team?: { id: string } | null; user: { id: string } },
  operationId: string,
  action: Decision["action"],
): Decision {
  return { teamId: body.team?.id ?? "", userId: body.user.id, operationId, action };
}

/**
 * Who clicked, in which channel, and the button's value (an operation id on the card's buttons, a
 * choice's id and place on a private choice's), from a block_actions payload.
 */
function clickOf(
  body: { team?: { id: string } | null; user: { id: string }; channel?: { id: string } | null },
  action: object,
) {
  const value = (action as { value?: unknown }).value;
  return {
    who: { teamId: body.team?.id ?? "", userId: body.user.id },
    userId: body.user.id,
    value: typeof value === "string" ? value : "",
    channelId: body.channel?.id ?? "",
  };
}

/** The work's result, or undefined if it is not done by `deadline` (it goes on regardless). */
function by<T>(deadline: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function registerListeners(app: App, deps: FrontDoorDeps): void {
  const failed = (what: string) => (error: unknown) => {
    deps.log.warn(`${what} failed`, {
      error: error instanceof Error ? error.name : typeof error,
      ...(error instanceof SlackApiError ? { slackError: error.code } : {}),
    });
    return undefined;
  };
  /** A decision's answer by the deadline: FAILED if it failed, SLOW_CLICK if it is still going. */
  const decided = async (deadline: number, work: Promise<Answer>): Promise<Answer> =>
    (await by(
      deadline,
      work.catch((error: unknown) => {
        failed("click")(error);
        return { text: FAILED };
      }),
    )) ?? { text: SLOW_CLICK };
  /** Tells the clicker, in the channel of the click; a refused post is only logged. */
  const tell = async (channelId: string, userId: string, answer: Answer) => {
    if (answer.text && channelId)
      await deps.chat
        .ephemeral(channelId, userId, message(answer.text))
        .catch(failed("chat.postEphemeral"));
  };

  app.command("/bm", async ({ command, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const work = handleSlashCommand(deps, {
      teamId: command.team_id,
      channelId: command.channel_id,
      userId: command.user_id,
      text: decodeSlackText(command.text ?? ""),
      triggerId: command.trigger_id,
      ...(isResponseUrl(command.response_url) ? { responseUrl: command.response_url } : {}),
    }).then(
      (text) => ({ text }),
      (error: unknown) => ({ text: failed("slash command")(error) ?? FAILED.text }),
    );
    const answer = await by(deadline, work);
    if (!answer) deps.log.warn("slash command still at work when Slack needed its answer", {});
    await ack({ response_type: "ephemeral", text: answer?.text ?? SLOW_COMMAND.text });
  });

  /**
   * A button of the card: its work done by the deadline, the clicker told in the channel, then
   * the ack (on Lambda the answer leaves only when the listener returns).
   */
  const onButton = (
    actionId: string,
    work: (click: ReturnType<typeof clickOf>) => Promise<Answer>,
  ) =>
    app.action(actionId, async ({ body, action, ack }) => {
      const deadline = Date.now() + WORK_MS;
      const click = clickOf(body, action);
      await tell(click.channelId, click.userId, await decided(deadline, work(click)));
      await ack();
    });

  for (const [decision, actionId] of [
    ["approve", ACTIONS.approve],
    ["cancel", ACTIONS.cancel],
  ] as const) {
    onButton(actionId, (click) =>
      decideOnRequest(deps, { ...click.who, operationId: click.value, action: decision }),
    );
  }

  // Re-check: the worker reads ECL; the clicker is told it is on its way, then the result.
  onButton(ACTIONS.recheck, (click) =>
    requestRecheck(deps, { ...click.who, operationId: click.value }).then((text) => ({
      text,
    })),
  );

  // A pick on a private choice: the answer replaces the message clicked, through the click's
  // response_url (it works where bm is not in the channel), so no live buttons are left behind.
  app.action(CHOOSE_ACTION, async ({ body, action, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const click = clickOf(body, action);
    const responseUrl = (body as { response_url?: unknown }).response_url;
    const url = isResponseUrl(responseUrl) ? responseUrl : undefined;
    const answer = (await by(
      deadline,
      choose(deps, {
        teamId: click.who.teamId,
        userId: click.userId,
        value: click.value,
        ...(url ? { responseUrl: url } : {}),
      }).catch((error: unknown) => {
        failed("choice")(error);
        return { text: FAILED, replace: false };
      }),
    )) ?? { text: SLOW_CLICK, replace: false };
    if (url)
      await deps.chat
        .respond(url, message(answer.text), { replace: answer.replace })
        .catch(failed("response_url"));
    else await tell(click.channelId, click.userId, answer);
    await ack();
  });

  // Reject: the modal first, while the click's trigger id is fresh (Slack honours it for 3 s, and
  // a cold start or a group lookup can take much of that); the rights are checked right after,
  // and again when the modal is submitted.
  app.action(ACTIONS.reject, async ({ body, action, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const { value: operationId, channelId } = clickOf(body, action);
    const opened =
      "trigger_id" in body
        ? await deps.chat.openView(body.trigger_id, rejectModal(operationId)).then(
            () => undefined,
            (error: unknown) => {
              failed("views.open")(error);
              return error instanceof SlackApiError ? error.code : "no_response";
            },
          )
        : "no_trigger";
    const answer = await decided(
      deadline,
      decideOnRequest(deps, decisionOf(body, operationId, "reject")),
    );
    if (answer.openReject && opened !== undefined)
      answer.text = md`bm could not open the form for your reason (Slack answered ${code(opened)}): click Reject again.`;
    await tell(channelId, body.user.id, answer);
    await ack();
  });

  app.view(REJECT_VIEW.callbackId, async ({ view, body, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const operationId = view.private_metadata;
    // A modal's input arrives as typed: it is not encoded as a slash command's text is.
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.action]?.value ?? "";
    const answer = await decided(
      deadline,
      decideOnRequest(deps, { ...decisionOf(body, operationId, "reject"), reason }),
    );
    if (answer.reasonError) {
      await ack({ response_action: "errors", errors: { [REJECT_VIEW.block]: answer.reasonError } });
      return;
    }
    // A modal has no channel: the answer names the request's.
    await tell(answer.channelId ?? "", body.user.id, answer);
    await ack();
  });
}
