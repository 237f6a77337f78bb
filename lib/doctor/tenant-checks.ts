/**
 * The doctor's ECL checks, one tenant of the policy at a time, each step as the worker takes it
 * (lib/ecl/tenants.ts): the secret parses, Keystone issues a token, the endpoint (the secret's,
 * or the token's catalog's) lists servers.
 */
import { EclApiError, EclNetworkError } from "../ecl/errors";
import { parseTenantSecret, type TenantConfig, TenantSecretError } from "../secrets/tenant-secret";
import type { DoctorPorts, Line } from "./ports";
import { explain, fail, ok, within } from "./words";

/** An endpoint's origin: each is a URL already (the secret's parser, the catalog's reader). */
const origin = (url: string) => new URL(url).origin;

/** The command that puts a fixed value in a secret. */
const putValue = (secretId: string, region: string | undefined) =>
  `aws secretsmanager put-secret-value --secret-id ${secretId}${region ? ` --region ${region}` : ""} --secret-string '{…}'`;

/** The lines of one tenant of the policy: its secret, Keystone, its endpoint. */
export async function checkTenant(
  ports: Pick<DoctorPorts, "readSecret" | "ecl">,
  tenant: { name: string; secretId: string },
  context: { region: string | undefined; timeoutMs: number },
): Promise<Line[]> {
  const at = (step: string) => `tenant ${tenant.name}: ${step}`;
  const { secretId } = tenant;
  let config: TenantConfig;
  try {
    config = parseTenantSecret(
      secretId,
      await within(context.timeoutMs, ports.readSecret(secretId)),
    );
  } catch (error) {
    const fix = error instanceof TenantSecretError;
    return [
      fail(
        at("secret"),
        `${explain(error, context.region)}${fix ? `: fix it with \`${putValue(secretId, context.region)}\` (its fields: docs/deploy.md#tenant-secrets)` : ""}`,
      ),
    ];
  }
  const lines: Line[] = [
    ok(
      at("secret"),
      `${secretId} holds a tenant id and ${config.auth.kind === "token" ? "a token" : "Keystone credentials"}`,
    ),
  ];
  let token: string;
  let endpoint = config.apiEndpoint;
  /** The region that picks the catalog's endpoint (Keystone only: a token has no catalog). */
  let catalogRegion: string | undefined;
  if (config.auth.kind === "token") {
    token = config.auth.token;
    lines.push(ok(at("Keystone"), "not asked: the secret holds a token"));
  } else {
    const { identityEndpoint, apiKey, apiSecret, region } = config.auth;
    catalogRegion = region;
    const where = origin(identityEndpoint);
    try {
      const issued = await within(
        context.timeoutMs,
        ports.ecl.token({ identityEndpoint, apiKey, apiSecret, tenantId: config.tenantId, region }),
      );
      token = issued.token;
      endpoint ??= issued.endpoint;
      lines.push(ok(at("Keystone"), `${where} issues a token`));
    } catch (error) {
      const refused = error instanceof EclApiError && error.status === 401;
      lines.push(
        fail(
          at("Keystone"),
          refused
            ? `${where} refused the api_key and api_secret (401): were they rotated? Put the current ones (ECL portal, API key) in ${secretId}: \`${putValue(secretId, context.region)}\``
            : `${where}: ${explain(error)}${error instanceof EclNetworkError ? ": check the secret's region or identity_endpoint" : ""}`,
        ),
      );
      return lines;
    }
  }
  if (!endpoint) {
    // Only with Keystone: a token's secret always names its endpoint, or a region to make it.
    lines.push(
      fail(
        at("endpoint"),
        `Keystone's catalog names no public baremetal-server endpoint${catalogRegion ? ` in region ${catalogRegion}` : ""}: is the secret's region this tenant's? Set region (or api_endpoint) in ${secretId}`,
      ),
    );
    return lines;
  }
  const where = origin(endpoint);
  try {
    const servers = await within(
      context.timeoutMs,
      ports.ecl.firstPage({ apiEndpoint: endpoint, tenantId: config.tenantId, token }),
    );
    lines.push(ok(at("endpoint"), `${where} lists servers (${servers} on the first page)`));
  } catch (error) {
    const mismatch =
      error instanceof EclApiError && [401, 403, 404].includes(error.status)
        ? ": is it this tenant's region? Check region (or api_endpoint) in the secret"
        : error instanceof EclNetworkError
          ? ": check region (or api_endpoint) in the secret, and that bm's network reaches it"
          : "";
    lines.push(fail(at("endpoint"), `${where}: ${explain(error)}${mismatch}`));
  }
  return lines;
}
