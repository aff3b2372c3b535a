/**
 * A large file copied by the kernel behind its hash (issue 14, branch `bigfile`).
 *
 * The main thread reads the source with synchronous reads of {@link CHUNK} (the kernel's
 * readahead streams it from the disk) and hashes each piece while it is in the CPU's cache;
 * once a span of {@link KERNEL_SPAN} is hashed, the kernel copies it (`copy_file_range`, off
 * the main thread) from the page cache those reads have just filled, while the main thread reads
 * the next span. Each copied span is handed to the early writeback (`sync_file_range`), so the
 * disk writes it out while the rest is read. The first span is copied before it is read: that
 * call tells whether the kernel can copy between these two at all, before the source's position
 * has moved, so the caller can still copy another way.
 *
 * The order used to be the other way round for every span (the kernel copy first, then the
 * span read back from the page cache and hashed): a cold `copy_file_range` reads the disk
 * slower than the reads' readahead does. Measured in docs/benchmarks.md ("Round 6: the big file
 * (branch `bigfile`)"); reads ahead through the thread pool (async, several in flight) were
 * tried and cost more CPU than they saved.
 *
 * Why the hash is of the bytes copied: both the reads and the copy happen between the caller's
 * two checks of the source (its `fstat` before, and the size and mtime after, against the
 * scan), as before; a file that changes in that window is discarded by the caller, and one
 * whose mtime cannot show the change is recorded as racy and hashed again next pass.
 *
 * @module
 */

import type { FileHandle } from "../base/fs.ts";
import { CHUNK, type Hasher } from "../base/hash.ts";
import type { StagedFile } from "../dest/destination.ts";
import { SourceChangedError } from "../base/errors.ts";

/** Bytes per kernel copy call: the copy trails the hash by one such span. */
export const KERNEL_SPAN = 8 * 1024 * 1024;

/**
 * Reads up to `n` bytes at the source's position into `buf`, {@link CHUNK} at a time, and
 * hashes each piece. Returns the bytes read; fewer than `n` means the end of the file.
 */
function readAndHash(src: FileHandle, buf: Uint8Array, n: number, hasher: Hasher): number {
  let got = 0;
  while (got < n) {
    const r = src.readSync(buf.subarray(0, Math.min(buf.length, n - got)));
    if (r === null) break;
    hasher.update(buf.subarray(0, r));
    got += r;
  }
  return got;
}

/**
 * Copies `size` bytes of `src` (read from its position, which must be 0) into `out` in the
 * kernel, hashing them into `hasher` (initialised by the caller). Returns the bytes copied
 * (`size`), or `null` when the kernel cannot copy between these two (nothing was done: the
 * source's position has not moved and the hasher was not fed).
 *
 * @throws SourceChangedError when the source ends before `size` (it shrank since the scan);
 *   the copy's or the read's error otherwise. Nothing is left in flight when it returns or throws.
 */
export async function copyByKernel(
  src: FileHandle,
  out: StagedFile,
  hasher: Hasher,
  size: number,
  onCopied: ((bytes: number) => void) | undefined,
): Promise<number | null> {
  if (!out.copyRange) return null;
  const copyRange = out.copyRange.bind(out);
  const first = await copyRange(src, 0, Math.min(KERNEL_SPAN, size));
  if (first === null) return null;
  const buf = new Uint8Array(CHUNK);
  // The disk writes each span out while the rest is read (the sync has less to do);
  // one such call at a time, settled before the copy returns.
  let writeback: Promise<void> = Promise.resolve();
  /** Copies [at, at + len) whole (a copy call may do less than asked), then starts its writeback. */
  const copySpan = async (at: number, len: number, done = 0): Promise<void> => {
    while (done < len) {
      const n = await copyRange(src, at + done, len - done);
      if (n === null) throw new Error("the kernel copy stopped working mid-file");
      if (n === 0) throw new SourceChangedError("changed while it was being copied");
      done += n;
    }
    writeback = writeback.then(() => out.startWriteback?.(at, len));
    onCopied?.(len);
  };
  // The first span, copied already (maybe in part): its read-back, then the rest of its copy.
  let copying: Promise<void> | null = null;
  try {
    const firstSpan = Math.min(KERNEL_SPAN, size);
    if (first === 0 || readAndHash(src, buf, firstSpan, hasher) !== firstSpan) {
      throw new SourceChangedError("changed while it was being copied");
    }
    copying = copySpan(0, firstSpan, first);
    let at = firstSpan;
    while (at < size) {
      const len = Math.min(KERNEL_SPAN, size - at);
      const read = readAndHash(src, buf, len, hasher);
      await copying;
      copying = null;
      if (read !== len) throw new SourceChangedError("changed while it was being copied");
      copying = copySpan(at, len);
      at += len;
    }
    await copying;
    copying = null;
    return size;
  } finally {
    await copying?.catch(() => {});
    await writeback.catch(() => {});
  }
}
