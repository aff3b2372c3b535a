/**
 * Appends records to the journal with group commit.
 *
 * `append()` writes a batch of records in one `write`; `sync()` makes every
 * appended record durable with one `fsync`. A failed write is rolled back
 * (truncated) so the file never holds a half record followed by good ones; a
 * failed fsync poisons the writer (fsyncgate): the process must stop and
 * replay on the next start.
 *
 * @module
 */

import type { FileHandle, FileSystem } from "../base/fs.ts";
import { describeError, JournalIoError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import {
  encodeRecord,
  FORMAT_VERSION,
  type HeaderRecord,
  type JournalRecord,
  type Unstamped,
} from "./record.ts";
import { segmentName, segmentNumber } from "../base/layout.ts";
import { listJournalFiles } from "./reader.ts";
import { readCheckpointHeader } from "./checkpoint.ts";

/** Default size at which a new segment is started. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Options for {@link JournalWriter.open}. */
export interface WriterOptions {
  /** Absolute source root, written into each segment header. */
  source: string;
  /** Last sequence number already in the journal (0 for a new journal). */
  lastSeq?: number;
  /** Existing last segment to continue, and its valid size (from the reader). */
  lastSegment?: { name: string; bytes: number } | null;
  /** Start a new segment past this size (default {@link DEFAULT_SEGMENT_BYTES}). */
  segmentBytes?: number;
  /** Clock, for tests (default `Date.now`). */
  now?: () => number;
}

const encoder = new TextEncoder();

/**
 * The number after which a new segment goes when there is no segment to
 * continue: the highest segment number in `dir`, or one below the segment
 * the newest checkpoint names as next, whichever is higher.
 */
function newestSegmentNumber(fs: FileSystem, dir: string): number {
  const files = listJournalFiles(fs, dir);
  let prev = 0;
  for (const s of files.segments) prev = Math.max(prev, segmentNumber(s) ?? 0);
  const cp = files.checkpoints.at(-1);
  const header = cp === undefined ? null : readCheckpointHeader(fs, join(dir, cp));
  if (header) prev = Math.max(prev, header.next - 1);
  return prev;
}

/** Appends stamped records to the newest segment of a journal folder. */
export class JournalWriter {
  #fs: FileSystem;
  #dir: string;
  #source: string;
  #seq: number;
  #segmentBytes: number;
  #now: () => number;
  #handle: FileHandle | null = null;
  #segment = 0;
  #size = 0;
  #dirty = false;
  #poisoned: JournalIoError | null = null;

  private constructor(fs: FileSystem, dir: string, options: WriterOptions) {
    this.#fs = fs;
    this.#dir = dir;
    this.#source = options.source;
    this.#seq = options.lastSeq ?? 0;
    this.#segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens the journal folder `dir` (created 0700 if missing) for appending.
   *
   * @throws JournalIoError when the folder or segment cannot be created or synced.
   */
  static async open(fs: FileSystem, dir: string, options: WriterOptions): Promise<JournalWriter> {
    const w = new JournalWriter(fs, dir, options);
    try {
      fs.mkdir(dir, { recursive: true, mode: 0o700 });
      fs.chmod(dir, 0o700);
      const last = options.lastSegment;
      if (last && last.bytes > 0 && last.bytes < w.#segmentBytes) {
        w.#segment = segmentNumber(last.name) ?? 1;
        w.#handle = fs.openSync(join(dir, last.name), { write: true, append: true });
        w.#size = last.bytes;
      } else if (last) {
        await w.#startSegment(segmentNumber(last.name) ?? 0, last.bytes === 0);
      } else {
        await w.#startSegment(newestSegmentNumber(fs, dir), false);
      }
    } catch (err) {
      if (err instanceof JournalIoError) throw err;
      throw new JournalIoError(`cannot open journal in ${dir}: ${describeError(err)}`, {
        cause: err,
      });
    }
    return w;
  }

  /** Number of the segment records are appended to. */
  get segment(): number {
    return this.#segment;
  }

  /**
   * Makes everything appended durable, then starts a new segment (its header
   * durable, the folder synced) and returns its number. A checkpoint of the
   * state as of {@link JournalWriter.lastSeq} before this call, naming this
   * segment as the next one, lets every older segment be dropped.
   *
   * @throws JournalIoError, fatal: the writer is unusable after a failed rotation
   *   (stop, restart, replay; nothing durable was lost).
   */
  async rotate(): Promise<number> {
    await this.sync();
    try {
      await this.#startSegment(this.#segment, false);
    } catch (err) {
      // The old segment's handle is closed by now: this writer cannot go on.
      if (err instanceof JournalIoError && err.fatal) throw err;
      throw this.#poison(err);
    }
    return this.#segment;
  }

  /** Sequence number of the last record appended. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Creates segment `prev + 1` (or reuses `prev` when it is empty) and writes its header. */
  async #startSegment(prev: number, reuse: boolean): Promise<void> {
    this.#handle?.close();
    this.#segment = reuse && prev > 0 ? prev : prev + 1;
    const path = join(this.#dir, segmentName(this.#segment));
    this.#handle = reuse && prev > 0
      ? this.#fs.openSync(path, { write: true, append: true })
      : this.#fs.openSync(path, { write: true, append: true, createNew: true, mode: 0o600 });
    this.#fs.chmod(path, 0o600);
    this.#size = 0;
    const header: Unstamped<HeaderRecord> = {
      type: "header",
      v: FORMAT_VERSION,
      segment: crypto.randomUUID(),
      source: this.#source,
    };
    this.#write([header]);
    await this.sync();
    try {
      await this.#fs.syncDir(this.#dir);
    } catch (err) {
      throw this.#poison(err);
    }
  }

  #poison(err: unknown): JournalIoError {
    this.#poisoned = new JournalIoError(
      `cannot make the journal durable in ${this.#dir}: ${describeError(err)}`,
      { cause: err, fatal: true },
    );
    return this.#poisoned;
  }

  #write(records: Unstamped[]): JournalRecord[] {
    if (this.#poisoned) throw this.#poisoned;
    const handle = this.#handle!;
    const ts = new Date(this.#now()).toISOString();
    const stamped: JournalRecord[] = [];
    let text = "";
    for (const r of records) {
      const rec = { seq: this.#seq + stamped.length + 1, ts, ...r } as JournalRecord;
      stamped.push(rec);
      text += encodeRecord(rec);
    }
    const bytes = encoder.encode(text);
    try {
      handle.writeAllSync(bytes);
    } catch (err) {
      try {
        handle.truncate(this.#size);
      } catch (err2) {
        throw this.#poison(err2);
      }
      throw new JournalIoError(`cannot write the journal in ${this.#dir}: ${describeError(err)}`, {
        cause: err,
      });
    }
    this.#seq += stamped.length;
    this.#size += bytes.length;
    this.#dirty = true;
    return stamped;
  }

  /**
   * Appends records (not yet durable: call {@link JournalWriter.sync}).
   * Rotates to a new segment first when the current one is full.
   *
   * @throws JournalIoError when the write fails (rolled back; the writer stays usable)
   *   or the writer was poisoned by an fsync failure.
   */
  async append(records: Unstamped[]): Promise<JournalRecord[]> {
    if (records.length === 0) return [];
    if (this.#size >= this.#segmentBytes) await this.rotate();
    return this.#write(records);
  }

  /**
   * Makes all appended records durable.
   *
   * @throws JournalIoError (fatal) when fsync fails.
   */
  async sync(): Promise<void> {
    if (this.#poisoned) throw this.#poisoned;
    if (!this.#dirty) return;
    try {
      await this.#handle!.sync();
    } catch (err) {
      throw this.#poison(err);
    }
    this.#dirty = false;
  }

  /** True once an fsync has failed: nothing more may be written. */
  get poisoned(): boolean {
    return this.#poisoned !== null;
  }

  /** Syncs and closes. */
  async close(): Promise<void> {
    try {
      if (!this.#poisoned) await this.sync();
    } finally {
      this.#handle?.close();
      this.#handle = null;
    }
  }
}
