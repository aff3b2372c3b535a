/**
 * What the engine tells whoever follows a pass (the progress bar, `--json`
 * events): the listener interface is the engine's, implemented by the report
 * layer, so the arrows point from the report down to the engine.
 *
 * @module
 */

import type { FileOp } from "./pass_plan.ts";
import type { PassSummary } from "./summary.ts";
import type { Trigger } from "../journal/record.ts";

/** What an operation came to, for {@link ProgressListener.applied}. */
export type OpOutcome = "ok" | "failed" | "skipped";

/**
 * What the reconciler tells a progress display. It is called from the
 * reconciler's own loop, once per operation and once per copied chunk: an
 * implementation must be cheap (no per-call allocation, throttle any output
 * on its side) and must never throw.
 */
export interface ProgressListener {
  /** The pass has its plan (after the guards): `ops` is what it will do. Not called for a skipped pass. */
  planned(pass: number, trigger: Trigger, ops: readonly FileOp[]): void;
  /**
   * The chunked initial copy (lib/engine/chunked_walk.ts) planned another chunk: `ops` are
   * added to the plan {@link planned} started with. Optional: without it, the totals stay the
   * first chunk's.
   */
  morePlanned?(ops: readonly FileOp[]): void;
  /** `bytes` more file content was copied (per chunk for large files, per file for small ones). */
  copying(bytes: number): void;
  /**
   * One operation finished: `bytes` copied (copies), and why it failed or was
   * skipped (`reason`, null when ok). Positional arguments: no object per call.
   */
  applied(
    op: FileOp["op"],
    path: string,
    bytes: number,
    outcome: OpOutcome,
    reason: string | null,
  ): void;
  /** The pass is over (also a skipped or interrupted one). */
  ended(summary: PassSummary): void;
}
