/**
 * Journal record types and their framing.
 *
 * One record is one line of JSON (readable with `jq`). Its last member is
 * `"crc"`: the CRC-32 (hex, 8 digits) of the line's JSON text without that
 * member. See docs/journal.md.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import type { Kind } from "../base/fs.ts";
import { recordFieldProblem } from "./record_check.ts";

/** Version of the record format this program writes and reads. */
export const FORMAT_VERSION = 1;

/** Operations a decision can carry. */
export type OpName = "copy" | "mkdir" | "symlink" | "delete" | "meta" | "move";

/** What made the backup take a decision. */
export type Trigger = "scan" | "watch" | "replay";

/** Fields every record has. */
interface Base {
  /** Sequence number, strictly increasing across segments. */
  seq: number;
  /** Wall-clock time the record was written (ISO 8601, UTC). */
  ts: string;
}

/** First record of every segment. */
export interface HeaderRecord extends Base {
  /** Record type. */
  type: "header";
  /** Format version. */
  v: number;
  /** Random id of this segment. */
  segment: string;
  /** Absolute source root at the time the segment was created. */
  source: string;
}

/** A decision, durable before it is applied. */
export interface IntentRecord extends Base {
  /** Record type. */
  type: "intent";
  /** What will be done. */
  op: OpName;
  /** Relative path in the destination (for a move: where the entry goes). */
  path: string;
  /** For a move: the relative path the entry is renamed from. */
  from?: string;
  /** Kind of the entry after the operation (absent for delete). */
  kind?: Kind;
  /** Size in bytes of the source file. */
  size?: number;
  /** Source mtime (ms) that the destination will carry. */
  mtime?: number;
  /** Permission bits the destination will carry. */
  mode?: number;
  /** Source inode. */
  ino?: number;
  /** Content hash (xxh128, hex) when already known (meta); copies report it in `done`. */
  hash?: string;
  /** Symlink target. */
  target?: string;
  /**
   * Versioning on (copy, delete, symlink): where the file found at `path` is
   * moved before it is replaced or deleted, relative to `DEST/.backup/versions/`.
   */
  version?: string;
  /** Why: a scan, a watcher hint, or replay. */
  reason: Trigger;
}

/** Completion of an intent. */
export interface DoneRecord extends Base {
  /** Record type. */
  type: "done";
  /** `seq` of the intent. */
  ref: number;
  /** Hash of the bytes written (copies). */
  hash?: string;
  /** Bytes written (copies). */
  bytes?: number;
  /** The source mtime was within the racy window: re-hash on the next pass. */
  racy?: boolean;
}

/** An intent that was not (or not wholly) applied. */
export interface FailedRecord extends Base {
  /** Record type. */
  type: "failed";
  /** `seq` of the intent. */
  ref: number;
  /** One-line reason. */
  error: string;
}

/** A pass whose deletions were held by the mass-delete guard: nothing was deleted. */
export interface HeldRecord extends Base {
  /** Record type. */
  type: "held";
  /** How many entries the pass would have deleted. */
  count: number;
  /** How many entries the backup held. */
  tracked: number;
  /** A few of the paths, for people. */
  sample: string[];
}

/**
 * The operator confirmed the deletions a `held` record held (`backup confirm`): the pass that
 * writes it applies them.
 */
export interface ConfirmedRecord extends Base {
  /** Record type. */
  type: "confirmed";
  /** `seq` of the `held` record the confirmation named. */
  ref: number;
  /** How many held deletions it lets through. */
  count: number;
}

/** Any record. */
export type JournalRecord =
  | HeaderRecord
  | IntentRecord
  | DoneRecord
  | FailedRecord
  | HeldRecord
  | ConfirmedRecord;

/** A record before the writer stamps it with `seq` and `ts`. */
export type Unstamped<R extends JournalRecord = JournalRecord> = R extends JournalRecord
  ? Omit<R, "seq" | "ts">
  : never;

const CRC_LEN = ',"crc":"00000000"}'.length;

function crcHex(text: string): string {
  return (crc32(text) >>> 0).toString(16).padStart(8, "0");
}

/** The 8 lowercase hex digits of `text` at `at` as a number, or -1 when they are not. */
function hex8(text: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 8; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/**
 * Frames any JSON object as one journal line (with the trailing newline): its
 * JSON text with a last member `"crc"` holding the CRC-32 of the text without
 * it. Records and checkpoint lines share this framing.
 */
export function frameLine(value: object): string {
  const body = JSON.stringify(value);
  return `${body.slice(0, -1)},"crc":"${crcHex(body)}"}\n`;
}

/** Encodes one record as a line (with the trailing newline). */
export function encodeRecord(record: JournalRecord): string {
  return frameLine(record);
}

/** Why a line failed to decode. */
export type DecodeFailure = {
  error: string;
  /**
   * The checksum held, but the record is not one this program writes (a bad seq, type or
   * field): not a write torn by a crash, so never to be truncated as one.
   */
  checksummed?: boolean;
};

const TYPES = new Set(["header", "intent", "done", "failed", "held", "confirmed"]);

/** Result of {@link unframeLine}. */
export type Unframed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/**
 * Checks the framing and checksum of one line (without its newline) and
 * parses it into a JSON object (without `crc`). Never throws.
 */
export function unframeLine(line: string): Unframed {
  if (line.length <= CRC_LEN || !line.endsWith('"}')) return { ok: false, error: "bad framing" };
  const tail = line.length - CRC_LEN;
  if (!line.startsWith(',"crc":"', tail)) return { ok: false, error: "missing checksum" };
  const body = line.slice(0, tail) + "}";
  if ((crc32(body) >>> 0) !== hex8(line, tail + 8)) {
    return { ok: false, error: "checksum mismatch" };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, error: "invalid JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "not an object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Decodes one line (without its newline). Returns the record, or a failure
 * saying what is wrong: framing and checksum, then the seq, the type and the
 * type of every field (see `record_check.ts`). Never throws.
 */
export function decodeRecord(line: string): JournalRecord | DecodeFailure {
  const u = unframeLine(line);
  if (!u.ok) return { error: u.error };
  const value = u.value;
  const r = value as Partial<JournalRecord>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) {
    return { error: "bad seq", checksummed: true };
  }
  if (typeof r.type !== "string" || !TYPES.has(r.type)) {
    return { error: `unknown type`, checksummed: true };
  }
  const problem = recordFieldProblem(value);
  if (problem !== null) return { error: `record seq ${r.seq}: ${problem}`, checksummed: true };
  return value as unknown as JournalRecord;
}

/** True when a decode result is a failure. */
export function isFailure(r: JournalRecord | DecodeFailure): r is DecodeFailure {
  return "error" in r && !("seq" in r);
}
