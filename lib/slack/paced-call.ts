/**
 * Every Slack Web API call bm makes waits for its turn ({@link Pacer}) when the wait fits, and
 * fails at once when it does not, as if Slack had said `ratelimited`: the caller's message then
 * stays owed (announce keeps `noticeRetryAt`, the follow-up posts it later), and nothing is
 * called that Slack would refuse. Each Retry-After Slack gives is kept in the pacer, and in the
 * pace store for the next container.
 */

import { BmError } from "../errors";
import type { Pacer } from "./pace";
import { PER_CHANNEL_METHOD } from "./rate-tiers";
import { SlackApiError } from "./slack-error";

/** What every container knows of the pace: a method's last Retry-After, a channel's posts. */
export interface SharedPace {
  /** No call of the method before this (epoch ms). */
  until?: number;
  /** The channel's post bucket (pace.ts's theoretical arrival time, epoch ms). */
  tat?: number;
  /** The method's tier bucket (likewise). */
  tier?: number;
}

/**
 * The pace shared by every container of bm (lib/aws/dynamo/pace-store.ts): the Retry-Afters
 * Slack gave any of them, and the post buckets of the channels they post in.
 */
export interface PaceStore {
  /** The pace of `method`, and of posts in `channel` when it is given. */
  read(method: string, channel?: string): Promise<SharedPace>;
  /** Keeps `until` (epoch ms) as the time before which nobody calls `method`. */
  block(method: string, until: number): Promise<void>;
  /** Keeps the bucket of `channel`'s posts after a post took its place. */
  posted(channel: string, tat: number): Promise<void>;
  /** Keeps the tier bucket of `method` after a call took its place. */
  called(method: string, tier: number): Promise<void>;
}

export interface PaceOptions {
  pacer: Pacer;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /**
   * The longest a call waits for its turn: within the time its caller has (the front door's 3 s,
   * a worker's message). A longer wait fails the call at once.
   */
  maxWaitMs: number;
  store?: PaceStore;
  /** How long the pace store may take to answer; past it the pace is unknown ({@link STORE_WAIT_MS}). */
  storeWaitMs?: number;
  log?: { warn(message: string, extra?: object): void };
}

/** How long a read or write of the pace store may hold a call up. */
export const STORE_WAIT_MS = 500;

/** The pace store did not answer in time. */
class PaceStoreTimeout extends BmError {
  override readonly name = "PaceStoreTimeout";
  readonly passing = true;
  readonly forUsers = false;
}

/** The channel whose post bucket a call of `method` counts in, if it is a post. */
function posts(method: string, channel: string | undefined): string | undefined {
  return method === PER_CHANNEL_METHOD ? channel : undefined;
}

/** A Web API call of `method` (in `channel`), paced; `run` makes it. */
export type PacedCall = <T>(
  method: string,
  channel: string | undefined,
  run: () => Promise<T>,
) => Promise<T>;

/** No pacing: every call goes at once (the doctor, tests of the adapter alone). */
export const UNPACED: PacedCall = (_method, _channel, run) => run();

/**
 * Paces each call through `options.pacer`. Each call reads the pace store first, so that a
 * Retry-After another container was given, and its posts in the channel, count here too; a
 * store that cannot say (an error, a time-out) leaves the pace unknown, and the call fails as
 * rate-limited for a second rather than go blindly. A post that took its place writes the
 * channel's bucket back.
 * @throws SlackApiError `ratelimited`, passing, with the seconds to wait, when the wait is longer
 *   than `maxWaitMs` (or the stored pace is unknown); and whatever the call throws.
 */
export function pacedCall(options: PaceOptions): PacedCall {
  const { pacer, now, sleep, maxWaitMs, store, log, storeWaitMs = STORE_WAIT_MS } = options;
  // The store's answer, or a failure once it has taken `storeWaitMs`: it never holds a call longer.
  const inTime = <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PaceStoreTimeout(`the pace store took over ${storeWaitMs} ms`)),
        storeWaitMs,
      );
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  };
  const learn = async (method: string, channel: string | undefined): Promise<void> => {
    if (!store) return;
    let shared: SharedPace;
    try {
      shared = await inTime(store.read(method, posts(method, channel)));
    } catch (error) {
      log?.warn("could not read Slack's pace; the call waits", {
        method,
        error: (error as Error).name,
      });
      throw new SlackApiError(method, "ratelimited", "passing", 1, { cause: error });
    }
    if (shared.until !== undefined) pacer.notBefore(method, shared.until);
    if (shared.tier !== undefined) pacer.shareTier(method, shared.tier);
    const into = posts(method, channel);
    if (into && shared.tat !== undefined) pacer.shareBucket(into, shared.tat);
  };
  // A write to the store: told, never thrown, and never longer than `storeWaitMs`.
  const keep = async (
    what: string,
    method: string,
    work: (into: PaceStore) => Promise<void>,
  ): Promise<void> => {
    if (!store) return;
    await inTime(work(store)).catch((failure: unknown) =>
      log?.warn(what, { method, error: (failure as Error).name }),
    );
  };
  return async (method, channel, run) => {
    await learn(method, channel);
    const asked = now();
    const at = pacer.nextAt(method, channel, asked);
    const wait = at - asked;
    if (wait > maxWaitMs)
      throw new SlackApiError(method, "ratelimited", "passing", Math.ceil(wait / 1000));
    const slot = pacer.take(method, channel, at);
    const into = posts(method, channel);
    const tat = into ? pacer.bucketOf(into) : undefined;
    const tier = pacer.tierOf(method) as number;
    await keep("could not share the channel's pace", method, (shared) =>
      Promise.all([
        shared.called(method, tier),
        into && tat !== undefined ? shared.posted(into, tat) : undefined,
      ]).then(() => undefined),
    );
    if (wait > 0) await sleep(wait);
    try {
      const result = await run();
      pacer.answered(slot, now());
      return result;
    } catch (error) {
      const answeredAt = now();
      pacer.answered(slot, answeredAt);
      if (error instanceof SlackApiError && error.code === "ratelimited" && error.retryAfterS) {
        pacer.refused(method, error.retryAfterS, answeredAt);
        const until = answeredAt + error.retryAfterS * 1000;
        await keep(
          "could not keep Slack's Retry-After for the other containers",
          method,
          (shared) => shared.block(method, until),
        );
      }
      throw error;
    }
  };
}
