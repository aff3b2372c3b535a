import { assertEquals } from "../../testing/assert.ts";
import { PathIndex } from "./path_index.ts";

Deno.test("PathIndex: a path added is found at its slot, read back, and gone once removed", () => {
  const index = new PathIndex();
  const paths = [
    "a",
    "a/b",
    "a/b/c.txt",
    "日本/名前",
    "a/\u00e9t\u00e9",
    "/lead",
    "trail/",
    "a//b",
    "",
  ];
  const slots = paths.map((p) => index.add(p));
  assertEquals(new Set(slots).size, paths.length);
  assertEquals(index.size, paths.length);
  for (const [i, p] of paths.entries()) {
    assertEquals(index.find(p), slots[i]);
    assertEquals(index.add(p), slots[i]); // again: the same slot, no new place
    assertEquals(index.pathOf(slots[i]!), p);
  }
  assertEquals([...index.slots()].map((s) => index.pathOf(s)), paths);
  assertEquals(index.find("a/b/c"), -1);
  assertEquals(index.find("lead"), -1);
  assertEquals(index.remove("a/b"), slots[1]);
  assertEquals(index.remove("a/b"), -1);
  assertEquals(index.find("a/b/c.txt"), slots[2]);
  assertEquals(index.add("new"), slots[1]); // the freed slot, at the end of the order
  assertEquals([...index.slots()].map((s) => index.pathOf(s)).at(-1), "new");
  index.clear();
  assertEquals(index.size, 0);
  assertEquals(index.find("a"), -1);
});

Deno.test("PathIndex: move renames the folders below, keeps slots, and refuses what it cannot do alike", () => {
  const index = new PathIndex();
  const top = index.add("p");
  const deep = index.add("p/q/r/f");
  const other = index.add("pq/f");
  assertEquals(index.move("p", "x/y"), true);
  assertEquals(index.find("x/y"), top);
  assertEquals(index.find("x/y/q/r/f"), deep);
  assertEquals(index.find("p/q/r/f"), -1);
  assertEquals(index.find("pq/f"), other); // a sibling sharing the prefix stays
  assertEquals(index.move("x/y", "pq"), false); // something is held at the target
  assertEquals(index.move("x/y", "x/y/z"), false); // into itself
  assertEquals(index.move("", "a"), false);
  assertEquals(index.move("absent", "elsewhere"), true); // nothing to move is done
  assertEquals([...index.slots()].map((s) => index.pathOf(s)), ["x/y", "x/y/q/r/f", "pq/f"]);
});

Deno.test("PathIndex: reserve keeps every slot and path, and adding up to the reserve finds them all", () => {
  const index = new PathIndex();
  const slots = new Map<string, number>();
  for (let i = 0; i < 100; i++) slots.set(`a/${i}`, index.add(`a/${i}`));
  index.reserve(50_000);
  assertEquals(index.capacity >= 50_000, true);
  for (let i = 0; i < 40_000; i++) slots.set(`b${i % 13}/${i}`, index.add(`b${i % 13}/${i}`));
  for (const [path, slot] of slots) {
    assertEquals(index.find(path), slot);
    assertEquals(index.pathOf(slot), path);
  }
  assertEquals(index.size, slots.size);
  assertEquals([...index.slots()], [...slots.values()]);
});

Deno.test("PathIndex: folders lists the folders that hold paths, not the root, and drops an emptied one", () => {
  const index = new PathIndex();
  for (const path of ["top", "a/x", "a/y", "a/b/z"]) index.add(path);
  assertEquals([...index.folders()].sort(), ["a", "a/b"]);
  index.remove("a/b/z");
  assertEquals([...index.folders()].sort(), ["a"]);
});
