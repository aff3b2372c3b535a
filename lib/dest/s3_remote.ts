/**
 * Everything of an `s3://` destination that needs the AWS SDK, in one module
 * that lib/cli/remote.ts loads on demand (`await import`, with a literal
 * specifier, so `deno compile` still embeds it): importing the SDK reads
 * environment variables at load time, and a local backup runs with
 * `--allow-env=BACKUP_DEBUG` only.
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { RESERVED_DIR } from "../base/layout.ts";
import type { RemoteUrl } from "./s3_client.ts";
import { makeS3Client, STAGING } from "./s3.ts";

export { makeS3Client, S3Destination } from "./s3.ts";
export { MirroredJournalFs, pullJournal } from "./s3_journal.ts";
export { acquireLease } from "./s3_lease.ts";

/** What {@link probeBucket} saw under the prefix. */
export interface BucketProbe {
  /** Objects under the prefix (up to 50 looked at). */
  objects: number;
  /** True when the prefix holds a backup's reserved folder. */
  isBackup: boolean;
}

/**
 * Asks the bucket whether it exists and answers these credentials, and what
 * the prefix holds; two attempts, so that a dead endpoint is told quickly.
 *
 * @throws the SDK's error (see remoteProblem in lib/dest/s3_client.ts)
 */
export async function probeBucket(url: RemoteUrl): Promise<BucketProbe> {
  const probe = makeS3Client({ maxAttempts: 2 });
  try {
    await probe.send(new HeadBucketCommand({ Bucket: url.bucket }));
    const res = await probe.send(
      new ListObjectsV2Command({ Bucket: url.bucket, Prefix: url.prefix, MaxKeys: 50 }),
    );
    const keys = (res.Contents ?? []).map((o) => o.Key ?? "");
    return {
      objects: keys.length,
      isBackup: keys.some((k) => k.startsWith(`${url.prefix}${RESERVED_DIR}/`)),
    };
  } finally {
    probe.destroy();
  }
}

/**
 * Aborts the multipart uploads under the staging prefix: with the lease held, every one is an
 * upload a crashed or killed daemon abandoned. Returns how many.
 */
export async function abortAbandonedUploads(client: S3Client, url: RemoteUrl): Promise<number> {
  const res = await client.send(
    new ListMultipartUploadsCommand({ Bucket: url.bucket, Prefix: url.prefix + STAGING }),
  );
  let count = 0;
  for (const up of res.Uploads ?? []) {
    if (!up.Key || !up.UploadId) continue;
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: url.bucket, Key: up.Key, UploadId: up.UploadId }),
    );
    count++;
  }
  return count;
}
