import { AwsSecretSource } from "./aws-secret-source";
import { FileSecretSource } from "./file-secret-source";
import type { SecretSource } from "./secret-source";

/** The local file named by `BM_SECRETS_FILE` when it is set; AWS Secrets Manager otherwise. */
export function secretSourceFromEnv(env: NodeJS.ProcessEnv = process.env): SecretSource {
  const file = env.BM_SECRETS_FILE;
  return file ? new FileSecretSource(file) : new AwsSecretSource();
}
