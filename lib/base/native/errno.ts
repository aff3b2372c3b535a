/**
 * errno numbers to the errors the rest of the program already understands.
 *
 * Guarantees: an error from the native-call layer looks like one from Deno's
 * own file API: the same `Deno.errors` class where Deno has one (so the
 * predicates of `lib/base/fs.ts`, `isNotFound`, `isMissing` and friends, keep
 * working), the same message shape (`No such file or directory (os error 2):
 * openat2 '/dest/a'`) and the same `code` property (`"ENOENT"`), which
 * `describeError` reads to spot a full or read-only disk. It also carries
 * `errno` (the number) and `syscall` (the call that failed). Pure: no FFI here.
 *
 * @module
 */

/** errno numbers of Linux (the same on x86_64 and aarch64). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  ESTALE: 116,
  EDQUOT: 122,
} as const;

/** The name of an errno this module knows. */
export type ErrnoName = keyof typeof ERRNO;

const DESCRIPTION: Record<ErrnoName, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  ESPIPE: "Illegal seek",
  EROFS: "Read-only file system",
  EMLINK: "Too many links",
  EPIPE: "Broken pipe",
  ENAMETOOLONG: "File name too long",
  ENOSYS: "Function not implemented",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  ENODATA: "No data available",
  EOVERFLOW: "Value too large for defined data type",
  EOPNOTSUPP: "Operation not supported",
  ETIMEDOUT: "Connection timed out",
  ESTALE: "Stale file handle",
  EDQUOT: "Disk quota exceeded",
};

const NAME_OF = new Map<number, ErrnoName>(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, num]) => [num, name]),
);

/** The Deno error class for an errno, where Deno's own file API would throw one. */
const DENO_CLASS: Partial<Record<ErrnoName, new (message: string) => Error>> = {
  ENOENT: Deno.errors.NotFound,
  EEXIST: Deno.errors.AlreadyExists,
  ENOTDIR: Deno.errors.NotADirectory,
  EISDIR: Deno.errors.IsADirectory,
  EACCES: Deno.errors.PermissionDenied,
  EPERM: Deno.errors.PermissionDenied,
  ELOOP: Deno.errors.FilesystemLoop,
  EAGAIN: Deno.errors.WouldBlock,
  EINTR: Deno.errors.Interrupted,
  EBUSY: Deno.errors.Busy,
  EPIPE: Deno.errors.BrokenPipe,
  ETIMEDOUT: Deno.errors.TimedOut,
  ENOSYS: Deno.errors.NotSupported,
};

/** The fields every native-layer error carries besides its message. */
export interface NativeErrorFields {
  /** errno name, e.g. `"ENOENT"` (`"E<number>"` for one this module does not know). */
  code: string;
  /** errno number. */
  errno: number;
  /** The call that failed, e.g. `"openat2"`, `"renameat2"`. */
  syscall: string;
}

/** The errno name of a number (`"E<n>"` when unknown). */
export function errnoName(errno: number): string {
  return NAME_OF.get(errno) ?? `E${errno}`;
}

/**
 * Builds the error for `errno` from `syscall` on `path`: a `Deno.errors`
 * instance where one fits, else a plain `Error`; either way with `code`,
 * `errno` and `syscall` set. `detail` (optional) is appended in parentheses,
 * for refusals whose errno alone would mislead.
 */
export function errnoError(
  errno: number,
  syscall: string,
  path?: string,
  detail?: string,
): Error & NativeErrorFields {
  const name = NAME_OF.get(errno);
  const description = name ? DESCRIPTION[name] : `Unknown error ${errno}`;
  const where = path === undefined ? syscall : `${syscall} '${path}'`;
  const message = `${description} (os error ${errno}): ${where}${detail ? ` (${detail})` : ""}`;
  const Class = (name && DENO_CLASS[name]) || Error;
  const err = new Class(message);
  return Object.assign(err, { code: name ?? `E${errno}`, errno, syscall });
}

/** The errno name a thrown value carries (`code`), or `undefined`. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}
