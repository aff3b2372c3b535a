/**
 * File-system events as hints: a recursive watch of the source turns events
 * into a set of dirty folders for the reconciler to rescan. Hints are never
 * the truth: `Deno.watchFs` was measured here to drop events silently, so the
 * interval reconcile still runs, and anything doubtful (a `rescan` flag, an
 * error, too many hints) asks for a full pass instead.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import { describeError } from "../base/errors.ts";
import { parentOf } from "../base/paths.ts";
import { IGNORE_FILE } from "../engine/excludes.ts";
import { sleep } from "../base/timing.ts";

/** What the watcher has gathered since it was last drained. */
export interface Hints {
  /** Relative folders whose direct children changed (`""` is the root). */
  dirs: Set<string>;
  /** Something was missed or doubtful: a full reconcile is needed. */
  full: boolean;
}

/** Options for {@link Watcher}. */
export interface WatcherOptions {
  /** Logger for watcher trouble. */
  log: Logger;
  /** More dirty folders than this become a full reconcile (default 1000). */
  maxDirs?: number;
  /** First restart delay after a failure, doubled up to 30 s (default 100 ms). */
  backoffMs?: number;
  /** How long {@link Watcher.close} waits for the watch to end (default {@link CLOSE_WAIT_MS}). */
  closeWaitMs?: number;
}

/**
 * How long closing waits for Deno's watcher to end. Its thread can be stuck in the kernel for
 * good (measured: a FIFO created in a watched source leaves it waiting in `open` for a writer),
 * and then closing it never ends the iteration; shutdown must not wait on it.
 */
export const CLOSE_WAIT_MS = 2000;

/** True for errors that mean the kernel's watch limit is reached. */
function isWatchLimit(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /inotify|No space left on device|os error 28|Too many open files|os error 24/i.test(msg);
}

/** Watches the source root and collects hints; call {@link Watcher.drain} to take them. */
export class Watcher {
  #fs: FileSystem;
  #root: string;
  #o: WatcherOptions;
  #hints: Hints = { dirs: new Set(), full: false };
  #closed = false;
  #current: { close(): void } | null = null;
  #wake: (() => void) | null = null;
  #running: Promise<void> | null = null;
  #failures = 0;
  #limitReached = false;
  /** Events received since the last {@link Watcher.afterFullPass}. */
  #events = 0;
  /** Set by {@link Watcher.afterFullPass}: the current watch is being replaced, not failing. */
  #restarting = false;
  #restarts = 0;

  /** Prepares a watcher of the absolute source root `root`; {@link Watcher.start} starts it. */
  constructor(fs: FileSystem, root: string, options: WatcherOptions) {
    this.#fs = fs;
    this.#root = root;
    this.#o = options;
  }

  /** Starts watching in the background (restarting with backoff after failures). */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** True while the watcher is usable (not given up because of the watch limit). */
  get active(): boolean {
    return !this.#closed && !this.#limitReached;
  }

  /** Number of times the watch failed and was restarted. */
  get failures(): number {
    return this.#failures;
  }

  /** Number of times a silent watch was replaced ({@link Watcher.afterFullPass}). */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Called after each full pass with the changes it found that the watcher
   * never named. A watch that delivered no event at all since the last full
   * pass while the source changed has stopped delivering (measured: Deno's
   * watcher thread blocks for good in `open` on a FIFO created in the source):
   * it is replaced by a new one, with a warning, and the live hints resume.
   * A watch that delivered some events but missed others is left alone
   * (Deno's watcher drops events now and then; the full passes cover that).
   * Returns true when it restarted the watch.
   */
  afterFullPass(missed: number): boolean {
    const silent = this.#events === 0;
    this.#events = 0;
    if (missed === 0 || !silent || !this.active || this.#current === null) return false;
    this.#restarts++;
    this.#o.log.warn(
      "WATCHER SILENT: {missed} changes in {root} since the last full pass and no event; restarting it",
      { missed, root: this.#root },
    );
    this.#restarting = true;
    this.#current.close(); // ends the iteration at once, even when its thread is stuck
    return true;
  }

  /** True when hints are waiting. */
  get pending(): boolean {
    return this.#hints.full || this.#hints.dirs.size > 0;
  }

  /** Takes the gathered hints and starts a new set. */
  drain(): Hints {
    const h = this.#hints;
    this.#hints = { dirs: new Set(), full: false };
    return h;
  }

  /** Resolves when a hint arrives (or at once if one is waiting). */
  waitForHint(signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = null;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Stops watching. Waits for the watch to end, at most `closeWaitMs`: a watch stuck in the
   * kernel is left behind with a warning (the process is about to exit, which ends it).
   * Resolves to false when it was left behind.
   */
  async close(): Promise<boolean> {
    this.#closed = true;
    this.#current?.close();
    this.#wake?.();
    if (this.#running === null) return true;
    const waitMs = this.#o.closeWaitMs ?? CLOSE_WAIT_MS;
    const timer = new AbortController();
    const ended = await Promise.race([
      this.#running.then(() => true),
      sleep(waitMs, timer.signal).then(() => false),
    ]);
    timer.abort();
    if (!ended) {
      this.#o.log.warn(
        "WATCHER DID NOT STOP within {seconds} s: its thread is stuck (a FIFO in {root}?); going on without it",
        { seconds: waitMs / 1000, root: this.#root },
      );
    }
    return ended;
  }

  #notify(): void {
    this.#wake?.();
  }

  /** Records a hint for one absolute path. */
  #hint(abs: string): void {
    if (this.#hints.full) return; // a full pass covers it
    if (abs !== this.#root && !abs.startsWith(this.#root + "/")) return;
    const rel = abs === this.#root ? "" : abs.slice(this.#root.length + 1);
    if (rel === "") {
      this.#hints.dirs.add("");
      return;
    }
    if (rel.includes("\uFFFD")) {
      // Deno reports a name that is not UTF-8 with U+FFFD, which names no folder the scan can
      // list: only a full pass (which lists by bytes) finds what changed there.
      this.#hints.full = true;
      this.#hints.dirs.clear();
      return;
    }
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    if (name === IGNORE_FILE) {
      // Exclude rules changed: what they cover may lie anywhere below, so look at everything.
      this.#hints.full = true;
      this.#hints.dirs.clear();
      return;
    }
    this.#hints.dirs.add(parentOf(rel));
    // The path may itself be a folder whose content changed or that was just created.
    this.#hints.dirs.add(rel);
    if (this.#hints.dirs.size > (this.#o.maxDirs ?? 1000)) {
      this.#hints.full = true;
      this.#hints.dirs.clear();
    }
  }

  async #loop(): Promise<void> {
    let backoff = this.#o.backoffMs ?? 100;
    while (!this.#closed) {
      try {
        const watch = this.#fs.watch(this.#root);
        this.#current = watch;
        for await (const ev of watch) {
          this.#events++;
          backoff = this.#o.backoffMs ?? 100;
          if (ev.kind === "access") continue;
          if (ev.flag === "rescan") this.#hints.full = true;
          for (const p of ev.paths) this.#hint(p);
          this.#notify();
        }
        if (this.#closed) return;
        if (this.#restarting) {
          // Replaced on purpose (afterFullPass): what changed meanwhile is for a full pass.
          this.#restarting = false;
          this.#hints.full = true;
          this.#notify();
          continue;
        }
        throw new Error("the watch ended by itself");
      } catch (err) {
        if (this.#closed) return;
        if (this.#restarting) {
          this.#restarting = false;
          this.#hints.full = true;
          this.#notify();
          continue;
        }
        if (isWatchLimit(err)) {
          this.#limitReached = true;
          this.#o.log.warn(
            "WATCH LIMIT REACHED on {root} ({reason}): live changes are off, the interval reconcile goes on. " +
              "Raise fs.inotify.max_user_watches to turn them back on",
            { root: this.#root, reason: describeError(err) },
          );
          return;
        }
        this.#failures++;
        // Whatever happened while the watch was down is unknown: reconcile everything.
        this.#hints.full = true;
        this.#notify();
        this.#o.log.warn("WATCHER FAILED: {reason}; full reconcile, restarting in {ms} ms", {
          reason: describeError(err),
          ms: backoff,
        });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      } finally {
        this.#current = null;
      }
    }
  }
}
