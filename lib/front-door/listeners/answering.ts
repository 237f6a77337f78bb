/**
 * What every listener shares: the words when its work fails or is late, the refusal of another
 * workspace, and the clicker's answer, fitted into the request's budget (budget.ts). The Lambda
 * receiver answers only when a listener returns, so each does its work first and acks last; none
 * throws: every failure becomes words for the user.
 */
import { parseButtonValue } from "../../choices/choice";
import { isOperationId } from "../../operations/operation";
import { message } from "../../slack/blocks";
import { type Mrkdwn, md } from "../../slack/mrkdwn";
import { SlackApiError } from "../../slack/slack-error";
import { by } from "../../util/by";
import type { Budget } from "../budget";
import type { Answer } from "../decide-on-request";
import { type FrontDoorDeps, refuse } from "../deps";
import { homeBuildBy, publishHome } from "../open-home";
import type { Who } from "../payloads";
import { FOREIGN_TEAM, foreignFacts, isServed } from "../workspace";

export const FAILED = md`bm could not record that just now (an internal error), so nothing was done. Try again in a minute.`;

export const SLOW_COMMAND = md`bm is slow to answer just now (its database or queue). If you asked for a detach, it may have been recorded and then goes on by itself: \`/bm history\` shows it in a minute.`;
export const SLOW_CLICK = md`bm is slow to answer just now: look at the request's card in a moment, and click again if your click is not shown there.`;
/** A payload the edge's schemas do not describe (payloads.ts); Slack itself never sends one. */
export const UNREADABLE_COMMAND = md`bm could not read this command (a field Slack always sends was missing, doubled or of the wrong kind), so nothing was done.`;

/**
 * Under which id a click's refusal is audited: the operation or the choice its button names, as
 * the other refusals of a click are; a button value of no known shape is not used as a key.
 */
export function auditKeyOf(value: string): string {
  if (isOperationId(value)) return value;
  return parseButtonValue(value)?.choiceId ?? "click-unknown";
}

/**
 * Refuses a request or click from outside the workspace the policy serves (workspace.ts): the
 * refusal is audited under `operationId` (the operation it concerns or would have created) and
 * the words returned; undefined when `who` is served.
 */
export async function outsider(
  deps: FrontDoorDeps,
  budget: Budget,
  who: Who,
  operationId: string,
): Promise<Mrkdwn | undefined> {
  if (isServed(deps.policy, who)) return undefined;
  const audit = refuse(
    deps,
    {
      operationId,
      teamId: who.teamId,
      userId: who.userId,
      reason: "foreign_team",
      facts: foreignFacts(who),
    },
    FOREIGN_TEAM,
  ).catch(failed(deps, "audit of a refusal"));
  // Refused all the same when the audit fails or is late: it is logged, never a reason to go on.
  await by(budget.workBy, audit);
  return FOREIGN_TEAM;
}

/** Logs a failure of `what` by its name and Slack's code, never its message; returns undefined. */
export const failed = (deps: FrontDoorDeps, what: string) => (error: unknown) => {
  deps.log.warn(`${what} failed`, {
    error: error instanceof Error ? error.name : typeof error,
    ...(error instanceof SlackApiError ? { slackError: error.code } : {}),
  });
  return undefined;
};

/** A decision's answer by the deadline: FAILED if it failed, SLOW_CLICK if it is still going. */
export async function decided(
  deps: FrontDoorDeps,
  deadline: number,
  work: Promise<Answer>,
): Promise<Answer> {
  return (
    (await by(
      deadline,
      work.catch((error: unknown) => {
        failed(deps, "click")(error);
        return { text: FAILED };
      }),
    )) ?? { text: SLOW_CLICK }
  );
}

/**
 * Tells the clicker, in the channel of the click, if the budget leaves time for it (at most a
 * second, and never past the moment the answer must leave); a refused or late post is only logged.
 */
export async function tell(
  deps: FrontDoorDeps,
  budget: Budget,
  channelId: string,
  userId: string,
  answer: Answer,
): Promise<void> {
  if (!answer.text || !channelId) return;
  const ms = budget.replyMs();
  if (ms === undefined) {
    deps.log.warn("no time left to tell the clicker", { elapsedMs: budget.elapsed() });
    return;
  }
  const done = await by(
    Date.now() + ms,
    deps.chat.ephemeral(channelId, userId, message(answer.text)).then(
      () => "posted",
      (error: unknown) => failed(deps, "chat.postEphemeral")(error) ?? "failed",
    ),
  );
  if (done === undefined)
    deps.log.warn("chat.postEphemeral still at work when the answer had to leave", {});
}

/**
 * Answers the clicker where they clicked: in the channel of the click ({@link tell}), or, for a
 * click on the Home tab (or a modal opened from it), which has no channel, at the top of their
 * Home, published again. Nothing to say, nothing sent.
 */
export async function answerClick(
  deps: FrontDoorDeps,
  budget: Budget,
  where: { fromHome: boolean; channelId: string },
  who: Who,
  answer: Answer,
): Promise<void> {
  if (!where.fromHome) return tell(deps, budget, where.channelId, who.userId, answer);
  if (answer.text) await publishHome(deps, budget, who, homeBuildBy(budget), answer.text);
}

/**
 * The answer to a click on a private message (a choice, a `/bm media` button): through the
 * click's response_url `url`, replacing the message clicked or not, with what is left of the
 * budget (at most a second; none when too little is left, logged), or ephemerally without one.
 */
export async function replyToClick(
  deps: FrontDoorDeps,
  budget: Budget,
  click: { channelId: string; who: Who },
  url: string | undefined,
  said: { text: Mrkdwn; replace: boolean },
): Promise<void> {
  if (!url) return tell(deps, budget, click.channelId, click.who.userId, said);
  const timeoutMs = budget.replyMs();
  if (timeoutMs === undefined) {
    deps.log.warn("no time left to answer the click", { elapsedMs: budget.elapsed() });
    return;
  }
  await deps.chat
    .respond(url, message(said.text), { replace: said.replace, timeoutMs })
    .catch(failed(deps, "response_url"));
}
