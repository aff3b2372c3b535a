/**
 * The rolling sweep of the destination (issue 14), through the CLI: `--once
 * --json` runs over real trees, each pass's `sweep` counts read from its
 * summary. A folder whose mtime did not move is not listed; a file deleted
 * behind the backup's back is put right by the next pass, one altered in place
 * within `--dest-sweep N` passes, `--once` runs included (the round is kept in
 * the destination).
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, passSummaries, put, tempDir, withRoots } from "../testing/helpers.ts";
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
  const [done] = await passSummaries(
    ["--src", src, "--dest", dest, "--dest-sweep", `${ROUNDS}`],
    1,
  );
  return done!.summary as unknown as Summary;
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

/** A source of FOLDERS with 3 files each, with its folders' mtimes in the past. */
function seed(src: string): void {
  const then = new Date(1_600_000_000_000);
  for (const f of FOLDERS) {
    for (const n of [1, 2, 3]) put(`${src}/${f}/file${n}.txt`, `${f}${n}`);
    Deno.utimeSync(`${src}/${f}`, then, then);
  }
}

/** A source of {@link seed}, backed up once. */
async function backedUp(src: string, dest: string): Promise<void> {
  seed(src);
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

/** The sweep counts of each job's one pass in a `backup --config FILE --once --json ARGS` run. */
async function jobPasses(config: string, args: string[] = []): Promise<Record<string, Summary>> {
  const done = await passSummaries(["--config", config, ...args], 2);
  return Object.fromEntries(done.map((e) => [e.job, e.summary as unknown as Summary]));
}

Deno.test("dest sweep: the config key destSweep, from defaults or a job; --dest-sweep beside --config overrides every job", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  seed(src);
  const config = `${t.path}/backup.jsonc`;
  const [a, b] = [`${t.path}/out/a`, `${t.path}/out/b`];
  Deno.mkdirSync(`${t.path}/out`);
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      defaults: { destSweep: ROUNDS },
      jobs: [
        { name: "a", source: "src", destination: "out/a", destSweep: 1 },
        { name: "b", source: "src", destination: "out/b" },
      ],
    }),
  );
  await jobPasses(config);
  assertMirror(src, a);
  assertMirror(src, b);
  // Job a lists its whole destination (1: no sweep), job b the root and the slice of its round.
  let round = nextRound(b);
  let passes = await jobPasses(config);
  assertEquals(passes.a!.sweep, undefined, JSON.stringify(passes.a));
  let listed = inSlice(round).length;
  assertEquals(passes.b!.sweep, { listed: 1 + listed, trusted: FOLDERS.length - listed });
  assertEquals(nextRound(a), 0, "job a keeps no round");
  // The flag applies to every job: a sweeps too, and b lists everything.
  round = nextRound(a);
  passes = await jobPasses(config, ["--dest-sweep", String(ROUNDS)]);
  listed = inSlice(round).length;
  assertEquals(passes.a!.sweep, { listed: 1 + listed, trusted: FOLDERS.length - listed });
  passes = await jobPasses(config, ["--dest-sweep", "1"]);
  assertEquals([passes.a!.sweep, passes.b!.sweep], [undefined, undefined]);
  assertMirror(src, a);
  assertMirror(src, b);
});
