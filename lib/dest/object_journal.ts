/**
 * The journal of an `s3://` or `azure://` destination lives in its bucket (or
 * container), through the {@link ObjectStore} seam, so that another machine can
 * restore from the bucket alone:
 *
 * ```
 * PREFIX/.backup-state/journal/00000001.jsonl.000000000000   the bytes of segment 1 from offset 0 ...
 * PREFIX/.backup-state/journal/00000001.jsonl.000000004096   ... and from offset 4096 (one object per sync)
 * PREFIX/.backup-state/journal/checkpoint-<seq>.jsonl        a checkpoint, whole
 * ```
 *
 * The journal code itself is unchanged: it writes a local copy of the journal
 * (in the destination's cache folder, see lib/cli/remote.ts) through the
 * {@link FileSystem} port, and {@link MirroredJournalFs} wraps that port. Each
 * `sync()` of a segment (the journal's group commit: every batch's intents,
 * then its completions) first fsyncs the local file, then PUTs the bytes
 * appended since the last sync as a new object named by segment and offset,
 * with `If-None-Match: *`: it resolves only when the records are durable in
 * the bucket, so intents are there before any object is written, and a second
 * writer that appends at an offset already taken is refused (412). A
 * checkpoint renamed into place is uploaded and a dropped segment's objects
 * deleted at the next sync, in that order.
 *
 * At start, {@link pullJournal} rebuilds the local journal folder from the
 * bucket (the bucket is the truth; the local copy is only a cache).
 *
 * @module
 */

import type { FileHandle, FileSystem, OpenOptions } from "../base/fs.ts";
import { isNotFound } from "../base/fs.ts";
import { JournalIoError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import { checkpointSeq, JOURNAL_DIR, RESERVED_DIR, segmentNumber } from "../base/layout.ts";
import { isPreconditionFailed, type RemoteUrl } from "./object_url.ts";
import type { ObjectStore } from "./object_store.ts";
import { sleep } from "../base/timing.ts";
import type { Logger } from "../base/logger.ts";

/** How many journal objects {@link pullJournal} fetches at once. */
const PULL_CONCURRENCY = 16;

/** A chunk object's name: the segment's name, a dot, the offset in 12 digits. */
const CHUNK_RE = /^(\d{8}\.jsonl)\.(\d{12})$/;

/** The key prefix of the journal in the bucket. */
export function remoteJournalPrefix(url: RemoteUrl): string {
  return `${url.prefix}${RESERVED_DIR}/${JOURNAL_DIR}/`;
}

/** The name of the object holding a segment's bytes from `offset`. */
export function chunkName(segment: string, offset: number): string {
  return `${segment}.${String(offset).padStart(12, "0")}`;
}

/** Every key under `prefix`. */
async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await store.list(prefix)).objects.map((o) => o.key);
}

/** What {@link pullJournal} found. */
export interface PullResult {
  /** Objects the journal has in the bucket. */
  objects: number;
  /** Bytes written into the local journal folder. */
  bytes: number;
  /** Bytes of each local segment now (what has been pushed). */
  pushed: Map<string, number>;
}

/**
 * Makes the local journal folder `dir` what the bucket holds: emptied, then
 * each segment written from its chunks in offset order (up to the first gap)
 * and each checkpoint whole.
 */
export async function pullJournal(
  fs: FileSystem,
  store: ObjectStore,
  url: RemoteUrl,
  dir: string,
): Promise<PullResult> {
  const prefix = remoteJournalPrefix(url);
  const keys = await listAll(store, prefix);
  try {
    fs.remove(dir, { recursive: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  fs.mkdir(dir, { mode: 0o700, recursive: true });
  const segments = new Map<string, { offset: number; key: string }[]>();
  const checkpoints: string[] = [];
  for (const key of keys) {
    const name = key.slice(prefix.length);
    const m = CHUNK_RE.exec(name);
    if (m) {
      const list = segments.get(m[1]!) ?? [];
      list.push({ offset: Number(m[2]), key });
      segments.set(m[1]!, list);
    } else if (checkpointSeq(name) !== null) checkpoints.push(name);
  }
  let bytes = 0;
  const pushed = new Map<string, number>();
  for (const [segment, chunks] of segments) {
    chunks.sort((a, b) => a.offset - b.offset);
    const handle = fs.openSync(join(dir, segment), {
      write: true,
      createNew: true,
      mode: 0o600,
    });
    let at = 0;
    try {
      // Fetched PULL_CONCURRENCY at a time, written in offset order.
      const bodies = new Array<Promise<Uint8Array>>(chunks.length);
      let next = 0;
      let fetched = 0;
      const fetchMore = () => {
        while (next < chunks.length && next < fetched + PULL_CONCURRENCY) {
          bodies[next] = store.getBytes(chunks[next]!.key);
          bodies[next]!.catch(() => {}); // awaited below, in order
          next++;
        }
      };
      fetchMore();
      for (const chunk of chunks) {
        const body = await bodies[fetched]!;
        fetched++;
        fetchMore();
        if (chunk.offset !== at) break; // a gap: what follows was never acknowledged whole
        handle.writeAllSync(body);
        at += body.byteLength;
      }
      await handle.sync();
    } finally {
      handle.close();
    }
    pushed.set(segment, at);
    bytes += at;
  }
  for (const name of checkpoints) {
    const body = await store.getBytes(prefix + name);
    const handle = fs.openSync(join(dir, name), { write: true, createNew: true, mode: 0o600 });
    try {
      handle.writeAllSync(body);
      await handle.sync();
    } finally {
      handle.close();
    }
    bytes += body.byteLength;
  }
  await fs.syncDir(dir);
  return { objects: keys.length, bytes, pushed };
}

/** Options of {@link MirroredJournalFs}. */
export interface MirrorOptions {
  /** Absolute local journal folder. */
  dir: string;
  /** What is already in the bucket, per segment ({@link PullResult.pushed}). */
  pushed: Map<string, number>;
  /** Stops the waiting for a server that is down. */
  signal?: AbortSignal;
  /** Where "the server is down, waiting" and "back" are said. */
  log?: Logger;
}

/** A queued change of the bucket's journal, done at the next sync. */
type Pending = { upload: string } | { dropSegment: string } | { dropKey: string };

/**
 * The file-system port with the journal mirrored into the bucket; every other
 * path passes through unchanged.
 */
export class MirroredJournalFs implements FileSystem {
  readonly #base: FileSystem;
  readonly #store: ObjectStore;
  readonly #url: RemoteUrl;
  readonly #options: MirrorOptions;
  readonly #pending: Pending[] = [];
  /** Serializes pushes: one sync's objects go up before the next sync's. */
  #chain: Promise<void> = Promise.resolve();
  #down: string | null = null;

  /** Wraps `base`; the journal at `options.dir` goes to the bucket of `url`. */
  constructor(base: FileSystem, store: ObjectStore, url: RemoteUrl, options: MirrorOptions) {
    this.#base = base;
    this.#store = store;
    this.#url = url;
    this.#options = options;
  }

  /** As the wrapped port. */
  get direct(): boolean {
    return this.#base.direct === true;
  }

  /** The journal segment name of an absolute path, or null. */
  #segmentOf(path: string): string | null {
    const dir = this.#options.dir;
    if (!path.startsWith(`${dir}/`)) return null;
    const name = path.slice(dir.length + 1);
    return segmentNumber(name) !== null ? name : null;
  }

  /** A checkpoint's name for an absolute path in the journal folder, or null. */
  #checkpointOf(path: string): string | null {
    const dir = this.#options.dir;
    if (!path.startsWith(`${dir}/`)) return null;
    const name = path.slice(dir.length + 1);
    return checkpointSeq(name) !== null ? name : null;
  }

  /**
   * Runs one request, retrying with backoff (1 s doubling to 30 s) while the
   * server fails; says once that it waits and once that it is back.
   */
  async #persist(what: string, work: () => Promise<void>): Promise<void> {
    let delay = 1000;
    for (;;) {
      try {
        await work();
        if (this.#down !== null) {
          this.#options.log?.info("OFFSITE BACK: {url} answers again; resuming", {
            url: this.#url.url,
          });
          this.#down = null;
        }
        return;
      } catch (err) {
        if (err instanceof JournalIoError) throw err;
        if (this.#options.signal?.aborted) {
          throw new JournalIoError(`cannot write the journal to ${this.#url.url}: ${what}`, {
            cause: err,
            fatal: true,
          });
        }
        const reason = err instanceof Error ? err.message.split("\n")[0]! : String(err);
        if (this.#down === null) {
          this.#options.log?.error(
            "OFFSITE UNREACHABLE: {url} ({reason}); the job is paused and retries until the server answers",
            { url: this.#url.url, reason },
          );
        }
        this.#down = reason;
        await sleep(delay, this.#options.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** PUTs a chunk with `If-None-Match: *`; a 412 for bytes that are not ours is a second writer. */
  async #putChunk(key: string, body: Uint8Array): Promise<void> {
    await this.#persist(`segment bytes ${key}`, async () => {
      try {
        await this.#store.put(key, body, { ifNoneMatch: true });
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        // Our own PUT whose answer was lost, retried: the same bytes are there.
        const there = await this.#store.getBytes(key);
        if (there.byteLength === body.byteLength && there.every((b, i) => b === body[i])) return;
        throw new JournalIoError(
          `another backup wrote the journal of ${this.#url.url} (${key} exists); two writers on one prefix are refused: stop the other one`,
          { fatal: true },
        );
      }
    });
  }

  /** Uploads the segment's bytes past what the bucket has, after the queued changes. */
  #push(path: string, segment: string): Promise<void> {
    const next = this.#chain.then(async () => {
      await this.#flushPending();
      const from = this.#options.pushed.get(segment) ?? 0;
      const data = this.#base.readFile(path);
      if (data.byteLength <= from) return;
      const body = data.subarray(from);
      await this.#putChunk(remoteJournalPrefix(this.#url) + chunkName(segment, from), body);
      this.#options.pushed.set(segment, data.byteLength);
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Does the queued checkpoint uploads and segment drops, in order. */
  async #flushPending(): Promise<void> {
    const prefix = remoteJournalPrefix(this.#url);
    while (this.#pending.length > 0) {
      const item = this.#pending[0]!;
      if ("upload" in item) {
        let body: Uint8Array;
        try {
          body = this.#base.readFile(join(this.#options.dir, item.upload));
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.#pending.shift();
          continue;
        }
        await this.#persist(`checkpoint ${item.upload}`, async () => {
          await this.#store.put(prefix + item.upload, body);
        });
      } else if ("dropSegment" in item) {
        const keys = await listAll(this.#store, `${prefix}${item.dropSegment}.`);
        for (const key of keys) {
          await this.#persist(`delete ${key}`, async () => {
            await this.#store.delete(key);
          });
        }
        this.#options.pushed.delete(item.dropSegment);
      } else {
        await this.#persist(`delete ${item.dropKey}`, async () => {
          await this.#store.delete(prefix + item.dropKey);
        });
      }
      this.#pending.shift();
    }
  }

  /** Waits for every queued change of the bucket's journal. */
  async flush(): Promise<void> {
    const next = this.#chain.then(() => this.#flushPending());
    this.#chain = next.catch(() => {});
    await next;
  }

  /** A handle whose `sync()` also pushes a segment's new bytes. */
  #wrap(path: string, handle: FileHandle): FileHandle {
    const segment = this.#segmentOf(path);
    if (segment === null) return handle;
    return {
      read: (buf) => handle.read(buf),
      readSync: (buf) => handle.readSync(buf),
      writeAll: (data) => handle.writeAll(data),
      writeAllSync: (data) => handle.writeAllSync(data),
      stat: () => handle.stat(),
      utime: (ms) => handle.utime(ms),
      truncate: (len) => handle.truncate(len),
      sync: async () => {
        await handle.sync();
        await this.#push(path, segment);
      },
      tryLock: () => handle.tryLock(),
      close: () => handle.close(),
    };
  }

  lstat(path: string): ReturnType<FileSystem["lstat"]> {
    return this.#base.lstat(path);
  }
  readDir(path: string): string[] {
    return this.#base.readDir(path);
  }
  readLink(path: string): string {
    return this.#base.readLink(path);
  }
  realPath(path: string): string {
    return this.#base.realPath(path);
  }
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): void {
    this.#base.mkdir(path, options);
  }
  chmod(path: string, mode: number): void {
    this.#base.chmod(path, mode);
  }
  utime(path: string, mtimeMs: number): void {
    this.#base.utime(path, mtimeMs);
  }
  lutime(path: string, mtimeMs: number): void {
    this.#base.lutime(path, mtimeMs);
  }
  symlink(target: string, path: string): void {
    this.#base.symlink(target, path);
  }
  /** Renames; a checkpoint renamed into the journal folder is uploaded at the next sync. */
  rename(from: string, to: string): void {
    this.#base.rename(from, to);
    const checkpoint = this.#checkpointOf(to);
    if (checkpoint !== null) this.#pending.push({ upload: checkpoint });
  }
  /** Removes; a dropped segment or checkpoint is deleted from the bucket at the next sync. */
  remove(path: string, options?: { recursive?: boolean }): void {
    this.#base.remove(path, options);
    const segment = this.#segmentOf(path);
    if (segment !== null) this.#pending.push({ dropSegment: segment });
    const checkpoint = this.#checkpointOf(path);
    if (checkpoint !== null) this.#pending.push({ dropKey: checkpoint });
  }
  async open(path: string, options?: OpenOptions): Promise<FileHandle> {
    return this.#wrap(path, await this.#base.open(path, options));
  }
  openSync(path: string, options?: OpenOptions): FileHandle {
    return this.#wrap(path, this.#base.openSync(path, options));
  }
  openSource(path: string): FileHandle {
    return this.#base.openSource(path);
  }
  /** fsync of a folder; for the journal folder, also the queued changes of the bucket. */
  async syncDir(path: string): Promise<void> {
    await this.#base.syncDir(path);
    if (path === this.#options.dir) await this.flush();
  }
  readFile(path: string): Uint8Array {
    return this.#base.readFile(path);
  }
  watch(path: string): ReturnType<FileSystem["watch"]> {
    return this.#base.watch(path);
  }
}
