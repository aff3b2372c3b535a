/**
 * Copies of the next batch staged while the batch before is made durable and committed.
 *
 * A batch waits on the disk three times after its files are written: the `syncfs` that makes
 * its staged files durable, the fsyncs of the folders its renames touched, and the journal's.
 * The next batch's copies are read from the source, hashed and written to their temp files in
 * that time. Staging changes nothing a reader of the mirror sees (a temp file in the staging
 * folder, which a crash leaves to the next start's clean-up), so it may come before the batch's
 * intents are durable; the order that matters is kept: intents fsynced, then the batch's own
 * `syncfs` (which covers these files), then the renames.
 *
 * Staging ahead is an optimization only: a copy that fails ahead is staged again, in line, when
 * its batch is applied, and fails there with the error it would have had.
 *
 * @module
 */

import type { ApplyContext, PreparedCopy } from "./apply.ts";
import type { FileOp } from "./pass_plan.ts";
import { prepareCopy } from "./apply.ts";

/** Copies staged ahead, by their operation's index in the batch. */
export type StagedAhead = Map<number, PreparedCopy>;

/**
 * Whether `ctx`'s destination stages into local temp files that cost nothing to hold (an
 * object store's staged file may buffer or upload, and is not staged ahead).
 */
export function canStageAhead(ctx: ApplyContext): boolean {
  return ctx.destination.capabilities.renames === "atomic";
}

/** Stages every copy of `batch`, one at a time (the hasher is shared); failures are left out. */
export async function stageAhead(
  ctx: ApplyContext,
  batch: readonly FileOp[],
): Promise<StagedAhead> {
  const staged: StagedAhead = new Map();
  for (let i = 0; i < batch.length; i++) {
    const op = batch[i]!;
    if (op.op !== "copy") continue;
    try {
      staged.set(i, await prepareCopy(ctx, op, { ahead: true }));
    } catch {
      // Staged again in line, where the error is reported.
    }
  }
  return staged;
}

/** Discards what was staged ahead and not used (the pass stopped before that batch). */
export async function discardAhead(staged: StagedAhead): Promise<void> {
  for (const copy of staged.values()) await copy.staged.discard();
  staged.clear();
}
