/**
 * Whether an open source file is still the one the scan saw: the check a copy makes of its
 * source before reading and again after (in the main thread, lib/engine/apply.ts, and in the
 * copy worker, lib/base/copy_worker.ts), so a file replaced, grown or rewritten meanwhile is
 * never recorded under the scan's facts.
 *
 * @module
 */

/** The facts of a file both an `fstat` and a scan give. */
export interface FileFacts {
  /** Size in bytes. */
  size: number;
  /** Modification time, ms. */
  mtimeMs: number;
  /** Inode number. */
  ino: number;
}

/** True when `info` (an `fstat` of the open file) has the size, mtime and inode the scan saw. */
export function sameAsScanned(info: FileFacts, scanned: FileFacts): boolean {
  return info.size === scanned.size && info.mtimeMs === scanned.mtimeMs &&
    info.ino === scanned.ino;
}
