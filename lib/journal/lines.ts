/**
 * Reads a journal file line by line through an open handle, a chunk at a
 * time, so that memory stays bounded by the chunk size (plus the longest line)
 * whatever the file's size.
 *
 * @module
 */

import type { FileHandle } from "../base/fs.ts";

/** One line of a file. */
export interface Line {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line's bytes, without the newline. Valid until the next line is read. */
  bytes: Uint8Array;
  /** False for a last line without its newline. */
  complete: boolean;
}

/** Default read size. */
export const CHUNK_BYTES = 1 << 20;

/**
 * Yields the lines of `handle` from its current position (the start for a
 * fresh handle) to the end of the file, reading `chunk` bytes at a time.
 */
export function* readLines(handle: FileHandle, chunk: number = CHUNK_BYTES): Generator<Line> {
  let buf = new Uint8Array(chunk);
  let start = 0; // first unconsumed byte in buf
  let end = 0; // bytes held in buf
  let base = 0; // file offset of buf[0]
  for (;;) {
    // Emit every complete line held, searched in one view of the bytes held (not one a line):
    // the bytes past `end` are stale, and a search of the whole buffer would read them on every
    // refill, up to the chunk size for a few bytes read.
    const held = buf.subarray(0, end);
    for (;;) {
      const nl = held.indexOf(10, start);
      if (nl < 0) break;
      yield { offset: base + start, bytes: buf.subarray(start, nl), complete: true };
      start = nl + 1;
    }
    // Make room: move the partial line to the front, or grow for a long line.
    if (start > 0) {
      buf.copyWithin(0, start, end);
      base += start;
      end -= start;
      start = 0;
    }
    if (end === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = handle.readSync(buf.subarray(end));
    if (n === null || n === 0) break;
    end += n;
  }
  if (end > start) {
    yield { offset: base + start, bytes: buf.subarray(start, end), complete: false };
  }
}
