/**
 * The daemon's rolling verification (`--verify-every 30d`): the whole mirror
 * is re-read and hashed once per period, in small slices spread evenly over
 * it, between passes, so that no one has to remember to run `backup verify`.
 *
 * Pace: a round takes a snapshot of the files the state holds (sorted by path)
 * and plans to finish one period after it started: a slice is due when the
 * share of the round it has done falls behind the share of the period gone
 * (each file counts its size plus {@link FILE_COST}). A slice reads at most
 * {@link SLICE_BYTES} or {@link SLICE_FILES} files (a larger file is read
 * whole), and after a slice that took t ms the next waits at least
 * {@link REST_FACTOR} times t, so verification never takes more than a fifth
 * of the time (of the disk, roughly) whatever the period. 1 TiB over 30 days
 * is a read rate of about 0.4 MiB/s: a 16 MiB slice every 40 s or so.
 *
 * Where the round is (its start and the last path done) is saved in
 * `DEST/.backup/verify.json` after each slice, so a daemon restarted every
 * day still covers the whole mirror. Mismatches go to `onMismatch` (the
 * daemon logs them as errors and fires `--on-error`); damaged files whose
 * source still holds the copied content are handed to `distrust`, so the next
 * full pass recopies them. Where it is ({@link VerifyProgress}: the round's
 * files and bytes done of its total, its start, the last full round, kept in
 * `verify.json` too) goes to `onProgress` at start and after every slice; the
 * daemon writes it into `status.json` for `backup status` and the dashboard.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination } from "../dest/destination.ts";
import type { Logger } from "../base/logger.ts";
import type { StateEntry } from "../journal/state.ts";
import { isMissing } from "../base/fs.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { createHasher, type Hasher } from "../base/hash.ts";
import { join } from "../base/paths.ts";
import { formatBytes } from "../base/units.ts";
import { reservedDir, VERIFY_FILE } from "../base/layout.ts";
import { replacePrivate } from "../dest/reserved.ts";
import { type Finding, isVerifiable, Verifier } from "./verify.ts";

/** Most bytes one slice reads (a larger file is read whole, alone). */
export const SLICE_BYTES = 16 * 1024 * 1024;
/** Most files one slice reads. */
export const SLICE_FILES = 256;
/** What a file costs the pace besides its bytes (opening, a stat, a small read). */
export const FILE_COST = 4096;
/** After a slice that took t ms, the next waits at least this many times t. */
export const REST_FACTOR = 4;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest period: ten years. */
const MAX_PERIOD_MS = 3650 * UNITS.d!;

/**
 * Parses `--verify-every`: a number with a unit, `s`, `m`, `h` or `d` (`30d`,
 * `12h`, `90s`), or a bare number of seconds. Returns milliseconds.
 *
 * @throws UsageError naming the flag.
 */
export function parseVerifyEvery(raw: string): number {
  const m = /^\s*(\d*\.?\d+)\s*([smhd]?)\s*$/.exec(raw);
  const ms = m ? Number(m[1]) * UNITS[m[2] || "s"]! : NaN;
  if (!(ms >= 1000) || ms > MAX_PERIOD_MS) {
    throw new UsageError(
      `--verify-every takes a period such as 30d, 12h or 90m (at least 1 s, at most 3650d), not "${raw}"`,
    );
  }
  return ms;
}

/** The last round that read the whole mirror, as saved in `verify.json`. */
interface FinishedRound {
  /** When it ended (ms since the epoch). */
  ended: number;
  /** Files it re-read. */
  files: number;
  /** Bytes of its files (the journal's sizes). */
  bytes: number;
  /** Mismatches it found. */
  mismatches: number;
}

/** Where a round is, as saved in `verify.json`. */
interface Cursor {
  /** When the round started (ms since the epoch). */
  started: number;
  /** The last path done (paths sort after it are still to do), or "" at the start. */
  after: string;
  /** Mismatches found so far in the round. */
  mismatches: number;
  /** The last round finished, or null before the first. */
  last: FinishedRound | null;
}

/**
 * How far the rolling verification is, for `backup status`, `status.json` and the dashboard.
 * Times are ISO 8601 UTC; byte counts are the journal's sizes of the files.
 */
export interface VerifyProgress {
  /** The period of a round (`--verify-every`), in ms. */
  periodMs: number;
  /** The round under way, or null between rounds. */
  round: {
    /** When it started. */
    startedAt: string;
    /** When it is planned to end (a period after it started). */
    dueAt: string;
    /** Files verified (or passed over as no longer in the backup) of the round's files. */
    files: number;
    /** The files of the round (the state's when it started). */
    totalFiles: number;
    /** Bytes verified. */
    bytes: number;
    /** Bytes of the round's files. */
    totalBytes: number;
    /** Mismatches found so far. */
    mismatches: number;
  } | null;
  /** When the next round starts, between rounds (null during one). */
  nextRoundAt: string | null;
  /** The last round that read the whole backup, or null before the first. */
  lastRound: { endedAt: string; files: number; bytes: number; mismatches: number } | null;
}

/** A round: its snapshot of paths and how far it got. */
interface Round extends Omit<Cursor, "last"> {
  paths: string[];
  costs: number[];
  total: number;
  index: number;
  done: number;
  bytes: number;
}

/** What a {@link RollingVerifier} works with. */
export interface RollingOptions {
  /** The period in which the whole mirror is read once. */
  periodMs: number;
  /** File system port (the source, and `verify.json` in the reserved folder). */
  fs: FileSystem;
  /** Absolute destination root (for `verify.json`). */
  dest: string;
  /** The destination, read through its interface. */
  destination: Destination;
  /** Absolute source root. */
  source: string;
  /** The state's entries as they are now (read between passes). */
  entries: () => ReadonlyMap<string, StateEntry>;
  /** Where rounds are logged. */
  log: Logger;
  /** Mismatches found by a slice (called once per slice that found some). */
  onMismatch: (findings: Finding[]) => void;
  /** Damaged files the next full pass should check by hash and recopy. */
  distrust?: (paths: string[]) => void;
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Where the verification is: once at construction, then after every slice. */
  onProgress?: (progress: VerifyProgress) => void;
}

/** Reads the mirror once per period, a slice at a time; never throws. */
export class RollingVerifier {
  readonly #o: RollingOptions;
  readonly #now: () => number;
  #round: Round | null = null;
  /** When the next round may start (after a round ended). */
  #nextStart: number;
  /** Earliest time of the next slice (the rest after the last one). */
  #restUntil = 0;
  #hasher: Hasher | null = null;
  #verifier: Verifier | null = null;
  #saved: Cursor | null;
  #last: FinishedRound | null;

  /** A verifier that resumes the round saved in the destination, if any. */
  constructor(options: RollingOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#saved = this.#load();
    this.#last = this.#saved?.last ?? null;
    this.#nextStart = this.#saved?.started ?? this.#now();
    this.#report();
  }

  /**
   * Where the verification is. A round a restart left half done is resumed here (its snapshot
   * taken), so that its progress shows before its next slice.
   */
  progress(): VerifyProgress {
    if (this.#round === null && this.#saved !== null && this.#saved.after !== "") this.#begin();
    const round = this.#round;
    const iso = (ms: number) => new Date(ms).toISOString();
    const last = this.#last;
    return {
      periodMs: this.#o.periodMs,
      round: round === null ? null : {
        startedAt: iso(round.started),
        dueAt: iso(round.started + this.#o.periodMs),
        files: round.index,
        totalFiles: round.paths.length,
        bytes: round.done - round.index * FILE_COST,
        totalBytes: round.total - round.paths.length * FILE_COST,
        mismatches: round.mismatches,
      },
      nextRoundAt: round === null ? iso(this.#nextStart) : null,
      lastRound: last === null ? null : {
        endedAt: iso(last.ended),
        files: last.files,
        bytes: last.bytes,
        mismatches: last.mismatches,
      },
    };
  }

  /** Hands {@link progress} to `onProgress`; never throws. */
  #report(): void {
    if (!this.#o.onProgress) return;
    try {
      this.#o.onProgress(this.progress());
    } catch (err) {
      this.#o.log.warn("VERIFY PROGRESS NOT SHOWN: {reason}", { reason: describeError(err) });
    }
  }

  /** Milliseconds until the next slice is due (0: now). */
  dueInMs(): number {
    const now = this.#now();
    const round = this.#round;
    let due: number;
    if (round === null) due = this.#nextStart;
    else if (round.total === 0) due = round.started;
    else due = round.started + this.#o.periodMs * (round.done / round.total);
    return Math.max(0, due - now, this.#restUntil - now);
  }

  /** Verifies one slice (starting or ending a round as due). Logs what goes wrong; never throws. */
  async slice(signal?: AbortSignal): Promise<void> {
    const started = performance.now();
    try {
      await this.#slice(signal);
    } catch (err) {
      this.#o.log.error("VERIFY SLICE FAILED: {reason}; tried again later", {
        reason: describeError(err),
      });
    }
    const took = performance.now() - started;
    this.#restUntil = this.#now() + took * REST_FACTOR;
    this.#report();
  }

  async #slice(signal?: AbortSignal): Promise<void> {
    const round = this.#round ?? this.#begin();
    const entries = this.#o.entries();
    this.#verifier ??= new Verifier({
      fs: this.#o.fs,
      destination: this.#o.destination,
      source: this.#o.source,
      hasher: this.#hasher ??= await createHasher(),
    });
    const findings: Finding[] = [];
    let bytes = 0;
    let files = 0;
    while (round.index < round.paths.length && files < SLICE_FILES && bytes < SLICE_BYTES) {
      if (signal?.aborted) break;
      const path = round.paths[round.index]!;
      const cost = round.costs[round.index]!;
      const entry = entries.get(path);
      // What the state no longer holds as a verifiable file (deleted, replaced) is passed over.
      if (entry && isVerifiable(entry)) {
        const checked = await this.#verifier.check(path, entry);
        if (checked.finding) findings.push(checked.finding);
        bytes += checked.bytes;
        round.bytes += checked.bytes;
      }
      files++;
      round.index++;
      round.done += cost;
      round.after = path;
    }
    if (findings.length > 0) {
      round.mismatches += findings.length;
      const fixable = findings.filter((f) => f.repairable).map((f) => f.path);
      if (fixable.length > 0) this.#o.distrust?.(fixable);
      this.#o.onMismatch(findings);
    }
    if (round.index >= round.paths.length) this.#end(round);
    else this.#save(round);
  }

  /** Starts a round (resuming a saved one): a snapshot of the state's files, sorted. */
  #begin(): Round {
    const entries = this.#o.entries();
    const paths = [...entries.keys()].filter((p) => isVerifiable(entries.get(p)!)).sort();
    const costs = paths.map((p) => entries.get(p)!.size + FILE_COST);
    const total = costs.reduce((a, b) => a + b, 0);
    const saved = this.#saved;
    this.#saved = null;
    const round: Round = {
      started: saved?.started ?? this.#now(),
      after: saved?.after ?? "",
      mismatches: saved?.mismatches ?? 0,
      paths,
      costs,
      total,
      index: 0,
      done: 0,
      bytes: 0,
    };
    if (round.after !== "") {
      while (round.index < paths.length && paths[round.index]! <= round.after) {
        round.done += costs[round.index++]!;
      }
    }
    this.#round = round;
    if (saved === null) {
      this.#o.log.info(
        "VERIFY ROUND STARTED: {files} files ({size}) to re-read by {end}",
        {
          files: paths.length,
          size: formatBytes(total - paths.length * FILE_COST),
          end: new Date(round.started + this.#o.periodMs).toISOString(),
        },
      );
    }
    return round;
  }

  /** Ends a round: logs it, and schedules the next one a period after this one started. */
  #end(round: Round): void {
    const now = this.#now();
    const late = now - (round.started + this.#o.periodMs);
    this.#o.log[round.mismatches > 0 ? "error" : "info"](
      "VERIFY ROUND DONE: {files} files re-read ({size}), {mismatches} mismatches{late}",
      {
        files: round.paths.length,
        size: formatBytes(round.bytes),
        mismatches: round.mismatches,
        late: late > 60_000 ? `, ${Math.round(late / 60_000)} min later than planned` : "",
      },
    );
    this.#round = null;
    this.#nextStart = Math.max(now, round.started + this.#o.periodMs);
    this.#last = {
      ended: now,
      files: round.paths.length,
      // What the round covered (a resumed round read only its part in this process).
      bytes: round.total - round.paths.length * FILE_COST,
      mismatches: round.mismatches,
    };
    this.#save({ started: this.#nextStart, after: "", mismatches: 0, last: this.#last });
  }

  #file(): string {
    return join(reservedDir(this.#o.dest), VERIFY_FILE);
  }

  #save(cursor: Omit<Cursor, "last"> & { last?: FinishedRound | null }): void {
    const { started, after, mismatches } = cursor;
    const last = cursor.last ?? this.#last;
    try {
      replacePrivate(
        this.#o.fs,
        this.#file(),
        JSON.stringify({ started, after, mismatches, last }),
      );
    } catch (err) {
      this.#o.log.warn("VERIFY PROGRESS NOT SAVED: {reason}", { reason: describeError(err) });
    }
  }

  #load(): Cursor | null {
    try {
      const text = new TextDecoder().decode(this.#o.fs.readFile(this.#file()));
      const c = JSON.parse(text) as Partial<Cursor>;
      if (
        typeof c.started === "number" && Number.isFinite(c.started) &&
        typeof c.after === "string" && typeof c.mismatches === "number" &&
        c.started <= this.#now() + this.#o.periodMs
      ) {
        return {
          started: c.started,
          after: c.after,
          mismatches: c.mismatches,
          last: finishedRound(c.last),
        };
      }
    } catch (err) {
      if (!isMissing(err) && !(err instanceof SyntaxError)) {
        this.#o.log.warn("VERIFY PROGRESS NOT READ: {reason}; a new round starts", {
          reason: describeError(err),
        });
      }
    }
    return null;
  }
}

/** A saved last round, or null when absent (older files) or not one. */
function finishedRound(value: unknown): FinishedRound | null {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  const numbers = ["ended", "files", "bytes", "mismatches"].every((k) =>
    typeof r[k] === "number" && Number.isFinite(r[k])
  );
  return numbers
    ? {
      ended: r.ended as number,
      files: r.files as number,
      bytes: r.bytes as number,
      mismatches: r.mismatches as number,
    }
    : null;
}
