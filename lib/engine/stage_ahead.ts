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
import { adoptCopy, isSmallCopy, prepareCopy } from "./apply.ts";
import { MODE_MASK } from "./plan.ts";
import type { CopyHelper, HelperFile } from "../base/copy_helper.ts";

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

/**
 * Stages the small copies of `batch` through `helper` (a worker on the other core, see
 * lib/base/copy_helper.ts) and takes its temp files over, in the order the worker created them
 * (the order {@link PreparedCopy.stagedOrder} records). Never rejects: what the helper could
 * not stage, or what cannot be taken over, is left out and staged again in line, after these.
 */
export async function stageWithHelper(
  ctx: ApplyContext,
  helper: CopyHelper,
  batch: readonly FileOp[],
): Promise<StagedAhead> {
  const staged: StagedAhead = new Map();
  const { destination } = ctx;
  if (destination.adoptStaged === undefined) return staged;
  const mask = ctx.modeMask ?? MODE_MASK;
  const indexes: number[] = [];
  const files: HelperFile[] = [];
  for (let i = 0; i < batch.length; i++) {
    const op = batch[i]!;
    if (!isSmallCopy(op)) continue;
    indexes.push(i);
    const { size, mtimeMs, ino, mode } = op.src;
    files.push({ path: op.path, size, mtimeMs, ino, mode: mode & mask });
  }
  const results = await helper.stage(files);
  results.forEach((result, k) => {
    if (result === null) return;
    const i = indexes[k]!;
    const op = batch[i]!;
    if (op.op !== "copy") return;
    try {
      const file = destination.adoptStaged!(op.path, result.name, result.fd);
      staged.set(i, adoptCopy(ctx, op, file, result.hash, result.readAt));
    } catch {
      // Not taken over (its temp file is gone with the error): staged again in line.
    }
  });
  return staged;
}
