/**
 * One {@link RunProgress} that tells several: the console's reporter and the
 * dashboard's, say. Each listener is called in order; the listeners'
 * contract (cheap, never throws) is theirs to keep.
 *
 * @module
 */

import type { FileOp } from "../engine/pass_plan.ts";
import type { PassSummary } from "../engine/summary.ts";
import type { Trigger } from "../journal/record.ts";
import type { OpOutcome } from "../engine/listener.ts";
import type { RunProgress, RunStart } from "./progress_report.ts";

/** Calls every listener of `listeners` for each callback. */
export class ProgressTee implements RunProgress {
  readonly #all: readonly RunProgress[];

  /** Tells each of `listeners`, in order. */
  constructor(listeners: readonly RunProgress[]) {
    this.#all = listeners;
  }

  /** The run started. */
  started(info: RunStart): void {
    for (const l of this.#all) l.started(info);
  }

  /** A pass has its plan. */
  planned(pass: number, trigger: Trigger, ops: readonly FileOp[]): void {
    for (const l of this.#all) l.planned(pass, trigger, ops);
  }

  /** Tells every listener that has it. */
  morePlanned(ops: readonly FileOp[]): void {
    for (const l of this.#all) l.morePlanned?.(ops);
  }

  /** Bytes copied. */
  copying(bytes: number): void {
    for (const l of this.#all) l.copying(bytes);
  }

  /** One operation finished. */
  applied(
    op: FileOp["op"],
    path: string,
    bytes: number,
    outcome: OpOutcome,
    reason: string | null,
  ): void {
    for (const l of this.#all) l.applied(op, path, bytes, outcome, reason);
  }

  /** The pass is over. */
  ended(summary: PassSummary): void {
    for (const l of this.#all) l.ended(summary);
  }
}
