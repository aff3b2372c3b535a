/**
 * The progress display of the daemon: listens to the reconciler
 * ({@link ProgressListener}) and, each throttled on its own clock, redraws a
 * terminal bar, logs a `PROGRESS:` line, and writes `--json` events.
 *
 * @module
 */

import type { FileOp } from "../engine/pass_plan.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { Trigger } from "../journal/record.ts";
import type { Logger } from "./log.ts";
import type { EventStream } from "./events.ts";
import { summaryJson } from "./events.ts";
import {
  byteRate,
  etaMs,
  formatBar,
  formatLine,
  planTotals,
  type ProgressView,
  Throttle,
} from "./progress.ts";
import { type OpOutcome, type ProgressListener } from "../engine/listener.ts";

/** How often the bar is redrawn, and how long a pass runs before it shows. */
export const BAR_EVERY_MS = 200;
/** A pass shorter than this shows no bar and no `progress` event. */
export const SHOW_AFTER_MS = 1000;
/** How often a `PROGRESS:` line is logged during a long pass (the first after as long). */
export const LINE_EVERY_MS = 10_000;
/** How often a `progress` event is written. */
export const EVENT_EVERY_MS = 1000;

/** Where the bar goes (see TerminalBar in lib/report/progress.ts). */
export interface BarTarget {
  /** Draws the line over the previous one. */
  draw(line: string): void;
  /** Removes it. */
  clear(): void;
}

/** What the run tells the reporter at start. */
export interface RunStart {
  /** Absolute source root. */
  source: string;
  /** Absolute destination root. */
  dest: string;
  /** One pass only. */
  once: boolean;
  /** Seconds between full passes. */
  interval: number;
  /** `--schedule`: the cron expression that times the full passes instead (absent without). */
  schedule?: string;
}

/** What `runBackup` needs of a progress display. */
export interface RunProgress extends ProgressListener {
  /** The run started (roots checked, logging set up). */
  started(info: RunStart): void;
}

/** Options for {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  /** The terminal bar (none: no bar). */
  bar?: BarTarget;
  /** Terminal width for the bar (default 80). */
  columns?: () => number;
  /** Logger for the periodic `PROGRESS:` line (none: no line). */
  log?: Logger;
  /** `--json` events (none: no events). */
  events?: EventStream;
  /** An `op` event for every operation, not only for failed ones (`--verbose`). */
  everyOp?: boolean;
  /** Clock (default `performance.now`; only differences are used). */
  now?: () => number;
}

/**
 * Turns reconciler callbacks into the bar, the log line and the events.
 * Per operation it only counts and compares the clock with the next due
 * time; text is made only when an output is due.
 */
export class ProgressReporter implements RunProgress {
  readonly #o: ProgressReporterOptions;
  readonly #now: () => number;
  readonly #bar = new Throttle(BAR_EVERY_MS, SHOW_AFTER_MS);
  readonly #line = new Throttle(LINE_EVERY_MS, LINE_EVERY_MS);
  readonly #event = new Throttle(EVENT_EVERY_MS, SHOW_AFTER_MS);
  #started = 0;
  #view: ProgressView = {
    pass: 0,
    ops: 0,
    opsDone: 0,
    files: 0,
    filesDone: 0,
    bytes: 0,
    bytesDone: 0,
    failed: 0,
    elapsedMs: 0,
  };

  /** See {@link ProgressReporterOptions}. */
  constructor(options: ProgressReporterOptions = {}) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The current pass's progress (a copy). */
  view(): ProgressView {
    return { ...this.#view, elapsedMs: this.#now() - this.#started };
  }

  /** Writes the `start` event. */
  started(info: RunStart): void {
    this.#o.events?.emit("start", { ...info });
  }

  /** Starts counting a pass; writes `pass-start`. */
  planned(pass: number, trigger: Trigger, ops: readonly FileOp[]): void {
    const t = planTotals(ops);
    this.#view = {
      pass,
      ops: t.ops,
      opsDone: 0,
      files: t.files,
      filesDone: 0,
      bytes: t.bytes,
      bytesDone: 0,
      failed: 0,
      elapsedMs: 0,
    };
    this.#started = this.#now();
    for (const th of [this.#bar, this.#line, this.#event]) th.reset(this.#started);
    this.#o.events?.emit("pass-start", { pass, trigger, ...t });
  }

  /** Adds a later chunk of the chunked initial copy to the totals (no event: `progress` events carry them). */
  morePlanned(ops: readonly FileOp[]): void {
    const t = planTotals(ops);
    this.#view.ops += t.ops;
    this.#view.files += t.files;
    this.#view.bytes += t.bytes;
  }

  /** Counts copied bytes. */
  copying(bytes: number): void {
    this.#view.bytesDone += bytes;
    this.#tick();
  }

  /** Counts one finished operation; writes an `op` event for a failure (or for any, with `everyOp`). */
  applied(
    op: FileOp["op"],
    path: string,
    bytes: number,
    outcome: OpOutcome,
    reason: string | null,
  ): void {
    const v = this.#view;
    v.opsDone++;
    if (op === "copy") v.filesDone++;
    if (outcome === "failed") v.failed++;
    if (this.#o.events && (outcome === "failed" || this.#o.everyOp)) {
      const fields: Record<string, unknown> = { pass: v.pass, op, path, ok: outcome === "ok" };
      if (op === "copy") fields.bytes = bytes;
      if (outcome === "skipped") fields.skipped = true;
      if (reason !== null) fields.reason = reason;
      this.#o.events.emit("op", fields);
    }
    this.#tick();
  }

  /** Clears the bar; writes the `pass` event. */
  ended(summary: PassSummary): void {
    for (const th of [this.#bar, this.#line, this.#event]) th.stop();
    this.#o.bar?.clear();
    this.#o.events?.emit("pass", { pass: summary.pass, summary: summaryJson(summary) });
  }

  #tick(): void {
    const now = this.#now();
    const { bar, log, events } = this.#o;
    if (bar && this.#bar.due(now)) bar.draw(formatBar(this.view(), this.#o.columns?.() ?? 80));
    if (log && this.#line.due(now)) {
      const v = this.view();
      log.info("{line}", { line: formatLine(v), ...v });
    }
    if (events && this.#event.due(now)) {
      const v = this.view();
      const eta = etaMs(v);
      const rate = byteRate(v);
      events.emit("progress", {
        ...v,
        elapsedMs: Math.round(v.elapsedMs),
        bytesPerSecond: rate === null ? null : Math.round(rate),
        etaSeconds: eta === null ? null : Math.round(eta / 1000),
      });
    }
  }
}
