/**
 * The daemon loop: one pass at start, then one every interval, until aborted.
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
 * Runs passes until `once` is done or the signal aborts: a full pass at
 * start and every interval, and in between a partial pass over the folders
 * the watcher named (after a short debounce).
 *
 * @throws JournalIoError (fatal) from a pass; the caller must stop.
 */
export async function runDaemon(rec: Passes, options: DaemonOptions): Promise<RunTotals> {
  const totals: RunTotals = { passes: 0, lastFailed: 0, lastSkipped: null };
  const watcher = options.once ? undefined : options.watcher;
  let nextFull = 0;
  let wait = 0;
  let retry = false;
  let retryDirs = new Set<string>();
  while (!options.signal?.aborted) {
    // Without a watcher, a retry is a full pass; with one, a pass over the folders concerned.
    let full = Date.now() >= nextFull || (retry && retryDirs.size === 0) || !watcher?.active;
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
    if (full) nextFull = Date.now() + options.intervalMs;
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
      wait = retry ? RETRY_SOON_MS : 0;
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
    await nextWake(watcher, retry ? wait : Math.max(0, nextFull - Date.now()), options.signal);
  }
  return totals;
}

/** Sleeps until `ms` pass, a hint arrives (then debounces), or the signal aborts. */
async function nextWake(
  watcher: HintSource | undefined,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!watcher?.active) return sleep(ms, signal);
  const local = new AbortController();
  const both = signal ? AbortSignal.any([signal, local.signal]) : local.signal;
  const timer = sleep(ms, both);
  const hint = watcher.waitForHint(both).then(() => "hint" as const);
  const first = await Promise.race([timer.then(() => "time" as const), hint]);
  local.abort();
  await Promise.all([timer, hint]);
  if (first === "hint" && !signal?.aborted) await sleep(DEBOUNCE_MS, signal);
}
