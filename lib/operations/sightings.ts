/**
 * How long bm has seen media mounted. ECL does not say when an image was attached, so bm keeps,
 * per tenant, the first time it saw each image on each server, and forgets a pair once it sees
 * the server without it: an image detached and attached again starts again. Forgetting is always
 * safe: the answer says "at least", and a sighting forgotten makes that shorter, never wrong.
 */
import type { Server } from "../ecl/server";

/** First sightings of one tenant: `server#image` (both in lower case) → ISO time. */
export type Sightings = Readonly<Record<string, string>>;

/** What was read of a tenant's sightings: the map, and the revision a write must still find. */
export interface SightingsRead {
  seen: Sightings;
  /** 0 when nothing was ever written. */
  revision: number;
}

/** Where sightings are kept: one item per tenant, read once and written once per answer. */
export interface SightingStore {
  read(tenant: string): Promise<SightingsRead>;
  /**
   * Writes `seen` as revision `read.revision + 1` if the stored one is still `read.revision`.
   * Returns false when someone wrote first (the write is then not made).
   */
  write(tenant: string, read: SightingsRead, seen: Sightings): Promise<boolean>;
}

/** The key of one image on one server. */
export function sightingKey(serverId: string, imageId: string): string {
  return `${serverId.toLowerCase()}#${imageId.toLowerCase()}`;
}

/**
 * The sightings after looking at `servers`: each image a server shows keeps its first sighting,
 * or is first seen `now`; a server's other pairs are forgotten. A server whose media ECL did not
 * list tells nothing: its pairs are kept. With `complete` (every server of the tenant was
 * listed), the pairs of servers the list did not show are forgotten too (a server that is gone
 * has nothing mounted; and forgetting is safe).
 */
export function nextSightings(
  before: Sightings,
  servers: readonly Pick<Server, "id" | "mediaIds">[],
  complete: boolean,
  now: Date,
): Record<string, string> {
  const looked = new Set<string>();
  const listed = new Set<string>();
  const next: Record<string, string> = {};
  for (const server of servers) {
    const id = server.id.toLowerCase();
    listed.add(id);
    if (server.mediaIds === undefined) continue;
    looked.add(id);
    for (const image of server.mediaIds) {
      const key = sightingKey(id, image);
      next[key] = before[key] ?? now.toISOString();
    }
  }
  for (const [key, at] of Object.entries(before)) {
    const server = key.slice(0, key.indexOf("#"));
    if (looked.has(server) || key in next) continue;
    if (complete && !listed.has(server)) continue;
    next[key] = at;
  }
  return next;
}

/** Whether two sightings hold the same pairs and times (so nothing needs writing). */
export function sameSightings(a: Sightings, b: Sightings): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
