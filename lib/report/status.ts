/**
 * The status file `DEST/.backup/status.json`: what the daemon last did, for
 * `backup status`. It is rewritten after every pass (temp file + rename, no
 * fsync: it is informational, and the journal holds the truth), and never read
 * by the daemon.
 *
 * @module
 */

import { type FileHandle, type FileSystem, isSymlinkRefused } from "../base/fs.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { VerifyProgress } from "../engine/verify_rolling.ts";
import { join } from "../base/paths.ts";
import { reservedDir, STATUS_FILE, TMP_SUFFIX } from "../base/layout.ts";

/** Format version of the status file. */
export const STATUS_VERSION = 1;

/** The last pass's summary as stored: its counts (all of them), and when it ended. */
export interface LastPass {
  /** Pass number since the daemon started. */
  pass: number;
  /** What started it. */
  trigger: string;
  /** Files copied. */
  copied: number;
  /** Bytes copied. */
  bytes: number;
  /** Entries deleted. */
  deleted: number;
  /** Operations that failed. */
  failed: number;
  /** Why it did nothing on purpose (source or destination unavailable). */
  skipped: string | null;
  /** Wall time in ms. */
  durationMs: number;
  /** When it ended (ISO 8601 UTC). */
  endedAt: string;
  /** Any other count the pass summary has (folders, symlinks, metadata updates...). */
  [count: string]: unknown;
}

/** What the status file holds. */
export interface StatusData {
  /** Format version ({@link STATUS_VERSION}). */
  v: number;
  /** Process id of the daemon that wrote it. */
  pid: number;
  /** Source root. */
  source: string;
  /** Destination root. */
  dest: string;
  /** When that daemon started (ISO 8601 UTC). */
  startedAt: string;
  /** When this file was written. */
  updatedAt: string;
  /** Passes since the start. */
  passes: number;
  /** The last pass (every count of its summary), with the time it ended. */
  lastPass: LastPass | null;
  /** Sums over every pass since the start. */
  totals: { copied: number; bytes: number; deleted: number; failed: number };
  /** `--schedule`: the cron expression, its time zone and the next full pass (absent in older files). */
  schedule?: ScheduleStatus | null;
  /**
   * The last {@link RECENT_PASSES} passes that did or met something (copied, deleted, moved,
   * failed, held or were skipped), oldest first: the dashboard's history chart. Absent in
   * status files of older versions.
   */
  recent?: LastPass[];
  /**
   * `--verify-every`: how far the rolling verification is (the round under way, the last full
   * round). Absent without `--verify-every` and in older files.
   */
  verify?: VerifyProgress | null;
}

/** A daemon's schedule as the status file holds it. */
export interface ScheduleStatus {
  /** The cron expression as given. */
  cron: string;
  /** Its IANA time zone, or null for the machine's local time. */
  zone: string | null;
  /** When the next full pass is due (ISO 8601 UTC), or null when none is left. */
  nextRun: string | null;
}

/** How many eventful passes the status file keeps in `recent`. */
export const RECENT_PASSES = 200;

/** True when a pass did or met something worth a point on the history chart. */
export function eventful(s: PassSummary): boolean {
  return s.copied + s.deleted + s.moved + s.dirs + s.links + s.meta + s.failed + s.held > 0 ||
    s.skipped !== null;
}

/** Writes the status file after each pass. */
export class StatusRecorder {
  #fs: FileSystem;
  #path: string;
  #data: StatusData;
  #now: () => number;

  /** Prepares a recorder for the daemon of `source` -> `dest` (writes nothing yet). */
  constructor(
    fs: FileSystem,
    dest: string,
    options: { source: string; pid?: number; now?: () => number },
  ) {
    this.#fs = fs;
    this.#path = join(reservedDir(dest), STATUS_FILE);
    this.#now = options.now ?? Date.now;
    const at = new Date(this.#now()).toISOString();
    this.#data = {
      v: STATUS_VERSION,
      pid: options.pid ?? Deno.pid,
      source: options.source,
      dest,
      startedAt: at,
      updatedAt: at,
      passes: 0,
      lastPass: null,
      totals: { copied: 0, bytes: 0, deleted: 0, failed: 0 },
      recent: earlierPasses(fs, dest),
    };
  }

  /**
   * Opens the temp file for writing. Something planted under its name (a symlink, a FIFO: the
   * file system of a daemon refuses to open through it, see lib/dest/reserved_folder.ts) is
   * removed, never followed, and the open tried once more.
   */
  #openTemp(tmp: string): FileHandle {
    const options = { write: true, create: true, mode: 0o600 };
    try {
      return this.#fs.openSync(tmp, options);
    } catch (err) {
      if (!isPlanted(err)) throw err;
      this.#fs.remove(tmp);
      return this.#fs.openSync(tmp, options);
    }
  }

  /**
   * Records when the next scheduled full pass is due (`--schedule`), written at once so that
   * `backup status` shows it before the first pass. Never throws.
   */
  scheduled(cron: string, zone: string | null, nextRun: number): void {
    this.#data.schedule = {
      cron,
      zone,
      nextRun: Number.isFinite(nextRun) ? new Date(nextRun).toISOString() : null,
    };
    this.#data.updatedAt = new Date(this.#now()).toISOString();
    this.#write();
  }

  /**
   * Records how far the rolling verification is (`--verify-every`), written at once: after
   * every slice, and at the start so that `backup status` shows it before the first one.
   * Never throws.
   */
  verifying(progress: VerifyProgress): void {
    this.#data.verify = progress;
    this.#data.updatedAt = new Date(this.#now()).toISOString();
    this.#write();
  }

  /** Records one pass. Never throws: a status file that cannot be written is only stale. */
  record(s: PassSummary): void {
    const d = this.#data;
    const at = new Date(this.#now()).toISOString();
    d.passes++;
    d.updatedAt = at;
    // In-memory scheduling hints, not counts: a Set would be written as {}.
    const { retrySoon: _r, interrupted: _i, retryDirs: _d, retryInMs: _w, ...counts } = s;
    d.lastPass = { ...counts, durationMs: Math.round(s.durationMs), endedAt: at };
    if (eventful(s)) {
      const recent = d.recent ??= [];
      recent.push(d.lastPass);
      if (recent.length > RECENT_PASSES) recent.splice(0, recent.length - RECENT_PASSES);
    }
    d.totals.copied += s.copied;
    d.totals.bytes += s.bytes;
    d.totals.deleted += s.deleted;
    d.totals.failed += s.failed;
    this.#write();
  }

  /** Writes the file (temp file + rename). Never throws. */
  #write(): void {
    const d = this.#data;
    const tmp = this.#path + TMP_SUFFIX;
    try {
      const h = this.#openTemp(tmp);
      try {
        h.truncate(0);
        h.writeAllSync(new TextEncoder().encode(JSON.stringify(d) + "\n"));
      } finally {
        h.close();
      }
      this.#fs.rename(tmp, this.#path);
    } catch { /* informational only */ }
  }
}

/** The `recent` passes of the status file a previous run left, so the chart survives a restart. */
function earlierPasses(fs: FileSystem, dest: string): LastPass[] {
  const recent = readStatus(fs, dest)?.recent;
  if (!Array.isArray(recent)) return [];
  return recent.filter((p) =>
    typeof p === "object" && p !== null && typeof p.endedAt === "string" &&
    typeof p.durationMs === "number"
  ).slice(-RECENT_PASSES);
}

/** True for a symlink (ELOOP) or a FIFO, device or folder (EINVAL) refused where a file was expected. */
function isPlanted(err: unknown): boolean {
  if (isSymlinkRefused(err)) return true;
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "EINVAL";
}

/** Reads the status file of `dest`, or `null` when it is missing or unreadable. */
export function readStatus(fs: FileSystem, dest: string): StatusData | null {
  try {
    const text = new TextDecoder().decode(fs.readFile(join(reservedDir(dest), STATUS_FILE)));
    const d = JSON.parse(text) as StatusData;
    return typeof d === "object" && d !== null && d.v === STATUS_VERSION ? d : null;
  } catch {
    return null;
  }
}
