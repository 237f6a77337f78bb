/**
 * ECL endpoint URLs: checked before a token is sent to one, and reduced to their base.
 */

/**
 * The base of an endpoint URL (no `/v2/<tenant_id>`, `/v3` or trailing slash), or why it cannot
 * be one. A token goes over https only; plain http is allowed for loopback addresses (the
 * simulator).
 */
export function endpointBase(given: string): { base: string } | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    return { problem: "must be a URL" };
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback))
    return { problem: "must be an https URL" };
  if (parsed.search || parsed.hash) return { problem: "must not have a query or fragment" };
  // Tolerate a pasted `/v2/<tenant_id>` or `/v3`: the client adds its own.
  const path = parsed.pathname.replace(/\/(v2(\/[^/]*)?|v3)\/?$/, "").replace(/\/+$/, "");
  return { base: `${parsed.origin}${path}` };
}
