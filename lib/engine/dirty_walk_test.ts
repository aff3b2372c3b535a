/**
 * scanDirty through preparePass on real temp trees: a full pass with the
 * rolling sweep keeps only the folders that differ from the state, and plans
 * what the whole-map plan plans.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { createHasher } from "../base/hash.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { scanTree } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { LocalDestination } from "../dest/local.ts";
import { passExcludes } from "./excludes.ts";
import type { FileOp } from "./pass_plan.ts";
import { type PreparedPass, preparePass } from "./prepare.ts";

const real = new DenoFileSystem();
const FILES = ["a/1", "a/2", "b/1", "b/2", "c/d/1", "top"];
const T = new Date("2024-01-01T00:00:00Z");

function brief(ops: FileOp[] | null): string[] {
  return (ops ?? []).map((op) =>
    op.op === "move" ? `move ${op.from} -> ${op.path}` : `${op.op} ${op.path}`
  );
}

/** A source, a destination that mirrors it (mtimes and modes too), and the state of that backup. */
function mirrored(root: string): { src: string; dest: string; state: Map<string, StateEntry> } {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  for (const f of FILES) put(`${src}/${f}`, `content of ${f}`);
  for (const f of FILES) put(`${dest}/${f}`, `content of ${f}`);
  for (const dir of ["c/d", "a", "b", "c"]) {
    for (const side of [src, dest]) Deno.utimeSync(`${side}/${dir}`, T, T);
  }
  for (const f of FILES) {
    for (const side of [src, dest]) Deno.utimeSync(`${side}/${f}`, T, T);
  }
  const state = new PackedEntries<StateEntry>();
  for (const [rel, s] of scanTree(real, src).entries) {
    state.set(rel, { ...s, ...(s.kind === "file" ? { hash: "h" } : {}) });
  }
  return { src, dest, state };
}

async function prepare(
  src: string,
  dest: string,
  state: Map<string, StateEntry>,
  wholePlan = false,
): Promise<PreparedPass> {
  return await preparePass(
    {
      fs: real,
      hasher: await createHasher(),
      source: src,
      destination: new LocalDestination(real, dest),
    },
    {
      state,
      suspects: new Set(),
      excludes: passExcludes(real, src),
      identity: null,
      sweep: { round: 1, rounds: 10 },
      wholePlan,
    },
  );
}

Deno.test("diff walk: a pass with no change keeps the folders' own entries only, and plans nothing", async () => {
  await using tmp = await tempDir();
  const { src, dest, state } = mirrored(tmp.path);
  const prepared = await prepare(src, dest, state);
  assert(prepared.status === "planned");
  assertEquals(brief(prepared.ops), []);
  const { scope } = prepared;
  assert(
    scope.planWithin !== undefined && scope.within === undefined,
    "a full pass, planned narrowed",
  );
  assertEquals([...scope.src.entries.keys()].sort(), ["a", "b", "c", "c/d"]);
  assertEquals(scope.seen, state.size);
  // No trusted file was taken from the state into the destination's listing.
  for (const [rel, entry] of scope.dst.entries) {
    assert(entry.kind === "dir" || rel === "top", `${rel} taken from the state`);
  }
});

Deno.test("diff walk: changes on either side plan what the whole maps plan", async () => {
  await using tmp = await tempDir();
  const { src, dest, state } = mirrored(tmp.path);
  put(`${src}/b/1`, "a longer content than before"); // edited in the source
  Deno.renameSync(`${src}/c/d`, `${src}/a/d`); // a folder moved
  Deno.removeSync(`${dest}/a/2`); // lost in the destination
  put(`${src}/e/new`, "new"); // a new folder
  const narrowed = await prepare(src, dest, state);
  const whole = await prepare(src, dest, state, true);
  assert(narrowed.status === "planned" && whole.status === "planned");
  assertEquals(brief(narrowed.ops), brief(whole.ops));
  assertEquals(narrowed.ops, whole.ops);
  const ops = brief(narrowed.ops);
  for (const expected of ["copy b/1", "copy a/2", "move c/d -> a/d", "mkdir e", "copy e/new"]) {
    assert(ops.includes(expected), `${expected} in ${ops.join(", ")}`);
  }
  assert(narrowed.scope.planWithin !== undefined && whole.scope.planWithin === undefined);
});

Deno.test("diff walk: paths in doubt after a crash plan the whole maps", async () => {
  await using tmp = await tempDir();
  const { src, dest, state } = mirrored(tmp.path);
  const prepared = await preparePass(
    {
      fs: real,
      hasher: await createHasher(),
      source: src,
      destination: new LocalDestination(real, dest),
    },
    {
      state,
      suspects: new Set(["a/1"]),
      excludes: passExcludes(real, src),
      identity: null,
      sweep: { round: 1, rounds: 10 },
    },
  );
  assert(prepared.status === "planned" && prepared.scope.planWithin === undefined);
});
