/**
 * The one `Deno.dlopen` of glibc's `libc.so.6`, opened lazily on first use,
 * and the errno of the calls made through it.
 *
 * Guarantees:
 * - {@link nativeAvailable} is true only when every call this layer needs can
 *   be made: Linux on x86_64 or aarch64, `--allow-ffi` granted (asked with
 *   `Deno.permissions.querySync`, never prompted), `libc.so.6` loads with all
 *   the symbols below (glibc 2.30 or newer), and `openat2` with
 *   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` works (Linux 5.6 or newer, and no
 *   seccomp filter refusing it). Otherwise it is false and
 *   {@link nativeUnavailableReason} says why; nothing here throws at import.
 * - errno is read through `__errno_location()` right after the call on the
 *   same (main) thread, and each failure becomes the error Deno's own API
 *   would throw (see `errno.ts`); EINTR is retried.
 * - Calls marked `nonblocking` (the `*Async` symbols) run on Deno's blocking
 *   thread pool so the event loop keeps turning during disk I/O. errno is
 *   thread-local and that thread's errno cannot be read from here, so callers
 *   redo a failed read or write synchronously to learn it (see `file.ts`).
 *
 * Not guaranteed: errno could in theory be overwritten between the call's
 * return and the read of `__errno_location` if the runtime made a failing
 * system call on the main thread in between (nothing runs there but the next
 * JS statement). When the layer is unavailable, callers fall back to Deno's
 * path-based API (`lib/base/fs.ts`), which resolves every path afresh and
 * follows symlinks in parent components: the protections of `beneath.ts`
 * then do not hold.
 *
 * @module
 */

import { encodeName } from "./names.ts";
import { nativeArch, O, RESOLVE, SYS } from "./constants.ts";
import { ERRNO, errnoError } from "./errno.ts";

/** The glibc symbols the layer calls, with their C signatures. */
const SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" },
  /** `syscall(SYS_openat2, dirfd, path, &how, sizeof how)` */
  openat2: {
    name: "syscall",
    parameters: ["i64", "i32", "buffer", "buffer", "usize"],
    result: "i64",
  },
  /** `syscall(SYS_fchmodat2, dirfd, path, mode, flags)` */
  fchmodat2: {
    name: "syscall",
    parameters: ["i64", "i32", "buffer", "u32", "i32"],
    result: "i64",
  },
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  readAsync: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  preadAsync: {
    name: "pread",
    parameters: ["i32", "buffer", "usize", "i64"],
    result: "isize",
    nonblocking: true,
  },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** `getrlimit(resource, struct rlimit *)`: two 64-bit limits, soft then hard. */
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  writeAsync: {
    name: "write",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pwriteAsync: {
    name: "pwrite",
    parameters: ["i32", "buffer", "usize", "i64"],
    result: "isize",
    nonblocking: true,
  },
  fsync: { parameters: ["i32"], result: "i32" },
  fsyncAsync: { name: "fsync", parameters: ["i32"], result: "i32", nonblocking: true },
  syncfsAsync: { name: "syncfs", parameters: ["i32"], result: "i32", nonblocking: true },
  /** `copy_file_range(fd_in, &off_in, fd_out, &off_out, len, 0)`, off the main thread */
  copyFileRangeAsync: {
    name: "copy_file_range",
    parameters: ["i32", "buffer", "i32", "buffer", "usize", "u32"],
    result: "isize",
    nonblocking: true,
  },
  /** `sync_file_range(fd, offset, nbytes, flags)`, off the main thread */
  syncFileRangeAsync: {
    name: "sync_file_range",
    parameters: ["i32", "i64", "i64", "u32"],
    result: "i32",
    nonblocking: true,
  },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  renameat2: { parameters: ["i32", "buffer", "i32", "buffer", "u32"], result: "i32" },
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  readlinkat: { parameters: ["i32", "buffer", "buffer", "usize"], result: "isize" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  chmod: { parameters: ["buffer", "u32"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const;

/** The bound glibc functions. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

interface Loaded {
  symbols: Libc;
  errno: Deno.UnsafePointerView;
}

let loaded: Loaded | null = null;
let unavailable: string | null = null;
let probed = false;

function load(): Loaded | string {
  if (!nativeArch()) return `no native calls on ${Deno.build.os}/${Deno.build.arch}`;
  let permission: Deno.PermissionState;
  try {
    permission = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch (err) {
    return `cannot ask for the ffi permission: ${String(err)}`;
  }
  if (permission !== "granted") return "run with --allow-ffi to enable native calls";
  let library: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    library = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (err) {
    return `cannot load libc.so.6: ${err instanceof Error ? err.message : String(err)}`;
  }
  const errnoPointer = library.symbols.__errno_location();
  if (errnoPointer === null) return "__errno_location returned NULL";
  const candidate = { symbols: library.symbols, errno: new Deno.UnsafePointerView(errnoPointer) };
  // openat2 with both resolve flags: ENOSYS before Linux 5.6, EPERM or ENOSYS under
  // some seccomp profiles, EINVAL if a flag is unknown.
  const how = openHow(O.PATH | O.DIRECTORY | O.CLOEXEC, 0, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS);
  const fd = Number(library.symbols.openat2(
    BigInt(SYS.openat2),
    -100,
    cString("."),
    how,
    BigInt(how.length),
  ));
  if (fd < 0) {
    const errno = candidate.errno.getInt32();
    library.close();
    return `openat2 is not usable here (${errnoError(errno, "openat2").message})`;
  }
  library.symbols.close(fd);
  return candidate;
}

function ensure(): Loaded | null {
  if (!probed) {
    probed = true;
    const result = load();
    if (typeof result === "string") unavailable = result;
    else loaded = result;
  }
  return loaded;
}

/**
 * True when the native-call layer works here (see the module notes). The
 * first call loads libc and probes `openat2`; later calls are free.
 */
export function nativeAvailable(): boolean {
  return ensure() !== null;
}

/** Why {@link nativeAvailable} is false, in one line; `null` when it is true. */
export function nativeUnavailableReason(): string | null {
  ensure();
  return unavailable;
}

/** The bound libc functions. @throws Deno.errors.NotSupported when {@link nativeAvailable} is false */
export function libc(): Libc {
  const lib = ensure();
  if (!lib) throw new Deno.errors.NotSupported(`native calls unavailable: ${unavailable}`);
  return lib.symbols;
}

/** errno of the last failed call on this thread. */
export function lastErrno(): number {
  const lib = ensure();
  return lib ? lib.errno.getInt32() : 0;
}

/**
 * Runs `call` (a libc call returning -1 on failure), retrying on EINTR, and
 * returns its non-negative result as a number.
 * @throws the error for errno (see `errno.ts`), naming `syscall` and `path`
 */
export function check(
  call: () => number | bigint,
  syscall: string,
  path?: string,
): number {
  for (;;) {
    const result = Number(call());
    if (result >= 0) return result;
    const errno = lastErrno();
    if (errno === ERRNO.EINTR) continue;
    throw errnoError(errno, syscall, path);
  }
}

/**
 * Like {@link check} but returns the errno instead of throwing, for callers
 * that turn some errnos into answers (EWOULDBLOCK from `flock`, ENXIO from
 * `lseek`, ENOSYS from `fchmodat2`).
 */
export function attempt(call: () => number | bigint): { result: number; errno: number } {
  for (;;) {
    const result = Number(call());
    if (result >= 0) return { result, errno: 0 };
    const errno = lastErrno();
    if (errno !== ERRNO.EINTR) return { result, errno };
  }
}

/** Closes a descriptor, ignoring errors (close must not be retried on Linux). */
export function closeQuietly(fd: number): void {
  if (fd >= 0) libc().close(fd);
}

/**
 * A NUL-terminated copy of a path, from a string (UTF-8; a name that is not
 * UTF-8 in its escaped text form, see `names.ts`) or raw bytes.
 * @throws an EINVAL error when the path contains a NUL byte
 */
export function cString(path: string | Uint8Array): Uint8Array<ArrayBuffer> {
  // The common case, a well-formed name without NUL: one encoding, its NUL included.
  if (typeof path === "string" && !path.includes("\0") && path.isWellFormed()) {
    return utf8.encode(path + "\0");
  }
  const bytes = typeof path === "string" ? encodeName(path) : path;
  if (bytes.includes(0)) {
    throw errnoError(ERRNO.EINVAL, "path", lossy(bytes), "a path cannot contain a NUL byte");
  }
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** `struct open_how { u64 flags; u64 mode; u64 resolve; }` for `openat2`. */
export function openHow(flags: number, mode: number, resolve: number): Uint8Array<ArrayBuffer> {
  const how = new Uint8Array(24);
  const view = new DataView(how.buffer);
  view.setBigUint64(0, BigInt(flags), true);
  view.setBigUint64(8, BigInt(mode), true);
  view.setBigUint64(16, BigInt(resolve), true);
  return how;
}

/** `struct timespec[2]` (atime, mtime) both set to `mtimeMs`, for `utimensat`/`futimens`. */
export function timespecPair(mtimeMs: number): Uint8Array<ArrayBuffer> {
  const seconds = Math.floor(mtimeMs / 1000);
  const nanoseconds = Math.round((mtimeMs - seconds * 1000) * 1e6);
  const times = new Uint8Array(32);
  const view = new DataView(times.buffer);
  for (const at of [0, 16]) {
    view.setBigInt64(at, BigInt(seconds), true);
    view.setBigInt64(at + 8, BigInt(Math.min(nanoseconds, 999_999_999)), true);
  }
  return times;
}

const lossyDecoder = new TextDecoder();

/** UTF-8 for {@link cString}'s common case. */
const utf8 = new TextEncoder();

/** A path for messages: bytes decoded as UTF-8, invalid sequences replaced. */
export function lossy(path: string | Uint8Array): string {
  return typeof path === "string" ? path : lossyDecoder.decode(path);
}
