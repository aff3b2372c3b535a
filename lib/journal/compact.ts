/**
 * Compaction: a checkpoint of the state map, then the segments before it are
 * dropped, so the journal stays bounded however long the daemon runs.
 *
 * Order, each step durable before the next, so a crash anywhere leaves a
 * journal that replays to the same state:
 *
 * 1. the writer starts a new segment N (header fsynced, folder fsynced);
 * 2. the state as of the last record before N is written as a checkpoint
 *    naming N as next (temp file, fsync, rename, folder fsync);
 * 3. segments before N and older checkpoints are deleted, folder fsynced.
 *
 * A crash after 1 leaves an extra segment; after 2, files the reader ignores
 * (reported as stale) and the next compaction deletes.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import type { State } from "./state.ts";
import { describeError, JournalIoError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import { type CheckpointInfo, readCheckpointHeader, writeCheckpoint } from "./checkpoint.ts";
import { listJournalFiles } from "./reader.ts";
import { checkpointSeq, segmentNumber, TMP_SUFFIX } from "../base/layout.ts";
import type { JournalWriter } from "./writer.ts";

/** Default size limit of the segments after the checkpoint (`--journal-max-mb 64`). */
export const DEFAULT_JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

/** How much room a journal takes. */
export interface JournalUsage {
  /** Segment files (all of them, stale ones included). */
  segments: number;
  /** Bytes of the segments at or after the newest checkpoint's next segment. */
  logBytes: number;
  /** Newest checkpoint file, if any. */
  checkpoint: string | null;
  /** Its size. */
  checkpointBytes: number;
  /** Every journal file (segments, checkpoints, temp files). */
  totalBytes: number;
}

/** Measures the journal folder `dir` with `lstat` and the checkpoint's header line only. */
export function journalUsage(fs: FileSystem, dir: string): JournalUsage {
  const size = (name: string): number => {
    try {
      return fs.lstat(join(dir, name)).size;
    } catch {
      return 0; // deleted meanwhile
    }
  };
  let names: string[] = [];
  try {
    names = fs.readDir(dir);
  } catch { /* no journal */ }
  const files = listJournalFiles(fs, dir);
  const checkpoint = files.checkpoints.at(-1) ?? null;
  const next = checkpoint === null ? 1 : readCheckpointHeader(fs, join(dir, checkpoint))?.next ?? 1;
  const usage: JournalUsage = {
    segments: files.segments.length,
    logBytes: 0,
    checkpoint,
    checkpointBytes: checkpoint === null ? 0 : size(checkpoint),
    totalBytes: 0,
  };
  for (const n of names) {
    const seg = segmentNumber(n);
    const isJournal = seg !== null || checkpointSeq(n) !== null ||
      n.endsWith(TMP_SUFFIX);
    if (!isJournal) continue;
    const bytes = size(n);
    usage.totalBytes += bytes;
    if (seg !== null && seg >= next) usage.logBytes += bytes;
  }
  return usage;
}

/**
 * True when the journal should be compacted: the segments after the
 * checkpoint passed `maxBytes`, and also the checkpoint's own size (so a large
 * state is not rewritten over and over: the journal stays below about twice
 * the larger of the two).
 */
export function needsCompaction(usage: JournalUsage, maxBytes: number): boolean {
  return usage.logBytes > maxBytes && usage.logBytes > usage.checkpointBytes;
}

/** What a compaction did. */
export interface CompactResult {
  /** The checkpoint written. */
  checkpoint: CheckpointInfo;
  /** Files deleted (older segments and checkpoints, leftover temp files). */
  removed: string[];
  /** Files that could not be deleted (the reader ignores them; retried next time). */
  kept: { name: string; reason: string }[];
  /** Journal bytes before and after. */
  bytesBefore: number;
  /** See {@link CompactResult.bytesBefore}. */
  bytesAfter: number;
}

/** Options for {@link compactJournal}. */
export interface CompactOptions {
  /** Source root, written into the checkpoint. */
  source: string;
  /** Clock (default `Date.now`). */
  now?: () => number;
}

/**
 * Compacts the journal folder `dir` whose writer is `writer` and whose state,
 * folded from every record the writer appended, is `state`.
 *
 * @throws JournalIoError: fatal when an fsync failed (stop, restart, replay);
 *   otherwise nothing was lost and the journal is as before plus one segment.
 */
export async function compactJournal(
  fs: FileSystem,
  dir: string,
  writer: JournalWriter,
  state: State,
  options: CompactOptions,
): Promise<CompactResult> {
  const bytesBefore = journalUsage(fs, dir).totalBytes;
  const seq = writer.lastSeq;
  if (state.lastSeq > seq) {
    throw new Error(`state (seq ${state.lastSeq}) is ahead of the journal (seq ${seq})`);
  }
  const next = await writer.rotate();
  const checkpoint = await writeCheckpoint(fs, dir, state, {
    seq,
    next,
    source: options.source,
    ...(options.now ? { now: options.now } : {}),
  });
  const removed: string[] = [];
  const kept: CompactResult["kept"] = [];
  let names: string[] = [];
  try {
    names = fs.readDir(dir);
  } catch (err) {
    kept.push({ name: dir, reason: describeError(err) });
  }
  for (const name of names) {
    const n = segmentNumber(name);
    const old = (n !== null && n < next) ||
      (checkpointSeq(name) !== null && name !== checkpoint.name) ||
      name.endsWith(TMP_SUFFIX);
    if (!old) continue;
    try {
      fs.remove(join(dir, name));
      removed.push(name);
    } catch (err) {
      if (!isNotFound(err)) kept.push({ name, reason: describeError(err) });
    }
  }
  if (removed.length > 0) {
    try {
      await fs.syncDir(dir);
    } catch (err) {
      throw new JournalIoError(`cannot sync the journal folder ${dir}: ${describeError(err)}`, {
        cause: err,
        fatal: true,
      });
    }
  }
  return {
    checkpoint,
    removed,
    kept,
    bytesBefore,
    bytesAfter: journalUsage(fs, dir).totalBytes,
  };
}

/** Options for {@link compactIfNeeded}. */
export interface AutoCompactOptions extends CompactOptions {
  /** Size limit (default {@link DEFAULT_JOURNAL_MAX_BYTES}). */
  maxBytes?: number;
  /** Where to report it. */
  log: Logger;
}

/**
 * Compacts when {@link needsCompaction} says so. A failure that lost nothing
 * is logged and retried next time.
 *
 * @throws JournalIoError (fatal) when an fsync failed.
 */
export async function compactIfNeeded(
  fs: FileSystem,
  dir: string,
  writer: JournalWriter,
  state: State,
  options: AutoCompactOptions,
): Promise<CompactResult | null> {
  const maxBytes = options.maxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
  if (!needsCompaction(journalUsage(fs, dir), maxBytes)) return null;
  try {
    const r = await compactJournal(fs, dir, writer, state, options);
    options.log.info(
      "JOURNAL COMPACTED: checkpoint at seq {seq} ({entries} entries), {removed} files removed, {before} -> {after} bytes",
      {
        seq: r.checkpoint.seq,
        entries: r.checkpoint.entries,
        removed: r.removed.length,
        before: r.bytesBefore,
        after: r.bytesAfter,
      },
    );
    for (const k of r.kept) {
      options.log.warn("JOURNAL FILE NOT REMOVED: {name} - {reason}", k);
    }
    return r;
  } catch (err) {
    if (err instanceof JournalIoError && err.fatal) throw err;
    if (writer.poisoned) throw err;
    options.log.error("JOURNAL COMPACTION FAILED: {reason}; retried after the next pass", {
      reason: describeError(err),
    });
    return null;
  }
}
