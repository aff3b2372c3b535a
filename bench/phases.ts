/**
 * Where the time of a pass with no change goes: runs the program's own
 * replay, scans and planner in-process on an in-sync mirror (read only: the
 * journal is not repaired, nothing is written) and prints one JSON object of
 * milliseconds per phase on stdout.
 *
 * Usage: deno run --allow-read bench/phases.ts SRC DEST
 *
 * @module
 */

import { DenoFileSystem } from "../lib/base/fs.ts";
import { plan } from "../lib/engine/plan.ts";
import { scanTree } from "../lib/base/scan.ts";
import { replayJournal } from "../lib/journal/replay.ts";
import { journalDir } from "../lib/base/layout.ts";

/** Milliseconds per phase of one pass, plus what the phases worked on. */
export interface Phases {
  /** Read, check and fold the whole journal. */
  replayMs: number;
  /** Walk the source tree. */
  scanSourceMs: number;
  /** Walk the destination tree. */
  scanDestMs: number;
  /** Diff source, state and destination. */
  planMs: number;
  /** Records replayed. */
  records: number;
  /** Bytes of journal replayed. */
  journalBytes: number;
  /** Entries in the state map. */
  stateEntries: number;
  /** Operations planned (0 when in sync). */
  ops: number;
  /** V8 heap in use after the phases, bytes. */
  heapUsed: number;
}

/**
 * Measures the phases of a pass over `src` into the in-sync mirror `dest`.
 *
 * @throws Deno.errors.* or JournalCorruptError when the trees or the journal cannot be read
 */
export function measurePhases(src: string, dest: string): Phases {
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
  const source = scanTree(fs, src);
  const scanSourceMs = lap();
  const destination = scanTree(fs, dest, { destination: true });
  const scanDestMs = lap();
  const ops = plan(source.entries, state.entries, destination.entries);
  const planMs = lap();
  return {
    replayMs,
    scanSourceMs,
    scanDestMs,
    planMs,
    records: summary.records,
    journalBytes: summary.bytes,
    stateEntries: state.entries.size,
    ops: ops.length,
    heapUsed: Deno.memoryUsage().heapUsed,
  };
}

if (import.meta.main) {
  const [src, dest] = Deno.args;
  if (!src || !dest) throw new Error("usage: phases.ts SRC DEST");
  const out = JSON.stringify(measurePhases(src, dest));
  Deno.stdout.writeSync(new TextEncoder().encode(out + "\n"));
}
