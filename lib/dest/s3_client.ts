/**
 * The S3 side of an `s3://BUCKET/PREFIX` destination that needs no SDK:
 * reading the AWS SDK's failures (a 404, a lost conditional write) and
 * telling why a bucket cannot be used. It imports nothing of the AWS SDK, so
 * that a local backup never loads it (lib/cli/remote.ts loads
 * lib/dest/s3_remote.ts on demand).
 *
 * @module
 */

import { firstLine, isUnreachable, type RemoteUrl } from "./object_url.ts";

export { isRemoteDest, parseRemoteUrl, type RemoteUrl } from "./object_url.ts";

/** The HTTP status of an SDK error, or 0. */
export function httpStatus(err: unknown): number {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode ?? 0;
}

/** The S3 error code (`NoSuchKey`, `PreconditionFailed`, ...), or `""`. */
export function errorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) return "";
  const e = err as { Code?: string; name?: string };
  return e.Code ?? e.name ?? "";
}

/** True for an SDK 404 (no such key, no such upload). */
export function isS3Missing(err: unknown): boolean {
  return httpStatus(err) === 404 || errorCode(err) === "NoSuchKey" ||
    errorCode(err) === "NotFound";
}

/** True when an SDK conditional write lost (`If-None-Match: *` on a key that exists). */
export function isS3PreconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412 || errorCode(err) === "PreconditionFailed";
}

/**
 * Why the bucket cannot be used, in one line with the fix: wrong credentials,
 * no such bucket, an endpoint that does not answer. Null when `err` is
 * something else.
 */
export function s3Problem(err: unknown, url: RemoteUrl): string | null {
  const code = errorCode(err);
  const status = httpStatus(err);
  const endpoint = Deno.env.get("AWS_ENDPOINT_URL") ?? "the AWS default endpoint";
  if (
    code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch" || code === "AccessDenied" ||
    status === 403 || code === "CredentialsProviderError"
  ) {
    return `${url.url}: the server refused the credentials (${
      code || status
    }); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a key that may read and write bucket "${url.bucket}"`;
  }
  if (code === "NoSuchBucket" || (status === 404 && code !== "NoSuchKey")) {
    return `${url.url}: bucket "${url.bucket}" does not exist at ${endpoint}; create it first (aws s3 mb s3://${url.bucket}) or fix --dest`;
  }
  if (isUnreachable(`${code} ${err instanceof Error ? err.message : String(err)}`)) {
    return `${url.url}: the endpoint ${endpoint} does not answer (${
      firstLine(err)
    }); check AWS_ENDPOINT_URL and that the server is up`;
  }
  return null;
}

/**
 * An ETag as listings and HEADs give it, in double quotes: Ceph's RGW answers a CopyObject with
 * the ETag bare, and an off-site tag compares ETags as text (docs/offsite.md, "Listing").
 */
export function quotedEtag(etag: string): string {
  return etag === "" || etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}
