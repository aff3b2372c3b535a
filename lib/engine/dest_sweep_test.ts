/**
 * listSwept on real temp trees: a folder whose mtime did not move is taken
 * from the state and not listed; one that moved, a new one, one the source
 * lost and the pass's slice are listed; every folder is listed within
 * `rounds` passes.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { LocalDestination } from "../dest/local.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { listSwept, sliceOf, type SweepSlice } from "./dest_sweep.ts";

const real = new DenoFileSystem();

/**
 * A destination of `folders` folders of 3 files, its state as it is now (what a pass leaves), and
 * a source that holds the same.
 */
async function mirrored(root: string, folders: number) {
  for (let i = 0; i < folders; i++) {
    for (let j = 0; j < 3; j++) put(`${root}/d${i}/f${j}`, `${i}.${j}`);
  }
  // A pass sets each folder's mtime to its source's, from before the copy: a change made in the
  // destination since moves it (a clock tick is coarser than the time between two writes here).
  const then = new Date(1_600_000_000_000);
  for (let i = 0; i < folders; i++) Deno.utimeSync(`${root}/d${i}`, then, then);
  const destination = new LocalDestination(real, root);
  const whole = await destination.list();
  const state = new Map<string, StateEntry>(whole.entries);
  return { destination, state, source: new Map<string, Entry>(whole.entries) };
}

/** A slice no folder of `dirs` is in (so that only mtimes decide). */
function sliceOfNone(dirs: string[], rounds: number): SweepSlice {
  for (let round = 0; round < rounds; round++) {
    if (dirs.every((d) => sliceOf(d, rounds) !== round)) return { round, rounds };
  }
  throw new Error("every slice holds a folder");
}

function sorted(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort();
}

Deno.test("listSwept takes folders whose mtime did not move from the state, and gives what a whole listing gives", async () => {
  await using dir = await tempDir();
  const { destination, state, source } = await mirrored(dir.path, 4);
  const slice = sliceOfNone(["d0", "d1", "d2", "d3"], 16);
  const swept = await listSwept(destination, {}, state, source, slice);
  assertEquals(swept.counts, { listed: 1, trusted: 4 }); // the root only
  assertEquals(sorted(swept.scan.entries), sorted((await destination.list()).entries));
});

Deno.test("listSwept lists a folder whose mtime moved: a file deleted or added behind the backup's back is seen", async () => {
  await using dir = await tempDir();
  const { destination, state, source } = await mirrored(dir.path, 4);
  Deno.removeSync(`${dir.path}/d1/f0`);
  put(`${dir.path}/d2/stray`, "s");
  put(`${dir.path}/d3/new/deep/x`, "x"); // a new folder: listed whole
  const slice = sliceOfNone(["d0", "d1", "d2", "d3"], 16);
  const swept = await listSwept(destination, {}, state, source, slice);
  assertEquals(swept.counts.trusted, 1);
  const keys = sorted(swept.scan.entries);
  assert(!keys.includes("d1/f0"), "the deleted file is not taken from the state");
  assert(keys.includes("d2/stray"));
  assert(keys.includes("d3/new/deep/x"), keys.join());
  assertEquals(keys, sorted((await destination.list()).entries));
});

Deno.test("listSwept finds a file altered in place (no folder mtime moves) by the slice, within `rounds` passes", async () => {
  await using dir = await tempDir();
  const { destination, state, source } = await mirrored(dir.path, 8);
  const before = Deno.lstatSync(`${dir.path}/d5`).mtime!;
  Deno.writeTextFileSync(`${dir.path}/d5/f1`, "altered, longer");
  Deno.utimeSync(`${dir.path}/d5`, before, before); // as if nothing happened to the folder
  const rounds = 4;
  const seen: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const swept = await listSwept(destination, {}, state, source, { round, rounds });
    if (swept.scan.entries.get("d5/f1")?.size === "altered, longer".length) seen.push(round);
  }
  assertEquals(seen, [sliceOf("d5", rounds)]);
});

Deno.test("listSwept lists whole a folder the source lost (with its excluded entries), and a folder gone from the destination", async () => {
  await using dir = await tempDir();
  const { destination, state, source } = await mirrored(dir.path, 4);
  source.delete("d0");
  for (let j = 0; j < 3; j++) source.delete(`d0/f${j}`);
  const before = Deno.lstatSync(`${dir.path}/d0`).mtime!;
  put(`${dir.path}/d0/sub/kept.log`, "excluded, kept");
  Deno.utimeSync(`${dir.path}/d0`, before, before); // only the source's loss lists it
  const skipped: string[] = [];
  Deno.removeSync(`${dir.path}/d2`, { recursive: true });
  const slice = sliceOfNone(["d0", "d1", "d2", "d3"], 16);
  const swept = await listSwept(
    destination,
    {
      skip: (rel) => rel.endsWith(".log") && skipped.push(rel) > 0,
    },
    state,
    source,
    slice,
  );
  assertEquals(skipped, ["d0/sub/kept.log"]);
  const keys = sorted(swept.scan.entries);
  assert(keys.includes("d0/sub"));
  assert(!keys.some((k) => k.startsWith("d2")), keys.join());
  assertEquals(
    keys,
    sorted((await destination.list({ skip: (rel) => rel.endsWith(".log") })).entries),
  );
});

Deno.test("listSwept takes a packed state of 140,000 folders (a spread of them overflowed V8's argument limit and skipped every full pass)", async () => {
  await using dir = await tempDir();
  const state = new PackedEntries<StateEntry>();
  const folder: StateEntry = { kind: "dir", size: 0, mtimeMs: 1, mode: 0o755, ino: 1 };
  for (let i = 0; i < 140_000; i++) state.set(`gone${i}`, { ...folder, ino: i + 1 });
  const destination = new LocalDestination(real, dir.path);
  const swept = await listSwept(destination, {}, state, new Map(), { round: 0, rounds: 16 });
  assertEquals(swept.scan.entries.size, 0); // each folder is gone from the destination
  assertEquals(swept.counts.listed >= 1, true);
});
