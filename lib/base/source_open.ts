/**
 * How the port opens a file of the source for reading
 * (`FileSystem.openSource`): never waiting on a FIFO, never following a final
 * symlink, and never reading a byte of anything but a regular file.
 *
 * Guarantees (native layer available, see `native/libc.ts`): one `openat`
 * with `O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC`, then an
 * `fstat` of that descriptor (`native/source.ts`). A FIFO, socket, device,
 * folder or final symlink throws {@link NotRegularFileError} at once; the file
 * that passes the check is the file that is read.
 *
 * Fallback (no `--allow-ffi`, no usable libc, Linux before 5.6): Deno's own
 * open has no `O_NOFOLLOW` or `O_NONBLOCK`, but `node:fs` passes
 * `O_NONBLOCK` through (measured with Deno 2.9.6: a FIFO opens at once; it
 * drops the effect of `O_NOFOLLOW`, since Deno resolves the path for its
 * permission check first). So: `lstat` must say "file", then a non-blocking
 * `node:fs` open, then an `fstat` of the open file must say "file" too. A
 * FIFO, socket or device swapped in at any moment is still never waited on
 * or read. Not closed: a symlink swapped in between the `lstat` and the open
 * is followed, and a regular file it points at is opened. The copy compares
 * the open file's inode, size and mtime with what the scan saw and discards
 * a mismatch, so such a file is not backed up under the link's name; a hash
 * (`hashSourceFile`) has no such check and hashes the target.
 *
 * Not guaranteed either way: a regular file whose reads block (a FUSE mount
 * that never answers) blocks the read; symlinks in parent components are
 * followed (the source is the user's tree, not a place to confine).
 *
 * @module
 */

import * as nodeFs from "node:fs";
import type { FileHandle, FileInfo, Kind } from "./fs_types.ts";
import { errnoError } from "./native/errno.ts";
import { nativeAvailable, nativeUnavailableReason } from "./native/libc.ts";
import { openSourceFile } from "./native/source.ts";
import { NotRegularFileError, type NotRegularKind } from "./special_file.ts";

/**
 * Opens the source file at `path` for reading (see the module notes).
 *
 * @throws NotRegularFileError when it is not a regular file; NotFound,
 *   PermissionDenied, ... when it cannot be opened
 */
export function openSourceHandle(path: string): FileHandle {
  if (nativeAvailable()) {
    const opened = openSourceFile(path);
    if (!opened.ok) throw new NotRegularFileError(path, opened.refused);
    return opened.file;
  }
  return openWithoutFfi(path);
}

/**
 * Why source files are opened by the fallback (a check, then a non-blocking
 * open), in one line; `null` when the native layer opens them.
 */
export function sourceOpenFallbackReason(): string | null {
  return nativeAvailable() ? null : nativeUnavailableReason();
}

const FALLBACK_FLAGS = nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK |
  nodeFs.constants.O_NOCTTY;

/** The refusal for an entry `lstat` describes, or `null` for a regular file. */
function refusalOfLstat(info: Deno.FileInfo): NotRegularKind | null {
  if (info.isFile) return null;
  if (info.isSymlink) return "symlink";
  if (info.isDirectory) return "directory";
  if (info.isFifo) return "fifo";
  if (info.isSocket) return "socket";
  return "device";
}

/** The refusal for what an open descriptor's `fstat` describes, or `null` for a regular file. */
function refusalOfStats(stats: nodeFs.Stats): NotRegularKind | null {
  if (stats.isFile()) return null;
  if (stats.isSymbolicLink()) return "symlink";
  if (stats.isDirectory()) return "directory";
  if (stats.isFIFO()) return "fifo";
  if (stats.isSocket()) return "socket";
  return "device";
}

/** A `node:fs` error as the error Deno's own API would throw (`isNotFound` and friends work). */
function asDenoError(err: unknown, syscall: string, path: string): unknown {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === "number" && errno !== 0
    ? errnoError(Math.abs(errno), syscall, path)
    : err;
}

/** `lstat`, then a non-blocking open, then `fstat` (see the module notes). */
function openWithoutFfi(path: string): FileHandle {
  const refusedBefore = refusalOfLstat(Deno.lstatSync(path));
  if (refusedBefore !== null) throw new NotRegularFileError(path, refusedBefore);
  let fd: number;
  try {
    fd = nodeFs.openSync(path, FALLBACK_FLAGS);
  } catch (err) {
    throw asDenoError(err, "open", path);
  }
  let refused: NotRegularKind | null;
  try {
    refused = refusalOfStats(nodeFs.fstatSync(fd));
  } catch (err) {
    nodeFs.closeSync(fd);
    throw asDenoError(err, "fstat", path);
  }
  if (refused !== null) {
    nodeFs.closeSync(fd);
    throw new NotRegularFileError(path, refused);
  }
  return new NodeReadHandle(fd, path);
}

function kindOfStats(stats: nodeFs.Stats): Kind {
  return stats.isFile() ? "file" : stats.isDirectory() ? "dir" : "other";
}

/** The port's {@link FileInfo} of an open descriptor: the values `DenoFileSystem.lstat` gives. */
function infoOfStats(stats: nodeFs.Stats): FileInfo {
  const kind = kindOfStats(stats);
  return {
    kind,
    size: kind === "dir" ? 0 : stats.size,
    mtimeMs: Math.floor(stats.mtimeMs),
    ctimeMs: Math.floor(stats.ctimeMs),
    mode: stats.mode & 0o7777,
    ino: stats.ino,
    dev: stats.dev,
  };
}

/** A file the fallback opened for reading, by its `node:fs` descriptor. */
class NodeReadHandle implements FileHandle {
  readonly #fd: number;
  readonly #path: string;
  #closed = false;

  constructor(fd: number, path: string) {
    this.#fd = fd;
    this.#path = path;
  }

  #readOnly(): Error {
    return new Deno.errors.NotSupported(`'${this.#path}' is open for reading only`);
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (buf.length === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      nodeFs.read(this.#fd, buf, 0, buf.length, null, (err, count) => {
        if (err) reject(asDenoError(err, "read", this.#path));
        else resolve(count === 0 ? null : count);
      });
    });
  }

  readSync(buf: Uint8Array): number | null {
    if (buf.length === 0) return 0;
    try {
      const count = nodeFs.readSync(this.#fd, buf, 0, buf.length, null);
      return count === 0 ? null : count;
    } catch (err) {
      throw asDenoError(err, "read", this.#path);
    }
  }

  writeAll(_data: Uint8Array): Promise<void> {
    return Promise.reject(this.#readOnly());
  }

  writeAllSync(_data: Uint8Array): void {
    throw this.#readOnly();
  }

  stat(): FileInfo {
    return infoOfStats(nodeFs.fstatSync(this.#fd));
  }

  utime(mtimeMs: number): void {
    nodeFs.futimesSync(this.#fd, mtimeMs / 1000, mtimeMs / 1000);
  }

  truncate(_len: number): void {
    throw this.#readOnly();
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      nodeFs.fsync(
        this.#fd,
        (err) => err ? reject(asDenoError(err, "fsync", this.#path)) : resolve(),
      );
    });
  }

  tryLock(): boolean {
    throw new Deno.errors.NotSupported(`no advisory lock on '${this.#path}' without --allow-ffi`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    nodeFs.closeSync(this.#fd);
  }
}
