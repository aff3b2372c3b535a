/**
 * The FileSystem port: the only module that touches `Deno.*` file APIs.
 *
 * Everything else receives a {@link FileSystem} as an argument, so tests can
 * inject faults (see `testing/fault_fs.ts`). Metadata calls are synchronous because
 * a synchronous `lstat` costs a few microseconds where an async one costs ~40 us
 * (measured); calls that block on the disk (`sync`, large reads and writes) are
 * asynchronous so that many of them can be in flight at once. Source files are
 * opened for reading by `source_open.ts` (the native layer's non-blocking,
 * no-follow open, or its fallback), never by a plain open. `Deno.watchFs`
 * runs in a worker (`watch_worker.ts`, see `watch_isolated.ts`).
 *
 * @module
 */

import { lutimesSync } from "node:fs";
import { watchIsolated } from "./watch_isolated.ts";
import type { FileHandle, FileInfo, Kind } from "./fs_types.ts";
import { NotRegularFileError } from "./special_file.ts";
import { openSourceHandle } from "./source_open.ts";
import { isEscaped } from "./native/names.ts";
import { nativeAvailable } from "./native/libc.ts";
import * as byPath from "./native/by_path.ts";

export type { DataSegment, FileHandle, FileInfo, Kind } from "./fs_types.ts";

/** Options for {@link FileSystem.open}. */
export interface OpenOptions {
  /** Open for writing (default false: read only). */
  write?: boolean;
  /** Create; fail with `AlreadyExists` if the path exists (O_EXCL). */
  createNew?: boolean;
  /** Create if missing. */
  create?: boolean;
  /** Append mode. */
  append?: boolean;
  /** Permission bits for a created file (default 0o600). */
  mode?: number;
}

/** One file-system change notification (a hint, never the truth). */
export interface WatchEvent {
  /** `create`, `modify`, `remove`, `rename`, `access`, `any` or `other`. */
  kind: string;
  /** Absolute paths concerned (two for a rename pair: old, new). */
  paths: string[];
  /** `rescan` when the kernel dropped events and everything must be rescanned. */
  flag?: string;
}

/** A running recursive watch. */
export interface Watch extends AsyncIterable<WatchEvent> {
  /** Stops the watch; the iteration ends. */
  close(): void;
}

/** The port through which all file access goes. */
export interface FileSystem {
  /**
   * True when every call goes straight to the operating system by path (the
   * real port, or a wrapper that passes paths through to it), so the native
   * layer may act on the same paths instead; absent or false for test doubles,
   * whose injected faults must keep applying.
   */
  readonly direct?: boolean;
  /** `lstat`: never follows a symlink. @throws Deno.errors.NotFound and friends */
  lstat(path: string): FileInfo;
  /** Names in a folder, in no particular order. */
  readDir(path: string): string[];
  /** Target of a symlink, as stored. */
  readLink(path: string): string;
  /** Canonical absolute path (symlinks resolved). */
  realPath(path: string): string;
  /** Creates one folder (not recursive unless asked). */
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): void;
  /** Sets permission bits (follows symlinks; never called on one). */
  chmod(path: string, mode: number): void;
  /** Sets mtime (and atime) of a file or folder, following symlinks. */
  utime(path: string, mtimeMs: number): void;
  /** Sets mtime of a symlink itself. */
  lutime(path: string, mtimeMs: number): void;
  /** Creates a symlink at `path` pointing at `target`. */
  symlink(target: string, path: string): void;
  /** Atomic rename within one file system. */
  rename(from: string, to: string): void;
  /** Removes a file, a symlink or an empty folder (or a tree with `recursive`). */
  remove(path: string, options?: { recursive?: boolean }): void;
  /** Opens a file. */
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** Synchronous {@link FileSystem.open}. */
  openSync(path: string, options?: OpenOptions): FileHandle;
  /**
   * Opens a file of the source for reading without ever waiting on it or
   * following a final symlink: a FIFO, socket, device, folder or symlink at
   * `path` is refused ({@link isNotRegularFile}) before a byte is read. Every
   * read of a source file for copying or hashing goes through it (see
   * `source_open.ts` for what the fallback without `--allow-ffi` does not
   * guarantee).
   *
   * @throws NotRegularFileError; Deno.errors.NotFound, PermissionDenied, ... when it cannot be opened
   */
  openSource(path: string): FileHandle;
  /** `fsync` of a folder, so that renames and creates in it are durable. */
  syncDir(path: string): Promise<void>;
  /** Reads a whole file. */
  readFile(path: string): Uint8Array;
  /** Watches a folder recursively. @throws when the watch cannot be set up (e.g. the inotify limit). */
  watch(path: string): Watch;
}

const KIND_OF = (info: Deno.FileInfo): Kind =>
  info.isSymlink ? "symlink" : info.isDirectory ? "dir" : info.isFile ? "file" : "other";

/** Converts a `Deno.FileInfo` into the port's {@link FileInfo}. */
export function toFileInfo(info: Deno.FileInfo): FileInfo {
  return {
    kind: KIND_OF(info),
    size: info.isDirectory ? 0 : info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    ctimeMs: info.ctime?.getTime() ?? 0,
    mode: (info.mode ?? 0) & 0o7777,
    ino: info.ino ?? 0,
    dev: info.dev,
  };
}

class DenoHandle implements FileHandle {
  #file: Deno.FsFile;
  #closed = false;
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  read(buf: Uint8Array): Promise<number | null> {
    return this.#file.read(buf);
  }
  readSync(buf: Uint8Array): number | null {
    return this.#file.readSync(buf);
  }
  async writeAll(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) off += await this.#file.write(data.subarray(off));
  }
  writeAllSync(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) off += this.#file.writeSync(data.subarray(off));
  }
  stat(): FileInfo {
    return toFileInfo(this.#file.statSync());
  }
  utime(mtimeMs: number): void {
    const t = new Date(mtimeMs);
    this.#file.utimeSync(t, t);
  }
  truncate(len: number): void {
    this.#file.truncateSync(len);
  }
  sync(): Promise<void> {
    return this.#file.sync();
  }
  tryLock(): boolean {
    return this.#file.tryLockSync(true);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}

function denoOpenOptions(o: OpenOptions): Deno.OpenOptions {
  const write = o.write ?? false;
  return {
    read: !write,
    write: write && !o.append,
    append: o.append ?? false,
    create: o.create ?? false,
    createNew: o.createNew ?? false,
    mode: o.mode ?? 0o600,
  };
}

/**
 * True when `path` holds a name that is not UTF-8 (escaped, see
 * `native/names.ts`): it goes to the native layer by its bytes, never to
 * Deno, which would replace the escapes and could reach another file.
 *
 * @throws Deno.errors.NotSupported for such a path without the native layer
 */
function bytesNamed(path: string): boolean {
  if (!isEscaped(path)) return false;
  if (nativeAvailable()) return true;
  throw new Deno.errors.NotSupported(
    `"${path}" holds a name that is not UTF-8: reaching it needs --allow-ffi`,
  );
}

/** The refusal of a call the native layer does not make by bytes (Deno's would reach the wrong name). */
function notByBytes(path: string, what: string): Error {
  return new Deno.errors.NotSupported(
    `"${path}" holds a name that is not UTF-8 and cannot be ${what} here`,
  );
}

/**
 * The real file system, through Deno's APIs. A path holding a name that is
 * not UTF-8 (its escaped text form, `native/names.ts`) is reached through the
 * native layer by its bytes instead (`native/by_path.ts`); a folder listing in
 * which Deno shows U+FFFD is taken again by bytes, so such names are listed in
 * their escaped form. Without the native layer they are listed as Deno shows
 * them (and cannot be reached: the scan counts them as skipped).
 */
export class DenoFileSystem implements FileSystem {
  /** Calls go straight to the operating system. */
  readonly direct = true;

  lstat(path: string): FileInfo {
    if (bytesNamed(path)) return byPath.lstatPath(path);
    return toFileInfo(Deno.lstatSync(path));
  }
  readDir(path: string): string[] {
    if (bytesNamed(path)) return byPath.readDirPath(path);
    const names: string[] = [];
    let lossy = false;
    for (const e of Deno.readDirSync(path)) {
      names.push(e.name);
      if (e.name.includes("\uFFFD")) lossy = true;
    }
    // Deno replaced bytes that are not UTF-8 (or the name holds a real U+FFFD): list by bytes.
    return lossy && nativeAvailable() ? byPath.readDirPath(path) : names;
  }
  readLink(path: string): string {
    if (bytesNamed(path)) return byPath.readLinkPath(path);
    const target = Deno.readLinkSync(path);
    return target.includes("\uFFFD") && nativeAvailable() ? byPath.readLinkPath(path) : target;
  }
  realPath(path: string): string {
    if (bytesNamed(path)) throw notByBytes(path, "resolved");
    return Deno.realPathSync(path);
  }
  mkdir(path: string, options: { mode?: number; recursive?: boolean } = {}): void {
    if (bytesNamed(path)) {
      if (options.recursive) throw notByBytes(path, "created with its parents");
      return byPath.mkdirPath(path, options.mode ?? 0o700);
    }
    Deno.mkdirSync(path, { mode: options.mode ?? 0o700, recursive: options.recursive ?? false });
  }
  chmod(path: string, mode: number): void {
    if (bytesNamed(path)) return byPath.chmodPath(path, mode);
    Deno.chmodSync(path, mode);
  }
  utime(path: string, mtimeMs: number): void {
    if (bytesNamed(path)) return byPath.utimePath(path, mtimeMs, true);
    const t = new Date(mtimeMs);
    Deno.utimeSync(path, t, t);
  }
  lutime(path: string, mtimeMs: number): void {
    if (bytesNamed(path)) return byPath.utimePath(path, mtimeMs, false);
    lutimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  }
  symlink(target: string, path: string): void {
    if (bytesNamed(path) || (isEscaped(target) && bytesNamed(target))) {
      return byPath.symlinkPath(target, path);
    }
    Deno.symlinkSync(target, path);
  }
  rename(from: string, to: string): void {
    if (bytesNamed(from) || bytesNamed(to)) return byPath.renamePath(from, to);
    Deno.renameSync(from, to);
  }
  remove(path: string, options: { recursive?: boolean } = {}): void {
    if (bytesNamed(path)) {
      if (options.recursive) throw notByBytes(path, "removed with what it holds");
      return byPath.removePath(path);
    }
    Deno.removeSync(path, { recursive: options.recursive ?? false });
  }
  open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    if (bytesNamed(path)) return Promise.resolve(byPath.openPath(path, options));
    return Deno.open(path, denoOpenOptions(options)).then((file) => new DenoHandle(file));
  }
  openSync(path: string, options: OpenOptions = {}): FileHandle {
    if (bytesNamed(path)) return byPath.openPath(path, options);
    return new DenoHandle(Deno.openSync(path, denoOpenOptions(options)));
  }
  openSource(path: string): FileHandle {
    return openSourceHandle(path);
  }
  async syncDir(path: string): Promise<void> {
    if (bytesNamed(path)) {
      const dir = byPath.openPath(path);
      try {
        return await dir.sync();
      } finally {
        dir.close();
      }
    }
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  }
  readFile(path: string): Uint8Array {
    if (bytesNamed(path)) return readWhole(byPath.openPath(path));
    return Deno.readFileSync(path);
  }
  /** Watches from a worker of its own, so a watch stuck in the kernel cannot stop this thread (see `watch_isolated.ts`). */
  watch(path: string): Watch {
    return watchIsolated(path);
  }
}

/**
 * Reads an open file from its position to its end, in 64 KiB reads, and closes it: `readFile`
 * for the ports that open by other means than a path (the native layer, a pinned folder).
 *
 * @throws what `file.readSync` throws (the file is closed all the same).
 */
export function readWhole(file: FileHandle): Uint8Array {
  try {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (let n = file.readSync(buf); n !== null; n = file.readSync(buf)) {
      chunks.push(buf.slice(0, n));
    }
    const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } finally {
    file.close();
  }
}

/*
 * Error predicates: the port's contract for the errors its methods throw. Code
 * outside this module asks these instead of testing `Deno.errors` classes, so a
 * second implementation (a native-call layer, an object store) only has to
 * throw errors these recognise.
 */

/** True when `err` says the path (or one of its parents) does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

/** True when `err` says the path is already taken. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof Deno.errors.AlreadyExists;
}

/** True when `err` says a component of the path is not a folder (`ENOTDIR`). */
export function isNotADirectory(err: unknown): boolean {
  return err instanceof Deno.errors.NotADirectory;
}

/** True when `err` says the path is a folder where a file was expected (`EISDIR`). */
export function isIsADirectory(err: unknown): boolean {
  return err instanceof Deno.errors.IsADirectory;
}

/** True when `err` says the operating system refused access (`EACCES`, `EPERM`). */
export function isPermissionDenied(err: unknown): boolean {
  return err instanceof Deno.errors.PermissionDenied;
}

/** True when `err` says Deno's own permissions refused the call (a missing `--allow-*`). */
export function isNotCapable(err: unknown): boolean {
  return err instanceof Deno.errors.NotCapable;
}

/** True when `err` says the other end of a pipe closed (`EPIPE`). */
export function isBrokenPipe(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe;
}

/**
 * True when `err` says the path is not a regular file (a FIFO, socket, device,
 * folder or symlink) where {@link FileSystem.openSource} wanted one; its
 * `found` says which.
 */
export function isNotRegularFile(err: unknown): err is NotRegularFileError {
  return err instanceof NotRegularFileError;
}

/**
 * True when `err` says a symlink was refused where none may be: the final
 * component under `O_NOFOLLOW`, or any component under `openat2`'s
 * `RESOLVE_NO_SYMLINKS` (`ELOOP`; see `lib/base/native/beneath.ts`).
 */
export function isSymlinkRefused(err: unknown): boolean {
  return err instanceof Deno.errors.FilesystemLoop;
}

/**
 * True when `err` says a path would leave its pinned root: `EXDEV` from
 * `openat2` with `RESOLVE_BENEATH`, or a `..` or absolute path refused before
 * the call (see `lib/base/native/rel_path.ts`). A cross-device rename is not one.
 */
export function isEscapeRefused(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  return code === "EXDEV" && syscall === "openat2";
}

/**
 * True when `err` says nothing is at the path: not found, or a parent is not a
 * folder (so nothing below it can exist).
 */
export function isMissing(err: unknown): boolean {
  return isNotFound(err) || isNotADirectory(err);
}

/**
 * True when `abs` exists, without following a final symlink. False when it is
 * missing ({@link isMissing}); any other error (permission, I/O) is thrown,
 * because "cannot tell" must never be taken for "not there".
 */
export function exists(fs: FileSystem, abs: string): boolean {
  try {
    fs.lstat(abs);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}
