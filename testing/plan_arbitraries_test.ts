import fc from "fast-check";
import { assert, assertEquals } from "./assert.ts";
import { parentOf } from "../lib/base/paths.ts";
import {
  consistentTree,
  pickedEntry,
  pickedTree,
  stateArb,
  stateOf,
  treeArb,
  universe,
} from "./plan_arbitraries.ts";

const PATHS = universe(["a", "b"]);

Deno.test("universe lists each folder before what it holds, three levels deep", () => {
  assertEquals(PATHS.length, 2 + 4 + 8);
  assertEquals(PATHS.slice(0, 4), ["a", "a/a", "a/a/a", "a/a/b"]);
  PATHS.forEach((p, i) => assert(parentOf(p) === "" || PATHS.indexOf(parentOf(p)) < i));
});

Deno.test("consistentTree keeps entries below folders only and makes inodes unique", () => {
  const dir = pickedEntry("dir", 1, 0);
  const file = pickedEntry("file", 1, 0);
  // a is a folder; a/a a file (so a/a/* is dropped); a/b a folder; b absent (so b/* is dropped).
  const proposed = PATHS.map((p) =>
    p === "a" || p === "a/b"
      ? dir
      : p === "b" || p.startsWith("b/")
      ? (p === "b" ? null : file)
      : file
  );
  const tree = consistentTree(PATHS, proposed);
  assertEquals([...tree.keys()], ["a", "a/a", "a/b", "a/b/a", "a/b/b"]);
  assertEquals([...tree.values()].map((e) => e.ino), [1, 100, 101, 102, 103]);
});

Deno.test("stateOf marks the racy entries and hashes files when asked", () => {
  const tree = pickedTree(PATHS, PATHS.map(() => 2)); // kind KINDS[2]: files, only at the top
  assertEquals([...tree.keys()], ["a", "b"]);
  const state = stateOf(tree, (i) => i === 1, true);
  assertEquals(state.get("a"), { ...tree.get("a")!, hash: "h2" });
  assertEquals(state.get("b"), { ...tree.get("b")!, hash: "h2", racy: true });
  assertEquals(stateOf(tree, () => false, false).get("a"), tree.get("a"));
});

Deno.test("treeArb and stateArb make consistent trees with unique inodes", () => {
  fc.assert(
    fc.property(treeArb(PATHS), stateArb(PATHS), (tree, state) => {
      for (const t of [tree, state]) {
        const inos = [...t.values()].map((e) => e.ino);
        assertEquals(new Set(inos).size, inos.length);
        for (const p of t.keys()) assert(parentOf(p) === "" || t.get(parentOf(p))?.kind === "dir");
      }
    }),
  );
});
