/**
 * The rolling sweep's round counter (lib/engine/dest_sweep.ts), kept in
 * `DEST/.backup-state/sweep.json` so that `--once` runs from cron go round the
 * slices as a daemon does. Best effort: a counter that cannot be read starts
 * at 0, one that cannot be written is tried again after the next pass; either
 * only delays when a slice is listed, never what a pass does.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { join } from "../base/paths.ts";
import { reservedDir, SWEEP_FILE } from "../base/layout.ts";
import { replacePrivate } from "../dest/reserved.ts";

/** Full passes to list every folder of a local destination once (`--dest-sweep`'s default). */
export const DEFAULT_SWEEP_ROUNDS = 10;

/** Where the counter of the destination `dest` lives. */
function sweepFile(dest: string): string {
  return join(reservedDir(dest), SWEEP_FILE);
}

/** The round the next full pass over `dest` sweeps (0 when none is recorded or it is unreadable). */
export function readSweepRound(fs: FileSystem, dest: string): number {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(fs.readFile(sweepFile(dest))));
    const round = (parsed as { round?: unknown } | null)?.round;
    return typeof round === "number" && Number.isSafeInteger(round) && round >= 0 ? round : 0;
  } catch {
    return 0;
  }
}

/**
 * Records `round` as the next full pass's; false when the file system refused it.
 *
 * @throws what is not a file system's refusal (a crash a test simulates, a bug).
 */
export function saveSweepRound(fs: FileSystem, dest: string, round: number): boolean {
  try {
    replacePrivate(fs, sweepFile(dest), JSON.stringify({ round }));
    return true;
  } catch (err) {
    if (Object.values(Deno.errors).some((kind) => err instanceof kind)) return false;
    throw err;
  }
}
