/**
 * Slack's 3 seconds, counted from the moment Lambda hands the request over: one budget for the
 * whole request (a cold start's reads included), which every outside call and reply fits into.
 */

/**
 * When the answer must leave the function, from the handler's entry. Slack gives up 3 s after it
 * sent the request; the rest is API Gateway's, the network's both ways and the module's load on a
 * cold start (before the handler's entry, out of sight of any clock the handler could read).
 */
export const ANSWER_MS = 2500;
/** When a listener's own work (the policy, the database, the queue) must be done, from the entry. */
export const WORK_MS = 1800;
/** The longest a reply to the clicker may take, and the least worth trying one with. */
export const REPLY_MS = 1000;
export const REPLY_MIN_MS = 150;
/** Kept after a reply for Bolt's ack and the answer's way out of the function. */
export const MARGIN_MS = 50;
/**
 * Kept after a read's audit write is given up on, for its answer to be back from the use case
 * before the work's deadline: the answer is never lost to its audit event.
 */
export const READ_AUDIT_MARGIN_MS = 100;

/** The time a request has left, from the handler's entry. */
export interface Budget {
  /** When the handler was entered (epoch ms). */
  readonly startedAt: number;
  /** When the listener's own work must be done (epoch ms). */
  readonly workBy: number;
  /** How long a reply may take now: undefined when too little is left to try one. */
  replyMs(): number | undefined;
  /** Milliseconds since the handler's entry. */
  elapsed(): number;
}

/** The budget of a request whose handler was entered at `startedAt`. */
export function budgetFrom(startedAt: number, now: () => number = Date.now): Budget {
  return {
    startedAt,
    workBy: startedAt + WORK_MS,
    replyMs: () => {
      const ms = Math.min(REPLY_MS, startedAt + ANSWER_MS - MARGIN_MS - now());
      return ms >= REPLY_MIN_MS ? ms : undefined;
    },
    elapsed: () => now() - startedAt,
  };
}

/**
 * The budget Bolt's listener context carries (the receiver's custom properties), or one from now
 * when it carries none (a listener called without the handler: it then gets the whole budget).
 */
export function budgetOf(context: object): Budget {
  const budget = (context as { budget?: Partial<Budget> }).budget;
  return typeof budget?.workBy === "number" && typeof budget.replyMs === "function"
    ? (budget as Budget)
    : budgetFrom(Date.now());
}
