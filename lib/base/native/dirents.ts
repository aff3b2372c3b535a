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
}

const DT_DIR = 4;
const DT_REG = 8;
const DT_LNK = 10;
const DT_UNKNOWN = 0;
const BUFFER_SIZE = 64 * 1024;

function typeOf(dType: number): DirEntry["type"] {
  if (dType === DT_REG) return "file";
  if (dType === DT_DIR) return "dir";
  if (dType === DT_LNK) return "symlink";
  return dType === DT_UNKNOWN ? "unknown" : "other";
}

/** Decodes `length` bytes of `struct linux_dirent64` records into `out`. */
export function parseDirents(buffer: Uint8Array, length: number, out: DirEntry[]): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, length);
  let at = 0;
  while (at < length) {
    const recordLength = view.getUint16(at + 16, true);
    const nameStart = at + 19;
    let nameEnd = nameStart;
    while (nameEnd < at + recordLength && buffer[nameEnd] !== 0) nameEnd++;
    const bytes = buffer.slice(nameStart, nameEnd);
    const isDots = (bytes.length === 1 && bytes[0] === 0x2e) ||
      (bytes.length === 2 && bytes[0] === 0x2e && bytes[1] === 0x2e);
    if (!isDots) {
      out.push({
        bytes,
        name: decodeName(bytes),
        type: typeOf(view.getUint8(at + 18)),
        ino: Number(view.getBigUint64(at, true)),
      });
    }
    at += recordLength;
  }
}

/** Lists the folder open as `fd` (opened `O_RDONLY | O_DIRECTORY`); `label` names it in errors. */
export function readDirFd(fd: number, label: string): DirEntry[] {
  const buffer = new Uint8Array(BUFFER_SIZE);
  const entries: DirEntry[] = [];
  for (;;) {
    const length = check(
      () => libc().getdents64(fd, buffer, BigInt(buffer.length)),
      "getdents64",
      label,
    );
    if (length === 0) return entries;
    parseDirents(buffer, length, entries);
  }
}
