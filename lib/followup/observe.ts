/**
 * What one round of the follow-up knows of the servers it watches in one tenant, read at a cost
 * that grows with what is in flight, not with the fleet: a few servers are read directly, many by
 * paging the list and keeping only them. A failed list, or one past its page cap, falls back to
 * direct reads. Absence from a list proves nothing: a server a complete list left out is read
 * directly before anything is said of it.
 */
import type { FleetReads } from "../ecl/client";
import { EclApiError, EclNetworkError } from "../ecl/errors";
import type { Server } from "../ecl/server";
import { describeError } from "../errors";

/** What a round knows of one server it watches. */
export type Look =
  /** ECL showed it: in the list (`list`) or read directly (`read`). */
  | { kind: "seen"; server: Server; via: "list" | "read" }
  /** A direct read answered 404: ECL says it does not exist. */
  | { kind: "gone"; error: EclApiError }
  /**
   * A complete list left it out, and reading it directly failed: not proof that it is gone (a
   * list may lag or be capped), so nothing may be decided on it.
   */
  | { kind: "absent"; reason: string; error: unknown }
  /** Nothing is known: the read failed, or was not made; `reason` says why, for people. */
  | { kind: "unknown"; reason: string; error: unknown };

/** How a tenant is observed. The defaults, and why, are in docs/architecture.md. */
export interface ObserveOptions {
  /** Up to this many servers wanted, each is read directly; more, and the list is paged. */
  crossover: number;
  /** Direct reads at once, per tenant. */
  concurrency: number;
  /** Servers a page of the list (`limit`). */
  pageSize: number;
  /** Pages read before the list is given up for direct reads. */
  maxPages: number;
  /** A direct read's wait for its answer; it is not retried (the next round is its retry). */
  readTimeoutMs: number;
  /** A page's wait for its answer; a page is retried once (the pages before it are paid for). */
  pageTimeoutMs: number;
}

export const OBSERVE_DEFAULTS: Readonly<ObserveOptions> = {
  crossover: 200,
  concurrency: 4,
  pageSize: 100,
  maxPages: 100,
  readTimeoutMs: 3000,
  pageTimeoutMs: 5000,
};

/** What observing needs from outside. */
export interface ObserveDeps {
  log: { warn(message: string, extra?: object): void };
}

/** How a round reads a tenant's servers: directly, or by the list. */
export function strategy(wanted: number, crossover: number): "reads" | "list" {
  return wanted <= crossover ? "reads" : "list";
}

/**
 * What ECL shows of each server of `serverIds` (of one tenant), by id as given. Never throws:
 * every failure is a {@link Look} that says why.
 */
export async function observe(
  deps: ObserveDeps,
  tenant: { ecl: FleetReads },
  serverIds: readonly string[],
  options: Partial<ObserveOptions> = {},
): Promise<Map<string, Look>> {
  const o = { ...OBSERVE_DEFAULTS, ...options };
  const ids = [...new Set(serverIds)];
  const looks = new Map<string, Look>();
  if (strategy(ids.length, o.crossover) === "reads") {
    await readEach(deps, tenant.ecl, ids, "unknown", o, looks);
    return ordered(ids, looks);
  }
  const wanted = new Map(ids.map((id) => [id.toLowerCase(), id]));
  let complete = false;
  try {
    const pages = tenant.ecl.listServerPages({
      limit: o.pageSize,
      maxPages: o.maxPages,
      timeoutMs: o.pageTimeoutMs,
      retry: { retries: 1, baseDelayMs: 200 },
    });
    for await (const page of pages) {
      // Only the wanted servers are kept; the page goes as the next one comes.
      for (const server of page) {
        const id = wanted.get(server.id.toLowerCase());
        if (id !== undefined) looks.set(id, { kind: "seen", server, via: "list" });
      }
      if (looks.size === ids.length) break;
    }
    complete = true;
  } catch (error) {
    deps.log.warn("could not list servers; reading those in flight directly", {
      wanted: ids.length,
      listed: looks.size,
      error: describeError(error),
    });
  }
  const left = ids.filter((id) => !looks.has(id));
  await readEach(deps, tenant.ecl, left, complete ? "absent" : "unknown", o, looks);
  return ordered(ids, looks);
}

/**
 * Reads each server directly, `concurrency` at a time. When as many reads in a row have had no
 * answer at all (timeouts, connections), ECL is taken to be unreachable, and when Keystone
 * refuses a token, no read can succeed: the rest are not sent, so that a silent ECL costs a round
 * two waits, not one per server, and a refused token one wave of reads.
 */
async function readEach(
  deps: ObserveDeps,
  ecl: FleetReads,
  ids: string[],
  failed: "absent" | "unknown",
  o: ObserveOptions,
  looks: Map<string, Look>,
): Promise<void> {
  let next = 0;
  let silentInARow = 0;
  let silence: unknown;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      if (silence !== undefined) {
        const reason = `not read: ${stopped(silence, o.concurrency)} (${describeError(silence)})`;
        looks.set(id, { kind: failed, reason, error: silence });
        continue;
      }
      try {
        const server = await ecl.showServer(id, {
          timeoutMs: o.readTimeoutMs,
          retry: { retries: 0, baseDelayMs: 0 },
        });
        silentInARow = 0;
        looks.set(id, { kind: "seen", server, via: "read" });
      } catch (error) {
        // Without a token no read can succeed: Keystone's refusal stops the rest at once.
        const keystone = error instanceof EclApiError && error.service === "keystone";
        const silent = error instanceof EclNetworkError;
        silentInARow = keystone ? o.concurrency : silent ? silentInARow + 1 : 0;
        if (error instanceof EclApiError && error.status === 404) {
          looks.set(id, { kind: "gone", error });
        } else {
          looks.set(id, { kind: failed, reason: describeError(error), error });
        }
        if (silentInARow >= o.concurrency && silence === undefined) {
          silence = error;
          deps.log.warn("ECL cannot be read; the other servers are not read this round", {
            notRead: ids.length - next,
            error: describeError(error),
          });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, ids.length) }, worker));
}

/** Why the reads stopped. */
function stopped(error: unknown, inARow: number): string {
  return error instanceof EclApiError
    ? "Keystone refused a token"
    : `ECL did not answer ${inARow} reads in a row`;
}

/** The looks in the order the ids were given. */
function ordered(ids: string[], looks: Map<string, Look>): Map<string, Look> {
  return new Map(ids.map((id) => [id, looks.get(id) as Look]));
}
