/**
 * The lowercase hex digits as a lookup table, for the readers that decode a hash byte by byte
 * without making a string (lib/base/packed_entries.ts, lib/journal/byte_fields.ts).
 *
 * @module
 */

/** Value of each lowercase hex digit's byte (or char code), -1 for every other value below 256. */
export const HEX_DIGIT: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 16; i++) t["0123456789abcdef".charCodeAt(i)] = i;
  return t;
})();
