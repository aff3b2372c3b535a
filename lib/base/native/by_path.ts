/**
 * The port's calls by absolute path, made through the C library, for paths
 * that hold a name that is not UTF-8 (in its escaped text form, see
 * `names.ts`). `lib/base/fs.ts` sends such a path here instead of to Deno,
 * whose path APIs would replace each escape with U+FFFD and could reach
 * another file (a real `f\uFFFD` in place of `f\xff`).
 *
 * Guarantees: the same semantics as the port's methods they stand in for
 * (`lstat` and `lutime` never follow a final symlink; `chmod` and `utime`
 * follow it as Deno's do; the port never calls them on one), by the exact
 * bytes of the name. Errors are the errno errors of `errno.ts`, which the
 * port's predicates recognise.
 *
 * Fallback (no native layer): none. Without `--allow-ffi` a name that is not
 * UTF-8 is never listed by its bytes (Deno's listing replaces them), so no
 * escaped path is made; `fs.ts` refuses one that comes from elsewhere (a
 * journal written with the native layer) rather than call Deno with it.
 *
 * @module
 */

import type { FileInfo } from "../fs_types.ts";
import { AT, O } from "./constants.ts";
import { ERRNO, errnoError } from "./errno.ts";
import { NativeFile } from "./file.ts";
import { attempt, check, cString, libc, timespecPair } from "./libc.ts";
import { decodeName } from "./names.ts";
import { readDirFd } from "./dirents.ts";
import { statxAt } from "./statx.ts";

const LINK_MAX = 4096;

/** `lstat` of `path`. */
export function lstatPath(path: string): FileInfo {
  const { kind, size, mtimeMs, ctimeMs, mode, ino, dev } = statxAt(
    AT.FDCWD,
    path,
    AT.SYMLINK_NOFOLLOW,
    path,
  );
  return { kind, size, mtimeMs, ctimeMs, mode, ino, dev };
}

/** The names in the folder `path` (escaped where not UTF-8). */
export function readDirPath(path: string): string[] {
  const fd = check(
    () => libc().openat(AT.FDCWD, cString(path), O.RDONLY | O.DIRECTORY | O.CLOEXEC, 0),
    "openat",
    path,
  );
  try {
    return readDirFd(fd, path).map((entry) => entry.name);
  } finally {
    libc().close(fd);
  }
}

/** The target of the symlink at `path` (escaped where not UTF-8). */
export function readLinkPath(path: string): string {
  const buffer = new Uint8Array(LINK_MAX + 1);
  const length = check(
    () => libc().readlinkat(AT.FDCWD, cString(path), buffer, BigInt(buffer.length)),
    "readlinkat",
    path,
  );
  return decodeName(buffer.subarray(0, length));
}

/** Creates the folder `path` with `mode` (less the umask). */
export function mkdirPath(path: string, mode: number): void {
  check(() => libc().mkdirat(AT.FDCWD, cString(path), mode), "mkdirat", path);
}

/** Sets the permission bits of `path` (follows a final symlink, as `chmod(2)`). */
export function chmodPath(path: string, mode: number): void {
  check(() => libc().chmod(cString(path), mode & 0o7777), "chmod", path);
}

/** Sets atime and mtime of `path`; `follow: false` acts on a final symlink itself. */
export function utimePath(path: string, mtimeMs: number, follow: boolean): void {
  const flags = follow ? 0 : AT.SYMLINK_NOFOLLOW;
  const times = timespecPair(mtimeMs);
  check(() => libc().utimensat(AT.FDCWD, cString(path), times, flags), "utimensat", path);
}

/** Creates a symlink at `path` pointing at `target`. */
export function symlinkPath(target: string, path: string): void {
  check(() => libc().symlinkat(cString(target), AT.FDCWD, cString(path)), "symlinkat", path);
}

/** Renames `from` to `to` (replacing a file there). */
export function renamePath(from: string, to: string): void {
  check(
    () => libc().renameat2(AT.FDCWD, cString(from), AT.FDCWD, cString(to), 0),
    "renameat2",
    from,
  );
}

/** Removes the file, symlink or empty folder at `path`. */
export function removePath(path: string): void {
  const name = cString(path);
  const { errno } = attempt(() => libc().unlinkat(AT.FDCWD, name, 0));
  if (errno === 0) return;
  if (errno !== ERRNO.EISDIR) throw errnoError(errno, "unlinkat", path);
  check(() => libc().unlinkat(AT.FDCWD, name, AT.REMOVEDIR), "unlinkat", path);
}

/** What {@link openPath} may do. */
export interface PathOpenOptions {
  /** Open for writing. */
  write?: boolean;
  /** Create; fail if it exists. */
  createNew?: boolean;
  /** Create if missing. */
  create?: boolean;
  /** Append. */
  append?: boolean;
  /** Mode of a created file (default 0o600). */
  mode?: number;
}

/** Opens `path` (a final symlink is followed, as Deno's open; `createNew` never follows one). */
export function openPath(path: string, options: PathOpenOptions = {}): NativeFile {
  let flags = O.CLOEXEC | O.NOCTTY | (options.write ? O.WRONLY : O.RDONLY);
  if (options.append) flags |= O.APPEND;
  if (options.create) flags |= O.CREAT;
  if (options.createNew) flags |= O.CREAT | O.EXCL;
  const fd = check(
    () => libc().openat(AT.FDCWD, cString(path), flags, options.mode ?? 0o600),
    "openat",
    path,
  );
  return new NativeFile(fd, path);
}
