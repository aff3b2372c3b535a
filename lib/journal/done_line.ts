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

import { bytesAt, checksumHolds, CRC_TAIL, hashAt, numberEnd, numberValue } from "./byte_fields.ts";
import type { DoneRecord } from "./record.ts";

const encoder = new TextEncoder();
const SEQ = encoder.encode('{"seq":');
const TS = encoder.encode(',"ts":"');
const TYPE_REF = encoder.encode('","type":"done","ref":');
const HASH = encoder.encode(',"hash":"');
const BYTES = encoder.encode(',"bytes":');
const RACY = encoder.encode(',"racy":true');
const QUOTE = 0x22;

/** Reads a `done` line as the writer makes it (see the module's notes); null for any other. */
export function readDoneLine(line: Uint8Array): DoneRecord | null {
  const n = line.length;
  if (n <= CRC_TAIL || line[n - 1] !== 0x7d || line[n - 2] !== QUOTE || !bytesAt(line, 0, SEQ)) {
    return null;
  }
  let pos = SEQ.length;
  let end = numberEnd(line, pos);
  if (end < 0) return null;
  const seq = numberValue(line, pos, end);
  if (seq < 1 || !bytesAt(line, end, TS)) return null;
  pos = end + TS.length;
  const tsStart = pos;
  while (pos < n && line[pos] !== QUOTE) {
    const c = line[pos]!;
    if (c < 0x20 || c >= 0x7f || c === 0x5c) return null;
    pos++;
  }
  if (!bytesAt(line, pos, TYPE_REF)) return null;
  const ts = String.fromCharCode.apply(null, line.subarray(tsStart, pos) as unknown as number[]);
  pos += TYPE_REF.length;
  end = numberEnd(line, pos);
  if (end < 0) return null;
  const ref = numberValue(line, pos, end);
  if (ref < 1) return null;
  pos = end;
  const record: DoneRecord = { seq, ts, type: "done", ref };
  if (bytesAt(line, pos, HASH)) {
    pos += HASH.length;
    const hash = hashAt(line, pos);
    if (hash === null) return null;
    record.hash = hash;
    pos += 33;
  }
  if (bytesAt(line, pos, BYTES)) {
    pos += BYTES.length;
    end = numberEnd(line, pos);
    if (end < 0) return null;
    record.bytes = numberValue(line, pos, end);
    pos = end;
  }
  if (bytesAt(line, pos, RACY)) {
    record.racy = true;
    pos += RACY.length;
  }
  return checksumHolds(line, pos) ? record : null;
}
