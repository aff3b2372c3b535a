/**
 * A {@link RunProgress} that tells the dashboard's {@link LiveHub} about one
 * job's passes: every operation, and the progress of a pass at most every
 * {@link LIVE_EVERY_MS} (often enough for a bar that moves during a copy of
 * a fraction of a second: the kernel copies a 300 MB file in well under one).
 *
 * @module
 */

import type { FileOp } from "../engine/pass_plan.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { Trigger } from "../journal/record.ts";
import type { OpOutcome } from "../engine/listener.ts";
import type { RunProgress, RunStart } from "../report/progress_report.ts";
import { summaryJson } from "../report/events.ts";
import { planTotals } from "../report/progress.ts";
import type { LiveHub } from "./hub.ts";

/** How often a running pass's progress is pushed to the pages. */
export const LIVE_EVERY_MS = 100;

/** Feeds one job's passes into a {@link LiveHub}. */
export class LiveReporter implements RunProgress {
  readonly #hub: LiveHub;
  readonly #job: string;
  readonly #now: () => number;
  #pass = 0;
  #started = 0;
  #next = 0;
  #totals = { ops: 0, files: 0, bytes: 0 };
  #done = { opsDone: 0, filesDone: 0, bytesDone: 0, failed: 0 };

  /** Reports `job` into `hub`; `now` is a clock in ms (default `performance.now`). */
  constructor(hub: LiveHub, job: string, now: () => number = () => performance.now()) {
    this.#hub = hub;
    this.#job = job;
    this.#now = now;
  }

  /** The run started. */
  started(info: RunStart): void {
    this.#hub.emit(this.#job, "start", { ...info });
  }

  /** A pass has its plan. */
  planned(pass: number, trigger: Trigger, ops: readonly FileOp[]): void {
    this.#pass = pass;
    this.#totals = planTotals(ops);
    this.#done = { opsDone: 0, filesDone: 0, bytesDone: 0, failed: 0 };
    this.#started = this.#now();
    this.#next = this.#started + LIVE_EVERY_MS;
    this.#hub.emit(this.#job, "pass-start", { pass, trigger, ...this.#totals, ...this.#done });
  }

  /** A later chunk of the chunked initial copy: added to the totals. */
  morePlanned(ops: readonly FileOp[]): void {
    const t = planTotals(ops);
    this.#totals = {
      ops: this.#totals.ops + t.ops,
      files: this.#totals.files + t.files,
      bytes: this.#totals.bytes + t.bytes,
    };
  }

  /** Bytes copied. */
  copying(bytes: number): void {
    this.#done.bytesDone += bytes;
    this.#tick();
  }

  /** One operation finished. */
  applied(
    op: FileOp["op"],
    path: string,
    bytes: number,
    outcome: OpOutcome,
    reason: string | null,
  ): void {
    this.#done.opsDone++;
    if (op === "copy") this.#done.filesDone++;
    if (outcome === "failed") this.#done.failed++;
    const fields: Record<string, unknown> = { pass: this.#pass, op, path, outcome };
    if (op === "copy") fields.bytes = bytes;
    if (reason !== null) fields.reason = reason;
    this.#hub.emit(this.#job, "op", fields);
    this.#tick();
  }

  /** The pass is over. */
  ended(summary: PassSummary): void {
    this.#hub.emit(this.#job, "pass", { pass: summary.pass, summary: summaryJson(summary) });
  }

  #tick(): void {
    const now = this.#now();
    if (now < this.#next) return;
    this.#next = now + LIVE_EVERY_MS;
    const elapsedMs = Math.round(now - this.#started);
    const rate = elapsedMs > 0 ? Math.round(this.#done.bytesDone / (elapsedMs / 1000)) : null;
    const left = this.#totals.bytes - this.#done.bytesDone;
    this.#hub.emit(this.#job, "progress", {
      pass: this.#pass,
      ...this.#totals,
      ...this.#done,
      elapsedMs,
      bytesPerSecond: rate,
      etaSeconds: rate && rate > 0 && left > 0 ? Math.round(left / rate) : null,
    });
  }
}
