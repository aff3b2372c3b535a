/**
 * The rolling sweep of the destination (issue 14), through the CLI: `--once
 * --json` runs over real trees, each pass's `sweep` counts read from its
 * summary. A folder whose mtime did not move is not listed; a file deleted
 * behind the backup's back is put right by the next pass, one altered in place
 * within `--dest-sweep N` passes, `--once` runs included (the round is kept in
 * the destination).
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, put, runCli, withRoots } from "../testing/helpers.ts";
import { reservedDir, SWEEP_FILE } from "../lib/base/layout.ts";
import { sliceOf } from "../lib/engine/dest_sweep.ts";

const FOLDERS = ["a", "b", "c", "d", "e", "f"];
const ROUNDS = 3;

interface Summary {
  copied: number;
  meta: number;
  deleted: number;
  sweep?: { listed: number; trusted: number };
}

/** The summary of the one pass of a `--once --json` run with `--dest-sweep ROUNDS`. */
async function pass(src: string, dest: string): Promise<Summary> {
  const r = await runCli([
    "--src",
    src,
    "--dest",
    dest,
    "--once",
    "--json",
    "--dest-sweep",
    String(ROUNDS),
  ]);
  assertEquals(r.code, 0, r.stderr);
  const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  const done = events.filter((e) => e.event === "pass");
  assertEquals(done.length, 1, r.stdout);
  return done[0].summary;
}

/** The round the next full pass lists (0 before the first one recorded it). */
function nextRound(dest: string): number {
  try {
    return JSON.parse(Deno.readTextFileSync(`${reservedDir(dest)}/${SWEEP_FILE}`)).round;
  } catch {
    return 0;
  }
}

/** The source's folders in the slice of `round`. */
function inSlice(round: number): string[] {
  return FOLDERS.filter((f) => sliceOf(f, ROUNDS) === round % ROUNDS);
}

/** A source of FOLDERS with 3 files each, backed up once, with its mtimes in the past. */
async function backedUp(src: string, dest: string): Promise<void> {
  const then = new Date(1_600_000_000_000);
  for (const f of FOLDERS) {
    for (const n of [1, 2, 3]) put(`${src}/${f}/file${n}.txt`, `${f}${n}`);
    Deno.utimeSync(`${src}/${f}`, then, then);
  }
  await pass(src, dest);
  assertMirror(src, dest);
}

Deno.test("dest sweep: a pass with no change lists only the root and its slice, the other folders not at all", async () => {
  await withRoots(async (src, dest) => {
    await backedUp(src, dest);
    for (let i = 0; i < ROUNDS; i++) {
      const round = nextRound(dest);
      const s = await pass(src, dest);
      assertEquals([s.copied, s.meta, s.deleted], [0, 0, 0], JSON.stringify(s));
      const listed = inSlice(round).length;
      assertEquals(s.sweep, { listed: 1 + listed, trusted: FOLDERS.length - listed });
      assertEquals(nextRound(dest), round + 1);
    }
    assertMirror(src, dest);
  });
});

Deno.test("dest sweep: a file deleted in the destination is back after the next pass, one altered in place within --dest-sweep passes", async () => {
  await withRoots(async (src, dest) => {
    await backedUp(src, dest);
    // The folder of the deleted file is listed (its mtime moved), whatever the slice.
    const round = nextRound(dest);
    const gone = FOLDERS.find((f) => !inSlice(round).includes(f))!;
    Deno.removeSync(`${dest}/${gone}/file1.txt`);
    let s = await pass(src, dest);
    assertEquals(s.copied, 1, JSON.stringify(s));
    assertMirror(src, dest);
    // Altered in place: no folder's mtime moves. Found when its folder's slice comes round.
    const altered = FOLDERS.find((f) => !inSlice(round + 1).includes(f))!;
    Deno.writeTextFileSync(`${dest}/${altered}/file2.txt`, "changed behind its back");
    const when = Array.from({ length: ROUNDS }, (_, i) => round + 1 + i).find((r) =>
      inSlice(r).includes(altered)
    )!;
    assert(when > round + 1, "the first pass after the change does not list that folder");
    for (let r = round + 1; r <= when; r++) {
      assertEquals(nextRound(dest), r);
      s = await pass(src, dest);
      assertEquals(s.copied, r === when ? 1 : 0, `round ${r}: ${JSON.stringify(s)}`);
    }
    assertMirror(src, dest);
  });
});
