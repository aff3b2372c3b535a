/**
 * What the mass-delete guard would hold in a dry run, judged as the real run
 * judges it.
 *
 * The guard counts a pass's deletions with those of its window (the last
 * hour's, lib/engine/delete_window.ts), which the daemon keeps in memory from
 * its start. So:
 *
 * - with no daemon on the destination, the real run is a new process whose
 *   window starts empty: the plan's deletions are judged alone;
 * - with a daemon running (its lock held), the plan is that of its next full
 *   pass: the window is worked out from its journal since it started (the
 *   lock file's time), and a hold in force keeps the deletions held even under
 *   the limits, until `backup confirm`.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import { join } from "../base/paths.ts";
import { journalDir, LOCK_FILE, reservedDir } from "../base/layout.ts";
import { probeLock } from "../dest/reserved.ts";
import { type DeleteLimits, guardedDeletes, isMassDelete } from "../engine/guard.ts";
import { type HoldInForce, replayDeleteWindow } from "../engine/delete_window_replay.ts";

/** A daemon running on the destination, and its guard's window. */
export interface DaemonWindow {
  /** Its pid, from the lock file. */
  pid: number | null;
  /** Deletions of its window (the last hour's since it started, not undone). */
  deleted: number;
  /** The backup's size its window is judged against. */
  baseline: number;
  /** The hold in force, or null. */
  hold: HoldInForce | null;
}

/** What the guard would do with the plan. */
export interface DryRunGuard {
  /** Deletions it would hold. */
  held: number;
  /** The running daemon whose next pass this is, or null (a new run). */
  daemon: DaemonWindow | null;
}

/**
 * Judges the deletions of `ops` against the destination `dest` (local, with a journal; null
 * when there is none) as the real run would: `entries` is what the destination holds, `tracked`
 * the journal's entry count. Reads only.
 *
 * @throws JournalCorruptError when the journal is damaged before its end.
 */
export function dryRunGuard(
  fs: FileSystem,
  dest: string | null,
  plan: { ops: readonly FileOp[]; entries: ReadonlyMap<string, unknown>; tracked: number },
  options: { limits: DeleteLimits; confirmDeletes: boolean; now?: number },
): DryRunGuard {
  const lock = dest === null ? { held: false, pid: null } : probeLock(fs, dest);
  let daemon: DaemonWindow | null = null;
  if (dest !== null && lock.held) {
    const since = fs.lstat(join(reservedDir(dest), LOCK_FILE)).mtimeMs;
    const replayed = replayDeleteWindow(fs, journalDir(dest), {
      since,
      now: options.now ?? Date.now(),
    });
    daemon = { pid: lock.pid, ...replayed.view, hold: replayed.hold };
  }
  if (options.confirmDeletes) return { held: 0, daemon };
  const judged = guardedDeletes(plan.ops, plan.entries);
  if (judged.length === 0) return { held: 0, daemon };
  const deleted = daemon?.deleted ?? 0;
  const baseline = daemon?.baseline ?? plan.tracked;
  // A hold in force keeps its deletions held under the limits too (see delete_guard.ts).
  const held = isMassDelete(deleted + judged.length, baseline, options.limits) ||
    (daemon !== null && daemon.hold !== null);
  return { held: held ? judged.length : 0, daemon };
}
