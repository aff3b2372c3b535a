/**
 * Folder listing through `getdents64(2)`, names as raw bytes.
 *
 * Guarantees: every entry is listed with its name exactly as stored (bytes),
 * also a name that is not valid UTF-8, which `Deno.readDir` cannot return
 * faithfully; `name` is its text form, escaped where the bytes are not UTF-8
 * (reversible and collision-free, see `names.ts`).
 * `.` and `..` are left out. `type` is the kernel's `d_type` hint: `unknown`
 * on file systems that do not fill it, and stale if the entry is replaced
 * after the listing, so callers `lstat` before acting on it.
 *
 * Fallback (no native layer): `Deno.readDir` replaces invalid UTF-8 with
 * U+FFFD (measured: a file `f\xff` is listed as `f\uFFFD`, and `lstat` of that
 * name says NotFound), so such a file can be neither told apart nor reached.
 *
 * @module
 */

import type { Kind } from "../fs_types.ts";
import { check, libc } from "./libc.ts";
import { decodeName } from "./names.ts";

/** One folder entry. */
export interface DirEntry {
  /** The name as stored on disk. */
  bytes: Uint8Array;
  /** The name as text: for bytes that are not valid UTF-8, the escaped form of `names.ts`. */
  name: string;
  /** The entry's kind from `d_type`; `unknown` when the file system does not say. */
  type: Kind | "unknown";
  /** Inode number. */
  ino: number;
  /** The name's bytes followed by a NUL: a C string for `*at` calls. */
  cName?: Uint8Array<ArrayBuffer> | undefined;
}

const DT_DIR = 4;
const DT_REG = 8;
const DT_LNK = 10;
const DT_UNKNOWN = 0;
const BUFFER_SIZE = 64 * 1024;
/** One buffer for every listing: each is parsed (its names copied out) before the next call. */
const shared = new Uint8Array(BUFFER_SIZE);

function typeOf(dType: number): DirEntry["type"] {
  if (dType === DT_REG) return "file";
  if (dType === DT_DIR) return "dir";
  if (dType === DT_LNK) return "symlink";
  return dType === DT_UNKNOWN ? "unknown" : "other";
}

/**
 * Decodes `length` bytes of `struct linux_dirent64` records into `out`. Each entry's `bytes`
 * and `cName` are views of `buffer` (no copy per name): pass a buffer of its own, not one that
 * is filled again.
 */
export function parseDirents(
  buffer: Uint8Array<ArrayBuffer>,
  length: number,
  out: DirEntry[],
): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, length);
  let at = 0;
  while (at < length) {
    const recordLength = view.getUint16(at + 16, true);
    const nameStart = at + 19;
    let nameEnd = nameStart;
    while (nameEnd < at + recordLength && buffer[nameEnd] !== 0) nameEnd++;
    const size = nameEnd - nameStart;
    const isDots = (size === 1 && buffer[nameStart] === 0x2e) ||
      (size === 2 && buffer[nameStart] === 0x2e && buffer[nameStart + 1] === 0x2e);
    if (!isDots) {
      const bytes = buffer.subarray(nameStart, nameEnd);
      out.push({
        bytes,
        name: asciiName(bytes) ?? decodeName(bytes),
        type: typeOf(view.getUint8(at + 18)),
        ino: view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x1_0000_0000,
        // The kernel's NUL ends the name inside its record: the C string is a view too.
        cName: nameEnd < at + recordLength ? buffer.subarray(nameStart, nameEnd + 1) : undefined,
      });
    }
    at += recordLength;
  }
}

/** The text of a name of printable ASCII bytes (its common case: no decoder call), else null. */
function asciiName(bytes: Uint8Array): string | null {
  if (bytes.length > 64) return null;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return null;
  }
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Lists the folder open as `fd` (opened `O_RDONLY | O_DIRECTORY`); `label` names it in errors. */
export function readDirFd(fd: number, label: string): DirEntry[] {
  const buffer = shared;
  const entries: DirEntry[] = [];
  for (;;) {
    const length = check(
      () => libc().getdents64(fd, buffer, BigInt(buffer.length)),
      "getdents64",
      label,
    );
    if (length === 0) return entries;
    // One copy of the records for the names of this listing to view; the buffer is refilled.
    parseDirents(buffer.slice(0, length), length, entries);
  }
}
