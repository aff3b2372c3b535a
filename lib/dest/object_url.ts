/**
 * The URL of an off-site destination, `s3://BUCKET/PREFIX` or
 * `azure://CONTAINER/PREFIX`, and the errors every store shares. Imports no
 * SDK, so that a local backup never loads one (lib/cli/remote.ts loads them
 * on demand).
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { PreconditionFailedError } from "./object_store.ts";

/** The object stores a destination may live in. */
export type RemoteScheme = "s3" | "azure";

/** Where a remote destination lives. */
export interface RemoteUrl {
  /** `s3` (S3 and S3-compatible stores) or `azure` (Azure Blob). */
  scheme: RemoteScheme;
  /** The bucket (S3) or container (Azure). */
  bucket: string;
  /** The key prefix, `""` or ending in `/`. */
  prefix: string;
  /** The URL as given, for people. */
  url: string;
}

/** True when `dest` names a remote destination (`s3://...`, `azure://...`) rather than a folder. */
export function isRemoteDest(dest: string): boolean {
  return /^(s3|azure):\/\//i.test(dest);
}

/** What each scheme calls its bucket, and the names it allows. */
const BUCKETS: Record<RemoteScheme, { word: string; re: RegExp; rule: string }> = {
  s3: {
    word: "bucket",
    re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    rule: "a bucket name of 3 to 63 lower-case letters, digits, dots and dashes",
  },
  azure: {
    word: "container",
    re: /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    rule: "a container name of 3 to 63 lower-case letters, digits and single dashes",
  },
};

/**
 * Parses `s3://BUCKET/PREFIX` or `azure://CONTAINER/PREFIX`.
 *
 * @throws UsageError naming the URL and the form it must take.
 */
export function parseRemoteUrl(dest: string): RemoteUrl {
  const m = /^(s3|azure):\/\/([^/]*)\/?(.*)$/i.exec(dest);
  const scheme = (m?.[1]?.toLowerCase() ?? "s3") as RemoteScheme;
  const { word, re, rule } = BUCKETS[scheme];
  const bucket = m?.[2] ?? "";
  const upper = word.toUpperCase();
  if (!m || !re.test(bucket)) {
    throw new UsageError(
      `--dest "${dest}": not a ${word} URL; write ${scheme}://${upper}/PREFIX (${rule})`,
    );
  }
  const rest = (m[3] ?? "").replace(/\/+$/, "");
  if (rest.split("/").some((s) => s === "." || s === "..") || /\/\//.test(rest)) {
    throw new UsageError(
      `--dest "${dest}": the prefix has an empty, "." or ".." part; write ${scheme}://${bucket}/some/prefix`,
    );
  }
  return { scheme, bucket, prefix: rest === "" ? "" : `${rest}/`, url: dest };
}

/** True for a key that does not exist (a store's `Deno.errors.NotFound`). */
export function isRemoteMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

/** True when a conditional write lost (`If-None-Match: *` on a key that exists). */
export function isPreconditionFailed(err: unknown): boolean {
  return err instanceof PreconditionFailedError;
}

/** A `Deno.errors.NotFound` for `rel`, so that the engine's `isMissing` recognises it. */
export function notFound(rel: string): Error {
  return new Deno.errors.NotFound(`no such entry in the bucket: ${rel}`);
}

/** Maps a store's failure for `rel` onto the program's errors: a missing key names `rel`. */
export function mapRemoteError(err: unknown, rel: string): unknown {
  return isRemoteMissing(err) ? notFound(rel) : err;
}

/** The first line of an error's message. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

/** True when `text` (an error's code and message) says the endpoint did not answer. */
export function isUnreachable(text: string): boolean {
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|timed? ?out|connection refused|dns error|error sending request|ConnectionRefused/i
    .test(text);
}
