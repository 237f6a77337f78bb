import { AwsSecretSource, type AwsSecretSourceOptions } from "./aws-secret-source";
import { FileSecretSource } from "./file-secret-source";
import type { SecretSource } from "./secret-source";

/**
 * The local file named by `BM_SECRETS_FILE` when it is set; AWS Secrets Manager otherwise, its
 * client built with `clientConfig` (deadlines: a hung Secrets Manager must not hold a cold start).
 */
export function secretSourceFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig?: AwsSecretSourceOptions["clientConfig"],
): SecretSource {
  const file = env.BM_SECRETS_FILE;
  return file
    ? new FileSecretSource(file)
    : new AwsSecretSource(clientConfig ? { clientConfig } : {});
}
