import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { lineage, type Move } from "./journal_why.ts";
import { relativeTarget } from "./journal_common.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const I = Infinity;

function names(path: string, moves: Move[]) {
  return lineage(path, moves)
    .map((s) => [s.name, s.after, s.until])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

Deno.test("lineage() follows a file forwards through renames", () => {
  const moves = [{ seq: 10, from: "a.txt", to: "b.txt" }, { seq: 20, from: "b.txt", to: "c.txt" }];
  assertEquals(names("a.txt", moves), [
    ["a.txt", -I, I],
    ["b.txt", 10, 20],
    ["c.txt", 20, I],
  ]);
});

Deno.test("lineage() follows a file backwards to its earlier names", () => {
  const moves = [{ seq: 10, from: "a.txt", to: "b.txt" }, { seq: 20, from: "b.txt", to: "c.txt" }];
  assertEquals(names("c.txt", moves), [
    ["a.txt", -I, 9],
    ["b.txt", 9, 19],
    ["c.txt", -I, I],
  ]);
});

Deno.test("lineage() follows a file inside a moved folder, both ways", () => {
  const moves = [
    { seq: 10, from: "docs", to: "archive/docs" },
    { seq: 30, from: "archive/docs/r.txt", to: "final.txt" },
  ];
  assertEquals(names("docs/r.txt", moves), [
    ["archive/docs/r.txt", 10, 30],
    ["docs/r.txt", -I, I],
    ["final.txt", 30, I],
  ]);
  assertEquals(names("final.txt", moves), [
    ["archive/docs/r.txt", 9, 29],
    ["docs/r.txt", -I, 9],
    ["final.txt", -I, I],
  ]);
});

Deno.test("lineage() stops at a name's other lives: what left before, what arrived after", () => {
  const moves = [
    { seq: 5, from: "b.txt", to: "old.txt" }, // an earlier b.txt left: not ours
    { seq: 10, from: "a.txt", to: "b.txt" },
    { seq: 20, from: "x.txt", to: "b.txt" }, // something else took the name: not ours
  ];
  assertEquals(names("a.txt", moves), [["a.txt", -I, I], ["b.txt", 10, 19]]);
  // Asked by the final name, every life of b.txt shows, and each one's past.
  assertEquals(names("b.txt", moves), [
    ["a.txt", -I, 9],
    ["b.txt", -I, I],
    ["old.txt", 5, I],
    ["x.txt", -I, 19],
  ]);
});

Deno.test("relativeTarget() accepts relative paths and absolute ones inside the roots", () => {
  assertEquals(relativeTarget("./docs//a.txt", "/d", "/s"), "docs/a.txt");
  assertEquals(relativeTarget("/d/docs/a.txt", "/d", "/s"), "docs/a.txt");
  assertEquals(relativeTarget("/s/docs/a.txt", "/d", "/s"), "docs/a.txt");
  assertThrows(() => relativeTarget("/elsewhere/a", "/d", "/s"), UsageError, "neither inside");
  assertThrows(() => relativeTarget("../a", "/d", null), UsageError, "cannot ask");
  assertThrows(() => relativeTarget(`${RESERVED_DIR}/lock`, "/d", null), UsageError, "reserved");
});
