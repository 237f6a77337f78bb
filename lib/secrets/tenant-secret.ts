/**
 * The tenant secret: which ECL tenant, where its API is, and how to get a token.
 */

import * as v from "valibot";
import { endpointBase } from "../ecl/endpoint";
import { BmError } from "../errors";
import { isJsonObject } from "./secret-source";

/** A tenant secret, checked and with its endpoints worked out. */
export interface TenantConfig {
  tenantId: string;
  /**
   * Base URL of the bare-metal server API, without `/v2/…` or a trailing slash; undefined with
   * Keystone credentials and no `api_endpoint`: the token's catalog names it.
   */
  apiEndpoint: string | undefined;
  auth:
    | { kind: "token"; token: string }
    | {
        kind: "keystone";
        identityEndpoint: string;
        apiKey: string;
        apiSecret: string;
        /** Picks the catalog's endpoint when it names several regions. */
        region?: string;
      };
}

/** A tenant secret is missing a field or has a wrong one. Names fields, never values. */
export class TenantSecretError extends BmError {
  override readonly name = "TenantSecretError";
  readonly passing = false;
  readonly forUsers = true;
  constructor(
    readonly secretId: string,
    readonly problems: string[],
  ) {
    super(`tenant secret "${secretId}" is invalid: ${problems.join("; ")}`);
  }
}

// Every message below is written out: valibot's default messages quote the value received.
const text = (field: string) =>
  v.pipe(v.string(`${field} must be a string`), v.nonEmpty(`${field} must not be empty`));
const url = (field: string) => v.pipe(text(field), v.url(`${field} must be a URL`));

const Schema = v.object(
  {
    tenant_id: v.pipe(
      text("tenant_id"),
      v.regex(
        /^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i,
        "tenant_id must be a tenant (project) id: 32 hexadecimal digits (dashes allowed)",
      ),
    ),
    api_endpoint: v.optional(url("api_endpoint")),
    region: v.optional(
      v.pipe(text("region"), v.regex(/^[a-z]{2}[0-9]{1,2}$/, "region must look like jp1 or uk1")),
    ),
    token: v.optional(text("token")),
    api_key: v.optional(text("api_key")),
    api_secret: v.optional(text("api_secret")),
    identity_endpoint: v.optional(url("identity_endpoint")),
  },
  "the secret must be a JSON object",
);

/**
 * Checks a tenant secret's value and derives what is missing: `identity_endpoint` from `region`
 * (`https://keystone-<region>-ecl.api.ntt.com`); `api_endpoint` from Keystone's catalog with
 * Keystone credentials, or else from `region` (`https://baremetal-server-<region>-ecl.api.ntt.com`).
 * A dashed tenant_id is taken without its dashes.
 * @throws TenantSecretError naming every missing or wrong field.
 */
export function parseTenantSecret(secretId: string, value: unknown): TenantConfig {
  if (!isJsonObject(value))
    throw new TenantSecretError(secretId, ["the secret must be a JSON object"]);
  // One problem a field: an empty tenant_id is "must not be empty", not that and "not an id".
  const result = v.safeParse(Schema, value, { abortPipeEarly: true });
  if (!result.success) {
    throw new TenantSecretError(
      secretId,
      result.issues.map((issue) => {
        const field = v.getDotPath(issue) ?? "the secret";
        return issue.input === undefined && field !== "the secret"
          ? `${field} is missing`
          : issue.message;
      }),
    );
  }
  const s = result.output;
  const problems: string[] = [];
  let auth: TenantConfig["auth"] | undefined;
  const hasKeys = s.api_key !== undefined || s.api_secret !== undefined;
  if (s.token !== undefined && hasKeys) {
    problems.push("give either token, or api_key and api_secret, not both");
  } else if (s.token !== undefined) {
    auth = { kind: "token", token: s.token };
  } else if (!hasKeys) {
    problems.push("token, or api_key and api_secret, is missing");
  } else if (s.api_key === undefined) {
    problems.push("api_key is missing");
  } else if (s.api_secret === undefined) {
    problems.push("api_secret is missing");
  } else {
    const identity = endpoint(
      s.identity_endpoint,
      s.region,
      "keystone",
      "identity_endpoint",
      problems,
    );
    if (identity) {
      auth = {
        kind: "keystone",
        identityEndpoint: identity,
        apiKey: s.api_key,
        apiSecret: s.api_secret,
        ...(s.region ? { region: s.region } : {}),
      };
    }
  }
  // With Keystone, the catalog names the bare-metal endpoint: api_endpoint is only needed to
  // override it. A fixed token has no catalog, so it needs api_endpoint or a region.
  const keystone = s.token === undefined && hasKeys;
  const apiEndpoint =
    s.api_endpoint === undefined && keystone
      ? undefined
      : endpoint(s.api_endpoint, s.region, "baremetal-server", "api_endpoint", problems);
  if (problems.length > 0 || !auth) throw new TenantSecretError(secretId, problems);
  // A dashed UUID is the same project id written another way: ECL's URLs use the 32 digits.
  const tenantId = s.tenant_id.replace(/-/g, "").toLowerCase();
  return { tenantId, apiEndpoint, auth };
}

/**
 * The given endpoint, normalized, or the one derived from the region. Whether bm may connect to
 * it (https to a public name, unless BM_ECL_ENDPOINT_ALLOW lists it) is checked on each request.
 */
function endpoint(
  given: string | undefined,
  region: string | undefined,
  service: string,
  field: string,
  problems: string[],
): string | undefined {
  if (given === undefined) {
    if (region !== undefined) return `https://${service}-${region}-ecl.api.ntt.com`;
    problems.push(`${field} or region is missing`);
    return undefined;
  }
  const checked = endpointBase(given);
  if ("problem" in checked) {
    problems.push(`${field} ${checked.problem}`);
    return undefined;
  }
  return checked.base;
}
