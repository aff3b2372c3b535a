/**
 * Everything of an `s3://` destination that needs the AWS SDK, in one module
 * that lib/cli/remote.ts loads on demand (`await import`, with a literal
 * specifier, so `deno compile` still embeds it): importing the SDK reads
 * environment variables at load time, and a local backup runs with
 * `--allow-env=BACKUP_DEBUG` only.
 *
 * @module
 */

import { HeadBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { RESERVED_DIR } from "../base/layout.ts";
import type { RemoteUrl } from "./object_url.ts";
import type { BucketProbe, ObjectStore } from "./object_store.ts";
import { makeS3Client, S3Store, type S3StoreOptions } from "./s3_store.ts";
import { UsageError } from "../base/errors.ts";

export { makeS3Client } from "./s3_store.ts";

/** The store of the bucket of `url`, with the client's retries (`maxAttempts`, default 6). */
export function makeStore(url: RemoteUrl, options: { maxAttempts?: number } = {}): ObjectStore {
  return new S3Store(makeS3Client(options), url.bucket, copyPartOptions());
}

/**
 * `BACKUP_S3_COPY_PART_LIMIT` (bytes, at least 5 MiB): a test knob lowering the size above which
 * a server-side copy is done in UploadPartCopy ranges (S3's 5 GiB).
 *
 * @throws UsageError when it is not a whole number of bytes
 */
function copyPartOptions(): S3StoreOptions {
  const text = Deno.env.get("BACKUP_S3_COPY_PART_LIMIT");
  if (text === undefined || text === "") return {};
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(
      `BACKUP_S3_COPY_PART_LIMIT=${text}: not a number of bytes; unset it (it is a test knob)`,
    );
  }
  return { copyPartLimit: n };
}

/**
 * Asks the bucket whether it exists and answers these credentials, and what
 * the prefix holds; two attempts, so that a dead endpoint is told quickly.
 *
 * @throws the SDK's error (see s3Problem in lib/dest/s3_client.ts)
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
