/**
 * What the doctor shares between its checks: a line, a deadline, and an error in words
 * for the person fixing an installation (who may see a policy's or a config's own message: it
 * names fields, never a secret's value).
 */
import { BmError, describeError } from "../errors";
import { PolicyError } from "../policy/policy";
import { SecretError } from "../secrets/secret-source";
import { SlackSecretError } from "../slack/slack-secret";
import { by } from "../util/by";
import type { Line } from "./ports";

export const ok = (check: string, text: string): Line => ({ ok: true, check, text });
export const fail = (check: string, text: string): Line => ({ ok: false, check, text });

/** A check that took longer than the doctor gives each. */
export class CheckTimeoutError extends BmError {
  override readonly name = "CheckTimeoutError";
  readonly passing = true;
  readonly forUsers = true;
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

/** `work`, or a {@link CheckTimeoutError} after `ms`. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  // Boxed, so that a check whose answer is itself undefined is not taken for a late one.
  const done = await by(
    Date.now() + ms,
    work.then((value) => ({ value })),
  );
  if (!done) throw new CheckTimeoutError(ms);
  return done.value;
}

/** ` --region ap-northeast-1`, or nothing when the region is not known. */
export const regionFlag = (region: string | undefined) => (region ? ` --region ${region}` : "");

/**
 * An error in words: bm's own say what happened (a deployer's error, such as the policy's, by its
 * own message, which names fields and never a value); AWS's by its name; a secret that is not
 * there, with the command that creates it.
 */
export function explain(error: unknown, region?: string): string {
  if (error instanceof SecretError && error.kind === "not_found")
    return `${error.message}: create it with \`aws secretsmanager create-secret --name ${error.secretId}${regionFlag(region)} --secret-string '{…}'\``;
  // Written for the deployer, to name what is wrong in a file or a secret, never a value.
  if (error instanceof PolicyError || error instanceof SlackSecretError) return error.message;
  return describeError(error);
}
