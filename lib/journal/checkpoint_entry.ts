/**
 * The fast way through a checkpoint's entry lines (issue 14): a line exactly
 * as {@link writeCheckpoint} writes it is checked and read from its bytes,
 * without decoding the line to text, `JSON.parse` or a full path check.
 *
 * It takes only what it is sure of: the writer's key order, whole numbers of
 * at most 15 digits, a hash of 32 lowercase hex digits, a path and target
 * without escapes, control characters or invalid UTF-8, no empty, `.` or `..`
 * segment, no leading `.` (where the reserved folder is), and a checksum that
 * holds. Any other line, good or bad, is handed back (`null`) to the general
 * reader, which gives the same entry or says what is wrong, at which offset:
 * so the two readers cannot disagree. `checkpoint_entry_test.ts` compares them.
 *
 * @module
 */

import type { Kind } from "../base/fs.ts";
import { LEGACY_RESERVED_DIR, RESERVED_DIR } from "../base/layout.ts";
import type { StateEntry } from "./state_entries.ts";
import { bytesAt, checksumHolds, CRC_TAIL, hashAt, numberEnd, numberValue } from "./byte_fields.ts";

const encoder = new TextEncoder();
/** For names that are not ASCII: invalid UTF-8 throws (the general reader reports it). */
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const PREFIX = encoder.encode('{"type":"entry","path":"');
const KIND_KEY = encoder.encode(',"kind":"');
const SIZE_KEY = encoder.encode(',"size":');
const MTIME_KEY = encoder.encode(',"mtime":');
const MODE_KEY = encoder.encode(',"mode":');
const INO_KEY = encoder.encode(',"ino":');
const HASH_KEY = encoder.encode(',"hash":"');
const TARGET_KEY = encoder.encode(',"target":"');
const RACY = encoder.encode(',"racy":true');

const KINDS: readonly [Kind, Uint8Array][] = (["file", "dir", "symlink", "other"] as const).map((
  k,
) => [k, encoder.encode(k + '"')]);

/**
 * A path starting with `.` goes the general way: the reserved folder's names
 * (both start with `.`) are checked there. Were one ever to start otherwise,
 * every line would.
 */
const RESERVED_START_WITH_DOT = RESERVED_DIR.startsWith(".") &&
  LEGACY_RESERVED_DIR.startsWith(".");

const SLASH = 0x2f;
const DOT = 0x2e;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A cursor over one line's bytes. */
class Cursor {
  at = 0;
  constructor(readonly b: Uint8Array) {}

  /** Consumes `word` when the bytes at the cursor are it. */
  take(word: Uint8Array): boolean {
    if (!bytesAt(this.b, this.at, word)) return false;
    this.at += word.length;
    return true;
  }

  /** A whole number of 1 to 15 digits (a leading `-` allowed, no leading zero); NaN if not one. */
  int(): number {
    const end = numberEnd(this.b, this.at, true);
    if (end < 0) return NaN;
    const n = numberValue(this.b, this.at, end);
    this.at = end;
    return n;
  }

  /**
   * The text of a string whose opening quote is consumed, up to its closing
   * quote (consumed); null when it holds an escape, a control character or
   * invalid UTF-8. With `path`, also null when it is empty, starts with `/`
   * or `.`, or has an empty, `.` or `..` segment.
   */
  text(path: boolean): string | null {
    const b = this.b;
    const start = this.at;
    let at = start;
    let ascii = true;
    let segment = start;
    for (;; at++) {
      if (at >= b.length) return null;
      const c = b[at]!;
      if (c === QUOTE) break;
      if (c < 0x20 || c === BACKSLASH) return null;
      if (c >= 0x80) ascii = false;
      else if (path && c === SLASH) {
        if (badSegment(b, segment, at)) return null;
        segment = at + 1;
      }
    }
    if (path && (badSegment(b, segment, at) || b[start] === DOT)) return null;
    this.at = at + 1;
    const bytes = b.subarray(start, at);
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    try {
      return strict.decode(bytes);
    } catch {
      return null;
    }
  }
}

/** True for an empty, `.` or `..` segment from `from` to `to`. */
function badSegment(b: Uint8Array, from: number, to: number): boolean {
  const n = to - from;
  return n === 0 || (b[from] === DOT && (n === 1 || (n === 2 && b[from + 1] === DOT)));
}

/** The 32 lowercase hex digits at the cursor (and their closing quote, consumed), or null. */
function hash32(c: Cursor): string | null {
  const hash = hashAt(c.b, c.at);
  if (hash !== null) c.at += 33;
  return hash;
}

/** A checkpoint entry read by {@link readEntryLine}. */
export interface FastEntry {
  /** Its relative path: a safe one. */
  path: string;
  /** The entry. */
  entry: StateEntry;
}

/**
 * Reads one line (without its newline) that is an entry exactly as the
 * writer writes it, with a checksum that holds and a path that is safe;
 * null for any other line (see the module's notes: the general reader then
 * reads it, or reports it).
 */
export function readEntryLine(line: Uint8Array): FastEntry | null {
  const n = line.length;
  if (!RESERVED_START_WITH_DOT) return null;
  if (n <= CRC_TAIL + PREFIX.length || line[n - 1] !== 0x7d || line[n - 2] !== QUOTE) return null;
  const c = new Cursor(line);
  if (!c.take(PREFIX)) return null;
  const path = c.text(true);
  if (path === null || !c.take(KIND_KEY)) return null;
  let kind: Kind | null = null;
  for (const [k, word] of KINDS) {
    if (c.take(word)) {
      kind = k;
      break;
    }
  }
  if (kind === null || !c.take(SIZE_KEY)) return null;
  const size = c.int();
  if (Number.isNaN(size) || !c.take(MTIME_KEY)) return null;
  const mtimeMs = c.int();
  if (Number.isNaN(mtimeMs) || !c.take(MODE_KEY)) return null;
  const mode = c.int();
  if (Number.isNaN(mode) || !c.take(INO_KEY)) return null;
  const ino = c.int();
  if (Number.isNaN(ino)) return null;
  const entry: StateEntry = { kind, size, mtimeMs, mode, ino };
  if (c.take(HASH_KEY)) {
    const hash = hash32(c);
    if (hash === null) return null;
    entry.hash = hash;
  }
  if (c.take(TARGET_KEY)) {
    const target = c.text(false);
    if (target === null) return null;
    entry.target = target;
  }
  if (c.take(RACY)) entry.racy = true;
  // What is left must be the checksum member and the closing brace, nothing else.
  return checksumHolds(line, c.at) ? { path, entry } : null;
}
