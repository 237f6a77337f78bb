/**
 * ECL endpoint URLs, reduced to their base. Where bm may connect (https to a public name, unless
 * BM_ECL_ENDPOINT_ALLOW lists the host) is checked on every request (`lib/ecl/http.ts`), which
 * knows the configuration; here only the URL's form.
 */

/**
 * The base of an endpoint URL (no `/v2/<tenant_id>`, `/v3` or trailing slash), or why it cannot
 * be one: http or https, without a query or fragment.
 */
export function endpointBase(given: string): { base: string } | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    return { problem: "must be a URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return { problem: "must be an https URL" };
  if (parsed.search || parsed.hash) return { problem: "must not have a query or fragment" };
  // Tolerate a pasted `/v2/<tenant_id>` or `/v3`: the client adds its own.
  const path = parsed.pathname.replace(/\/(v2(\/[^/]*)?|v3)\/?$/, "").replace(/\/+$/, "");
  return { base: `${parsed.origin}${path}` };
}
