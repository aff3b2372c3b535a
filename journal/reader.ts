/**
 * Reads and validates a journal: framing, checksums, headers and sequence.
 *
 * A bad record with nothing valid after it in the last segment is a torn tail
 * (a crash during a write): it is reported, and truncated when asked. A bad
 * record anywhere else is corruption: {@link JournalCorruptError}.
 *
 * @module
 */

import type { FileSystem } from "../lib/fs.ts";
import { JournalCorruptError } from "../lib/errors.ts";
import { join } from "../lib/paths.ts";
import { decodeRecord, FORMAT_VERSION, isFailure, type JournalRecord } from "./record.ts";
import { listSegments } from "./segments.ts";

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
  /** Segment names read, oldest first. */
  segments: string[];
  /** Number of valid records. */
  records: number;
  /** Highest sequence number seen (0 when empty). */
  lastSeq: number;
  /** Total bytes of valid records. */
  bytes: number;
  /** The torn tail, when there was one. */
  tornTail: TornTail | null;
  /** Source root named by the newest header. */
  source: string | null;
  /** Bytes of valid records in the last segment (0: it needs a header). */
  lastSegmentBytes: number;
}

/** Options for {@link readJournal}. */
export interface ReadOptions {
  /** Truncate a torn tail in place (default false: report only). */
  repair?: boolean;
  /** Called for every valid record, in order. */
  onRecord?: (record: JournalRecord, place: RecordPlace) => void;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Reads every segment of the journal folder `dir`, oldest first.
 *
 * @throws JournalCorruptError on damage that is not a torn tail, on a
 *   sequence gap, or on a format version newer than this program's.
 */
export function readJournal(fs: FileSystem, dir: string, options: ReadOptions = {}): ReadSummary {
  const segments = listSegments(fs, dir);
  const summary: ReadSummary = {
    segments,
    records: 0,
    lastSeq: 0,
    bytes: 0,
    tornTail: null,
    source: null,
    lastSegmentBytes: 0,
  };
  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    const path = join(dir, segment);
    const bytes = fs.readFile(path);
    let offset = 0;
    let first = true;
    let bad: { offset: number; reason: string } | null = null;
    summary.lastSegmentBytes = 0;
    while (offset < bytes.length) {
      let nl = bytes.indexOf(10, offset);
      const complete = nl >= 0;
      if (!complete) nl = bytes.length;
      const line = decoder.decode(bytes.subarray(offset, nl));
      const rec = complete ? decodeRecord(line) : { error: "incomplete last line" };
      if (isFailure(rec)) {
        bad ??= { offset, reason: rec.error };
      } else if (bad) {
        throw new JournalCorruptError(segment, bad.offset, summary.lastSeq, bad.reason);
      } else {
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
        if (summary.lastSeq !== 0 && rec.seq !== summary.lastSeq + 1) {
          throw new JournalCorruptError(
            segment,
            offset,
            summary.lastSeq,
            `sequence jumps from ${summary.lastSeq} to ${rec.seq}`,
          );
        }
        first = false;
        summary.lastSeq = rec.seq;
        summary.records++;
        summary.bytes += nl + 1 - offset;
        summary.lastSegmentBytes = nl + 1;
        options.onRecord?.(rec, { segment, offset });
      }
      offset = nl + 1;
    }
    if (bad) {
      if (!isLast) throw new JournalCorruptError(segment, bad.offset, summary.lastSeq, bad.reason);
      summary.tornTail = {
        segment,
        offset: bad.offset,
        bytes: bytes.length - bad.offset,
        reason: bad.reason,
      };
      if (options.repair) {
        const h = fs.openSync(path, { write: true });
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
