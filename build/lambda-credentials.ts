/**
 * Replaces, in the Lambda bundles only, the AWS SDK's default credential chain (profiles, SSO,
 * web identity, IMDS: ~150 KB of code and each a possible call at cold start). On Lambda the
 * function's role credentials are always in the environment, which is where this looks.
 */
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = fromEnv;
