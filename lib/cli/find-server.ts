/**
 * The server `bm` was given, found as the Slack side finds it: by id, or by a name one server
 * has; and when there is none, or several, the words the Slack side uses, close names included.
 */
import { nameOptions } from "../choices/choice";
import { type EclApi, ServerLookupError } from "../ecl/client";
import type { Server } from "../ecl/server";
import { isUuid } from "../ecl/validate";
import { plural } from "../util/plural";
import { optionLine } from "./format";

/** The server, or what to print and the exit code when there is not exactly one. */
export type Found = { server: Server } | { code: 1 | 2; err: string; out: string[] };

/**
 * @param secretId the tenant's secret, which names the tenant on a terminal.
 * @param image the image given ("" for none): close names are ranked for it as on Slack.
 * @throws what {@link EclApi.resolveServer} and {@link EclApi.listServers} throw, other than an
 * unknown or shared name.
 */
export async function findServer(
  ecl: EclApi,
  ref: string,
  secretId: string,
  image: string,
): Promise<Found> {
  const tenant = `the tenant of secret ${secretId}`;
  try {
    return { server: await ecl.resolveServer(ref) };
  } catch (error) {
    if (!(error instanceof ServerLookupError)) throw error;
    if (error.kind === "ambiguous")
      // The person must say which: a question back, as a usage mistake is.
      return {
        code: 2,
        err: `bm: ${plural(error.candidates.length, "server")} in ${tenant} are named "${ref}": give the id of the one you mean (bm status <id> shows each)`,
        out: error.candidates.map((c) => `  ${c.id}`),
      };
    if (isUuid(ref))
      return { code: 1, err: `bm: no server in ${tenant} has the id ${ref}`, out: [] };
    const close = nameOptions(ref, await ecl.listServers(), image);
    if (close.length === 0)
      return {
        code: 1,
        err: `bm: no server in ${tenant} is named "${ref}", and no name is close to it; bm status <name or id> shows a server, the ECL console lists them all`,
        out: [],
      };
    return {
      code: 1,
      err: `bm: no server in ${tenant} is named "${ref}". Did you mean one of these?`,
      out: close.map(optionLine),
    };
  }
}
