/**
 * The fast way through the journal's most common line (issue 14): a `done`
 * record exactly as the writer makes it is checked and read from its bytes,
 * without decoding the line to text or `JSON.parse`. Half the records of a
 * first copy are such lines.
 *
 * It takes only `{"seq":S,"ts":"T","type":"done","ref":R[,"hash":"H"][,"bytes":B][,"racy":true],"crc":"C"}`
 * with whole numbers of at most 15 digits (seq and ref at least 1, bytes at
 * least 0, no sign), a time of plain ASCII, a hash of 32 lowercase hex digits
 * and a checksum that holds. Any other line, good or bad, is handed back
 * (`null`) to {@link decodeRecord}, which gives the same record or says what
 * is wrong: `done_line_test.ts` compares the two.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { DoneRecord } from "./record.ts";

const encoder = new TextEncoder();
const SEQ = encoder.encode('{"seq":');
const TS = encoder.encode(',"ts":"');
const TYPE_REF = encoder.encode('","type":"done","ref":');
const HASH = encoder.encode(',"hash":"');
const BYTES = encoder.encode(',"bytes":');
const RACY = encoder.encode(',"racy":true');
const CRC = encoder.encode(',"crc":"');
/** `,"crc":"XXXXXXXX"}`. */
const CRC_TAIL = CRC.length + 8 + 2;
const CLOSE = encoder.encode("}");
const QUOTE = 0x22;

/** Value of a lowercase hex digit's byte, -1 for any other byte. */
const HEX = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 16; i++) t["0123456789abcdef".charCodeAt(i)] = i;
  return t;
})();

/** True when `word` is at `at` in `b`. */
function at(b: Uint8Array, pos: number, word: Uint8Array): boolean {
  if (pos + word.length > b.length) return false;
  for (let i = 0; i < word.length; i++) if (b[pos + i] !== word[i]) return false;
  return true;
}

/** The end of the unsigned whole number at `pos` (1 to 15 digits, no leading zero), or -1. */
function numberEnd(b: Uint8Array, pos: number): number {
  let end = pos;
  while (end < b.length && b[end]! >= 0x30 && b[end]! <= 0x39) end++;
  const digits = end - pos;
  if (digits === 0 || digits > 15 || (digits > 1 && b[pos] === 0x30)) return -1;
  return end;
}

/** The value of the digits from `pos` to `end`. */
function valueOf(b: Uint8Array, pos: number, end: number): number {
  let n = 0;
  for (let i = pos; i < end; i++) n = n * 10 + (b[i]! - 0x30);
  return n;
}

/** Reads a `done` line as the writer makes it (see the module's notes); null for any other. */
export function readDoneLine(line: Uint8Array): DoneRecord | null {
  const n = line.length;
  if (n <= CRC_TAIL || line[n - 1] !== 0x7d || line[n - 2] !== QUOTE || !at(line, 0, SEQ)) {
    return null;
  }
  let pos = SEQ.length;
  let end = numberEnd(line, pos);
  if (end < 0) return null;
  const seq = valueOf(line, pos, end);
  if (seq < 1 || !at(line, end, TS)) return null;
  pos = end + TS.length;
  const tsStart = pos;
  while (pos < n && line[pos] !== QUOTE) {
    const c = line[pos]!;
    if (c < 0x20 || c >= 0x7f || c === 0x5c) return null;
    pos++;
  }
  if (!at(line, pos, TYPE_REF)) return null;
  const ts = String.fromCharCode.apply(null, line.subarray(tsStart, pos) as unknown as number[]);
  pos += TYPE_REF.length;
  end = numberEnd(line, pos);
  if (end < 0) return null;
  const ref = valueOf(line, pos, end);
  if (ref < 1) return null;
  pos = end;
  const record: DoneRecord = { seq, ts, type: "done", ref };
  if (at(line, pos, HASH)) {
    pos += HASH.length;
    if (pos + 33 > n || line[pos + 32] !== QUOTE) return null;
    for (let i = pos; i < pos + 32; i++) if (HEX[line[i]!]! < 0) return null;
    record.hash = String.fromCharCode.apply(
      null,
      line.subarray(pos, pos + 32) as unknown as number[],
    );
    pos += 33;
  }
  if (at(line, pos, BYTES)) {
    pos += BYTES.length;
    end = numberEnd(line, pos);
    if (end < 0) return null;
    record.bytes = valueOf(line, pos, end);
    pos = end;
  }
  if (at(line, pos, RACY)) {
    record.racy = true;
    pos += RACY.length;
  }
  if (pos !== n - CRC_TAIL || !at(line, pos, CRC)) return null;
  let want = 0;
  for (let i = pos + CRC.length; i < n - 2; i++) {
    const d = HEX[line[i]!]!;
    if (d < 0) return null;
    want = want * 16 + d;
  }
  return (crc32(CLOSE, crc32(line.subarray(0, pos))) >>> 0) === want ? record : null;
}
