/**
 * The process's limit on open files, read through libc's `getrlimit`, for work that
 * holds many descriptors at once (the copy helper keeps a few batches of temp files
 * open) to stay well inside it. Deno raises the soft limit to the hard one at start,
 * so this is usually the hard limit.
 *
 * @module
 */

import { attempt, libc, nativeAvailable } from "./libc.ts";

/** `RLIMIT_NOFILE` on Linux. */
const RLIMIT_NOFILE = 7;

/** `RLIM_INFINITY`: no limit. */
const UNLIMITED = 0xffff_ffff_ffff_ffffn;

/**
 * The soft limit on open files of this process; `Infinity` when unlimited, `null` when it
 * cannot be read (no native layer, or the call failed).
 */
export function openFileLimit(): number | null {
  if (!nativeAvailable()) return null;
  const limits = new BigUint64Array(2);
  const { errno } = attempt(() => libc().getrlimit(RLIMIT_NOFILE, new Uint8Array(limits.buffer)));
  if (errno !== 0) return null;
  const soft = limits[0]!;
  return soft === UNLIMITED ? Infinity : Number(soft);
}
