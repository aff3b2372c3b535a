/**
 * Reads and validates a journal: the newest checkpoint, then the segments
 * after it, checking framing, checksums, headers and sequence.
 *
 * A bad record with nothing valid after it in the last segment is a torn tail
 * (a crash during a write): it is reported, and truncated when asked. A bad
 * record anywhere else is corruption: {@link JournalCorruptError}.
 *
 * Files are read a chunk at a time, so memory does not grow with their size.
 * Every file is opened before any is read: a compaction running in a daemon
 * meanwhile may delete files, but the open handles still read them, so a
 * read-only reader sees one consistent journal.
 *
 * @module
 */

import { type FileHandle, type FileSystem, isNotFound } from "../base/fs.ts";
import type { StateEntry } from "./state.ts";
import { JournalCorruptError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import {
  decodeRecord,
  FORMAT_VERSION,
  type IntentRecord,
  isFailure,
  type JournalRecord,
} from "./record.ts";
import { checkpointSeq, segmentNumber } from "../base/layout.ts";
import {
  CheckpointDamage,
  type CheckpointInfo,
  readCheckpoint,
  readCheckpointHeader,
} from "./checkpoint.ts";
import { readLines } from "./lines.ts";
import { readDoneLine } from "./done_line.ts";

/** Where a record sits. */
export interface RecordPlace {
  /** Segment file name. */
  segment: string;
  /** Byte offset of the record's line in the segment. */
  offset: number;
}

/** A torn tail found at the end of the last segment. */
export interface TornTail {
  /** Segment file name. */
  segment: string;
  /** Offset where the valid part ends. */
  offset: number;
  /** Bytes after it. */
  bytes: number;
  /** Why the first bad record failed. */
  reason: string;
}

/** Summary of a read. */
export interface ReadSummary {
  /** Segment names read (those after the checkpoint), oldest first. */
  segments: string[];
  /** Number of valid records in them. */
  records: number;
  /** Highest sequence number seen (the checkpoint's when no record follows it; 0 when empty). */
  lastSeq: number;
  /** Total bytes of valid records. */
  bytes: number;
  /** The torn tail, when there was one. */
  tornTail: TornTail | null;
  /** Source root named by the newest header (or the checkpoint). */
  source: string | null;
  /** Bytes of valid records in the last segment (0: it needs a header). */
  lastSegmentBytes: number;
  /** The checkpoint the read started from, if any. */
  checkpoint: CheckpointInfo | null;
  /** Damaged checkpoints passed over (an older checkpoint and its segments were used). */
  damaged: { name: string; offset: number; reason: string }[];
  /** Files left behind by an interrupted compaction (ignored; the next compaction removes them). */
  stale: string[];
  /** Time of the first and last record read (ISO), or null. */
  firstTs: string | null;
  /** See {@link ReadSummary.firstTs}. */
  lastTs: string | null;
}

/** Options for {@link readJournal}. */
export interface ReadOptions {
  /** Truncate a torn tail in place (default false: report only). */
  repair?: boolean;
  /** Called with the checkpoint the read starts from, before any record. */
  onCheckpoint?: (info: CheckpointInfo) => void;
  /** Called for every valid record after the checkpoint, in order. */
  onRecord?: (record: JournalRecord, place: RecordPlace) => void;
  /** Called for each state entry of the checkpoint (safe paths only). */
  onEntry?: (path: string, entry: StateEntry) => void;
  /** Called for each pending intent of the checkpoint (safe paths only). */
  onPending?: (intent: IntentRecord) => void;
  /** Called for each checkpoint entry refused because its path is unsafe. */
  onRefused?: (path: string, reason: string) => void;
  /** Called with the number of entries a checkpoint's header announces (see `CheckpointVisitor`). */
  onCount?: (entries: number) => void;
  /**
   * Called when a damaged checkpoint was passed over after some of its entries
   * had been handed out: forget them, an older checkpoint follows.
   */
  onReset?: () => void;
}

/** Journal files in a folder, by kind. */
export interface JournalFiles {
  /** Segment names, oldest first. */
  segments: string[];
  /** Checkpoint names, oldest first. */
  checkpoints: string[];
}

/** Lists the segments and checkpoints of the journal folder `dir` (none when it is missing). */
export function listJournalFiles(fs: FileSystem, dir: string): JournalFiles {
  let names: string[];
  try {
    names = fs.readDir(dir);
  } catch (err) {
    if (isNotFound(err)) return { segments: [], checkpoints: [] };
    throw err;
  }
  return {
    segments: names.filter((n) => segmentNumber(n) !== null)
      .sort((a, b) => segmentNumber(a)! - segmentNumber(b)!),
    checkpoints: names.filter((n) => checkpointSeq(n) !== null)
      .sort((a, b) => checkpointSeq(a)! - checkpointSeq(b)!),
  };
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** How often a read-only reader starts again when a file vanished between listing and opening. */
const OPEN_ATTEMPTS = 5;

/**
 * Reads the journal folder `dir`: the newest sound checkpoint, then every
 * segment after it, oldest first.
 *
 * @throws JournalCorruptError on damage that is not a torn tail, on a
 *   sequence gap, on a damaged checkpoint that cannot be passed over, or on a
 *   format version newer than this program's.
 */
export function readJournal(fs: FileSystem, dir: string, options: ReadOptions = {}): ReadSummary {
  for (let attempt = 1;; attempt++) {
    const files = listJournalFiles(fs, dir);
    const handles = new Map<string, FileHandle>();
    try {
      try {
        for (const name of [...files.checkpoints, ...files.segments]) {
          handles.set(name, fs.openSync(join(dir, name)));
        }
      } catch (err) {
        // Deleted by a compaction between listing and opening: list again.
        if (isNotFound(err) && attempt < OPEN_ATTEMPTS) continue;
        throw err;
      }
      return readOpened(fs, dir, files, handles, options);
    } finally {
      for (const h of handles.values()) h.close();
    }
  }
}

/** True when segments numbered `first`, `first + 1`, ... up to the newest all exist. */
function chainFrom(segments: string[], first: number): boolean {
  const nums = segments.map((s) => segmentNumber(s)!).filter((n) => n >= first);
  if (nums.length === 0) return false;
  return nums.every((n, i) => n === first + i);
}

function readOpened(
  fs: FileSystem,
  dir: string,
  files: JournalFiles,
  handles: Map<string, FileHandle>,
  options: ReadOptions,
): ReadSummary {
  const summary: ReadSummary = {
    segments: [],
    records: 0,
    lastSeq: 0,
    bytes: 0,
    tornTail: null,
    source: null,
    lastSegmentBytes: 0,
    checkpoint: null,
    damaged: [],
    stale: [],
    firstTs: null,
    lastTs: null,
  };

  // 1. The newest checkpoint that reads back whole.
  const cps = [...files.checkpoints].reverse();
  for (let i = 0; i < cps.length; i++) {
    const name = cps[i]!;
    try {
      const info = readCheckpoint(handles.get(name)!, name, {
        ...(options.onEntry ? { onEntry: options.onEntry } : {}),
        ...(options.onPending ? { onPending: options.onPending } : {}),
        ...(options.onRefused ? { onRefused: options.onRefused } : {}),
        ...(options.onCount ? { onCount: options.onCount } : {}),
      });
      summary.checkpoint = info;
      break;
    } catch (err) {
      if (!(err instanceof CheckpointDamage)) throw err;
      if (/upgrade it$/.test(err.message)) {
        throw new JournalCorruptError(name, err.offset, checkpointSeq(name)!, err.message);
      }
      // Only an older starting point whose segments are all still here can stand in.
      const older = cps[i + 1];
      const first = older === undefined ? 1 : null;
      const usable = first !== null
        ? chainFrom(files.segments, 1)
        : olderUsable(fs, join(dir, older!), files.segments);
      if (!usable) {
        throw new JournalCorruptError(
          name,
          err.offset,
          checkpointSeq(name)!,
          `checkpoint damaged (${err.message}) and the segments before it are gone`,
        );
      }
      summary.damaged.push({ name, offset: err.offset, reason: err.message });
      options.onReset?.();
    }
  }
  const cp = summary.checkpoint;
  const firstSegment = cp?.next ?? 1;
  if (cp) {
    options.onCheckpoint?.(cp);
    summary.lastSeq = cp.seq;
    summary.source = cp.source;
    summary.stale.push(...files.checkpoints.filter((n) => checkpointSeq(n)! < cp.seq));
  }
  for (const segment of files.segments) {
    if (segmentNumber(segment)! < firstSegment) summary.stale.push(segment);
    else summary.segments.push(segment);
  }

  // 2. The segments after it; the sequence goes on from the checkpoint's.
  summary.segments.forEach((segment, index) => {
    const isLast = index === summary.segments.length - 1;
    let first = true;
    let bad: { offset: number; reason: string } | null = null;
    let end = 0;
    summary.lastSegmentBytes = 0;
    for (const line of readLines(handles.get(segment)!)) {
      const { offset } = line;
      end = offset + line.bytes.length + (line.complete ? 1 : 0);
      const rec = line.complete
        ? (readDoneLine(line.bytes) ?? decodeRecord(decoder.decode(line.bytes)))
        : { error: "incomplete last line" };
      if (isFailure(rec)) {
        // A record with a sound checksum and wrong fields was written so: corrupt, even last.
        if (rec.checksummed) {
          throw new JournalCorruptError(
            segment,
            bad?.offset ?? offset,
            summary.lastSeq,
            bad?.reason ?? rec.error,
          );
        }
        bad ??= { offset, reason: rec.error };
        continue;
      }
      if (bad) throw new JournalCorruptError(segment, bad.offset, summary.lastSeq, bad.reason);
      if (first && rec.type !== "header") {
        throw new JournalCorruptError(segment, offset, summary.lastSeq, "segment has no header");
      }
      if (rec.type === "header") {
        if (!first) {
          throw new JournalCorruptError(segment, offset, summary.lastSeq, "header mid-segment");
        }
        if (rec.v > FORMAT_VERSION) {
          throw new JournalCorruptError(
            segment,
            offset,
            summary.lastSeq,
            `written in journal format ${rec.v}; this program reads format ${FORMAT_VERSION}: upgrade it`,
          );
        }
        summary.source = rec.source;
      }
      if (rec.seq !== summary.lastSeq + 1) {
        throw new JournalCorruptError(
          segment,
          offset,
          summary.lastSeq,
          summary.lastSeq === 0 && summary.records === 0
            ? `the journal starts at seq ${rec.seq}, not 1: its first segments are missing`
            : `sequence jumps from ${summary.lastSeq} to ${rec.seq}`,
        );
      }
      first = false;
      summary.lastSeq = rec.seq;
      summary.records++;
      summary.bytes += end - offset;
      summary.lastSegmentBytes = end;
      summary.firstTs ??= rec.ts;
      summary.lastTs = rec.ts;
      options.onRecord?.(rec, { segment, offset });
    }
    if (bad) {
      if (!isLast) throw new JournalCorruptError(segment, bad.offset, summary.lastSeq, bad.reason);
      summary.tornTail = {
        segment,
        offset: bad.offset,
        bytes: end - bad.offset,
        reason: bad.reason,
      };
      if (options.repair) {
        const h = fs.openSync(join(dir, segment), { write: true });
        try {
          h.truncate(bad.offset);
        } finally {
          h.close();
        }
      }
    }
  });
  return summary;
}

/** True when an older checkpoint's header reads and its segments are all still here. */
function olderUsable(fs: FileSystem, path: string, segments: string[]): boolean {
  const h = readCheckpointHeader(fs, path);
  return h !== null && chainFrom(segments, h.next);
}
