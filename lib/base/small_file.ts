/**
 * Reading a small file that someone else may have planted: an exclude-rule
 * file (`.backupignore` in the source, an `--exclude-from` list). Only a
 * regular file is read, never more than a cap, and never by waiting on a FIFO.
 *
 * Guarantees (native layer available and `fs` the real file system): the
 * file is opened `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` before a
 * byte is read (`lib/base/native/source.ts`), so a FIFO, socket, device,
 * folder or final symlink is refused at once, and a regular file is read up to
 * `capBytes` plus one byte, so a symlink to `/dev/zero` or a huge file never
 * grows memory past the cap.
 *
 * Fallback (no `--allow-ffi`, no usable libc, Linux before 5.6, or a test's
 * wrapped file system): `lstat` first, then the refusal of anything but a
 * regular file, then a normal open and a read capped the same way, then an
 * `fstat` of the open file. Not guaranteed there: a FIFO swapped in between
 * the `lstat` and the open blocks the open until a writer comes (Deno cannot
 * open without blocking); a device or a file swapped in is caught by the
 * `fstat` after the open, before anything is read.
 *
 * Not guaranteed either way: a regular file whose reads block (a file on a
 * FUSE mount that never answers) blocks the read.
 *
 * @module
 */

import type { FileSystem, Kind } from "./fs.ts";
import { nativeAvailable } from "./native/libc.ts";
import type { Refusal } from "./native/regular.ts";
import { readSmallRegularFile } from "./native/source.ts";
import { readCapped } from "./capped_read.ts";
import { notRegularWords } from "./special_file.ts";

/** The cap on exclude-rule files (`.backupignore`, `--exclude-from`): 1 MiB. */
export const RULES_CAP_BYTES = 1024 * 1024;

/** Why an entry was not read: the native layer's refusals, or `other` when the fallback cannot tell which special file it is. */
export type SmallRefusal = Refusal | "other";

/** What {@link readSmallFile} found. */
export type SmallFile =
  | { ok: true; bytes: Uint8Array; truncated: boolean }
  | { ok: false; refused: SmallRefusal };

/** The refusal for an entry of the port's `kind`, or `null` for a regular file. */
function refusalOfKind(kind: Kind): SmallRefusal | null {
  switch (kind) {
    case "file":
      return null;
    case "dir":
      return "directory";
    case "symlink":
      return "symlink";
    default:
      return "other";
  }
}

/** Words for a refusal: "a FIFO", "a symlink", ... */
export function refusalText(refused: SmallRefusal): string {
  return refused === "other" ? "a special file" : notRegularWords(refused);
}

/** The fallback: lstat, refuse, open, fstat, capped read (see the module notes). */
function readThroughPort(fs: FileSystem, path: string, capBytes: number): SmallFile {
  const before = fs.lstat(path);
  const refusedBefore = refusalOfKind(before.kind);
  if (refusedBefore !== null) return { ok: false, refused: refusedBefore };
  const handle = fs.openSync(path);
  try {
    const opened = handle.stat();
    const refusedAfter = refusalOfKind(opened.kind);
    if (refusedAfter !== null) return { ok: false, refused: refusedAfter };
    return { ok: true, ...readCapped(handle, opened.size, capBytes) };
  } finally {
    handle.close();
  }
}

/**
 * Reads the file at `path` if it is a regular file (a final symlink is
 * refused, not followed), at most `capBytes` of it: `truncated` says it held
 * more. Never waits on a FIFO when the native layer is available.
 *
 * @throws what opening throws for a path that is missing or unreadable (NotFound, PermissionDenied, ...)
 */
export function readSmallFile(fs: FileSystem, path: string, capBytes: number): SmallFile {
  // Only the real file system is the kernel's: a wrapped one (fault injection) goes through the port.
  if (fs.direct === true && nativeAvailable()) {
    return readSmallRegularFile(path, capBytes);
  }
  return readThroughPort(fs, path, capBytes);
}
