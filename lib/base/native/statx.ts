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
const statxBuffer = new Uint8Array(STATX_SIZE);
const statxView = new DataView(statxBuffer.buffer);

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

/** The last device composed by {@link makedev} (a walk asks for the same one again and again). */
let lastDev = { major: -1, minor: -1, dev: 0 };

/** glibc's `makedev`: the `st_dev` number Deno reports, from statx's major and minor. */
export function makedev(major: number, minor: number): number {
  if (major === lastDev.major && minor === lastDev.minor) return lastDev.dev;
  const big = ((BigInt(major) & 0xfffff000n) << 32n) | ((BigInt(major) & 0xfffn) << 8n) |
    ((BigInt(minor) & 0xffffff00n) << 12n) | (BigInt(minor) & 0xffn);
  lastDev = { major, minor, dev: Number(big) };
  return lastDev.dev;
}

/** The unsigned 64-bit little-endian value at `at`, as a number (exact below 2^53). */
function u64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x1_0000_0000;
}

/** The signed 64-bit little-endian value at `at`, as a number (exact below 2^53). */
function i64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getInt32(at + 4, true) * 0x1_0000_0000;
}

/** Decodes a filled `struct statx`. */
export function parseStatx(buffer: Uint8Array): NativeInfo {
  const view = buffer === statxBuffer
    ? statxView
    : new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const rawMode = view.getUint16(28, true);
  const type = typeOfMode(rawMode);
  const size = u64(view, 40);
  const mtimeSeconds = i64(view, 112);
  const mtimeNanos = view.getUint32(120, true);
  const ctimeSeconds = i64(view, 96);
  return {
    kind: kindOf(type),
    type,
    size: type === "dir" ? 0 : size,
    mtimeMs: mtimeSeconds * 1000 + Math.floor(mtimeNanos / 1e6),
    ctimeMs: ctimeSeconds * 1000,
    mode: rawMode & 0o7777,
    ino: u64(view, 32),
    dev: makedev(view.getUint32(136, true), view.getUint32(140, true)),
    nlink: view.getUint32(16, true),
    blocks: u64(view, 48),
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
  // One buffer for every call: it is read back at once, and nothing runs in between.
  const path = cString(name);
  check(() => libc().statx(dirfd, path, flags, STATX_BASIC_STATS, statxBuffer), "statx", label);
  return parseStatx(statxBuffer);
}

/**
 * {@link statxAt} of a name already NUL-terminated (a listing's `cName`, no NUL inside), the
 * walk's call: no copy of the name, no closure, and the label (`folder/name`) made only for
 * an error.
 */
export function statxAtName(
  dirfd: number,
  cName: Uint8Array,
  flags: number,
  folder: string,
  name: string,
): NativeInfo {
  const lib = libc();
  if (lib.statx(dirfd, cName, flags, STATX_BASIC_STATS, statxBuffer) < 0) {
    // Failed (or EINTR): again through `check`, which retries EINTR and throws the errno's error.
    const call = () => lib.statx(dirfd, cName, flags, STATX_BASIC_STATS, statxBuffer);
    check(call, "statx", `${folder}/${name}`);
  }
  return parseStatx(statxBuffer);
}

/** `fstat` of a descriptor (also of an `O_PATH` one, which may name a symlink). */
export function fstatInfo(fd: number, label: string): NativeInfo {
  return statxAt(fd, "", AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW, label);
}
