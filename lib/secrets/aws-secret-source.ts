/**
 * Secrets from AWS Secrets Manager, cached per container.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SingleFlight } from "../util/single-flight";
import { isJsonObject, SecretError, type SecretSource } from "./secret-source";

/** The one call this adapter makes, so that unit tests can pass a fake. */
export interface GetSecretValue {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string | undefined }>;
}

export interface AwsSecretSourceOptions {
  /** Defaults to a client configured by the SDK's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
  client?: GetSecretValue;
  /** How long a value is kept: five minutes unless told. */
  ttlMs?: number;
  now?: () => number;
  /** Options of the default client: its deadlines and tries (see lib/aws/clients.ts). */
  clientConfig?: ConstructorParameters<typeof SecretsManagerClient>[0];
}

export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/**
 * Reads secrets with `GetSecretValue`. A value is kept for `ttlMs`; concurrent reads of one id
 * share one request; failures are not cached.
 */
export class AwsSecretSource implements SecretSource {
  private readonly cache = new Map<string, { value: Record<string, unknown>; at: number }>();
  private readonly flight = new SingleFlight<string, Record<string, unknown>>();
  private client: GetSecretValue | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly clientConfig: AwsSecretSourceOptions["clientConfig"];

  constructor(options: AwsSecretSourceOptions = {}) {
    this.client = options.client;
    this.clientConfig = options.clientConfig;
    this.ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async read(id: string): Promise<Record<string, unknown>> {
    const cached = this.cache.get(id);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.value;
    return this.flight.run(id, async () => {
      const value = await this.fetch(id);
      this.cache.set(id, { value, at: this.now() });
      return value;
    });
  }

  invalidate(id: string): void {
    this.cache.delete(id);
  }

  private async fetch(id: string): Promise<Record<string, unknown>> {
    this.client ??= new SecretsManagerClient(this.clientConfig ?? {});
    let secretString: string | undefined;
    try {
      secretString = (await this.client.send(new GetSecretValueCommand({ SecretId: id })))
        .SecretString;
    } catch (error) {
      throw fromAwsError(id, error);
    }
    if (secretString === undefined) {
      throw new SecretError("not_json", id, "has no SecretString (binary secrets are not used)");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Not JSON, said below as not a JSON object. The SyntaxError is not kept as a cause: its
      // message quotes the value.
    }
    if (!isJsonObject(parsed)) throw new SecretError("not_json", id, "is not a JSON object");
    return parsed;
  }
}

function fromAwsError(id: string, error: unknown): SecretError {
  const name = (error as { name?: unknown })?.name;
  if (name === "ResourceNotFoundException") {
    return new SecretError("not_found", id, "does not exist in Secrets Manager", { cause: error });
  }
  if (name === "AccessDeniedException") {
    return new SecretError("denied", id, "may not be read by this role", { cause: error });
  }
  const what = typeof name === "string" ? ` (${name})` : "";
  return new SecretError("unavailable", id, `could not be read from Secrets Manager${what}`, {
    cause: error,
  });
}
