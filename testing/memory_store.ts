/**
 * An {@link ObjectStore} in memory, for unit tests of the off-site destination: objects with
 * metadata, an ETag (a counter) and a time, the calls counted by kind. Block uploads are not
 * kept (the tests that need them run against the real servers, tests/offsite_*_test.ts).
 *
 * @module
 */

import {
  type FoundUpload,
  type Listing,
  missingKey,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  PreconditionFailedError,
  type Written,
} from "../lib/dest/object_store.ts";

/** One stored object. */
export interface MemoryObject {
  /** The bytes. */
  body: Uint8Array;
  /** The user metadata. */
  meta: Record<string, string>;
  /** The version tag. */
  etag: string;
  /** When it was written. */
  lastModified: Date;
}

/** The store; `objects` and `calls` are open for the test to look at or change. */
export class MemoryStore implements ObjectStore {
  /** Block uploads go to a staging key, as on S3. */
  readonly uploadsInPlace = false;
  /** The objects by key. */
  readonly objects = new Map<string, MemoryObject>();
  /** Calls by method name (`put`, `head`, `list`, `copy`, ...). */
  readonly calls: Record<string, number> = {};
  /** The time each write is stamped with (settable). */
  now: () => Date = () => new Date();
  /** What a PUT answers as its time: the default says none (as an S3 PutObject). */
  putAnswersTime = false;
  #tags = 0;

  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  #write(key: string, body: Uint8Array, meta: Record<string, string>, etag?: string): Written {
    const object = { body, meta, etag: etag ?? `"e${++this.#tags}"`, lastModified: this.now() };
    this.objects.set(key, object);
    return { etag: object.etag, lastModified: object.lastModified };
  }

  put(
    key: string,
    body: Uint8Array,
    options: { meta?: Record<string, string>; ifNoneMatch?: boolean } = {},
  ): Promise<Written> {
    this.#count("put");
    if (options.ifNoneMatch && this.objects.has(key)) {
      return Promise.reject(new PreconditionFailedError(key));
    }
    const written = this.#write(key, body.slice(), { ...options.meta });
    return Promise.resolve(this.putAnswersTime ? written : { etag: written.etag });
  }

  get(key: string): Promise<ObjectBody> {
    this.#count("get");
    const o = this.objects.get(key);
    if (!o) return Promise.reject(missingKey(key));
    return Promise.resolve({
      body: new Blob([o.body.slice()]).stream(),
      meta: { ...o.meta },
      lastModified: o.lastModified,
    });
  }

  getBytes(key: string): Promise<Uint8Array> {
    this.#count("getBytes");
    const o = this.objects.get(key);
    return o ? Promise.resolve(o.body.slice()) : Promise.reject(missingKey(key));
  }

  head(key: string): Promise<ObjectInfo | null> {
    this.#count("head");
    const o = this.objects.get(key);
    if (!o) return Promise.resolve(null);
    // A HEAD's Last-Modified header says whole seconds.
    const seconds = new Date(Math.floor(o.lastModified.getTime() / 1000) * 1000);
    return Promise.resolve({
      key,
      etag: o.etag,
      size: o.body.byteLength,
      meta: { ...o.meta },
      lastModified: seconds,
    });
  }

  list(prefix: string, options: { shallow?: boolean; max?: number } = {}): Promise<Listing> {
    this.#count("list");
    const out: Listing = { objects: [], prefixes: [] };
    const prefixes = new Set<string>();
    for (const key of [...this.objects.keys()].sort()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf("/");
      if (options.shallow && slash >= 0 && slash < rest.length - 1) {
        prefixes.add(prefix + rest.slice(0, slash + 1));
        continue;
      }
      const o = this.objects.get(key)!;
      out.objects.push({
        key,
        etag: o.etag,
        size: o.body.byteLength,
        lastModified: o.lastModified,
      });
      if (options.max !== undefined && out.objects.length >= options.max) break;
    }
    out.prefixes = [...prefixes];
    return Promise.resolve(out);
  }

  copy(fromKey: string, toKey: string, meta?: Record<string, string>): Promise<Written> {
    this.#count("copy");
    const o = this.objects.get(fromKey);
    if (!o) return Promise.reject(missingKey(fromKey));
    // A copy keeps the bytes, so the ETag (the MD5 of a one-part object) stays.
    return Promise.resolve(this.#write(toKey, o.body, { ...(meta ?? o.meta) }, o.etag));
  }

  delete(key: string): Promise<void> {
    this.#count("delete");
    this.objects.delete(key);
    return Promise.resolve();
  }

  beginUpload(_key: string): Promise<string> {
    return Promise.reject(new Error("MemoryStore keeps no block uploads"));
  }

  uploadPart(): Promise<string> {
    return Promise.reject(new Error("MemoryStore keeps no block uploads"));
  }

  completeUpload(): Promise<Written> {
    return Promise.reject(new Error("MemoryStore keeps no block uploads"));
  }

  abortUpload(): Promise<void> {
    return Promise.resolve();
  }

  listUploads(): Promise<{ key: string; id: string }[]> {
    return Promise.resolve([]);
  }

  findUpload(): Promise<FoundUpload | null> {
    return Promise.resolve(null);
  }

  keepsPart(): boolean {
    return false;
  }

  close(): void {}
}
