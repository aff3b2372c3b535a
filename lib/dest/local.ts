/**
 * The local folder as a {@link Destination}, over the FileSystem port.
 *
 * Files and symlinks are staged under a fresh temp name in their target's
 * folder (exclusive create, 0600) and renamed over the target: a rename in
 * one folder is atomic, and a crash leaves only a temp file, which the next
 * scan lists in `temps`. Durability is by fsync: of the temp file
 * ({@link StagedFile.sync}), and of the folder whose names changed
 * ({@link Destination.sync}). Every method works synchronously inside (a
 * synchronous call costs microseconds; see lib/base/fs.ts).
 *
 * @module
 */

import type { FileHandle, FileSystem, Kind } from "../base/fs.ts";
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
import { join, joinRel, parentOf } from "../base/paths.ts";
import { tempName } from "../base/layout.ts";
import { scanTree } from "../base/scan.ts";

/**
 * Staged files up to this many bytes are written, and files up to this many
 * bytes read, with synchronous calls; larger ones with asynchronous calls (so
 * that the next read of the source overlaps a write). Same bound as the copy's
 * in lib/engine/apply.ts.
 */
const SMALL_WRITE = 256 * 1024;

/** An empty, `.` or `..` segment, or a leading `/`: a path that could leave the root. */
const BAD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** Refuses a relative path that is not a plain path below the root (`""` is the root). */
function refuseOutside(rel: string): void {
  if (rel === "") return;
  if (BAD_SEGMENT.test(rel) || rel.includes("\0")) {
    throw new Error(`refused a path outside the destination: ${JSON.stringify(rel)}`);
  }
}

/** Removes a staged temp entry, best effort: the next scan lists a leftover in `temps`. */
function removeQuietly(fs: FileSystem, tmp: string): void {
  try {
    fs.remove(tmp);
  } catch { /* best effort */ }
}

/** Runs synchronous work as a promise: its result resolved, its exception rejected. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A file being written under a temp name beside its target. */
class LocalStagedFile implements StagedFile {
  readonly #fs: FileSystem;
  readonly #tmp: string;
  readonly #target: string;
  readonly #handle: FileHandle;
  readonly #small: boolean;
  #committed = false;

  constructor(
    fs: FileSystem,
    paths: { tmp: string; target: string },
    handle: FileHandle,
    small: boolean,
  ) {
    this.#fs = fs;
    this.#tmp = paths.tmp;
    this.#target = paths.target;
    this.#handle = handle;
    this.#small = small;
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.#small) return this.#handle.writeAll(data);
    return settled(() => this.#handle.writeAllSync(data));
  }

  seal(meta: FileMeta): Promise<void> {
    return settled(() => {
      this.#fs.chmod(this.#tmp, meta.mode);
      this.#handle.utime(meta.mtimeMs);
    });
  }

  async sync(): Promise<void> {
    try {
      await this.#handle.sync();
    } finally {
      this.#handle.close();
    }
  }

  commit(): Promise<void> {
    return settled(() => {
      this.#handle.close();
      this.#fs.rename(this.#tmp, this.#target);
      this.#committed = true;
    });
  }

  discard(): Promise<void> {
    this.#handle.close();
    if (!this.#committed) removeQuietly(this.#fs, this.#tmp);
    return Promise.resolve();
  }
}

/** A symlink made under a temp name beside its target. */
class LocalStagedSymlink implements StagedEntry {
  readonly #fs: FileSystem;
  readonly #tmp: string;
  readonly #target: string;
  #committed = false;

  constructor(fs: FileSystem, paths: { tmp: string; target: string }) {
    this.#fs = fs;
    this.#tmp = paths.tmp;
    this.#target = paths.target;
  }

  commit(): Promise<void> {
    return settled(() => {
      this.#fs.rename(this.#tmp, this.#target);
      this.#committed = true;
    });
  }

  discard(): Promise<void> {
    if (!this.#committed) removeQuietly(this.#fs, this.#tmp);
    return Promise.resolve();
  }
}

/** A destination that is a folder of the local file system. */
export class LocalDestination implements Destination {
  /** Renames are atomic within the folder's file system; folders are real. */
  readonly capabilities: DestinationCapabilities = { renames: "atomic", folders: "real" };
  readonly #fs: FileSystem;
  readonly #root: string;

  /** The destination whose root is the absolute folder `root`, reached through `fs`. */
  constructor(fs: FileSystem, root: string) {
    this.#fs = fs;
    this.#root = root;
  }

  /** The absolute root folder. */
  get location(): string {
    return this.#root;
  }

  #abs(rel: string): string {
    refuseOutside(rel);
    return join(this.#root, rel);
  }

  /** Absolute temp path and target for staging `rel`. */
  #staging(rel: string): { tmp: string; target: string } {
    const target = this.#abs(rel);
    return { tmp: join(this.#root, joinRel(parentOf(rel), tempName())), target };
  }

  /** Lists the tree: the destination scan of lib/base/scan.ts. */
  list(options: ListOptions = {}): Promise<ScanResult> {
    return settled(() => {
      if (options.under !== undefined) refuseOutside(options.under);
      return scanTree(this.#fs, this.#root, { ...options, destination: true });
    });
  }

  /** `lstat` of `rel`. */
  stat(rel: string): Promise<Entry> {
    return settled(() => {
      const info = this.#fs.lstat(this.#abs(rel));
      return {
        kind: info.kind,
        size: info.size,
        mtimeMs: info.mtimeMs,
        mode: info.mode,
        ino: info.ino,
      };
    });
  }

  /** Opens `rel` read-only; a small file is then read with synchronous calls. */
  openFile(rel: string): Promise<DestinationReader> {
    return settled(() => {
      const handle = this.#fs.openSync(this.#abs(rel));
      let small: boolean;
      try {
        small = handle.stat().size <= SMALL_WRITE;
      } catch (err) {
        handle.close();
        throw err;
      }
      return {
        read: small ? (buf) => settled(() => handle.readSync(buf)) : (buf) => handle.read(buf),
        close: () => handle.close(),
      };
    });
  }

  /** Creates a temp file (0600, exclusive) in the folder of `rel`. */
  stageFile(rel: string, options: { size: number }): Promise<StagedFile> {
    return settled(() => {
      const paths = this.#staging(rel);
      const handle = this.#fs.openSync(paths.tmp, { write: true, createNew: true, mode: 0o600 });
      return new LocalStagedFile(this.#fs, paths, handle, options.size <= SMALL_WRITE);
    });
  }

  /** Creates the symlink under a temp name in the folder of `rel`, with its mtime. */
  stageSymlink(rel: string, target: string, mtimeMs: number): Promise<StagedEntry> {
    return settled(() => {
      const paths = this.#staging(rel);
      this.#fs.symlink(target, paths.tmp);
      try {
        this.#fs.lutime(paths.tmp, mtimeMs);
      } catch (err) {
        removeQuietly(this.#fs, paths.tmp);
        throw err;
      }
      return new LocalStagedSymlink(this.#fs, paths);
    });
  }

  /** `rename(2)`: atomic, replaces a file or symlink at `to`. */
  rename(from: string, to: string): Promise<void> {
    return settled(() => this.#fs.rename(this.#abs(from), this.#abs(to)));
  }

  /** Removes a file, a symlink or an empty folder (never a tree). */
  remove(rel: string): Promise<void> {
    return settled(() => this.#fs.remove(this.#abs(rel)));
  }

  /** Creates one folder. */
  mkdir(rel: string, mode: number): Promise<void> {
    return settled(() => this.#fs.mkdir(this.#abs(rel), { mode }));
  }

  /** `lutime` for a symlink; `chmod` then `utime` for a file or folder. */
  setMeta(rel: string, kind: Kind, change: MetaChange): Promise<void> {
    return settled(() => {
      const abs = this.#abs(rel);
      if (kind === "symlink") {
        if (change.mtimeMs !== undefined) this.#fs.lutime(abs, change.mtimeMs);
        return;
      }
      if (change.mode !== undefined) this.#fs.chmod(abs, change.mode);
      if (change.mtimeMs !== undefined) this.#fs.utime(abs, change.mtimeMs);
    });
  }

  /** fsync of the folder. */
  async sync(folder: string): Promise<void> {
    await this.#fs.syncDir(this.#abs(folder));
  }
}
