/**
 * Linux constants for the native-call layer: `open` flags, `*at` flags,
 * `openat2` resolve flags, file types, `lseek` whence values and the syscall
 * numbers called through `syscall(2)`.
 *
 * Guarantees: the values are the kernel's for x86_64 and aarch64, the two
 * architectures Deno ships for Linux. Only `O_DIRECTORY` and `O_NOFOLLOW`
 * differ between them (aarch64 uses the asm-generic values); everything else
 * here is the same on both. {@link nativeArch} is `null` on any other OS or
 * architecture, and the layer then reports itself unavailable rather than
 * guess a flag.
 *
 * @module
 */

/** The architectures whose constants are known here. */
export type NativeArch = "x86_64" | "aarch64";

/** The running architecture when it is Linux on a known CPU, else `null`. */
export function nativeArch(): NativeArch | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.build.arch === "x86_64" || Deno.build.arch === "aarch64") return Deno.build.arch;
  return null;
}

const AARCH64 = Deno.build.arch === "aarch64";

/** `open(2)` flags (octal, as in `<asm-generic/fcntl.h>` and `<asm/fcntl.h>`). */
export const O = {
  /** Read only. */
  RDONLY: 0,
  /** Write only. */
  WRONLY: 0o1,
  /** Read and write. */
  RDWR: 0o2,
  /** Create if missing. */
  CREAT: 0o100,
  /** With CREAT: fail with EEXIST if the name exists (never follows a final symlink). */
  EXCL: 0o200,
  /** Never make a terminal the controlling terminal. */
  NOCTTY: 0o400,
  /** Truncate to 0 bytes. */
  TRUNC: 0o1000,
  /** Append. */
  APPEND: 0o2000,
  /** Never block: a FIFO opens at once, reads return EAGAIN instead of waiting. */
  NONBLOCK: 0o4000,
  /** Fail with ENOTDIR unless the path is a folder. */
  DIRECTORY: AARCH64 ? 0o40000 : 0o200000,
  /** Fail with ELOOP when the final component is a symlink. */
  NOFOLLOW: AARCH64 ? 0o100000 : 0o400000,
  /** Close on exec (a hook's `sh -c` never inherits the descriptor). */
  CLOEXEC: 0o2000000,
  /** A descriptor that only names the inode: no read, no driver open, no side effect. */
  PATH: 0o10000000,
} as const;

/** Flags of the `*at` calls (`<linux/fcntl.h>`). */
export const AT = {
  /** The current folder as a directory descriptor. */
  FDCWD: -100,
  /** Do not follow a final symlink. */
  SYMLINK_NOFOLLOW: 0x100,
  /** `unlinkat`: remove a folder (rmdir). */
  REMOVEDIR: 0x200,
  /** An empty path means the descriptor itself. */
  EMPTY_PATH: 0x1000,
} as const;

/** `openat2` resolve flags (`<linux/openat2.h>`). */
export const RESOLVE = {
  /** No crossing of mount points. */
  NO_XDEV: 0x01,
  /** No `/proc/self/fd`-style magic links. */
  NO_MAGICLINKS: 0x02,
  /** No symlink in any component (ELOOP); implies NO_MAGICLINKS. */
  NO_SYMLINKS: 0x04,
  /** Never leave the starting folder: no absolute path, no `..` above it (EXDEV). */
  BENEATH: 0x08,
} as const;

/** `renameat2` flags. */
export const RENAME = {
  /** Fail with EEXIST instead of replacing the target. */
  NOREPLACE: 1,
} as const;

/** File type bits of `st_mode`. */
export const S_IF = {
  /** Mask of the type bits. */
  MT: 0o170000,
  /** Unix socket. */
  SOCK: 0o140000,
  /** Symlink. */
  LNK: 0o120000,
  /** Regular file. */
  REG: 0o100000,
  /** Block device. */
  BLK: 0o060000,
  /** Folder. */
  DIR: 0o040000,
  /** Character device. */
  CHR: 0o020000,
  /** FIFO (named pipe). */
  FIFO: 0o010000,
} as const;

/** `lseek` whence values. */
export const SEEK = {
  /** Absolute offset. */
  SET: 0,
  /** Relative to the current offset. */
  CUR: 1,
  /** The next offset holding data (ENXIO past the last). */
  DATA: 3,
  /** The next hole (end of file counts as one). */
  HOLE: 4,
} as const;

/** `flock` operations. */
export const LOCK = {
  /** Exclusive lock. */
  EX: 2,
  /** Do not wait (EWOULDBLOCK when held). */
  NB: 4,
} as const;

/** `statx` mask of the basic `struct stat` fields. */
export const STATX_BASIC_STATS = 0x7ff;

/**
 * Syscall numbers for calls glibc 2.36 does not wrap. Numbers from 424 on are
 * shared by every architecture, so these hold on x86_64 and aarch64 alike.
 */
export const SYS = {
  /** `openat2(dirfd, path, &open_how, sizeof open_how)`, Linux 5.6. */
  openat2: 437,
  /** `fchmodat2(dirfd, path, mode, flags)` with AT_SYMLINK_NOFOLLOW, Linux 6.6. */
  fchmodat2: 452,
} as const;
