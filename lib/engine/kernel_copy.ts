/**
 * A large file copied by the kernel, hashed ahead of the copy (issue 14, branch `bigfile`).
 *
 * The hash reads the source first, {@link LEAD_READ} at a time with positional reads off the
 * main thread ({@link LEAD_DEPTH} in flight, so the disk streams while the main thread hashes), and the kernel
 * copies what has been hashed, {@link KERNEL_SPAN} a call (`copy_file_range`, off the main
 * thread), from the page cache the reads have just filled. Each copied span is handed to the
 * early writeback (`sync_file_range`), so the disk writes it out while the rest is read.
 *
 * The order used to be the other way round (the kernel copy first, then the span read back from
 * the page cache and hashed): a cold `copy_file_range` reads the disk through the page cache in
 * smaller steps than a stream of 1 MiB reads, and the read-back came after it. Measured in
 * docs/benchmarks.md ("Round 6: the big file (branch `bigfile`)").
 *
 * Why the hash is of the bytes copied: both the reads and the copy happen between the caller's
 * two checks of the source (its `fstat` before, and the size and mtime after, against the
 * scan), as before; a file that changes in that window is discarded by the caller, and one
 * whose mtime cannot show the change is recorded as racy and hashed again next pass.
 *
 * @module
 */

import type { FileHandle } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { StagedFile } from "../dest/destination.ts";
import { SourceChangedError } from "../base/errors.ts";

/** Bytes per kernel copy call: the copy trails the hash by up to this much. */
export const KERNEL_SPAN = 8 * 1024 * 1024;

/**
 * Bytes per read of the hash: a piece is hashed while it is still in the CPU's cache (the
 * earlier read-back found 256 KiB pieces cheaper than 8 MiB ones; docs/benchmarks.md).
 */
export const LEAD_READ = 256 * 1024;

/** Reads of the hash in flight, so the disk streams while one is hashed (2 MiB of buffers). */
export const LEAD_DEPTH = 8;

/**
 * Copies `size` bytes of `src` into `out` in the kernel, hashing them into `hasher` (which the
 * caller has initialised) ahead of the copy. Returns the bytes copied (`size`), or `null` when
 * the kernel cannot copy between these two or `src` cannot read at an offset: then nothing is
 * in `out`, the hasher is initialised again and `src`'s position has not moved, so the caller
 * can copy another way.
 *
 * @throws SourceChangedError when the source ends before `size` (it shrank since the scan);
 *   the read's or the copy's error otherwise. Nothing is left in flight when it throws.
 */
export async function copyByKernel(
  src: FileHandle,
  out: StagedFile,
  hasher: Hasher,
  size: number,
  onCopied: ((bytes: number) => void) | undefined,
): Promise<number | null> {
  const copyRange = out.copyRange?.bind(out);
  const readAt = src.readAt?.bind(src);
  if (!copyRange || !readAt) return null;
  const buffers = Array.from({ length: LEAD_DEPTH }, () => new Uint8Array(LEAD_READ));
  const reads: { at: number; buf: Uint8Array; done: Promise<number | null> }[] = [];
  let requested = 0;
  let issued = 0;
  let hashed = 0;
  let copied = 0;
  // The one copy call in flight, if any; a failed copy parks its error here for the loop.
  let copying: Promise<void> | null = null;
  let copyError: unknown = null;
  let unsupported = false;
  // The disk writes each span out while the rest is read (the sync has less to do);
  // one such call at a time, settled before the copy returns.
  let writeback: Promise<void> = Promise.resolve();

  const request = () => {
    const at = requested;
    const buf = buffers[issued++ % LEAD_DEPTH]!.subarray(0, Math.min(LEAD_READ, size - at));
    requested += buf.length;
    reads.push({ at, buf, done: readAt(buf, at) });
  };
  const startCopy = () => {
    if (copying || copyError !== null || unsupported) return;
    const pending = hashed - copied;
    if (pending < Math.min(KERNEL_SPAN, size - copied) || pending === 0) return;
    const at = copied;
    copying = copyRange(src, at, Math.min(KERNEL_SPAN, pending)).then((n) => {
      copying = null;
      if (n === null) {
        if (at === 0) unsupported = true;
        else copyError = new Error("the kernel copy stopped working mid-file");
        return;
      }
      if (n === 0) {
        copyError = new SourceChangedError("changed while it was being copied");
        return;
      }
      copied += n;
      writeback = writeback.then(() => out.startWriteback?.(at, n));
      onCopied?.(n);
      startCopy();
    }, (err) => {
      copying = null;
      copyError = err;
    });
  };
  const settle = async () => {
    await Promise.all(reads.map((r) => r.done.catch(() => null)));
    while (copying) await copying;
    await writeback.catch(() => {});
  };

  try {
    while (hashed < size && copyError === null && !unsupported) {
      while (reads.length < LEAD_DEPTH && requested < size) request();
      const read = reads.shift()!;
      let n = await read.done;
      // A short read (a network file system may make one): the rest of this piece in line.
      while (n !== null && n < read.buf.length) {
        const more = await readAt(read.buf.subarray(n), read.at + n);
        if (more === null) break;
        n += more;
      }
      if (n === null || n < read.buf.length) {
        throw new SourceChangedError("changed while it was being copied");
      }
      hasher.update(read.buf);
      hashed += n;
      if (requested < size) request();
      startCopy();
    }
    while (copied < size && copyError === null && !unsupported) {
      startCopy();
      await copying;
    }
    await settle();
    if (copyError !== null) throw copyError;
    if (unsupported) {
      hasher.init();
      return null;
    }
    return copied;
  } catch (err) {
    await settle();
    throw err;
  }
}
