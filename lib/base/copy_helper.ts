/**
 * {@link CopyHelper}: small files staged by a worker (`copy_worker.ts`) on the second core,
 * while the main thread plans, journals, syncs and renames.
 *
 * Why: the initial copy of many small files is CPU on one thread (docs/benchmarks.md): per
 * file the source's open, `fstat`, read and close, the temp file's exclusive create, write,
 * `fchmod` and `futimens`, and the hash, with JavaScript around each, then the rename and the
 * journal. `rsync -a` spreads that over three processes. Here the worker does the first part
 * (the staging) for a whole batch at a time; the main thread takes the open temp files over
 * and does everything that decides what a reader of the mirror sees: the intents, the
 * `syncfs`, the renames, the folder fsyncs and the completions.
 *
 * Guarantees:
 * - The worker only creates temp files in the staging folder (by single names under a
 *   descriptor the parent opened beneath the pinned root, and keeps open while the worker
 *   lives), and reads the source as the main thread does (`O_NOFOLLOW | O_NONBLOCK`, `fstat`
 *   checked before and after the read against the scan). A temp file is invisible in the
 *   mirror, and a crash leaves it to the next start's clean-up, as a temp file staged ahead
 *   by the main thread.
 * - A file the worker could not stage for any reason comes back as `null`, with nothing left
 *   of it: the caller stages it again itself and reports its error there (see
 *   lib/engine/stage_ahead.ts).
 * - {@link CopyHelper.close} terminates the worker, then closes the staging folder's
 *   descriptor: a request in flight resolves to all `null`s; the temp files it had created
 *   are left to the next start's clean-up of the staging folder (and, should the worker fail
 *   mid-batch, their descriptors stay open until the process exits).
 * - A worker that cannot start (a compiled binary built without
 *   `--include lib/base/copy_worker.ts`) or fails makes every request answer `null`s: the
 *   copy goes on in the main thread, as without the helper.
 *
 * Cost: one worker (a V8 isolate with the hasher's WebAssembly; about 10-20 MB of RSS,
 * measured in docs/benchmarks.md), started for a pass with many small copies and terminated
 * at its end.
 *
 * @module
 */

import { closeQuietly } from "./native/libc.ts";

/** One small file to stage: where it is below the source, and what the scan saw. */
export interface HelperFile {
  /** Relative path below the source root. */
  path: string;
  /** Size in bytes (at most a small file's). */
  size: number;
  /** The scanned mtime, in ms: checked before and after, and given to the temp file. */
  mtimeMs: number;
  /** The scanned inode. */
  ino: number;
  /** The permission bits for the temp file (already masked). */
  mode: number;
}

/**
 * A staged file: the temp file `name` in the staging folder, open as `fd`, its hash, and when
 * its bytes were read (ms since the epoch: what decides whether the copy is racy).
 */
export type HelperResult = { fd: number; name: string; hash: string; readAt: number } | null;

/**
 * What the parent posts to the worker. A batch goes packed (a structured clone of one array of
 * strings and one of numbers costs a fraction of one of objects): the paths, and per file its
 * size, mtime, inode and mode in {@link FIELDS} numbers.
 */
export type HelperRequest =
  | { type: "init"; source: string; stagingFd: number }
  | { type: "stage"; id: number; paths: string[]; numbers: Float64Array };

/**
 * What the worker answers to a `stage` request, packed the same way: per file its temp file's
 * descriptor (-1: not staged), and the names and hashes joined by NUL (which neither holds).
 */
export interface HelperReply {
  /** The request's id. */
  id: number;
  /** One descriptor a file; -1 for a file not staged. */
  fds: Int32Array;
  /** When each file's bytes were read (ms since the epoch; 0 for a file not staged). */
  times: Float64Array;
  /** The temp files' names, NUL between (empty for a file not staged). */
  names: string;
  /** The hashes, NUL between (empty for a file not staged). */
  hashes: string;
}

/** Numbers a file in {@link HelperRequest}: size, mtime (ms), inode, mode. */
export const FIELDS = 4;

/** The results a {@link HelperReply} carries, one a file. */
function unpack(reply: HelperReply): HelperResult[] {
  const names = reply.names.split("\0");
  const hashes = reply.hashes.split("\0");
  return Array.from(
    reply.fds,
    (fd, i) => fd < 0 ? null : { fd, name: names[i]!, hash: hashes[i]!, readAt: reply.times[i]! },
  );
}

/** A worker that stages small files into the staging folder. */
export class CopyHelper {
  #worker: Worker | null;
  readonly #stagingFd: number;
  #closed = false;
  #nextId = 0;
  readonly #pending = new Map<number, { count: number; resolve: (r: HelperResult[]) => void }>();

  /**
   * Starts the worker for the source root `source`; `stagingFd` is a descriptor of the
   * staging folder that the helper owns from now on (closed by {@link close}).
   */
  constructor(source: string, stagingFd: number) {
    this.#stagingFd = stagingFd;
    let worker: Worker | null = null;
    try {
      worker = new Worker(new URL("./copy_worker.ts", import.meta.url).href, { type: "module" });
    } catch {
      worker = null;
    }
    this.#worker = worker;
    if (worker === null) return;
    worker.onmessage = (event: MessageEvent) => {
      const reply = event.data as HelperReply;
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      pending.resolve(unpack(reply));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail();
    };
    worker.postMessage({ type: "init", source, stagingFd } satisfies HelperRequest);
  }

  /** True while the worker runs (not closed, not failed). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Stages `files` in the worker; one result each, in order (`null`: not staged). */
  stage(files: HelperFile[]): Promise<HelperResult[]> {
    const worker = this.#worker;
    if (worker === null || files.length === 0) return Promise.resolve(files.map(() => null));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, { count: files.length, resolve });
      const numbers = new Float64Array(files.length * FIELDS);
      const paths = files.map((file, i) => {
        numbers.set([file.size, file.mtimeMs, file.ino, file.mode], i * FIELDS);
        return file.path;
      });
      worker.postMessage({ type: "stage", id, paths, numbers } satisfies HelperRequest);
    });
  }

  /** The worker failed: it stages nothing more, and what was asked of it is answered `null`. */
  #fail(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const { count, resolve } of this.#pending.values()) resolve(new Array(count).fill(null));
    this.#pending.clear();
  }

  /**
   * Terminates the worker and closes the staging folder's descriptor; safe to call twice.
   * Callers settle their requests first (and discard what came back); a request still in
   * flight is answered `null`s, and the temp files it made are left to the next start's
   * clean-up of the staging folder.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail();
    closeQuietly(this.#stagingFd);
  }
}
