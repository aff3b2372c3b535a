/**
 * `statx(2)` into the port's {@link FileInfo}.
 *
 * Guarantees: `struct statx` has one layout on every architecture (unlike
 * `struct stat`), so the offsets below hold on x86_64 and aarch64. The values
 * are the ones `DenoFileSystem.lstat` reports for the same inode, so a state
 * map built through either compares equal: `mtimeMs` truncated to whole
 * milliseconds, `ctimeMs` in whole seconds (Deno drops ctime's nanoseconds),
 * `dev` composed from major/minor as glibc's `makedev` does, `size` 0 for a
 * folder, `mode` the permission bits only.
 *
 * Fallback (no native layer): `DenoFileSystem.lstat` gives the same
 * {@link FileInfo}, by path only (never of an open descriptor beneath a
 * root), and without `type`, `nlink` or `blocks`.
 *
 * @module
 */

import type { FileInfo, Kind } from "../fs_types.ts";
import { AT, S_IF, STATX_BASIC_STATS } from "./constants.ts";
import { check, cString, libc } from "./libc.ts";

/** {@link FileInfo} plus the fields only the native layer reports. */
export interface NativeInfo extends FileInfo {
  /** The full file type, where {@link FileInfo.kind} says `other`. */
  type: "file" | "dir" | "symlink" | "fifo" | "socket" | "char-device" | "block-device";
  /** Hard link count. */
  nlink: number;
  /** 512-byte blocks allocated (less than size/512 for a sparse file). */
  blocks: number;
}

const STATX_SIZE = 256;

/** The type named by the `S_IFMT` bits of a mode. */
export function typeOfMode(mode: number): NativeInfo["type"] {
  switch (mode & S_IF.MT) {
    case S_IF.REG:
      return "file";
    case S_IF.DIR:
      return "dir";
    case S_IF.LNK:
      return "symlink";
    case S_IF.FIFO:
      return "fifo";
    case S_IF.SOCK:
      return "socket";
    case S_IF.CHR:
      return "char-device";
    default:
      return "block-device";
  }
}

function kindOf(type: NativeInfo["type"]): Kind {
  return type === "file" || type === "dir" || type === "symlink" ? type : "other";
}

/** glibc's `makedev`: the `st_dev` number Deno reports, from statx's major and minor. */
export function makedev(major: number, minor: number): number {
  const big = ((BigInt(major) & 0xfffff000n) << 32n) | ((BigInt(major) & 0xfffn) << 8n) |
    ((BigInt(minor) & 0xffffff00n) << 12n) | (BigInt(minor) & 0xffn);
  return Number(big);
}

/** Decodes a filled `struct statx`. */
export function parseStatx(buffer: Uint8Array): NativeInfo {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const rawMode = view.getUint16(28, true);
  const type = typeOfMode(rawMode);
  const size = Number(view.getBigUint64(40, true));
  const mtimeSeconds = Number(view.getBigInt64(112, true));
  const mtimeNanos = view.getUint32(120, true);
  const ctimeSeconds = Number(view.getBigInt64(96, true));
  return {
    kind: kindOf(type),
    type,
    size: type === "dir" ? 0 : size,
    mtimeMs: mtimeSeconds * 1000 + Math.floor(mtimeNanos / 1e6),
    ctimeMs: ctimeSeconds * 1000,
    mode: rawMode & 0o7777,
    ino: Number(view.getBigUint64(32, true)),
    dev: makedev(view.getUint32(136, true), view.getUint32(140, true)),
    nlink: view.getUint32(16, true),
    blocks: Number(view.getBigUint64(48, true)),
  };
}

/**
 * `statx(dirfd, name, flags)`; `label` names the path in errors. Pass
 * `AT.SYMLINK_NOFOLLOW` to describe a final symlink itself.
 */
export function statxAt(
  dirfd: number,
  name: string | Uint8Array,
  flags: number,
  label: string,
): NativeInfo {
  const buffer = new Uint8Array(STATX_SIZE);
  const path = cString(name);
  check(() => libc().statx(dirfd, path, flags, STATX_BASIC_STATS, buffer), "statx", label);
  return parseStatx(buffer);
}

/** `fstat` of a descriptor (also of an `O_PATH` one, which may name a symlink). */
export function fstatInfo(fd: number, label: string): NativeInfo {
  return statxAt(fd, "", AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW, label);
}
