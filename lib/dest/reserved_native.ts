/**
 * {@link PinnedReserved}: the destination's reserved folder (`DEST/.backup`)
 * pinned by descriptor through the native layer, and every file in it opened
 * beneath that descriptor without following a symlink.
 *
 * Guarantees (native layer available):
 * - The folder is opened once with `O_PATH | O_DIRECTORY | O_NOFOLLOW`: a
 *   symlink at `DEST/.backup` is refused, never followed. A {@link Beneath}
 *   opened on the same path must name the same inode (device and inode
 *   compared), so a swap between the two opens is refused too.
 * - Files are opened by `openat2` from the pinned descriptor with
 *   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` and `O_NOFOLLOW | O_NONBLOCK`, and
 *   checked with `fstat` before use: a planted symlink (`lock`,
 *   `backup.log`, `status.json.tmp`, a journal segment) is refused (ELOOP), a
 *   FIFO or device is refused without blocking. Renames, removals, chmod,
 *   utime and listings go through the {@link Beneath} (see its notes).
 * - After `mv DEST/.backup elsewhere`, the pinned folder is still the one
 *   acted on (wherever it went); nothing is redirected by the new path.
 *
 * @module
 */

import type { OpenOptions } from "../base/fs.ts";
import { Beneath } from "../base/native/beneath.ts";
import { AT, O, RESOLVE, STATX_BASIC_STATS, SYS } from "../base/native/constants.ts";
import { ERRNO, errnoError } from "../base/native/errno.ts";
import { NativeFile } from "../base/native/file.ts";
import { attempt, check, closeQuietly, cString, libc, openHow } from "../base/native/libc.ts";
import { fstatInfo } from "../base/native/statx.ts";
import { parseRel } from "../base/native/rel_path.ts";

const PIN_FLAGS = O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;
const ALWAYS = O.NOFOLLOW | O.NONBLOCK | O.NOCTTY | O.CLOEXEC;
const OPENAT2 = BigInt(SYS.openat2);
const STATX_SIZE = 256;
/** Offset of `stx_uid` in `struct statx`. */
const UID_OFFSET = 20;

/** The owner (uid) of `path`, or of `fd` itself when `path` is empty, never following a symlink. */
export function nativeOwner(fd: number, path: string, label: string): number {
  const buffer = new Uint8Array(STATX_SIZE);
  const flags = AT.SYMLINK_NOFOLLOW | (path === "" ? AT.EMPTY_PATH : 0);
  check(
    () => libc().statx(fd, cString(path), flags, STATX_BASIC_STATS, buffer),
    "statx",
    label,
  );
  return new DataView(buffer.buffer).getUint32(UID_OFFSET, true);
}

/** The `open(2)` flags for the port's {@link OpenOptions}. */
function flagsOf(options: OpenOptions): number {
  let flags = ALWAYS;
  if (options.write) flags |= options.append ? O.WRONLY | O.APPEND : O.WRONLY;
  if (options.createNew) flags |= O.CREAT | O.EXCL;
  else if (options.create) flags |= O.CREAT;
  return flags;
}

/** A reserved folder pinned by descriptor. Close it when done. */
export class PinnedReserved {
  readonly #fd: number;
  readonly #beneath: Beneath;
  readonly #path: string;
  /** Device of the pinned folder. */
  readonly dev: number;
  /** Inode of the pinned folder. */
  readonly ino: number;
  /** Owner (uid) of the pinned folder when it was pinned. */
  readonly uid: number;
  /** Permission bits of the pinned folder when it was pinned. */
  readonly mode: number;

  private constructor(fd: number, beneath: Beneath, path: string, uid: number, mode: number) {
    this.#fd = fd;
    this.#beneath = beneath;
    this.#path = path;
    this.dev = beneath.dev;
    this.ino = beneath.ino;
    this.uid = uid;
    this.mode = mode;
  }

  /**
   * Pins the folder at `path`; its final component must not be a symlink.
   * @throws FilesystemLoop (ELOOP) or NotADirectory for a symlink, NotFound, ...
   */
  static pin(path: string): PinnedReserved {
    const { result: fd, errno } = attempt(() =>
      libc().openat(AT.FDCWD, cString(path), PIN_FLAGS, 0)
    );
    if (errno !== 0) {
      if (errno === ERRNO.ENOTDIR || errno === ERRNO.ELOOP) {
        throw errnoError(ERRNO.ELOOP, "openat", path, "a symlink or not a folder");
      }
      throw errnoError(errno, "openat", path);
    }
    let beneath: Beneath | null = null;
    try {
      const info = fstatInfo(fd, path);
      beneath = Beneath.open(path);
      if (beneath.dev !== info.dev || beneath.ino !== info.ino) {
        throw errnoError(ERRNO.ELOOP, "openat", path, "replaced while it was being opened");
      }
      return new PinnedReserved(fd, beneath, path, nativeOwner(fd, "", path), info.mode);
    } catch (err) {
      beneath?.close();
      closeQuietly(fd);
      throw err;
    }
  }

  /** The folder's path as pinned. */
  get path(): string {
    return this.#path;
  }

  /** Operations beneath the pinned folder (rename, unlink, chmod, readdir, ...). */
  get beneath(): Beneath {
    return this.#beneath;
  }

  /**
   * Opens the file `rel` beneath the folder, never through a symlink and never
   * blocking; only a regular file is kept open.
   * @throws FilesystemLoop for a symlink on the way; an EINVAL error for a FIFO, device or folder
   */
  open(rel: string, options: OpenOptions = {}): NativeFile {
    const parsed = parseRel(rel, this.#path);
    const label = `${this.#path}/${parsed.label}`;
    const flags = flagsOf(options);
    // openat2 refuses a mode without O_CREAT (EINVAL).
    const mode = flags & O.CREAT ? (options.mode ?? 0o600) & 0o7777 : 0;
    const how = openHow(flags, mode, RESOLVE_FLAGS);
    const cPath = cString(parsed.path);
    const fd = check(
      () => libc().openat2(OPENAT2, this.#fd, cPath, how, BigInt(how.length)),
      "openat2",
      label,
    );
    const file = new NativeFile(fd, label);
    try {
      const type = file.stat().type;
      if (type !== "file") {
        throw errnoError(ERRNO.EINVAL, "open", label, `refused: a ${type}, not a regular file`);
      }
      return file;
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Releases the descriptors; safe to call twice. */
  close(): void {
    this.#beneath.close();
    closeQuietly(this.#fd);
  }
}

const RESOLVE_FLAGS = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS;
