/**
 * The byte-level pieces of the journal's fast line readers
 * ({@link readDoneLine} in `done_line.ts`, {@link readEntryLine} in
 * `checkpoint_entry.ts`): a fixed word at an offset, a whole number, a hash of
 * 32 lowercase hex digits, and the line's checksum member. Each checks only
 * what the writer makes; anything else is a miss, and the caller hands the
 * line back to the general reader.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { HEX_DIGIT } from "../base/hex.ts";

const encoder = new TextEncoder();
/** `,"crc":"`: the checksum member's key, as the writer (`frameLine`) puts it last. */
const CRC_KEY = encoder.encode(',"crc":"');
/** The closing brace: the checksum covers the line without its member, but with the brace. */
const CLOSE = encoder.encode("}");
const QUOTE = 0x22;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** Length of `,"crc":"XXXXXXXX"}`, the end of every framed line. */
export const CRC_TAIL = CRC_KEY.length + 8 + 2;

/** True when the bytes of `word` are at `pos` in `b`. */
export function bytesAt(b: Uint8Array, pos: number, word: Uint8Array): boolean {
  if (pos + word.length > b.length) return false;
  for (let i = 0; i < word.length; i++) if (b[pos + i] !== word[i]) return false;
  return true;
}

/**
 * The end of the whole number at `pos` in `b`: 1 to 15 digits, no leading
 * zero, after a `-` when `signed`; -1 when there is none such.
 */
export function numberEnd(b: Uint8Array, pos: number, signed = false): number {
  const first = signed && b[pos] === MINUS ? pos + 1 : pos;
  let end = first;
  while (end < b.length && b[end]! >= ZERO && b[end]! <= NINE) end++;
  const digits = end - first;
  if (digits === 0 || digits > 15 || (digits > 1 && b[first] === ZERO)) return -1;
  return end;
}

/** The value of the number from `pos` to `end` that {@link numberEnd} found. */
export function numberValue(b: Uint8Array, pos: number, end: number): number {
  const negative = b[pos] === MINUS;
  let n = 0;
  for (let i = negative ? pos + 1 : pos; i < end; i++) n = n * 10 + (b[i]! - ZERO);
  return negative ? -n : n;
}

/**
 * The 32 lowercase hex digits at `pos` in `b`, followed by the closing quote
 * (at `pos + 32`), as a string; null when they are not there.
 */
export function hashAt(b: Uint8Array, pos: number): string | null {
  if (pos + 33 > b.length || b[pos + 32] !== QUOTE) return null;
  for (let i = pos; i < pos + 32; i++) if (HEX_DIGIT[b[i]!]! < 0) return null;
  return String.fromCharCode.apply(null, b.subarray(pos, pos + 32) as unknown as number[]);
}

/**
 * True when `line` (without its newline) ends at `body` with exactly
 * `,"crc":"XXXXXXXX"}` and XXXXXXXX (8 lowercase hex digits) is the CRC-32
 * of the bytes before `body` followed by `}`: the line is whole, as the
 * writer made it.
 */
export function checksumHolds(line: Uint8Array, body: number): boolean {
  const n = line.length;
  if (body !== n - CRC_TAIL || !bytesAt(line, body, CRC_KEY)) return false;
  if (line[n - 2] !== QUOTE || line[n - 1] !== 0x7d) return false;
  let want = 0;
  for (let i = body + CRC_KEY.length; i < n - 2; i++) {
    const d = HEX_DIGIT[line[i]!]!;
    if (d < 0) return false;
    want = want * 16 + d;
  }
  return (crc32(CLOSE, crc32(line.subarray(0, body))) >>> 0) === want;
}
