/**
 * The seam between an off-site destination and its object store: the few
 * operations the mirror (lib/dest/object_dest.ts), its journal
 * (lib/dest/object_journal.ts) and its lease (lib/dest/object_lease.ts) need,
 * with an S3 implementation (lib/dest/s3_store.ts) and an Azure Blob one
 * (lib/dest/azure_store.ts). A store maps its SDK's failures onto two errors:
 * `Deno.errors.NotFound` for a key that does not exist, and
 * {@link PreconditionFailedError} for a conditional create that lost. This
 * module imports no SDK.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** What a listing or a HEAD says of an object. */
export interface ObjectInfo {
  /** The full key. */
  key: string;
  /** The store's version tag (ETag). */
  etag: string;
  /** Bytes stored. */
  size: number;
  /** When the object was last written. */
  lastModified?: Date;
  /** The user metadata, when the store returns it (a HEAD always; a listing on Azure). */
  meta?: Record<string, string>;
}

/** An object's body and what is known of it. */
export interface ObjectBody {
  /** The bytes as stored. */
  body: ReadableStream<Uint8Array>;
  /** The user metadata. */
  meta: Record<string, string>;
  /** When the object was last written. */
  lastModified?: Date;
}

/** What a write answered. */
export interface Written {
  /** The new version tag. */
  etag: string;
  /** The new time, when the store said it. */
  lastModified?: Date;
}

/** The objects and (shallow) sub-prefixes under a prefix. */
export interface Listing {
  /** The objects. */
  objects: ObjectInfo[];
  /** The sub-prefixes, ending in `/` (shallow listings only). */
  prefixes: string[];
}

/** A part (block) of an unfinished upload, as the store lists it. */
export interface UploadedPart {
  /** What {@link ObjectStore.completeUpload} needs of it (an ETag, or Azure's block id). */
  etag: string;
  /** Its bytes. */
  size: number;
}

/** An unfinished upload found in the store: its id and the parts it holds, by number (from 1). */
export interface FoundUpload {
  /** The upload's id. */
  id: string;
  /** Its parts. */
  parts: Map<number, UploadedPart>;
}

/** One object store (a bucket or a container), addressed by full keys. */
export interface ObjectStore {
  /**
   * True when a block upload is invisible under its own key until completed and completes with
   * its metadata (Azure's staged blocks), so that a large file goes up under its real key; false
   * when it goes up under a staging key and is copied into place (S3).
   */
  readonly uploadsInPlace: boolean;
  /** Writes `body` at `key`; with `ifNoneMatch`, only if the key does not exist. */
  put(
    key: string,
    body: Uint8Array,
    options?: { meta?: Record<string, string>; ifNoneMatch?: boolean },
  ): Promise<Written>;
  /** Streams an object. @throws Deno.errors.NotFound */
  get(key: string): Promise<ObjectBody>;
  /** An object's bytes. @throws Deno.errors.NotFound */
  getBytes(key: string): Promise<Uint8Array>;
  /** An object's metadata, or null when it does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /**
   * The objects under `prefix` (all pages), or with `shallow` its direct objects and
   * sub-prefixes; `max` stops after that many objects.
   */
  list(prefix: string, options?: { shallow?: boolean; max?: number }): Promise<Listing>;
  /**
   * A server-side copy, with new metadata or the source's; `size` (the stored bytes of the
   * source, when the caller knows them) spares S3 a HEAD to see whether it is above the
   * single-copy limit. @throws Deno.errors.NotFound
   */
  copy(
    fromKey: string,
    toKey: string,
    meta?: Record<string, string>,
    size?: number,
  ): Promise<Written>;
  /** Deletes a key; a key already gone is no error. */
  delete(key: string): Promise<void>;
  /** Starts a block (multipart) upload to `key`; returns its id. */
  beginUpload(key: string): Promise<string>;
  /** Uploads part `n` (from 1); returns what {@link completeUpload} needs of it. */
  uploadPart(key: string, id: string, n: number, body: Uint8Array): Promise<string>;
  /** Makes the parts the object at `key` (with `meta` when {@link uploadsInPlace}). */
  completeUpload(
    key: string,
    id: string,
    parts: string[],
    meta: Record<string, string>,
  ): Promise<Written>;
  /** Abandons an upload. */
  abortUpload(key: string, id: string): Promise<void>;
  /** The unfinished uploads under `prefix` (none where the store keeps no such list). */
  listUploads(prefix: string): Promise<{ key: string; id: string }[]>;
  /**
   * The newest unfinished upload to exactly `key` and its parts (S3: ListMultipartUploads and
   * ListParts; Azure: the blob's uncommitted blocks), or null: what a restart resumes.
   */
  findUpload(key: string): Promise<FoundUpload | null>;
  /**
   * True when `listed`, part `n` of upload `id`, holds exactly `body`: its size, and its MD5
   * (S3: the part's ETag; Azure: the MD5 the block id carries). A part kept on resume is not sent.
   */
  keepsPart(id: string, n: number, body: Uint8Array, listed: UploadedPart): boolean;
  /** Frees the client's connections. */
  close(): void;
}

/** The MD5 of `body`, in hex (an S3 part's ETag, unquoted; the digest in an Azure block id). */
export function md5Hex(body: Uint8Array): string {
  return createHash("md5").update(body).digest("hex");
}

/** A conditional create (`If-None-Match: *`) that found the key taken. */
export class PreconditionFailedError extends Error {
  /** A lost conditional write of `key`. */
  constructor(key: string, options?: ErrorOptions) {
    super(`already exists: ${key}`, options);
    this.name = "PreconditionFailedError";
  }
}

/** A `Deno.errors.NotFound` for `key`, keeping the store's error as the cause. */
export function missingKey(key: string, cause?: unknown): Error {
  return new Deno.errors.NotFound(`no such object: ${key}`, { cause });
}

/**
 * What a HEAD of `key` found: `request` asks the store, `read` turns its
 * reply into the object's info; null when the store threw
 * `Deno.errors.NotFound` (the key does not exist).
 */
export async function headOrNull<R>(
  key: string,
  request: () => Promise<R>,
  read: (res: R) => Omit<ObjectInfo, "key">,
): Promise<ObjectInfo | null> {
  let res: R;
  try {
    res = await request();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  return { key, ...read(res) };
}

/** Runs `work` over `items`, `limit` at a time. */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

/** What a probe of a bucket (or container) saw under the prefix. */
export interface BucketProbe {
  /** Objects under the prefix (up to 50 looked at). */
  objects: number;
  /** True when the prefix holds a backup's reserved folder. */
  isBackup: boolean;
}
