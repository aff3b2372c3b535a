/**
 * Reading a whole small file, never past a cap: for files the backup reads
 * for itself (ignore files, `--exclude-from`), which someone else may have
 * made huge or endless.
 *
 * @module
 */

/** What a capped read got: the bytes, and whether the file held more. */
export interface CappedBytes {
  /** At most the cap's bytes, from the start of the file. */
  bytes: Uint8Array;
  /** True when the file held more than the cap. */
  truncated: boolean;
}

/** The smallest buffer a capped read starts with (the file may grow while it is read). */
const FIRST_CHUNK = 64 * 1024;

/**
 * Reads `file` from its position to its end, or to `capBytes`, whichever
 * comes first, with a buffer sized by `sizeHint` (what `fstat` said) and grown
 * by doubling, never above the cap.
 *
 * @throws what `file.readSync` throws.
 */
export function readCapped(
  file: { readSync(buf: Uint8Array): number | null },
  sizeHint: number,
  capBytes: number,
): CappedBytes {
  let bytes = new Uint8Array(Math.min(capBytes, Math.max(sizeHint, FIRST_CHUNK)));
  let filled = 0;
  while (filled < capBytes) {
    if (filled === bytes.length) {
      const grown = new Uint8Array(Math.min(capBytes, bytes.length * 2));
      grown.set(bytes);
      bytes = grown;
    }
    const count = file.readSync(bytes.subarray(filled));
    if (count === null) return { bytes: bytes.slice(0, filled), truncated: false };
    filled += count;
  }
  return { bytes, truncated: file.readSync(new Uint8Array(1)) !== null };
}
