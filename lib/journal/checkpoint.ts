/**
 * Checkpoints: the whole state map written to one file, so that the segments
 * before it can be dropped. Replay starts from the newest checkpoint and
 * continues with the segments after it.
 *
 * File `checkpoint-<seq>.jsonl` (seq zero-padded to 12 digits), lines framed
 * like records (JSON with a trailing CRC-32 member, see `record.ts`):
 *
 * 1. header: `{"type":"checkpoint","v":1,"seq":S,"ts":...,"source":...,"next":N,"entries":E}`:
 *    the state after every record up to seq S; the journal goes on in
 *    segment N, whose first record is seq S + 1; `entries` (optional, since
 *    2026-12) lets a reader make room for the entries at once.
 * 2. one `{"type":"entry","path":...,"kind":...,"size":...,"mtime":...,"mode":...,"ino":...}`
 *    per state entry (plus `hash`, `target`, `racy` when present);
 * 3. one `{"type":"pending","intent":{...}}` per intent without completion;
 * 4. trailer: `{"type":"end","entries":E,"pending":P}`.
 *
 * It is written to `checkpoint-<seq>.jsonl.tmp`, fsynced, renamed and the
 * folder fsynced, so a checkpoint file is complete or absent. See docs/journal.md.
 *
 * @module
 */

import { type FileHandle, type FileSystem, isNotFound, type Kind } from "../base/fs.ts";
import type { State, StateEntry } from "./state.ts";
import { describeError, JournalIoError } from "../base/errors.ts";
import { join, unsafeReason } from "../base/paths.ts";
import { FORMAT_VERSION, frameLine, type IntentRecord, unframeLine } from "./record.ts";
import { readLines } from "./lines.ts";
import { readEntryLine } from "./checkpoint_entry.ts";
import { intentUnsafeReason, recordFieldProblem } from "./record_check.ts";
import { checkpointName, TMP_SUFFIX } from "../base/layout.ts";

/** What a checkpoint's header and trailer say. */
export interface CheckpointInfo {
  /** File name. */
  name: string;
  /** The state covers every record up to this seq. */
  seq: number;
  /** When it was written (ISO 8601 UTC). */
  ts: string;
  /** Source root at the time. */
  source: string;
  /** Number of the first segment after it. */
  next: number;
  /** State entries in it. */
  entries: number;
  /** Pending intents in it. */
  pending: number;
  /** File size in bytes. */
  bytes: number;
}

/** A damaged checkpoint: where and why. */
export class CheckpointDamage extends Error {
  override name = "CheckpointDamage";
  /** Byte offset of the bad line. */
  readonly offset: number;
  /** Builds the error. */
  constructor(offset: number, reason: string) {
    super(reason);
    this.offset = offset;
  }
}

/** Callbacks of {@link readCheckpoint}. */
export interface CheckpointVisitor {
  /** Called for each state entry whose path is safe. */
  onEntry?: (path: string, entry: StateEntry) => void;
  /** Called for each pending intent whose paths are safe. */
  onPending?: (intent: IntentRecord) => void;
  /** Called for each entry or intent refused because its path is unsafe. */
  onRefused?: (path: string, reason: string) => void;
  /**
   * Called once, before any entry, with how many entries the header says
   * follow (never more than the file could hold), when it says: room can be
   * made for them at once. The trailer's count is what is checked.
   */
  onCount?: (entries: number) => void;
}

/** The shortest entry line the writer makes is longer than this: a bound on a header's count. */
const MIN_ENTRY_BYTES = 64;

const KINDS = new Set<Kind>(["file", "dir", "symlink", "other"]);
const decoder = new TextDecoder();

function num(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function toEntry(o: Record<string, unknown>): StateEntry | null {
  if (!KINDS.has(o.kind as Kind) || !num(o.size) || !num(o.mtime) || !num(o.mode) || !num(o.ino)) {
    return null;
  }
  const e: StateEntry = {
    kind: o.kind as Kind,
    size: o.size,
    mtimeMs: o.mtime,
    mode: o.mode,
    ino: o.ino,
  };
  if (typeof o.hash === "string") e.hash = o.hash;
  if (typeof o.target === "string") e.target = o.target;
  if (o.racy === true) e.racy = true;
  return e;
}

/**
 * Reads and validates a whole checkpoint from an open handle, streaming its
 * entries to `visitor`. The entries are handed out before the trailer is
 * seen: a caller that keeps them must drop them when this throws.
 *
 * @throws CheckpointDamage when a line is bad, the header or trailer is
 *   missing, the counts do not match, or the format version is newer.
 */
export function readCheckpoint(
  handle: FileHandle,
  name: string,
  visitor: CheckpointVisitor = {},
): CheckpointInfo {
  let info: CheckpointInfo | null = null;
  let ended = false;
  let entries = 0;
  let pending = 0;
  let bytes = 0;
  for (const line of readLines(handle)) {
    const at = line.offset;
    bytes = at + line.bytes.length + (line.complete ? 1 : 0);
    if (!line.complete) throw new CheckpointDamage(at, "incomplete last line");
    if (info !== null && !ended) {
      // An entry line as the writer makes it: read from its bytes (checkpoint_entry.ts).
      const fast = readEntryLine(line.bytes);
      if (fast !== null) {
        entries++;
        visitor.onEntry?.(fast.path, fast.entry);
        continue;
      }
    }
    const u = unframeLine(decoder.decode(line.bytes));
    if (!u.ok) throw new CheckpointDamage(at, u.error);
    const o = u.value;
    if (ended) throw new CheckpointDamage(at, "data after the trailer");
    if (info === null) {
      if (o.type !== "checkpoint") throw new CheckpointDamage(at, "no checkpoint header");
      if (!num(o.v) || !num(o.seq) || !num(o.next) || typeof o.source !== "string") {
        throw new CheckpointDamage(at, "bad checkpoint header");
      }
      if (o.v > FORMAT_VERSION) {
        throw new CheckpointDamage(
          at,
          `written in journal format ${o.v}; this program reads format ${FORMAT_VERSION}: upgrade it`,
        );
      }
      info = {
        name,
        seq: o.seq,
        ts: typeof o.ts === "string" ? o.ts : "",
        source: o.source,
        next: o.next,
        entries: 0,
        pending: 0,
        bytes: 0,
      };
      if (Number.isSafeInteger(o.entries) && (o.entries as number) > 0 && visitor.onCount) {
        visitor.onCount(
          Math.min(o.entries as number, Math.ceil(handle.stat().size / MIN_ENTRY_BYTES)),
        );
      }
      continue;
    }
    switch (o.type) {
      case "entry": {
        const e = toEntry(o);
        if (e === null || typeof o.path !== "string") {
          throw new CheckpointDamage(at, "bad entry");
        }
        entries++;
        const why = unsafeReason(o.path);
        if (why !== null) visitor.onRefused?.(o.path, why);
        else visitor.onEntry?.(o.path, e);
        break;
      }
      case "pending": {
        const i = o.intent as IntentRecord | undefined;
        if (
          typeof i !== "object" || i === null || Array.isArray(i) || i.type !== "intent" ||
          !Number.isSafeInteger(i.seq) || i.seq < 1
        ) {
          throw new CheckpointDamage(at, "bad pending intent");
        }
        const problem = recordFieldProblem(i as unknown as Record<string, unknown>);
        if (problem !== null) throw new CheckpointDamage(at, `bad pending intent: ${problem}`);
        pending++;
        const why = intentUnsafeReason(i);
        if (why !== null) visitor.onRefused?.(String(i.path), why);
        else visitor.onPending?.(i);
        break;
      }
      case "end":
        if (o.entries !== entries || o.pending !== pending) {
          throw new CheckpointDamage(at, "trailer counts do not match");
        }
        ended = true;
        break;
      default:
        throw new CheckpointDamage(at, `unknown line type ${JSON.stringify(o.type)}`);
    }
  }
  if (info === null) throw new CheckpointDamage(0, "empty checkpoint");
  if (!ended) throw new CheckpointDamage(bytes, "no trailer (incomplete checkpoint)");
  return { ...info, entries, pending, bytes };
}

/**
 * Reads only the header line of the checkpoint file at `path` (a few kB at
 * most): its seq and next segment, or `null` when it cannot be read or parsed.
 * Enough to measure or extend a journal; {@link readCheckpoint} validates.
 */
export function readCheckpointHeader(
  fs: FileSystem,
  path: string,
): { seq: number; next: number } | null {
  let handle: FileHandle;
  try {
    handle = fs.openSync(path);
  } catch {
    return null;
  }
  try {
    for (const line of readLines(handle, 4096)) {
      if (!line.complete) return null;
      const u = unframeLine(decoder.decode(line.bytes));
      if (!u.ok || u.value.type !== "checkpoint") return null;
      const { seq, next } = u.value;
      return num(seq) && num(next) ? { seq, next } : null;
    }
    return null;
  } catch {
    return null;
  } finally {
    handle.close();
  }
}

/** Options for {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** The state covers every record up to this seq. */
  seq: number;
  /** Number of the segment the journal goes on in. */
  next: number;
  /** Source root. */
  source: string;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

const encoder = new TextEncoder();
const FLUSH_AT = 1 << 20;

/** The line {@link writeCheckpoint} writes for the entry `e` at `path` (with its newline). */
export function checkpointEntryLine(path: string, e: StateEntry): string {
  const o: Record<string, unknown> = {
    type: "entry",
    path,
    kind: e.kind,
    size: e.size,
    mtime: e.mtimeMs,
    mode: e.mode,
    ino: e.ino,
  };
  if (e.hash !== undefined) o.hash = e.hash;
  if (e.target !== undefined) o.target = e.target;
  if (e.racy) o.racy = true;
  return frameLine(o);
}

/**
 * Writes `state` as checkpoint `checkpoint-<seq>.jsonl` in the journal folder
 * `dir`: to a temp name, fsynced, renamed, folder fsynced. Returns what it wrote.
 *
 * @throws JournalIoError: not fatal when the write failed (the temp file is
 *   removed and nothing changed); fatal when an fsync failed.
 */
export async function writeCheckpoint(
  fs: FileSystem,
  dir: string,
  state: State,
  options: WriteCheckpointOptions,
): Promise<CheckpointInfo> {
  const name = checkpointName(options.seq);
  const tmp = join(dir, name + TMP_SUFFIX);
  const ts = new Date((options.now ?? Date.now)()).toISOString();
  let handle: FileHandle | null = null;
  let bytes = 0;
  let syncing = false;
  let renamed = false;
  try {
    try {
      fs.remove(tmp);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    handle = fs.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
    fs.chmod(tmp, 0o600);
    const h = handle;
    let text = frameLine({
      type: "checkpoint",
      v: FORMAT_VERSION,
      seq: options.seq,
      ts,
      source: options.source,
      next: options.next,
      entries: state.entries.size,
    });
    const flush = () => {
      const b = encoder.encode(text);
      h.writeAllSync(b);
      bytes += b.length;
      text = "";
    };
    for (const [path, e] of state.entries) {
      text += checkpointEntryLine(path, e);
      if (text.length >= FLUSH_AT) flush();
    }
    for (const intent of state.pending.values()) {
      text += frameLine({ type: "pending", intent });
      if (text.length >= FLUSH_AT) flush();
    }
    text += frameLine({ type: "end", entries: state.entries.size, pending: state.pending.size });
    flush();
    syncing = true;
    await h.sync();
    syncing = false;
    h.close();
    handle = null;
    fs.rename(tmp, join(dir, name));
    renamed = true;
    syncing = true;
    await fs.syncDir(dir);
  } catch (err) {
    handle?.close();
    if (!renamed) {
      try {
        fs.remove(tmp);
      } catch { /* never created, or already gone */ }
    }
    // As for segments, a failed fsync is fatal (fsyncgate): stop, restart, replay.
    throw new JournalIoError(
      `cannot write checkpoint ${name} in ${dir}: ${describeError(err)}`,
      { cause: err, fatal: syncing },
    );
  }
  return {
    name,
    seq: options.seq,
    ts,
    source: options.source,
    next: options.next,
    entries: state.entries.size,
    pending: state.pending.size,
    bytes,
  };
}
