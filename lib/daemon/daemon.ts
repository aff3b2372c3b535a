/**
 * The daemon loop: one pass at start, then one every interval (paced by the
 * last full pass's duration, see {@link fullPassGap}), until aborted.
 * Timers only wake the loop; the reconciler alone changes state.
 *
 * @module
 */

import type { PassOptions } from "../engine/reconciler.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { Trigger } from "../journal/record.ts";
import type { Hints } from "./watch.ts";
import type { Logger } from "../base/logger.ts";
import { describeError, JournalIoError } from "../base/errors.ts";
import { sleep } from "../base/timing.ts";

export { sleep };

/** How soon to pass again after a source changed under a copy. */
export const RETRY_SOON_MS = 1000;

/** Options for {@link runDaemon}. */
export interface DaemonOptions {
  /** Milliseconds between passes. */
  intervalMs: number;
  /** Do one pass and return. */
  once?: boolean;
  /** Stops the loop (after the current batch). */
  signal?: AbortSignal;
  /** Called after every pass. */
  onPass?: (summary: PassSummary) => void;
  /** Called when a pass throws (before the loop retries, or rethrows a fatal error). */
  onPassError?: (err: unknown) => void;
  /** Where a failed pass is reported (the loop goes on). */
  log?: Logger;
  /** Live hints (none: interval passes only). */
  watcher?: HintSource;
  /**
   * Full passes at these times instead of every `intervalMs` (`--schedule`, see schedule.ts).
   * The first full pass waits for the first time, except with a watcher: live updates need a
   * whole mirror to keep up to date, so then a full pass runs at start too.
   */
  schedule?: { next(after: number): number | null };
  /** Called with the time (ms) of the next full pass each time it is set (with `schedule`). */
  onNextFull?: (at: number) => void;
  /** The clock (tests inject one); `Date.now` by default. */
  now?: () => number;
  /** Work done between passes when it is due (the rolling verification, `--verify-every`). */
  between?: BetweenPasses;
}

/** Work the loop does between passes, a bounded slice at a time (lib/engine/verify_rolling.ts). */
export interface BetweenPasses {
  /** Milliseconds until a slice is due (0: now). */
  dueInMs(): number;
  /** Does one slice; never throws. */
  slice(signal?: AbortSignal): Promise<void>;
}

/** Totals over a run. */
export interface RunTotals {
  /** Passes run. */
  passes: number;
  /** Failed operations (and deletions held by the guard) in the last pass. */
  lastFailed: number;
  /** Last pass was skipped (source or destination unavailable). */
  lastSkipped: string | null;
}

/** What the daemon needs from a watcher (see lib/daemon/watch.ts). */
export interface HintSource {
  /** False once watching has been given up (watch limit). */
  readonly active: boolean;
  /** True when hints are waiting. */
  readonly pending: boolean;
  /** Resolves when a hint arrives. */
  waitForHint(signal?: AbortSignal): Promise<void>;
  /** Takes the hints gathered so far. */
  drain(): Hints;
  /** After a full pass: the changes the watcher missed (it restarts a watch that went silent). */
  afterFullPass?(missed: number): boolean;
}

/** What the daemon drives (the reconciler). */
export interface Passes {
  /** One pass: full, or over some folders. */
  pass(trigger: Trigger, options?: PassOptions): Promise<PassSummary>;
  /** Upkeep between passes: prunes versions when due, compacts the journal when large. */
  maintain?(): Promise<unknown>;
}

/** How long hints gather after the first one before a pass runs. */
export const DEBOUNCE_MS = 40;

/**
 * Full passes are paced: the next one starts `interval` after the last one
 * ended, and never sooner than this many times the last full pass's duration
 * after it ended. A full pass then takes at most 1/(1 + PACE) of the time
 * (about 5 % of one core), however large the tree and short the interval.
 * Twenty, not ten: a pass over a million cached files is CPU-bound (its wall
 * time is its CPU time), and at ten the idle daemon measured 10.8 % of a core
 * (docs/benchmarks.md), over issue 14's 10 %.
 */
export const FULL_PASS_PACE = 20;

/**
 * The wait after a full pass that took `passMs`, for an interval of
 * `intervalMs` (see {@link FULL_PASS_PACE}). A change the watcher missed is
 * found by the next full pass: at most this wait plus two passes' durations
 * after it was made.
 */
export function fullPassGap(intervalMs: number, passMs: number): number {
  return Math.max(intervalMs, FULL_PASS_PACE * passMs);
}

/**
 * Runs passes until `once` is done or the signal aborts: a full pass at
 * start, and again {@link fullPassGap} after each one ended (the interval, or
 * {@link FULL_PASS_PACE} times the pass's duration if that is longer); in
 * between, a partial pass over the folders the watcher named (after a short
 * debounce).
 *
 * @throws JournalIoError (fatal) from a pass; the caller must stop.
 */
export async function runDaemon(rec: Passes, options: DaemonOptions): Promise<RunTotals> {
  const totals: RunTotals = { passes: 0, lastFailed: 0, lastSkipped: null };
  const watcher = options.once ? undefined : options.watcher;
  const now = options.now ?? Date.now;
  const schedule = options.once ? undefined : options.schedule;
  const nextTime = (t: number) => schedule ? schedule.next(t) ?? Infinity : t + options.intervalMs;
  let nextFull = schedule && !watcher ? nextTime(now()) : 0;
  if (schedule && nextFull > 0) options.onNextFull?.(nextFull);
  let wait = 0;
  let retry = false;
  let retryDirs = new Set<string>();
  while (!options.signal?.aborted) {
    // With a schedule, a wait is cut in slices (a timer cannot wait past 24 days) and a hint may
    // find nothing to do: before the time, with no retry and no hint waiting, wait again.
    if (schedule && !retry && now() < nextFull && !(watcher?.active && watcher.pending)) {
      await nextWake(watcher, nextFull - now(), options.signal);
      continue;
    }
    // Without a watcher, a retry is a full pass; with one, a pass over the folders concerned.
    let full = now() >= nextFull || (retry && retryDirs.size === 0) || !watcher?.active;
    let passOptions: PassOptions = {};
    let trigger: Trigger = "scan";
    if (watcher?.active) {
      const hints = watcher.drain();
      if (hints.full) full = true;
      if (full) {
        // Changes this scan finds outside the folders the watcher named were missed by it. When
        // the watcher itself asked for the full pass (a changed .backupignore, an overflow), it
        // named nothing on purpose: its changes are not "missed".
        if (totals.passes > 0 && !hints.full) passOptions = { hinted: hints.dirs };
      } else {
        for (const d of retryDirs) hints.dirs.add(d);
        passOptions = { dirs: hints.dirs };
        trigger = "watch";
      }
    }
    const started = now();
    if (full && schedule) {
      nextFull = nextTime(now());
      options.onNextFull?.(nextFull);
    }
    totals.passes++;
    try {
      const summary = await rec.pass(trigger, passOptions);
      if (full) watcher?.afterFullPass?.(summary.missed);
      totals.lastFailed = summary.failed + summary.held;
      totals.lastSkipped = summary.skipped;
      options.onPass?.(summary);
      // Between passes, nothing else appends: the journal can be checkpointed and trimmed.
      await rec.maintain?.();
      retry = summary.retrySoon;
      retryDirs = summary.retryDirs;
      // A busy file (still being written) asks for its own, growing delay; capped at the interval.
      wait = retry ? Math.min(summary.retryInMs || RETRY_SOON_MS, options.intervalMs) : 0;
    } catch (err) {
      options.onPassError?.(err);
      // Only a lost journal (fsync failed) stops the daemon; anything else is retried.
      if (err instanceof JournalIoError && err.fatal) throw err;
      if (options.once) throw err;
      totals.lastFailed++;
      retry = true;
      retryDirs = new Set();
      wait = Math.min(options.intervalMs, 5_000);
      options.log?.error("PASS FAILED: {reason}; retrying in {seconds} s", {
        reason: describeError(err),
        seconds: wait / 1000,
      });
    }
    if (options.once) break;
    // Without a schedule, full passes are paced from the end of the last one (fullPassGap).
    if (full && !schedule) nextFull = now() + fullPassGap(options.intervalMs, now() - started);
    const until = Date.now() + (retry ? wait : Math.max(0, nextFull - now()));
    if (options.between) await between(options.between, watcher, until, options.signal);
    else await nextWake(watcher, until - Date.now(), options.signal);
  }
  return totals;
}

/** The longest single wait (a timer's limit, about 24.8 days); longer waits are cut in slices. */
const MAX_WAIT_MS = 2 ** 31 - 1;

/**
 * Until the time `until` or a hint: the slices of `work` whenever they are due, asleep
 * otherwise. Hints waiting come first: a slice never starts while a live change waits.
 */
async function between(
  work: BetweenPasses,
  watcher: HintSource | undefined,
  until: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  while (!signal?.aborted) {
    const untilPass = until - Date.now();
    if (untilPass <= 0) return;
    if (watcher?.active && watcher.pending) {
      await nextWake(watcher, untilPass, signal);
      return;
    }
    const due = work.dueInMs();
    if (due <= 0) {
      await work.slice(signal);
      continue;
    }
    if (due >= untilPass) {
      await nextWake(watcher, untilPass, signal);
      return;
    }
    if (await nextWake(watcher, due, signal) === "hint") return;
  }
}

/** Sleeps until `ms` pass (at most {@link MAX_WAIT_MS}), a hint arrives (then debounces), or the signal aborts. */
async function nextWake(
  watcher: HintSource | undefined,
  wanted: number,
  signal: AbortSignal | undefined,
): Promise<"time" | "hint"> {
  const ms = Math.min(Math.max(0, wanted), MAX_WAIT_MS);
  if (!watcher?.active) {
    await sleep(ms, signal);
    return "time";
  }
  const local = new AbortController();
  const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
  const timer = sleep(ms, both);
  const hint = watcher.waitForHint(both).then(() => "hint" as const);
  const first = await Promise.race([timer.then(() => "time" as const), hint]);
  local.abort();
  await Promise.all([timer, hint]);
  if (first === "hint" && !signal?.aborted) await sleep(DEBOUNCE_MS, signal);
  return first;
}
