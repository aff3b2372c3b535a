/**
 * A prefix of an object store (an S3 bucket: AWS S3, Ceph RGW, MinIO, R2, B2,
 * Wasabi; or an Azure Blob container) as a {@link Destination}, over the
 * {@link ObjectStore} seam (lib/dest/object_store.ts).
 *
 * ```
 * PREFIX/a/b.txt        a file: one object; metadata backup-kind=file, -mode (octal),
 *                       -mtime (ms), -hash (xxh128 of the bytes)
 * PREFIX/a/link         a symlink: an empty object, backup-kind=symlink, -target (URI-encoded)
 * PREFIX/a/             a folder: an empty marker object, backup-kind=dir, -mode, -mtime
 * PREFIX/.backup-state/...    the journal, the lease, versions and staged uploads (docs/offsite.md)
 * ```
 *
 * A file is written whole in one PUT at {@link StagedEntry.commit} (nothing is
 * visible under its key before); a file larger than {@link PART_BYTES} goes
 * up in blocks: on Azure staged blocks under its own key, committed with its
 * metadata at commit; on S3 a multipart upload to a staging key under
 * `PREFIX/.backup-state/staging/`, copied server-side to its key at commit. A rename is a server-side
 * copy and a delete (for a folder, of every object below it). Every
 * acknowledged request is durable, so the syncs do nothing.
 *
 * Listing: S3's ListObjectsV2 does not return user metadata, so each object's
 * entry is read once with HEAD and kept by ETag; while an object's ETag is
 * unchanged its entry is taken from memory. An Azure listing has the
 * metadata, and no HEAD is needed.
 *
 * @module
 */

import zlib from "node:zlib";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Kind } from "../base/fs.ts";
import type { Entry, ScanResult } from "../base/scan.ts";
import type {
  Destination,
  DestinationCapabilities,
  DestinationReader,
  FileMeta,
  ListOptions,
  MetaChange,
  StagedEntry,
  StagedFile,
} from "./destination.ts";
import { createHasher, type Hasher } from "../base/hash.ts";
import { parentOf } from "../base/paths.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import { isRemoteMissing, mapRemoteError, notFound, type RemoteUrl } from "./object_url.ts";
import { eachLimited, missingKey, type ObjectStore, type Written } from "./object_store.ts";
import { PartUpload } from "./object_parts.ts";

/** Files above this size go up in parts of this size (multipart upload). */
export const PART_BYTES = 16 * 1024 * 1024;

/** How many idle hashers the destination keeps for its next staged files. */
const MAX_IDLE_HASHERS = 8;

/** How many HEAD requests a listing runs at once. */
const HEAD_CONCURRENCY = 32;

/** Key (below the prefix) of the staging area for multipart uploads. */
export const STAGING = `${RESERVED_DIR}/staging/`;

/** Name prefix (in {@link STAGING}) of a path's resumable upload: `up-` + SHA-256 of the path. */
export const RESUMABLE = "up-";

/** How a file's object stores its bytes: `size` of them, compressed by `codec` or plain. */
export interface Stored {
  /** The codec; absent: plain. */
  codec?: Codec;
  /** The original size. */
  size: number;
}

/** The codecs of `--compress`. */
export type Codec = "zstd" | "gzip";

/** Compresses one chunk into a frame (zstd) or member (gzip) of its own; they concatenate. */
export function compressChunk(codec: Codec, data: Uint8Array): Uint8Array {
  return codec === "zstd" ? zlib.zstdCompressSync(data) : zlib.gzipSync(data);
}

/** A stream of the original bytes of an object stored with `codec`. */
export function decompressStream(
  codec: Codec,
  body: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const inflate = codec === "zstd" ? zlib.createZstdDecompress() : zlib.createGunzip();
  // deno-lint-ignore no-explicit-any
  const source = Readable.fromWeb(body as any);
  source.on("error", (err) => inflate.destroy(err));
  source.pipe(inflate);
  return Readable.toWeb(inflate) as unknown as ReadableStream<Uint8Array>;
}

/** The user metadata of an entry, as stored on its object. */
export function metaOf(
  entry: Pick<Entry, "kind" | "mode" | "mtimeMs" | "target">,
  hash?: string,
  stored?: Stored,
): Record<string, string> {
  const meta: Record<string, string> = {
    "backup-kind": entry.kind,
    "backup-mode": (entry.mode & 0o7777).toString(8),
    "backup-mtime": String(Math.round(entry.mtimeMs)),
  };
  if (hash !== undefined) meta["backup-hash"] = hash;
  if (entry.target !== undefined) meta["backup-target"] = encodeURIComponent(entry.target);
  if (stored) {
    if (stored.codec) meta["backup-codec"] = stored.codec;
    meta["backup-size"] = String(stored.size);
  }
  return meta;
}

/** The entry an object's metadata describes (an object without ours: a plain 0644 file). */
export function entryOfMeta(
  meta: Record<string, string> | undefined,
  size: number,
  lastModified: Date | undefined,
  isMarker: boolean,
): Entry {
  const kind = (meta?.["backup-kind"] ?? (isMarker ? "dir" : "file")) as Kind;
  const mode = meta?.["backup-mode"] !== undefined
    ? parseInt(meta["backup-mode"], 8)
    : kind === "dir"
    ? 0o755
    : 0o644;
  const mtimeMs = meta?.["backup-mtime"] !== undefined
    ? Number(meta["backup-mtime"])
    : lastModified?.getTime() ?? 0;
  // A compressed object: its entry has the original size.
  const original = meta?.["backup-size"] !== undefined ? Number(meta["backup-size"]) : size;
  const entry: Entry = { kind, size: kind === "file" ? original : 0, mtimeMs, mode, ino: 0 };
  if (kind === "symlink") entry.target = decodeURIComponent(meta?.["backup-target"] ?? "");
  return entry;
}

/**
 * What an object's listing says of its version: its ETag and its last-modified time, in whole
 * seconds (a listing says milliseconds, a HEAD's Last-Modified header seconds). A copy of an
 * object onto itself with new metadata keeps the ETag but not the time.
 */
function tagOf(etag: string | undefined, lastModified?: Date): string {
  const seconds = lastModified === undefined ? "?" : Math.floor(lastModified.getTime() / 1000);
  return `${etag ?? ""}@${seconds}`;
}

/**
 * Whether a listing's tag `listed` is the version a kept tag `known` describes: the same tag; or
 * the same ETag, listed at or before the kept second. A kept second is the object's own time (a
 * HEAD, a listing) or, for what this process wrote, the time the server answered the write (at
 * or after the object's own, which is one second less when the write straddled a second). A
 * later write by anyone, a copy onto itself with new metadata too, is stamped after that answer:
 * never before the kept second, so it is never taken for the kept version (docs/offsite.md).
 */
export function sameVersion(known: string, listed: string): boolean {
  if (known === listed) return true;
  const k = known.lastIndexOf("@");
  const l = listed.lastIndexOf("@");
  if (k < 0 || l < 0 || known.slice(0, k) !== listed.slice(0, l)) return false;
  const keptSecond = Number(known.slice(k + 1));
  const listedSecond = Number(listed.slice(l + 1));
  // "?" (no time known) is NaN: never the same.
  return listedSecond <= keptSecond;
}

/** A listed object. */
interface Listed {
  key: string;
  etag: string;
  size: number;
}

/** Options of {@link ObjectDestination}. */
export interface ObjectOptions {
  /** Compress new files' objects with this codec (`--compress`). */
  compress?: Codec;
  /**
   * Upload a staged file when it is synced rather than when it is committed, so that the files
   * of a batch go up side by side. Only without versioning: with it, the engine moves the old
   * file into the versions folder between the two, and an upload at sync would overwrite it
   * first. Nothing half-written is visible either way (one PUT, or a completed multipart
   * upload); a crash after the upload leaves the intent unfinished, and the start re-checks the
   * path by hash, as after a crash right after a commit.
   */
  publishAtSync?: boolean;
}

/** The prefix of a bucket or container as the mirror. */
export class ObjectDestination implements Destination {
  /** Renames are copies plus deletes; folders are marker objects. */
  readonly capabilities: DestinationCapabilities = { renames: "copy", folders: "markers" };
  readonly #store: ObjectStore;
  readonly #prefix: string;
  readonly #url: string;
  /** Hashers of staged files done with them ({@link returnHasher}). */
  readonly #hashers: Hasher[] = [];
  /** Entries read by HEAD, by key, with the ETag they were read at (and the bytes stored). */
  readonly #known = new Map<string, { etag: string; entry: Entry; bytes?: number }>();

  /** `--compress`: the codec new objects are stored with; null: plain. */
  readonly codec: Codec | null;
  /** See {@link ObjectOptions.publishAtSync}. */
  readonly publishAtSync: boolean;

  /** The destination at `url`, through `store`; new files compressed with `options.compress`. */
  constructor(store: ObjectStore, url: RemoteUrl, options: ObjectOptions = {}) {
    this.codec = options.compress ?? null;
    this.publishAtSync = options.publishAtSync ?? false;
    this.#store = store;
    this.#prefix = url.prefix;
    this.#url = url.url;
  }

  /** The bucket URL. */
  get location(): string {
    return this.#url;
  }

  /**
   * The entries known by HEAD, as text for a cache file: a later process lists the bucket and
   * heads only the objects whose ETag or time changed ({@link importKnown}).
   */
  exportKnown(): string {
    return JSON.stringify([...this.#known].map(([key, k]) => [key, k.etag, k.entry]));
  }

  /** Takes entries from {@link exportKnown}'s text; text that does not parse is ignored. */
  importKnown(text: string): void {
    try {
      const rows = JSON.parse(text) as [string, string, Entry][];
      for (const [key, etag, entry] of rows) {
        if (
          typeof key === "string" && typeof etag === "string" && typeof entry?.kind === "string"
        ) {
          this.#known.set(key, { etag, entry });
        }
      }
    } catch { /* a damaged cache is only slower */ }
  }

  /** The object store (for the journal and the lease, which live in the same bucket). */
  get store(): ObjectStore {
    return this.#store;
  }

  /** The object key of a relative path. */
  key(rel: string): string {
    if (rel.split("/").some((s) => s === "" || s === "." || s === "..")) {
      throw new Error(`refused a path outside the destination: ${JSON.stringify(rel)}`);
    }
    return this.#prefix + rel;
  }

  /** Every object under `keyPrefix` (recursive), or its direct children and sub-prefixes. */
  async #listKeys(
    keyPrefix: string,
    shallow: boolean,
  ): Promise<{ objects: Listed[]; dirs: string[] }> {
    const { objects, prefixes } = await this.#store.list(keyPrefix, { shallow });
    for (const o of objects) {
      // A listing that has the metadata (Azure) spares the HEAD.
      if (o.meta !== undefined) {
        const entry = entryOfMeta(o.meta, o.size, o.lastModified, o.key.endsWith("/"));
        this.#known.set(o.key, { etag: tagOf(o.etag, o.lastModified), entry, bytes: o.size });
      }
    }
    return {
      objects: objects.map((o) => ({
        key: o.key,
        etag: tagOf(o.etag, o.lastModified),
        size: o.size,
      })),
      dirs: prefixes,
    };
  }

  /** HEAD of a key: its entry, cached by ETag; null when it does not exist. */
  async #head(key: string, etag?: string): Promise<Entry | null> {
    const known = this.#known.get(key);
    if (known && etag !== undefined && sameVersion(known.etag, etag)) {
      known.etag = etag;
      return known.entry;
    }
    const res = await this.#store.head(key);
    if (res === null) {
      this.#known.delete(key);
      return null;
    }
    const entry = entryOfMeta(res.meta, res.size, res.lastModified, key.endsWith("/"));
    this.#known.set(key, { etag: tagOf(res.etag, res.lastModified), entry, bytes: res.size });
    return entry;
  }

  /** Lists the tree under `under` (or its direct children with `shallow`). */
  async list(options: ListOptions = {}): Promise<ScanResult> {
    const under = options.under ?? "";
    const result: ScanResult = {
      entries: new Map(),
      unreadable: new Map(),
      badNames: new Map(),
      temps: [],
      skipped: 0,
      reservedSkipped: false,
    };
    const base = under === "" ? this.#prefix : `${this.key(under)}/`;
    if (under !== "" && (await this.#head(base)) === null) {
      const probe = await this.#listKeys(base, true);
      if (probe.objects.length === 0 && probe.dirs.length === 0) throw notFound(under);
    }
    if (under === "" && options.shallow !== true) await this.#sweepAbandoned();
    const { objects, dirs } = await this.#listKeys(base, options.shallow === true);
    const reserved = `${this.#prefix}${RESERVED_DIR}/`;
    const wanted: Listed[] = [];
    const implied = new Set<string>();
    const staging = this.#prefix + STAGING;
    for (const o of objects) {
      if (o.key === base) continue;
      if (under === "" && o.key.startsWith(staging)) {
        // A large file's upload a crash left before its copy to the real key: a temp.
        result.temps.push(o.key.slice(this.#prefix.length));
        continue;
      }
      if (under === "" && o.key.startsWith(reserved)) continue;
      const rel = o.key.slice(this.#prefix.length).replace(/\/$/, "");
      if (rel.split("/").some((s) => s.startsWith(".backup-tmp-"))) {
        result.temps.push(rel);
        continue;
      }
      wanted.push(o);
      // A folder that only objects below it imply (no marker): listed as a plain folder.
      for (let p = parentOf(rel); p !== "" && p.length > under.length; p = parentOf(p)) {
        implied.add(p);
      }
    }
    for (const d of dirs) {
      if (under === "" && d === reserved) continue;
      implied.add(d.slice(this.#prefix.length).replace(/\/$/, ""));
      wanted.push({ key: d, etag: "", size: 0 });
    }
    await eachLimited(wanted, HEAD_CONCURRENCY, async (o) => {
      const rel = o.key.slice(this.#prefix.length).replace(/\/$/, "");
      const entry = o.key.endsWith("/") && o.etag === ""
        ? await this.#head(o.key)
        : await this.#head(o.key, o.etag);
      if (entry === null) return;
      if (options.skip?.(rel, entry.kind)) {
        result.skipped++;
        return;
      }
      result.entries.set(rel, entry);
    });
    for (const rel of implied) {
      if (!result.entries.has(rel) && !options.skip?.(rel, "dir")) {
        result.entries.set(rel, { kind: "dir", size: 0, mtimeMs: 0, mode: 0o755, ino: 0 });
      }
    }
    return result;
  }

  /** The entry at `rel`: its object, its folder marker, or a folder implied by objects below. */
  async stat(rel: string): Promise<Entry> {
    if (rel === "") return { kind: "dir", size: 0, mtimeMs: 0, mode: 0o700, ino: 0 };
    const key = this.key(rel);
    try {
      // Both HEADs at once: one round trip for a folder (the engine stats parent folders).
      const [file, marker] = await Promise.all([this.#head(key), this.#head(`${key}/`)]);
      if (file !== null) return file;
      if (marker !== null) return marker;
      const below = await this.#store.list(`${key}/`, { max: 1 });
      if (below.objects.length > 0) {
        return { kind: "dir", size: 0, mtimeMs: 0, mode: 0o755, ino: 0 };
      }
    } catch (err) {
      throw mapRemoteError(err, rel);
    }
    throw notFound(rel);
  }

  /** Streams the object at `rel`. */
  async openFile(rel: string): Promise<DestinationReader> {
    let body: ReadableStream<Uint8Array>;
    try {
      const res = await this.#store.get(this.key(rel));
      if (res.meta["backup-kind"] === "dir") {
        await res.body.cancel();
        throw new Deno.errors.IsADirectory(rel);
      }
      body = res.body;
      const codec = res.meta["backup-codec"];
      if (codec === "zstd" || codec === "gzip") body = decompressStream(codec, body);
    } catch (err) {
      if (isRemoteMissing(err) && (await this.#head(`${this.key(rel)}/`)) !== null) {
        throw new Deno.errors.IsADirectory(rel);
      }
      throw mapRemoteError(err, rel);
    }
    return streamReader(body);
  }

  /** A file buffered in memory (or, when large, uploaded in parts) until its commit. */
  async stageFile(rel: string, options: { size: number }): Promise<StagedFile> {
    return new ObjectStagedFile(
      this,
      rel,
      options.size,
      this.#hashers.pop() ?? await createHasher(),
    );
  }

  /**
   * Takes back the hasher of a staged file that is done with it, for the next file. A new
   * hasher is a new WebAssembly instance (and its memory): making one per file of a batch of
   * small files cost more than their hashing, and a wait on the event loop each.
   */
  returnHasher(hasher: Hasher): void {
    if (this.#hashers.length < MAX_IDLE_HASHERS) this.#hashers.push(hasher);
  }

  /** A symlink: an empty object with the target in its metadata, PUT at commit. */
  stageSymlink(rel: string, target: string, mtimeMs: number): Promise<StagedEntry> {
    const meta = metaOf({ kind: "symlink", mode: 0o777, mtimeMs, target });
    return Promise.resolve({
      commit: () => this.putObject(rel, new Uint8Array(0), meta),
      discard: () => Promise.resolve(),
    });
  }

  /** PUTs `body` at `rel` with `meta`; remembers the entry. */
  async putObject(
    rel: string,
    body: Uint8Array,
    meta: Record<string, string>,
  ): Promise<void> {
    const key = this.key(rel);
    const res = await this.#store.put(key, body, { meta });
    this.remember(key, res, entryOfMeta(meta, body.byteLength, new Date(), false));
  }

  /** Keeps the entry just written at `key`, under the version the write answered. */
  remember(key: string, res: Written, entry: Entry): void {
    this.#known.set(key, { etag: tagOf(res.etag, res.lastModified), entry });
  }

  /**
   * Copies `fromKey` to `toKey` server-side, with new metadata or the same; `size`, the bytes
   * stored at `fromKey` when known (else as last read), tells S3 whether to copy in parts.
   */
  async copyKey(
    fromKey: string,
    toKey: string,
    meta?: Record<string, string>,
    size?: number,
  ): Promise<void> {
    const res = await this.#store.copy(
      fromKey,
      toKey,
      meta,
      size ?? this.#known.get(fromKey)?.bytes,
    );
    const from = this.#known.get(fromKey);
    if (meta) {
      const size = from?.entry.size ?? 0;
      this.remember(toKey, res, entryOfMeta(meta, size, new Date(), toKey.endsWith("/")));
    } else if (from) this.remember(toKey, res, from.entry);
    else this.#known.delete(toKey);
  }

  /**
   * The uploads a crashed run left that a copy may still resume ({@link adoptUploads}); the
   * full listings to come before those not taken up are aborted; the uploads taken up.
   */
  #abandoned: { key: string; id: string }[] = [];
  #abandonedGrace = 0;
  readonly #resumed = new Set<string>();

  /**
   * Takes the unfinished uploads found at start: they are kept through the next full listing
   * (the pass that re-copies the interrupted files resumes them), and those no copy took up
   * are aborted at the full listing after it, or when the daemon stops ({@link dropAbandoned}).
   */
  adoptUploads(uploads: { key: string; id: string }[]): void {
    this.#abandoned = uploads;
    this.#abandonedGrace = 1;
  }

  /** Notes an upload a copy found or began: never swept as abandoned. */
  uploadStarted(key: string, id: string): void {
    this.#resumed.add(`${key}\n${id}`);
  }

  /** Aborts the adopted uploads no copy took up, once their grace (one full listing) is over. */
  async #sweepAbandoned(): Promise<void> {
    if (this.#abandoned.length === 0) return;
    if (this.#abandonedGrace-- > 0) return;
    await this.dropAbandoned();
  }

  /**
   * Aborts the adopted uploads no copy took up (at the second full listing, or when the daemon
   * stops, whichever comes first); returns how many. One that fails to abort is adopted again
   * at the next start.
   */
  async dropAbandoned(): Promise<number> {
    const left = this.#abandoned.filter((up) => !this.#resumed.has(`${up.key}\n${up.id}`));
    this.#abandoned = [];
    let dropped = 0;
    for (const up of left) {
      try {
        await this.#store.abortUpload(up.key, up.id);
        dropped++;
      } catch { /* left for the next start */ }
    }
    return dropped;
  }

  /** Deletes one key. */
  async deleteKey(key: string): Promise<void> {
    await this.#store.delete(key);
    this.#known.delete(key);
  }

  /**
   * The key a large file's parts go to: its own key where blocks stay invisible until committed
   * (Azure), else its staging key, named by the SHA-256 of its path, so that a restart finds the
   * upload a crash left ({@link PartUpload}).
   */
  uploadKey(rel: string): string {
    if (this.#store.uploadsInPlace) return this.key(rel);
    const digest = createHash("sha256").update(rel).digest("hex").slice(0, 40);
    return `${this.#prefix}${STAGING}${RESUMABLE}${digest}`;
  }

  /**
   * Renames by server-side copies then deletes: a file or symlink, or a folder
   * (its marker and every object below it).
   */
  async rename(from: string, to: string): Promise<void> {
    const fromKey = this.key(from);
    const toKey = this.key(to);
    try {
      if ((await this.#head(fromKey)) !== null) {
        await this.copyKey(fromKey, toKey);
        await this.deleteKey(fromKey);
        return;
      }
      const { objects } = await this.#listKeys(`${fromKey}/`, false);
      if (objects.length === 0) throw notFound(from);
      for (const o of objects) {
        await this.copyKey(o.key, toKey + o.key.slice(fromKey.length), undefined, o.size);
      }
      for (const o of objects) await this.deleteKey(o.key);
    } catch (err) {
      throw mapRemoteError(err, from);
    }
  }

  /** Deletes a file's or symlink's object, or an empty folder's marker. */
  async remove(rel: string): Promise<void> {
    const key = this.key(rel);
    try {
      if ((await this.#head(key)) !== null) return await this.deleteKey(key);
      const below = await this.#store.list(`${key}/`, { max: 2 });
      const keys = below.objects.map((o) => o.key);
      if (keys.length === 0) throw notFound(rel);
      if (keys.some((k) => k !== `${key}/`)) {
        throw new Error(`folder not empty: ${rel}`);
      }
      await this.deleteKey(`${key}/`);
    } catch (err) {
      throw mapRemoteError(err, rel);
    }
  }

  /** PUTs a folder marker (`rel/`) with its mode. */
  async mkdir(rel: string, mode: number): Promise<void> {
    const key = this.key(rel);
    if ((await this.#head(key)) !== null || (await this.#head(`${key}/`)) !== null) {
      throw new Deno.errors.AlreadyExists(`already in the bucket: ${rel}`);
    }
    const parent = parentOf(rel);
    if (parent !== "") await this.stat(parent);
    const meta = metaOf({ kind: "dir", mode, mtimeMs: Date.now() });
    const res = await this.#store.put(`${key}/`, new Uint8Array(0), { meta });
    this.remember(`${key}/`, res, entryOfMeta(meta, 0, undefined, true));
  }

  /** Replaces the metadata by a server-side copy of the object onto itself. */
  async setMeta(rel: string, kind: Kind, change: MetaChange): Promise<void> {
    const key = kind === "dir" ? `${this.key(rel)}/` : this.key(rel);
    try {
      const res = await this.#store.head(key);
      if (res === null) throw missingKey(key);
      const old = entryOfMeta(res.meta, res.size, res.lastModified, kind === "dir");
      const meta: Record<string, string> = {
        ...res.meta,
        ...metaOf({
          kind: old.kind,
          mode: kind === "symlink" ? old.mode : change.mode ?? old.mode,
          mtimeMs: change.mtimeMs ?? old.mtimeMs,
          ...(old.target !== undefined ? { target: old.target } : {}),
        }),
      };
      this.#known.set(key, { etag: tagOf(res.etag, res.lastModified), entry: old });
      await this.copyKey(key, key, meta, res.size);
    } catch (err) {
      if (kind === "dir" && isRemoteMissing(err)) {
        // A folder implied by the objects below it gets a marker of its own.
        await this.stat(rel);
        const meta = metaOf({
          kind: "dir",
          mode: change.mode ?? 0o755,
          mtimeMs: change.mtimeMs ?? Date.now(),
        });
        await this.#store.put(key, new Uint8Array(0), { meta });
        this.#known.delete(key);
        return;
      }
      throw mapRemoteError(err, rel);
    }
  }

  /** Nothing: an acknowledged request is durable. */
  sync(_folder: string): Promise<void> {
    return Promise.resolve();
  }
}

/** A reader over a web stream. */
function streamReader(body: ReadableStream<Uint8Array>): DestinationReader {
  const reader = body.getReader();
  let pending: Uint8Array | null = null;
  let closed = false;
  return {
    async read(buf: Uint8Array): Promise<number | null> {
      while (pending === null || pending.byteLength === 0) {
        if (closed) return null;
        const { value, done } = await reader.read();
        if (done) {
          closed = true;
          return null;
        }
        pending = value;
      }
      const n = Math.min(buf.byteLength, pending.byteLength);
      buf.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return n;
    },
    close(): void {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => {});
    },
  };
}

/**
 * A file being staged: bytes in memory, or blocks of an upload (to its own key where the store
 * keeps blocks invisible until completed, else to a staging key).
 */
class ObjectStagedFile implements StagedFile {
  readonly #dest: ObjectDestination;
  readonly #rel: string;
  readonly #hasher: Hasher;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #size = 0;
  #meta: FileMeta | null = null;
  #upload: PartUpload | null = null;
  #done = false;
  /** The digest, once taken (the hasher is then back with the destination). */
  #hash: string | null = null;
  #hasherFree = false;

  constructor(dest: ObjectDestination, rel: string, size: number, hasher: Hasher) {
    this.#dest = dest;
    this.#rel = rel;
    this.#hasher = hasher;
    hasher.init();
    dest.key(rel);
    // A file the scan saw above one part goes up in parts from its first byte.
    if (size > PART_BYTES) this.#upload = this.#startParts();
  }

  async write(data: Uint8Array): Promise<void> {
    this.#hasher.update(data);
    const codec = this.#dest.codec;
    this.#size += data.byteLength;
    if (this.#upload !== null) {
      // Copied once, into the part being filled.
      await this.#upload.write(codec === null ? data : compressChunk(codec, data));
      return;
    }
    const stored = codec === null ? data.slice() : compressChunk(codec, data);
    this.#chunks.push(stored);
    this.#buffered += stored.byteLength;
    if (this.#buffered >= PART_BYTES) await this.#flushPart();
  }

  /** The upload in parts of this file (resuming the one a crash left, if any). */
  #startParts(): PartUpload {
    const dest = this.#dest;
    return new PartUpload(dest.store, dest.uploadKey(this.#rel), {
      partBytes: PART_BYTES,
      onStart: (key, id) => dest.uploadStarted(key, id),
    });
  }

  /** The buffered bytes as one array. */
  #take(): Uint8Array {
    const out = new Uint8Array(this.#buffered);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.#chunks = [];
    this.#buffered = 0;
    return out;
  }

  /** Moves the buffered bytes into an upload in parts (a file that grew past one part). */
  async #flushPart(): Promise<void> {
    this.#upload ??= this.#startParts();
    await this.#upload.write(this.#take());
  }

  /** Keeps the mode and mtime, and takes the digest: every byte is written by now. */
  seal(meta: FileMeta): Promise<void> {
    this.#meta = meta;
    this.#hash ??= this.#hasher.digest();
    this.#releaseHasher();
    return Promise.resolve();
  }

  /**
   * Nothing, or with {@link ObjectOptions.publishAtSync} the upload itself: the engine syncs a
   * batch's staged files all at once, then commits them one by one, so the PUTs of a batch run
   * side by side.
   */
  async sync(): Promise<void> {
    if (this.#dest.publishAtSync) await this.#publish();
  }

  /** Publishes the file under its key (once). */
  async commit(): Promise<void> {
    if (!this.#done) await this.#publish();
  }

  /** Uploads (or completes the block upload of) the file under its key. */
  async #publish(): Promise<void> {
    const meta = this.#meta;
    if (meta === null) throw new Error(`committed before it was sealed: ${this.#rel}`);
    const codec = this.#dest.codec;
    const objectMeta = metaOf(
      { kind: "file", ...meta },
      this.#hash ?? this.#hasher.digest(),
      codec === null ? { size: this.#size } : { codec, size: this.#size },
    );
    if (this.#upload === null) {
      await this.#dest.putObject(this.#rel, this.#take(), objectMeta);
    } else {
      if (this.#buffered > 0) await this.#flushPart();
      const up = this.#upload;
      const res = await up.complete(objectMeta);
      this.#upload = null;
      const key = this.#dest.key(this.#rel);
      if (up.key === key) {
        this.#dest.remember(key, res, entryOfMeta(objectMeta, 0, new Date(), false));
      } else {
        try {
          await this.#dest.copyKey(up.key, key, objectMeta, up.bytes);
        } finally {
          await this.#dest.deleteKey(up.key).catch(() => {});
        }
      }
    }
    this.#done = true;
  }

  /** Gives the hasher back to the destination (once its digest is taken, or never needed). */
  #releaseHasher(): void {
    if (this.#hasherFree) return;
    this.#hasherFree = true;
    this.#dest.returnHasher(this.#hasher);
  }

  async discard(): Promise<void> {
    this.#releaseHasher();
    this.#chunks = [];
    const up = this.#upload;
    if (this.#done || up === null) return;
    this.#upload = null;
    await up.abort();
  }
}
