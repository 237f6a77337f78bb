/**
 * The audit archive in S3 (the bucket `AuditArchiveBucket` of serverless.yml: Object Lock in
 * compliance mode, versioned): the archiver's write-once puts, and the reader the verifier uses.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  type ArchivedChange,
  type ArchiveObject,
  CHANGES_PREFIX,
  EVENTS_PREFIX,
} from "../audit/archive";
import type { ArchiveStore, PutOnce } from "../audit/archive-batch";

/** True for S3's answer to a conditional put whose key is taken (412). */
function keyTaken(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412;
}

/** The archive bucket: each object written once (`If-None-Match: *`), never overwritten. */
export class S3AuditArchive implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /**
   * Puts the object only if its key is free: a second put of a key, a replay, writes no second
   * version. When the key is taken, reads what is there (s3:GetObject).
   * @throws the SDK's error for anything but a taken key (a 409 of a concurrent put included:
   * the record is retried).
   */
  async putOnce({ key, body }: ArchiveObject): Promise<PutOnce> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
          IfNoneMatch: "*",
          // S3 wants a checksum on every put to a bucket with Object Lock retention.
          ChecksumAlgorithm: "SHA256",
        }),
      );
      return { written: true };
    } catch (error) {
      if (!keyTaken(error)) throw error;
    }
    const existing = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return { written: false, existing: (await existing.Body?.transformToString("utf8")) ?? "" };
  }
}

/** What the archive holds, as {@link readArchive} reads it back. */
export interface ArchiveContents {
  /** Every archived event (the audit item as it was written), with its key; by key. */
  events: Array<{ key: string; item: Record<string, unknown> }>;
  /** Every change the archiver met (tampering), with its key; by key. */
  changes: Array<{ key: string; change: ArchivedChange }>;
}

/**
 * Reads the archive back, for the verifier: every event under `events/<day>/` and every change
 * under `changes/<day>/`, of `sinceDay` (`YYYY-MM-DD`) and after when given (the folder
 * `undated`, of events whose time was no ISO time, always), each parsed from its JSON. Needs
 * s3:ListBucket and s3:GetObject on the bucket (the audit check's role has both; the CLI's
 * verifier runs with the deployer's or its own role).
 * @throws the SDK's error, or a SyntaxError for an object that is not JSON.
 */
export async function readArchive(
  s3: S3Client,
  bucket: string,
  sinceDay?: string,
): Promise<ArchiveContents> {
  const read = async (prefix: string) => {
    const found: Array<{ key: string; value: unknown }> = [];
    for (const day of await list(s3, bucket, prefix, "/")) {
      const name = day.slice(prefix.length, -1);
      if (sinceDay !== undefined && name < sinceDay) continue;
      for (const key of await list(s3, bucket, day)) {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        found.push({
          key,
          value: JSON.parse((await object.Body?.transformToString("utf8")) ?? ""),
        });
      }
    }
    return found;
  };
  const events = await read(EVENTS_PREFIX);
  const changes = await read(CHANGES_PREFIX);
  return {
    events: events.map(({ key, value }) => ({ key, item: value as Record<string, unknown> })),
    changes: changes.map(({ key, value }) => ({ key, change: value as ArchivedChange })),
  };
}

/** The keys under `prefix` (with `delimiter`: the folders), every page, in S3's order (by key). */
async function list(
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter?: string,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    if (delimiter) keys.push(...(page.CommonPrefixes ?? []).flatMap((p) => p.Prefix ?? []));
    else keys.push(...(page.Contents ?? []).flatMap((o) => o.Key ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
