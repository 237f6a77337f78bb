/**
 * The Keystone v3 token call, as ECL documents it.
 */
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
  return { token, expiresAt: readExpiry(response.body) ?? now() + FALLBACK_LIFETIME_MS };
}

function readExpiry(body: string): number | undefined {
  try {
    const expires = (JSON.parse(body) as { token?: { expires_at?: unknown } }).token?.expires_at;
    const at = typeof expires === "string" ? Date.parse(expires) : Number.NaN;
    return Number.isNaN(at) ? undefined : at;
  } catch {
    return undefined;
  }
}
