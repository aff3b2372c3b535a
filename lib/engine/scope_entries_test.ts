import { assertEquals } from "../../testing/assert.ts";
import { MaskedEntries } from "../base/masked_entries.ts";
import { PackedEntries, type PackedShape } from "../base/packed_entries.ts";
import { entriesWithin, narrowed, scopeTest } from "./scope_entries.ts";

const e = (ino: number): PackedShape => ({ kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino });
const PATHS = ["a", "a/x", "a/b", "a/b/y", "a/b/c/z", "d", "d/w", "e/f/g", "top"];

Deno.test("scopeTest: a path is in scope by its folder, itself, or a subtree above it", () => {
  const within = scopeTest(new Set(["a"]), ["e"]);
  assertEquals(PATHS.filter(within), ["a", "a/x", "a/b", "e/f/g"]);
  assertEquals(scopeTest(new Set([""]), []).call(null, "top"), true);
});

Deno.test("entriesWithin: packed state through the scope's folders, plain Map and other tests by filtering, alike", () => {
  const plain = new Map(PATHS.map((p, i) => [p, e(i)]));
  const packed = new PackedEntries<PackedShape>(plain);
  const scopes: [Set<string>, string[]][] = [
    [new Set(["a"]), ["e"]],
    [new Set([""]), []],
    [new Set(["a/b"]), ["d"]],
    [new Set(), ["a"]],
  ];
  for (const [shallow, deep] of scopes) {
    const within = scopeTest(shallow, deep);
    const expected = [...plain].filter(([p]) => within(p));
    assertEquals([...entriesWithin(packed, within)], expected);
    assertEquals([...entriesWithin(plain, within)], expected);
  }
  const other = (p: string) => p.length === 1;
  assertEquals([...entriesWithin(packed, other)].map(([p]) => p), ["a", "d"]);
});

Deno.test("narrowed: a packed state in a scope keeps the scope's entries and those below the extra paths, in order", () => {
  const plain = new Map(PATHS.map((p, i) => [p, e(i)]));
  const packed = new PackedEntries<PackedShape>(plain);
  const within = scopeTest(new Set(["d"]), []);
  assertEquals([...narrowed(packed, within, ["a/b"]).keys()], [
    "a/b",
    "a/b/y",
    "a/b/c/z",
    "d",
    "d/w",
  ]);
  assertEquals(narrowed(plain, within, ["a/b"]), plain);
  const other = (p: string) => p === "d";
  assertEquals(narrowed(packed, other, ["a/b"]), packed);
});

Deno.test("entriesWithin and narrowed read a masked packed state as the copy without its hidden paths", () => {
  const plain = new Map(PATHS.map((p, i) => [p, e(i)]));
  const packed = new PackedEntries<PackedShape>(plain);
  const hidden = new Set(["a/b", "a/b/c/z", "d"]);
  const masked = new MaskedEntries(packed, hidden);
  const copy = new Map([...plain].filter(([p]) => !hidden.has(p)));
  for (
    const [shallow, deep] of [
      [new Set(["a"]), ["e"]],
      [new Set([""]), []],
      [new Set(["a/b"]), ["d"]],
      [new Set<string>(), ["a"]],
    ] as [Set<string>, string[]][]
  ) {
    const within = scopeTest(shallow, deep);
    assertEquals([...entriesWithin(masked, within)], [...entriesWithin(copy, within)]);
    assertEquals(
      [...narrowed(masked, within, ["a/b"])],
      [...narrowed(copy, within, ["a/b"])]
        .filter(([p]) => within(p) || p === "a/b" || p.startsWith("a/b/")),
    );
  }
});
