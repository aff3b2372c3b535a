/**
 * Where a file holds data, through `lseek(SEEK_DATA / SEEK_HOLE)`, so a copier
 * can skip holes (read each segment with `NativeFile.readAt`, write it with
 * `writeAllAt`, then `truncate` the copy to the full size).
 *
 * Guarantees: the segments are ordered, do not overlap and cover every byte
 * that is not a hole at the time of the call; the file offset is left where it
 * was. On a file system without SEEK_DATA support (EINVAL) the whole file is
 * one segment, which is always correct, only not sparse. A file that changes
 * while mapped can change its holes: callers compare the size and mtime before
 * and after the copy as they do for any read.
 *
 * Fallback (no native layer): Deno has no SEEK_DATA; a copier reads every
 * byte and writes the holes out as zeros (correct content, more space used).
 *
 * @module
 */

import { SEEK } from "./constants.ts";
import { ERRNO, errnoError } from "./errno.ts";
import { attempt, check, libc } from "./libc.ts";
import { fstatInfo } from "./statx.ts";

/** A run of bytes that may hold data. */
export interface Segment {
  /** First byte. */
  offset: number;
  /** Length in bytes (> 0). */
  length: number;
}

/** The data segments of the file open as `fd`; `label` names it in errors. */
export function dataSegments(fd: number, label = `fd ${fd}`): Segment[] {
  const size = fstatInfo(fd, label).size;
  const saved = check(() => libc().lseek(fd, 0n, SEEK.CUR), "lseek", label);
  try {
    const segments: Segment[] = [];
    let at = 0;
    while (at < size) {
      const data = attempt(() => libc().lseek(fd, BigInt(at), SEEK.DATA));
      if (data.errno === ERRNO.ENXIO) break; // only a hole from here to the end
      if (data.errno === ERRNO.EINVAL && at === 0) {
        return size > 0 ? [{ offset: 0, length: size }] : [];
      }
      if (data.errno !== 0) throw errnoError(data.errno, "lseek", label);
      const start = data.result;
      const end = Math.min(
        size,
        check(() => libc().lseek(fd, BigInt(start), SEEK.HOLE), "lseek", label),
      );
      if (end > start) segments.push({ offset: start, length: end - start });
      at = end;
    }
    return segments;
  } finally {
    check(() => libc().lseek(fd, BigInt(saved), SEEK.SET), "lseek", label);
  }
}
