/**
 * The Keystone v3 token call, as ECL documents it.
 */
import { endpointBase } from "./endpoint";
import { EclApiError, EclProtocolError, parseErrorBody } from "./errors";
import type { Send } from "./http";
import type { IssuedToken } from "./tokens";

/** Keystone credentials of one tenant. */
export interface KeystoneCredentials {
  /** Base URL of Keystone, without `/v3`. */
  identityEndpoint: string;
  apiKey: string;
  apiSecret: string;
  tenantId: string;
  /** Picks the catalog's bare-metal endpoint when it names several regions. */
  region?: string | undefined;
}

/**
 * Used when `expires_at` is missing or unreadable: Keystone's lifetime is undocumented (fixtures
 * show one hour), so assume little.
 */
const FALLBACK_LIFETIME_MS = 15 * 60_000;

/**
 * Asks Keystone for a project-scoped token.
 * @throws EclApiError on an error status (401: wrong API key or secret), EclNetworkError when
 * Keystone cannot be reached, EclProtocolError when the answer has no token.
 */
export async function issueKeystoneToken(
  send: Send,
  credentials: KeystoneCredentials,
  now: () => number = Date.now,
): Promise<IssuedToken> {
  const url = new URL(`${credentials.identityEndpoint}/v3/auth/tokens`);
  const response = await send({
    method: "POST",
    url,
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: {
            user: {
              domain: { id: "default" },
              name: credentials.apiKey,
              password: credentials.apiSecret,
            },
          },
        },
        scope: { project: { id: credentials.tenantId } },
      },
    }),
  });
  if (response.status >= 300) {
    const fault = parseErrorBody(response.body);
    throw new EclApiError({
      service: "keystone",
      status: response.status,
      method: "POST",
      path: url.pathname,
      code: fault.code,
      apiMessage: fault.message,
      requestId: response.headers["x-openstack-request-id"],
    });
  }
  const token = response.headers["x-subject-token"];
  if (!token) throw new EclProtocolError("Keystone answered without an X-Subject-Token header");
  const body = readBody(response.body);
  return {
    token,
    expiresAt: readExpiry(body) ?? now() + FALLBACK_LIFETIME_MS,
    endpoint: catalogEndpoint(body?.catalog, credentials.region),
    imageEndpoint: catalogEndpoint(body?.catalog, credentials.region, "image"),
  };
}

/** The `token` object of Keystone's answer; anything else reads as nothing (`?.` of it is undefined). */
function readBody(text: string): { expires_at?: unknown; catalog?: unknown } | undefined {
  let parsed: { token?: { expires_at?: unknown; catalog?: unknown } } | null | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: no expiry, no catalog.
  }
  return parsed?.token;
}

function readExpiry(body: { expires_at?: unknown } | undefined): number | undefined {
  const expires = body?.expires_at;
  const at = typeof expires === "string" ? Date.parse(expires) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The public endpoint of a service of a Keystone catalog (`baremetal-server` unless told), as a
 * base URL (without `/v2/…`): of the given region when there is one, else the only one. Undefined
 * when the catalog names none, names several that the region does not tell apart, or names one
 * that is not an http or https URL. Whether bm may connect to it is checked when it is used
 * (`lib/ecl/http.ts`): an internal endpoint is refused there, saying so.
 */
export function catalogEndpoint(
  catalog: unknown,
  region?: string,
  type = "baremetal-server",
): string | undefined {
  if (!Array.isArray(catalog)) return undefined;
  const urls = new Set<string>();
  for (const service of catalog) {
    if ((service as { type?: unknown })?.type !== type) continue;
    const endpoints = (service as { endpoints?: unknown }).endpoints;
    if (!Array.isArray(endpoints)) continue;
    for (const e of endpoints as Array<Record<string, unknown>>) {
      if (e?.interface !== "public" || typeof e.url !== "string") continue;
      if (region !== undefined && e.region !== region && e.region_id !== region) continue;
      urls.add(e.url);
    }
  }
  if (urls.size !== 1) return undefined;
  const checked = endpointBase([...urls][0] as string);
  return "base" in checked ? checked.base : undefined;
}
