/**
 * Where the time of a pass with no change goes: runs the program's own
 * replay and the lead-up of a full pass (`preparePass`: the source walk,
 * the destination's rolling sweep, the plan) in-process on an in-sync
 * mirror, read only (the journal is not repaired, the sweep's round is not
 * saved, nothing is written), and prints one JSON object of milliseconds per
 * phase on stdout.
 *
 * Usage: deno run --allow-ffi --allow-read bench/phases.ts SRC DEST
 *
 * @module
 */

import { DenoFileSystem } from "../lib/base/fs.ts";
import { createHasher } from "../lib/base/hash.ts";
import { journalDir } from "../lib/base/layout.ts";
import { LocalDestination } from "../lib/dest/local.ts";
import { passExcludes } from "../lib/engine/excludes.ts";
import { preparePass } from "../lib/engine/prepare.ts";
import { DEFAULT_SWEEP_ROUNDS, readSweepRound } from "../lib/engine/sweep_round.ts";
import { replayJournal } from "../lib/journal/replay.ts";

/** Milliseconds per phase of one pass, plus what the phases worked on. */
export interface Phases {
  /** Read, check and fold the whole journal (its newest checkpoint and the segments after it). */
  replayMs: number;
  /** Walk the source, comparing each folder with the state (the diff walk). */
  scanSourceMs: number;
  /** The destination's rolling sweep. */
  scanDestMs: number;
  /** Plan the folders that differ. */
  planMs: number;
  /** Records replayed. */
  records: number;
  /** Bytes of journal replayed. */
  journalBytes: number;
  /** Entries in the state map. */
  stateEntries: number;
  /** Source entries kept for the plan (the dirty folders' and every folder's own). */
  kept: number;
  /** Operations planned (0 when in sync). */
  ops: number;
  /** V8 heap in use after the phases, bytes. */
  heapUsed: number;
}

/**
 * Measures the phases of a full pass over `src` into the in-sync mirror `dest`.
 *
 * @throws Deno.errors.* or JournalCorruptError when the trees or the journal cannot be read
 */
export async function measurePhases(src: string, dest: string): Promise<Phases> {
  const fs = new DenoFileSystem();
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };
  const { state, summary } = replayJournal(fs, journalDir(dest), { repair: false });
  const replayMs = lap();
  const hasher = await createHasher();
  const destination = new LocalDestination(fs, dest);
  const excludes = passExcludes(fs, src);
  lap();
  let scanSourceMs = 0;
  let scanDestMs = 0;
  const prepared = await preparePass(
    { fs, hasher, source: src, destination },
    {
      state: state.entries,
      suspects: new Set(),
      excludes,
      identity: null,
      sweep: { round: readSweepRound(fs, dest), rounds: DEFAULT_SWEEP_ROUNDS },
    },
    {
      sourceScanned: () => void (scanSourceMs = lap()),
      beforePlan: () => void (scanDestMs = lap()),
    },
  );
  const planMs = lap();
  if (prepared.status === "unavailable") throw new Error(`${prepared.side}: ${prepared.reason}`);
  return {
    replayMs,
    scanSourceMs,
    scanDestMs,
    planMs,
    records: summary.records,
    journalBytes: summary.bytes,
    stateEntries: state.entries.size,
    kept: prepared.scope.src.entries.size,
    ops: prepared.ops?.length ?? 0,
    heapUsed: Deno.memoryUsage().heapUsed,
  };
}

if (import.meta.main) {
  const [src, dest] = Deno.args;
  if (!src || !dest) throw new Error("usage: phases.ts SRC DEST");
  const out = JSON.stringify(await measurePhases(src, dest));
  Deno.stdout.writeSync(new TextEncoder().encode(out + "\n"));
}
