/**
 * The diff walk of a full pass against the whole-map plan: for random states,
 * and sources and destinations made from them by random changes (edits, new
 * and deleted entries, moves of files and folders, a file for a folder),
 * listed by the same rolling sweep, planning only the dirty folders gives
 * exactly the operations of planning the whole maps.
 */

import fc from "fast-check";
import { plan } from "./plan.ts";
import { emptyScan, type Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import type { Destination, ListOptions } from "../dest/destination.ts";
import { isAtOrBelow, parentOf } from "../base/paths.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { assert, assertEquals } from "../../testing/assert.ts";
import { listSwept } from "./dest_sweep.ts";
import { DirtyFolders } from "./dirty_folders.ts";
import { sameParking } from "../../testing/plan_ops.ts";
import {
  KINDS,
  pickedEntry,
  pickedTree,
  stateOf,
  universe,
} from "../../testing/plan_arbitraries.ts";

const UNIVERSE = universe(["a", "b", "c"]);

type Change = [number, number, number, number];
let freshIno = 1000;

/**
 * Applies random changes to a copy of `tree`, keeping it consistent; with `special`, some new
 * entries are FIFOs or sockets (`other`: the source's, never copied, so never in the state).
 */
function changed(
  tree: ReadonlyMap<string, Entry>,
  changes: Change[],
  special = false,
): Map<string, Entry> {
  const out = new Map(tree);
  for (const [what, a, b, v] of changes) {
    const at = UNIVERSE[a % UNIVERSE.length]!;
    const e = out.get(at);
    const below = (p: string) => [...out.keys()].filter((k) => isAtOrBelow(k, p));
    const free = (p: string) =>
      !out.has(p) && (parentOf(p) === "" || out.get(parentOf(p))?.kind === "dir");
    switch (what % 8 >= 6 ? 3 : what % 8) {
      case 0: // edit in place (mtime, size, mode)
        if (e) out.set(at, { ...e, mtimeMs: e.mtimeMs + 1 + (v % 2), size: e.size + (v % 2) });
        break;
      case 1: // delete, with what is below
        for (const k of below(at)) out.delete(k);
        break;
      case 2: // new entry
        if (free(at) && special && v % 3 === 0) {
          out.set(at, { kind: "other", size: 0, mtimeMs: 1, mode: 0o644, ino: freshIno++ });
        } else if (free(at)) out.set(at, pickedEntry(KINDS[v % 5]!, freshIno++, v));
        break;
      case 3: { // move (a folder with what it holds) to a free place, inodes kept
        const places = UNIVERSE.filter((p) => free(p) && !isAtOrBelow(p, at));
        const to = places[b % Math.max(1, places.length)];
        if (e && to !== undefined) {
          for (const k of below(at)) {
            out.set(to + k.slice(at.length), out.get(k)!);
            out.delete(k);
          }
          const parent = parentOf(at);
          const p = out.get(parent);
          if (p) out.set(parent, { ...p, mtimeMs: p.mtimeMs + 1 });
        }
        break;
      }
      case 4: // a new folder where one was (`mv p p2; mkdir p`), or a file for a folder
        if (e) {
          for (const k of below(at)) out.delete(k);
          out.set(at, pickedEntry(v % 2 === 0 ? "dir" : "file", freshIno++, v));
        }
        break;
      default: // a folder's mtime or mode alone
        if (e?.kind === "dir") out.set(at, { ...e, mtimeMs: e.mtimeMs + 1, mode: 0o700 });
    }
  }
  return out;
}

/** A destination over a model tree: what `listSwept` asks of one. */
function modelDestination(tree: ReadonlyMap<string, Entry>): Destination {
  const notFound = () => new Deno.errors.NotFound("gone");
  return {
    stat(rel: string) {
      if (rel === "") return Promise.resolve(pickedEntry("dir", 1, 0));
      const e = tree.get(rel);
      return e ? Promise.resolve({ ...e }) : Promise.reject(notFound());
    },
    list(options: ListOptions = {}) {
      const under = options.under ?? "";
      if (under !== "" && tree.get(under)?.kind !== "dir") return Promise.reject(notFound());
      const scan = emptyScan();
      for (const [rel, e] of tree) {
        if (rel === under || !isAtOrBelow(rel, under === "" ? rel : under)) continue;
        if (options.shallow && parentOf(rel) !== under) continue;
        scan.entries.set(rel, { ...e });
      }
      return Promise.resolve(scan);
    },
  } as unknown as Destination;
}

/** The source walked as the scan walks it: a folder's listing, then the folders below it. */
function walk(src: ReadonlyMap<string, Entry>, folders: DirtyFolders): void {
  const stack = [""];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const listing = [...src].filter(([rel]) => parentOf(rel) === dir);
    folders.source(dir, listing, false);
    for (const [rel, e] of listing) if (e.kind === "dir") stack.push(rel);
  }
}

const NAT = fc.noBias(fc.nat({ max: 1 << 20 }));
const PICKS = fc.array(NAT, { minLength: UNIVERSE.length, maxLength: UNIVERSE.length });
const CHANGES = fc.array(fc.tuple(NAT, NAT, NAT, NAT), { maxLength: 4 });

Deno.test("diff walk: planning the dirty folders gives the whole maps' plan", async () => {
  let planned = 0;
  let narrowed = 0;
  let moves = 0;
  await fc.assert(
    fc.asyncProperty(
      PICKS,
      CHANGES,
      CHANGES,
      fc.nat(),
      fc.boolean(),
      fc.boolean(),
      async (picks, srcChanges, destChanges, round, packed, racy) => {
        const tree = pickedTree(UNIVERSE, picks);
        const plain = stateOf(tree, (i) => racy && i % 5 === 0, false);
        const state: Map<string, StateEntry> = packed ? new PackedEntries(plain) : plain;
        const src = changed(tree, srcChanges, true);
        const dest = changed(tree, destChanges);
        const destination = modelDestination(dest);
        const slice = { round, rounds: 3 };
        const probe = (rel: string) => src.get(rel) ?? null;

        const whole = await listSwept(destination, {}, state, src, slice);
        const expected = plan(src, state, whole.scan.entries, { probe });

        const folders = new DirtyFolders(state);
        walk(src, folders);
        const swept = await listSwept(destination, {}, state, folders.dirs, slice, folders);
        for (const dir of folders.relist()) {
          folders.keep([...src].filter(([rel]) => parentOf(rel) === dir));
        }
        const scope = folders.scope();
        const got = plan(folders.src, state, swept.scan.entries, { probe, within: scope.within });
        assertEquals(sameParking(got), sameParking(expected));
        assertEquals(folders.seen, src.size);
        planned++;
        if (got.some((op) => op.op === "move")) moves++;
        if (folders.src.size < src.size) narrowed++;
      },
    ),
    { numRuns: 2000 },
  );
  // The property means something only when folders were left out.
  assert(narrowed > planned / 4, `${narrowed} of ${planned} narrowed`);
  assert(moves > 0, "no plan with a move");
});

Deno.test("DirtyFolders: a folder like the state is dropped, a changed one kept; new folders whole", () => {
  const f = (ino: number, mtimeMs = 1): Entry =>
    pickedEntry("file", ino, 0) && { ...pickedEntry("file", ino, 0), mtimeMs };
  const d = (ino: number): Entry => pickedEntry("dir", ino, 0);
  const state = new PackedEntries<StateEntry>([["a", d(1)], ["a/x", f(2)], ["b", d(3)], [
    "b/y",
    f(4),
  ]]);
  const folders = new DirtyFolders(state);
  assertEquals(folders.source("", [["a", d(1)], ["b", d(3)], ["c", d(9)]], false), true);
  assertEquals(folders.source("a", [["a/x", f(2)]], false), false);
  assertEquals(folders.source("b", [["b/y", f(4, 5)]], false), true);
  assertEquals(folders.source("c", [["c/z", f(10)]], false), true);
  assertEquals(folders.seen, 6);
  const scope = folders.scope();
  assertEquals([...scope.shallow].sort(), ["", "b"]);
  assertEquals(scope.deep, ["c"]);
  assertEquals([...folders.src.keys()].sort(), ["a", "b", "b/y", "c", "c/z"]);
  // A folder unchanged but with an unreadable entry is dirty too (its backups are protected).
  assertEquals(new DirtyFolders(state).source("a", [["a/x", f(2)]], true), true);
});

Deno.test("DirtyFolders: state entries below a folder the state no longer holds are planned whole", () => {
  const f = (ino: number): Entry => pickedEntry("file", ino, 0);
  const d = (ino: number): Entry => pickedEntry("dir", ino, 0);
  // `a/b`'s delete was done while the delete of `a/b/f2` in it was recorded as failed.
  const state = new PackedEntries<StateEntry>([["c", d(1)], ["c/x", f(2)], ["a/b/f2", f(3)]]);
  const folders = new DirtyFolders(state);
  assertEquals(folders.source("", [["c", d(1)]], false), false);
  assertEquals(folders.source("c", [["c/x", f(2)]], false), false);
  const scope = folders.scope();
  assertEquals(scope.deep, ["a/b"]);
  assert(scope.within("a/b/f2"));
  assert(!scope.within("c/x"));
});

Deno.test("DirtyFolders: a FIFO the state does not hold leaves its folder clean; one where the state has a file does not", () => {
  const f = (ino: number): Entry => pickedEntry("file", ino, 0);
  const d = (ino: number): Entry => pickedEntry("dir", ino, 0);
  const fifo = (ino: number): Entry => ({ kind: "other", size: 0, mtimeMs: 1, mode: 0o644, ino });
  const state = new PackedEntries<StateEntry>([["a", d(1)], ["a/x", f(2)], ["b", d(3)], [
    "b/p",
    f(4),
  ]]);
  const folders = new DirtyFolders(state);
  assertEquals(folders.source("a", [["a/x", f(2)], ["a/pipe", fifo(5)]], false), false);
  assertEquals(folders.source("b", [["b/p", fifo(6)]], false), true); // the file became a FIFO
  assertEquals(folders.source("a", [["a/pipe", fifo(5)]], false), true); // and a/x is gone
  assertEquals(folders.seen, 4);
});
