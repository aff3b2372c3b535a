/**
 * The S3 side of an `s3://BUCKET/PREFIX` destination that needs no SDK:
 * parsing the URL, and mapping the SDK's failures onto the errors the rest of
 * the program knows (a 404 is `Deno.errors.NotFound`). It imports nothing of
 * the AWS SDK, so that a local backup never loads it (lib/cli/remote.ts loads
 * lib/dest/s3.ts on demand).
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";

/** Where a remote destination lives. */
export interface RemoteUrl {
  /** `s3` (S3 and S3-compatible stores). */
  scheme: "s3";
  /** The bucket. */
  bucket: string;
  /** The key prefix, `""` or ending in `/`. */
  prefix: string;
  /** The URL as given, for people. */
  url: string;
}

/** True when `dest` names a remote destination (`s3://...`) rather than a folder. */
export function isRemoteDest(dest: string): boolean {
  return /^s3:\/\//i.test(dest);
}

/**
 * Parses `s3://BUCKET/PREFIX`.
 *
 * @throws UsageError naming the URL and the form it must take.
 */
export function parseRemoteUrl(dest: string): RemoteUrl {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(dest);
  const bucket = m?.[1] ?? "";
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(
      `--dest "${dest}": not a bucket URL; write s3://BUCKET/PREFIX (a bucket name of 3 to 63 lower-case letters, digits, dots and dashes)`,
    );
  }
  const rest = (m[2] ?? "").replace(/\/+$/, "");
  if (rest.split("/").some((s) => s === "." || s === "..") || /\/\//.test(rest)) {
    throw new UsageError(
      `--dest "${dest}": the prefix has an empty, "." or ".." part; write s3://${bucket}/some/prefix`,
    );
  }
  return { scheme: "s3", bucket, prefix: rest === "" ? "" : `${rest}/`, url: dest };
}

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

/** True for a 404 (no such key, no such upload). */
export function isRemoteMissing(err: unknown): boolean {
  return httpStatus(err) === 404 || errorCode(err) === "NoSuchKey" ||
    errorCode(err) === "NotFound";
}

/** True when a conditional write lost (`If-None-Match: *` on a key that exists). */
export function isPreconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412 || errorCode(err) === "PreconditionFailed";
}

/** A `Deno.errors.NotFound` for `rel`, so that the engine's `isMissing` recognises it. */
export function notFound(rel: string): Error {
  return new Deno.errors.NotFound(`no such entry in the bucket: ${rel}`);
}

/** Maps an SDK failure for `rel` onto the program's errors: a 404 becomes {@link notFound}. */
export function mapRemoteError(err: unknown, rel: string): unknown {
  return isRemoteMissing(err) ? notFound(rel) : err;
}

/**
 * Why the bucket cannot be used, in one line with the fix: wrong credentials,
 * no such bucket, an endpoint that does not answer. Null when `err` is
 * something else.
 */
export function remoteProblem(err: unknown, url: RemoteUrl): string | null {
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
  const message = err instanceof Error ? err.message : String(err);
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timed? ?out|connection refused|dns error|error sending request|ConnectionRefused/i
      .test(`${code} ${message}`)
  ) {
    return `${url.url}: the endpoint ${endpoint} does not answer (${
      message.split("\n")[0]
    }); check AWS_ENDPOINT_URL and that the server is up`;
  }
  return null;
}
