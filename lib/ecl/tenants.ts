/**
 * From a tenant secret id to a ready ECL client, kept per container.
 */
import { createHash } from "node:crypto";
import type { SecretSource } from "../secrets/secret-source";
import { parseTenantSecret, type TenantConfig } from "../secrets/tenant-secret";
import { type RetryDeps, type RetryPolicy, realRetryDeps, withRetries } from "../util/retry";
import { DEFAULT_GET_RETRY, EclClient } from "./client";
import { EclApiError, EclNetworkError } from "./errors";
import type { Send } from "./http";
import { issueKeystoneToken } from "./keystone";
import { KeystoneTokens, StaticTokens, type TokenProvider } from "./tokens";

/** One tenant, opened from its secret. */
export interface Tenant {
  secretId: string;
  tenantId: string;
  /** The secret's endpoint; undefined when Keystone's catalog names it. */
  apiEndpoint: string | undefined;
  ecl: EclClient;
}

export interface TenantDirectoryOptions {
  secrets: SecretSource;
  send: Send;
  now?: () => number;
  retry?: RetryPolicy;
  retryDeps?: RetryDeps;
  /** How long a server action may take to answer (BM_ECL_ACTION_TIMEOUT_MS). */
  actionTimeoutMs?: number;
  /** Told of every ECL error status, or failure to answer (a metric). */
  onEclError?: (status: string) => void;
}

/**
 * Opens tenants by secret id. A tenant, and with it its Keystone token, is kept for as long as
 * its secret's value stays the same; a changed secret gives a fresh tenant.
 */
export class TenantDirectory {
  private readonly open = new Map<string, { fingerprint: string; tenant: Tenant }>();

  constructor(private readonly options: TenantDirectoryOptions) {}

  /** @throws SecretError, TenantSecretError. */
  async get(secretId: string): Promise<Tenant> {
    const value = await this.options.secrets.read(secretId);
    const fingerprint = createHash("sha256").update(JSON.stringify(value)).digest("hex");
    const known = this.open.get(secretId);
    if (known?.fingerprint === fingerprint) return known.tenant;
    const config = parseTenantSecret(secretId, value);
    const tenant: Tenant = {
      secretId,
      tenantId: config.tenantId,
      apiEndpoint: config.apiEndpoint,
      ecl: new EclClient({
        apiEndpoint: config.apiEndpoint,
        tenantId: config.tenantId,
        send: this.options.send,
        tokens: this.tokensFor(secretId, config),
        ...(this.options.retry ? { retry: this.options.retry } : {}),
        ...(this.options.retryDeps ? { retryDeps: this.options.retryDeps } : {}),
        ...(this.options.actionTimeoutMs ? { actionTimeoutMs: this.options.actionTimeoutMs } : {}),
        ...(this.options.onEclError ? { onError: this.options.onEclError } : {}),
      }),
    };
    this.open.set(secretId, { fingerprint, tenant });
    return tenant;
  }

  private tokensFor(secretId: string, config: TenantConfig): TokenProvider {
    const { secrets, send, now = Date.now } = this.options;
    const auth = config.auth;
    if (auth.kind === "token") {
      // After a 401, the secret is read again: it may have been rotated since it was cached.
      return new StaticTokens(auth.token, async () => {
        secrets.invalidate(secretId);
        const fresh = parseTenantSecret(secretId, await secrets.read(secretId));
        return fresh.auth.kind === "token" ? fresh.auth.token : undefined;
      });
    }
    const credentials = {
      identityEndpoint: auth.identityEndpoint,
      apiKey: auth.apiKey,
      apiSecret: auth.apiSecret,
      tenantId: config.tenantId,
      region: auth.region,
    };
    // Asking for a token changes nothing at ECL, so it is retried like a GET.
    const issue = () =>
      withRetries(
        () => issueKeystoneToken(send, credentials, now),
        this.options.retry ?? DEFAULT_GET_RETRY,
        (o) => !o.ok && (o.error instanceof EclNetworkError || isServerError(o.error)),
        this.options.retryDeps ?? realRetryDeps,
      ).catch((error: unknown) => {
        // Refused credentials may have been rotated: read the secret afresh next time.
        if (error instanceof EclApiError && error.status === 401) secrets.invalidate(secretId);
        throw error;
      });
    return new KeystoneTokens(issue, now);
  }
}

function isServerError(error: unknown): boolean {
  return error instanceof EclApiError && error.status >= 500;
}
