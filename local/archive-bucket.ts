/**
 * The audit archive bucket of serverless.yml (`AuditArchiveBucket`), created in an S3 that has
 * Object Lock (moto; AWS): its lock in compliance mode with the default retention of
 * `AuditRetentionDays`, versioning and encryption, read from the file, never copied.
 */
import { readFile } from "node:fs/promises";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  type ObjectLockRetentionMode,
  PutBucketEncryptionCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { parseDocument } from "yaml";
import { templateResources } from "./tables";

/** The bucket's logical id in serverless.yml. */
export const ARCHIVE_BUCKET = "AuditArchiveBucket";

/**
 * The default of a CloudFormation parameter of serverless.yml, as a deployment without a
 * --param gets it (`${param:name, 'default'}`).
 * @throws Error when there is no such parameter, or its default is not of that form.
 */
export async function parameterDefault(serverlessYml: string, name: string): Promise<string> {
  const document = parseDocument(await readFile(serverlessYml, "utf8"), {
    customTags: ["Ref", "GetAtt", "Sub", "Join", "If", "Not", "Equals", "And", "Condition"].map(
      (tag) => ({ tag: `!${tag}`, resolve: (value: string) => value }),
    ),
  }).toJS() as { resources?: { Parameters?: Record<string, { Default?: unknown }> } };
  const raw = String(document.resources?.Parameters?.[name]?.Default ?? "");
  const match = /^\$\{param:\w+, '([^']*)'\}$/.exec(raw);
  if (!match) throw new Error(`serverless.yml has no parameter ${name} with a default`);
  return match[1] as string;
}

/**
 * Creates the archive bucket as serverless.yml declares it, under `name`, with the default
 * retention of `AuditRetentionDays` (or `retentionDays`).
 * @throws Error when serverless.yml lacks it; the SDK's error when S3 refuses it.
 */
export async function createArchiveBucket(
  s3: S3Client,
  serverlessYml: string,
  name: string,
  retentionDays?: number,
): Promise<void> {
  const resource = (await templateResources(serverlessYml))[ARCHIVE_BUCKET];
  if (resource?.Type !== "AWS::S3::Bucket" || !resource.Properties)
    throw new Error(`serverless.yml has no S3 bucket ${ARCHIVE_BUCKET}`);
  const p = resource.Properties as {
    ObjectLockEnabled: boolean;
    ObjectLockConfiguration: {
      ObjectLockEnabled: "Enabled";
      Rule: { DefaultRetention: { Mode: ObjectLockRetentionMode; Days: string } };
    };
    BucketEncryption: {
      ServerSideEncryptionConfiguration: Array<{
        ServerSideEncryptionByDefault: { SSEAlgorithm: ServerSideEncryption };
      }>;
    };
    PublicAccessBlockConfiguration: Record<string, boolean>;
  };
  // `!Ref AuditRetentionDays`, read as the plain string "AuditRetentionDays".
  const days =
    retentionDays ??
    Number(
      await parameterDefault(serverlessYml, p.ObjectLockConfiguration.Rule.DefaultRetention.Days),
    );
  // Object Lock turns versioning on with it, as CloudFormation's VersioningConfiguration does.
  const region = await s3.config.region();
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ObjectLockEnabledForBucket: p.ObjectLockEnabled,
      // Outside us-east-1, S3 wants the region named.
      ...(region === "us-east-1"
        ? {}
        : {
            CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
          }),
    }),
  );
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: name,
      ObjectLockConfiguration: {
        ObjectLockEnabled: p.ObjectLockConfiguration.ObjectLockEnabled,
        Rule: {
          DefaultRetention: {
            Mode: p.ObjectLockConfiguration.Rule.DefaultRetention.Mode,
            Days: days,
          },
        },
      },
    }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: name,
      ServerSideEncryptionConfiguration: {
        Rules: p.BucketEncryption.ServerSideEncryptionConfiguration.map((rule) => ({
          ApplyServerSideEncryptionByDefault: rule.ServerSideEncryptionByDefault,
        })),
      },
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: name,
      PublicAccessBlockConfiguration: p.PublicAccessBlockConfiguration,
    }),
  );
}
