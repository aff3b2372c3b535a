/**
 * What one pass did: the summary the reconciler returns and every report
 * (log line, progress display, `--json` events, status file, hooks) reads.
 * Types and a constructor only, so that reporters need not import the
 * reconciler.
 *
 * @module
 */

import type { Trigger } from "../journal/record.ts";
import type { SweepCounts } from "./dest_sweep.ts";

/** What one pass did. */
export interface PassSummary {
  /** Pass number since start. */
  pass: number;
  /** What started it. */
  trigger: Trigger;
  /** Files copied (created + updated). */
  copied: number;
  /** Bytes copied. */
  bytes: number;
  /** Entries deleted from the destination. */
  deleted: number;
  /** Folders created. */
  dirs: number;
  /** Symlinks created or replaced. */
  links: number;
  /** Files and folders renamed in the destination (nothing copied). */
  moved: number;
  /** Metadata-only updates (mode, mtime) of files and symlinks. */
  meta: number;
  /** Operations that failed (logged; retried next pass). */
  failed: number;
  /** Source entries that could not be read (their backups are kept). */
  unreadable: number;
  /** Names Deno cannot open (not valid UTF-8). */
  badNames: number;
  /** Leftover temp files removed. */
  tempsRemoved: number;
  /** Changes a full pass found in folders the watcher had not reported (0 without a watcher). */
  missed: number;
  /** Deletions held by the mass-delete guard (not applied). */
  held: number;
  /**
   * Files still being written: changed during their copy (or waiting for their next try), so
   * not copied yet. Not errors: each is tried again with a growing delay (see `BUSY_LIMIT_MS`
   * in lib/engine/busy.ts), and counts in `failed` only once it has stayed busy past the limit.
   */
  busy: number;
  /** A source changed during its copy: the caller should pass again soon. */
  retrySoon: boolean;
  /** Folders to look at again soon (where sources changed or vanished under a copy). */
  retryDirs: Set<string>;
  /** With `retrySoon`: how soon, in ms (0: the daemon's default, `RETRY_SOON_MS`). */
  retryInMs: number;
  /** Why the pass did nothing, when it did nothing on purpose. */
  skipped: string | null;
  /** Stopped early by the abort signal. */
  interrupted: boolean;
  /** Wall time in ms. */
  durationMs: number;
  /**
   * A full pass that listed the destination by the rolling sweep: the folders it listed and
   * those it took from the state (absent when it listed the destination whole, or was partial).
   */
  sweep?: SweepCounts;
}

/** A summary with every count at zero, for pass number `pass`. */
export function emptySummary(pass: number, trigger: Trigger): PassSummary {
  return {
    pass,
    trigger,
    copied: 0,
    bytes: 0,
    deleted: 0,
    dirs: 0,
    links: 0,
    moved: 0,
    meta: 0,
    failed: 0,
    unreadable: 0,
    badNames: 0,
    tempsRemoved: 0,
    missed: 0,
    held: 0,
    busy: 0,
    retrySoon: false,
    retryDirs: new Set(),
    retryInMs: 0,
    skipped: null,
    interrupted: false,
    durationMs: 0,
  };
}

/** Entries the pass changed in the destination (copies, deletes, folders, links, metadata, moves). */
export function changedCount(summary: PassSummary): number {
  return summary.copied + summary.deleted + summary.dirs + summary.links + summary.meta +
    summary.moved;
}
