/**
 * What every listener shares: the deadline of its own work, the words when that work fails or is
 * late, and the clicker's answer. The Lambda receiver answers only when a listener returns, so
 * each does its work first and acks last; none throws: every failure becomes words for the user.
 */
import { message } from "../../slack/blocks";
import { md } from "../../slack/mrkdwn";
import { SlackApiError } from "../../slack/slack-error";
import type { Answer, Decision } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";

export const FAILED = md`bm could not record that just now (an internal error), so nothing was done. Try again in a minute.`;

/**
 * How long a listener's own work may take. Slack gives up after 3 s, and on Lambda the answer
 * leaves only when the listener returns; a reply to the clicker (at most a second) comes after.
 */
export const WORK_MS = 1800;
export const SLOW_COMMAND = md`bm is slow to answer just now (its database or queue). If you asked for a detach, it may have been recorded and then goes on by itself: \`/bm history\` shows it in a minute.`;
export const SLOW_CLICK = md`bm is slow to answer just now: look at the request's card in a moment, and click again if your click is not shown there.`;

/** Who decides what on which request, from an interaction's payload. */
export function decisionOf(
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
export function clickOf(
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
export function by<T>(deadline: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
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

/** Tells the clicker, in the channel of the click; a refused post is only logged. */
export async function tell(
  deps: FrontDoorDeps,
  channelId: string,
  userId: string,
  answer: Answer,
): Promise<void> {
  if (answer.text && channelId)
    await deps.chat
      .ephemeral(channelId, userId, message(answer.text))
      .catch(failed(deps, "chat.postEphemeral"));
}
