/**
 * Opening files of the source (and ignore files such as `.backupignore` or an
 * `--exclude-from` list) without being made to wait or to swallow a stream.
 *
 * Guarantees (native layer available):
 * - {@link openSourceFile} opens with `O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
 *   O_NOCTTY | O_CLOEXEC` and checks the open descriptor with `fstat` before
 *   a byte is read: a FIFO, socket, device, folder or final symlink comes back
 *   as a typed refusal, at once. Symlinks in parent components are followed
 *   (the source is the user's tree, not a place to confine).
 * - {@link readSmallRegularFile} reads at most `capBytes` of a regular file and
 *   says when there was more, so a symlink to `/dev/zero` or a FIFO neither
 *   hangs nor grows memory.
 *
 * Not guaranteed: a device node swapped in between the path lookup and the
 * open is opened (non-blocking, never read) before the refusal, and opening
 * some devices has side effects. Without the native layer there is no
 * non-blocking open in Deno: callers must `lstat` first and accept the race
 * (a FIFO swapped in after the `lstat` blocks the open until a writer comes).
 *
 * @module
 */

import { readCapped } from "../capped_read.ts";
import { AT, O } from "./constants.ts";
import { ERRNO, errnoError } from "./errno.ts";
import { NativeFile } from "./file.ts";
import { attempt, cString, libc } from "./libc.ts";
import { type Refusal, refusalOf, type RegularOpen } from "./regular.ts";
import { fstatInfo, type NativeInfo, statxAt } from "./statx.ts";

const SOURCE_FLAGS = O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.NOCTTY | O.CLOEXEC;

/** The refusal for what `lstat` finds at `absPath`, or `null` (regular, or cannot tell). */
function refusalAt(absPath: string): Refusal | null {
  try {
    return refusalOf(statxAt(AT.FDCWD, absPath, AT.SYMLINK_NOFOLLOW, absPath).type);
  } catch {
    return null;
  }
}

/**
 * Checks the open descriptor `fd`: a regular file comes back open; anything
 * else is closed and refused.
 */
export function regularOrRefusal(fd: number, label: string): RegularOpen {
  let info: NativeInfo;
  try {
    info = fstatInfo(fd, label);
  } catch (err) {
    libc().close(fd);
    throw err;
  }
  const refused = refusalOf(info.type);
  if (refused === null) return { ok: true, file: new NativeFile(fd, label, info), info };
  libc().close(fd);
  return { ok: false, refused };
}

/**
 * Opens `absPath` for reading if it is a regular file, never blocking.
 * @throws NotFound, PermissionDenied, ... when the path cannot be opened and is not a refused kind
 */
export function openSourceFile(absPath: string): RegularOpen {
  const path = cString(absPath);
  const { result: fd, errno } = attempt(() => libc().openat(AT.FDCWD, path, SOURCE_FLAGS, 0));
  if (errno !== 0) {
    // Nothing there (the common case: a folder without a rules file): no kind to refuse.
    if (errno === ERRNO.ENOENT) throw errnoError(errno, "openat", absPath);
    // ELOOP for a final symlink, ENXIO for a socket, a driver's error for a device.
    const refused = refusalAt(absPath);
    if (refused !== null) return { ok: false, refused };
    throw errnoError(errno, "openat", absPath);
  }
  return regularOrRefusal(fd, absPath);
}

/** What {@link readSmallRegularFile} read. */
export type SmallRead =
  | { ok: true; bytes: Uint8Array; truncated: boolean }
  | { ok: false; refused: Refusal };

/**
 * Reads a regular file of at most `capBytes`; `truncated` is true when it held
 * more (the first `capBytes` are returned). Anything but a regular file is
 * refused without blocking.
 */
export function readSmallRegularFile(absPath: string, capBytes: number): SmallRead {
  const opened = openSourceFile(absPath);
  if (!opened.ok) return opened;
  const file = opened.file;
  try {
    // Sized by what the file holds now (it may grow while read), never above the cap.
    return { ok: true, ...readCapped(file, opened.info.size, capBytes) };
  } finally {
    file.close();
  }
}
