/**
 * The port through which bm reads secrets: tenant secrets and the Slack secret.
 */

import { BmError } from "../errors";

/** Reads secrets by id. Every value is a JSON object. */
export interface SecretSource {
  /** @throws SecretError; its message never holds any part of a secret's value. */
  read(id: string): Promise<Record<string, unknown>>;
  /** Forgets a cached value, so that the next read fetches it again (after a 401, say). */
  invalidate(id: string): void;
}

export type SecretFailure = "not_found" | "denied" | "not_json" | "unavailable";

/** A secret could not be read. Names the secret, never its value. */
export class SecretError extends BmError {
  override readonly name = "SecretError";
  /** Secrets Manager unavailable may pass; a secret missing, denied or not JSON will not. */
  readonly passing: boolean;
  readonly forUsers = true;
  constructor(
    readonly kind: SecretFailure,
    readonly secretId: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`secret "${secretId}" ${detail}`, options);
    this.passing = kind === "unavailable";
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
