/**
 * The daemon loop: one pass at start, then one every interval, until aborted.
 * Timers only wake the loop; the reconciler alone changes state.
 *
 * @module
 */

import type { PassSummary } from "./reconciler.ts";
import type { Logger } from "./log.ts";
import { describeError, JournalIoError } from "./errors.ts";

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
  /** Where a failed pass is reported (the loop goes on). */
  log?: Logger;
}

/** Totals over a run. */
export interface RunTotals {
  /** Passes run. */
  passes: number;
  /** Failed operations in the last pass. */
  lastFailed: number;
  /** Last pass was skipped (source or destination unavailable). */
  lastSkipped: string | null;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs passes until `once` is done or the signal aborts.
 *
 * @throws JournalIoError (fatal) from a pass; the caller must stop.
 */
export async function runDaemon(
  rec: { pass(trigger: "scan"): Promise<PassSummary> },
  options: DaemonOptions,
): Promise<RunTotals> {
  const totals: RunTotals = { passes: 0, lastFailed: 0, lastSkipped: null };
  while (!options.signal?.aborted) {
    let wait = options.intervalMs;
    totals.passes++;
    try {
      const summary = await rec.pass("scan");
      totals.lastFailed = summary.failed;
      totals.lastSkipped = summary.skipped;
      options.onPass?.(summary);
      if (summary.retrySoon) wait = Math.min(wait, RETRY_SOON_MS);
    } catch (err) {
      // Only a lost journal (fsync failed) stops the daemon; anything else is retried.
      if (err instanceof JournalIoError && err.fatal) throw err;
      if (options.once) throw err;
      totals.lastFailed++;
      options.log?.error("PASS FAILED: {reason}; retrying in {seconds} s", {
        reason: describeError(err),
        seconds: wait / 1000,
      });
    }
    if (options.once) break;
    await sleep(wait, options.signal);
  }
  return totals;
}
