import { assertEquals } from "../../testing/assert.ts";
import fc from "fast-check";
import { PackedEntries, type PackedShape } from "./packed_entries.ts";

Deno.test("PackedEntries: a scan's entries (no hash) read back as set, and allocate no hash storage", () => {
  const entries = new PackedEntries<PackedShape>();
  const file: PackedShape = {
    kind: "file",
    size: 3,
    mtimeMs: 1_704_067_200_000,
    mode: 0o644,
    ino: 5,
  };
  const link: PackedShape = {
    kind: "symlink",
    size: 1,
    mtimeMs: 2,
    mode: 0o777,
    ino: 6,
    target: "x",
  };
  entries.set("f", file).set("l", link);
  assertEquals(entries.get("f"), file);
  assertEquals(entries.get("l"), link);
  assertEquals([...entries], [["f", file], ["l", link]]);
  assertEquals(entries.get("f") === entries.get("f"), false); // a fresh copy each time
  const hashed = { ...file, hash: "00112233445566778899aabbccddeeff" };
  entries.set("h", hashed);
  assertEquals(entries.get("h"), hashed);
  assertEquals(entries.get("f"), file);
});

const NAMES = ["a", "b", "ab", "é", "日本", "x y", "f012.bin"];
/** Paths over a few names, with the odd ones a `Map` key may be ("", "/a", "a/", "a//b"). */
const pathArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((parts) =>
      parts.join("/")
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom("", "/a", "a/", "a//b", "/") },
);
const shapeArb: fc.Arbitrary<PackedShape> = fc.record({
  kind: fc.constantFrom("file" as const, "dir" as const, "symlink" as const, "other" as const),
  size: fc.integer({ min: 0, max: 2 ** 40 }),
  mtimeMs: fc.double({ min: 0, max: 2e12, noNaN: true }),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  ino: fc.integer({ min: 0, max: 2 ** 50 }),
}).map((e) => ({ ...e }));
type Op =
  | { op: "set"; path: string; entry: PackedShape }
  | { op: "delete"; path: string }
  | { op: "move"; from: string; to: string }
  | { op: "clear" };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant("set" as const), path: pathArb, entry: shapeArb }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), path: pathArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("move" as const), from: pathArb, to: pathArb }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
);

/** The move a plain `Map` model makes: in place when nothing is at or below `to`, else delete then set. */
function modelMove(
  model: Map<string, PackedShape>,
  from: string,
  to: string,
): Map<string, PackedShape> {
  const under = (p: string, root: string) => p === root || p.startsWith(root + "/");
  const inPlace = from !== "" && to !== "" && from !== to && !under(to, from) &&
    !under(from, to) && ![...model.keys()].some((p) => under(p, to));
  const moved = (p: string) => to + p.slice(from.length);
  if (inPlace) return new Map([...model].map(([p, e]) => [under(p, from) ? moved(p) : p, e]));
  const out = new Map(model);
  const pairs = [...out].filter(([p]) => under(p, from));
  for (const [p] of pairs) out.delete(p);
  for (const [p, e] of pairs) out.set(moved(p), e);
  return out;
}

Deno.test("PackedEntries: any run of set, delete, move and clear reads back as a plain Map does, in order", () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.array(pathArb, { maxLength: 8 }),
      (ops, probes) => {
        const packed = new PackedEntries<PackedShape>();
        let model = new Map<string, PackedShape>();
        for (const op of ops) {
          if (op.op === "set") {
            packed.set(op.path, op.entry);
            model.set(op.path, op.entry);
          } else if (op.op === "delete") {
            assertEquals(packed.delete(op.path), model.delete(op.path));
          } else if (op.op === "move") {
            packed.move(op.from, op.to);
            model = modelMove(model, op.from, op.to);
          } else {
            packed.clear();
            model.clear();
          }
          assertEquals(packed.size, model.size);
          assertEquals([...packed], [...model]);
        }
        assertEquals([...packed.keys()], [...model.keys()]);
        assertEquals([...packed.values()], [...model.values()]);
        for (const path of [...probes, ...model.keys()]) {
          assertEquals(packed.has(path), model.has(path));
          assertEquals(packed.get(path), model.get(path));
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("PackedEntries: deleting and adding while iterating visits what a Map visits", () => {
  const packed = new PackedEntries<PackedShape>();
  const model = new Map<string, PackedShape>();
  const e = (ino: number): PackedShape => ({ kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino });
  for (let i = 0; i < 3000; i++) {
    packed.set(`d${i % 7}/f${i}`, e(i));
    model.set(`d${i % 7}/f${i}`, e(i));
  }
  const visit = (m: Map<string, PackedShape>) => {
    const seen: string[] = [];
    for (const [path, entry] of m) {
      seen.push(path);
      if (entry.ino % 3 === 0) m.delete(path);
      if (entry.ino % 5 === 0) m.delete(`d${(entry.ino + 1) % 7}/f${entry.ino + 1}`);
      if (entry.ino % 11 === 0 && entry.ino < 3000) {
        m.set(`new/${entry.ino}`, e(entry.ino + 10_000));
      }
    }
    return seen;
  };
  assertEquals(visit(packed), visit(model));
  assertEquals([...packed], [...model]);
  // Most removed: the order and the names are compacted, what is left reads back the same.
  for (const path of [...model.keys()].slice(0, -50)) {
    packed.delete(path);
    model.delete(path);
  }
  for (let i = 0; i < 100; i++) {
    packed.set(`again/${"n".repeat(i)}`, e(i));
    model.set(`again/${"n".repeat(i)}`, e(i));
  }
  assertEquals([...packed], [...model]);
  for (const path of model.keys()) assertEquals(packed.get(path), model.get(path));
});

Deno.test("PackedEntries: a folder of 20,000 moved twice keeps every entry, names compacted after deletes", () => {
  const packed = new PackedEntries<PackedShape>();
  const e = (ino: number): PackedShape => ({ kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino });
  packed.set("top", { kind: "dir", size: 0, mtimeMs: 1, mode: 0o755, ino: 1 });
  for (let i = 0; i < 20_000; i++) packed.set(`top/sub${i % 10}/file-with-a-long-name-${i}`, e(i));
  packed.move("top", "p/q");
  packed.move("p/q/sub3", "other");
  assertEquals(packed.size, 20_001);
  assertEquals(packed.has("top"), false);
  assertEquals(packed.get("p/q")?.ino, 1);
  assertEquals(packed.get("p/q/sub4/file-with-a-long-name-4")?.ino, 4);
  assertEquals(packed.get("other/file-with-a-long-name-13")?.ino, 13);
  assertEquals(packed.get("p/q/sub3/file-with-a-long-name-13"), undefined);
  const at = (i: number) =>
    i % 10 === 3
      ? `other/file-with-a-long-name-${i}`
      : `p/q/sub${i % 10}/file-with-a-long-name-${i}`;
  for (let i = 0; i < 20_000; i++) if (i % 4 !== 1) assertEquals(packed.delete(at(i)), true);
  assertEquals(packed.size, 5_001);
  for (let i = 0; i < 20_000; i++) {
    assertEquals(packed.get(at(i))?.ino, i % 4 === 1 ? i : undefined);
  }
  assertEquals([...packed.keys()].length, 5_001);
});

Deno.test("PackedEntries: entriesWithin gives what filtering every entry by the scope's test gives, in order", () => {
  const under = (p: string, root: string) => root === "" || p === root || p.startsWith(root + "/");
  const parent = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf("/")));
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 60 }),
      fc.array(fc.oneof(pathArb, fc.constant("")), { maxLength: 4 }),
      fc.array(pathArb, { maxLength: 3 }),
      (ops, shallowList, deep) => {
        const packed = new PackedEntries<PackedShape>();
        let model = new Map<string, PackedShape>();
        const shallow = new Set(shallowList);
        const within = (p: string) =>
          shallow.has(parent(p)) || shallow.has(p) || deep.some((d) => under(p, d));
        for (const op of ops) {
          if (op.op === "set") {
            packed.set(op.path, op.entry);
            model.set(op.path, op.entry);
          } else if (op.op === "delete") {
            packed.delete(op.path);
            model.delete(op.path);
          } else if (op.op === "move") {
            packed.move(op.from, op.to);
            model = modelMove(model, op.from, op.to);
          } else {
            packed.clear();
            model.clear();
          }
          assertEquals(
            [...packed.entriesWithin(shallow, deep)],
            [...model].filter(([p]) => within(p)),
          );
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("PackedEntries: entriesWithin stays right through growth, slot reuse, compaction and folder moves", () => {
  const packed = new PackedEntries<PackedShape>();
  const model = new Map<string, PackedShape>();
  const e = (ino: number): PackedShape => ({ kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino });
  const put = (p: string, i: number) => {
    packed.set(p, e(i));
    model.set(p, e(i));
  };
  for (let i = 0; i < 20000; i++) put(`d${i % 50}/s${i % 3}/f${i}`, i);
  for (let i = 0; i < 20000; i += 2) {
    packed.delete(`d${i % 50}/s${i % 3}/f${i}`);
    model.delete(`d${i % 50}/s${i % 3}/f${i}`);
  }
  packed.move("d7", "moved/d7");
  const renamed = [...model].map(([p, v]): [string, PackedShape] => [
    p.startsWith("d7/") ? "moved/" + p : p,
    v,
  ]);
  model.clear();
  for (const [p, v] of renamed) model.set(p, v);
  for (let i = 0; i < 3000; i++) put(`d${i % 9}/new${i}`, i);
  const check = (shallow: string[], deep: string[]) => {
    const inScope = (p: string) =>
      shallow.includes(p.slice(0, Math.max(0, p.lastIndexOf("/")))) || shallow.includes(p) ||
      deep.some((d) => p === d || p.startsWith(d + "/"));
    assertEquals(
      [...packed.entriesWithin(new Set(shallow), deep)],
      [...model].filter(([p]) => inScope(p)),
    );
  };
  check(["d3", "d3/s1"], []);
  check([], ["moved", "d8"]);
  check(["", "moved/d7/s2"], ["d1/s0"]);
  check(["d7"], ["d7"]);
});

Deno.test("PackedEntries: hashes read back exactly, packed or not, and an entry set again drops its old extras", () => {
  const entries = new PackedEntries<PackedShape>();
  const base: PackedShape = { kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino: 3 };
  const hashes = [
    "00112233445566778899aabbccddeeff",
    "ffffffffffffffffffffffffffffffff",
    "0123456789ABCDEF0123456789abcdef", // upper case: kept as text
    "0123456789abcdef0123456789abcdeg", // not hex at the end
    "g123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcde", // 31 digits
    "0123456789abcdef0123456789abcdef0",
    "0123456789abcdef0123456789abcd\u00e9f",
    "",
    "h",
  ];
  for (const [i, hash] of hashes.entries()) entries.set(`f${i}`, { ...base, hash });
  for (const [i, hash] of hashes.entries()) assertEquals(entries.get(`f${i}`), { ...base, hash });
  entries.set("f2", { ...base, hash: hashes[0]! });
  assertEquals(entries.get("f2"), { ...base, hash: hashes[0]! });
  entries.set("f2", { ...base, kind: "symlink", target: "t" });
  assertEquals(entries.get("f2"), { ...base, kind: "symlink", target: "t" });
  entries.set("f2", base);
  assertEquals(entries.get("f2"), base);
});

Deno.test("PackedEntries: reserve makes room without changing what is held, before and after entries", () => {
  const entries = new PackedEntries<PackedShape>();
  const model = new Map<string, PackedShape>();
  const put = (path: string, i: number) => {
    const e: PackedShape = { kind: "file", size: i, mtimeMs: i, mode: 0o644, ino: i };
    if (i % 3 === 0) e.hash = i.toString(16).padStart(32, "0");
    entries.set(path, e);
    model.set(path, e);
  };
  put("a", 1);
  entries.reserve(5000);
  for (let i = 0; i < 3000; i++) put(`d${i % 7}/f${i}`, i);
  entries.delete("d0/f0");
  model.delete("d0/f0");
  entries.reserve(10); // smaller than held: nothing to do
  entries.reserve(9000);
  for (let i = 3000; i < 9000; i++) put(`e${i % 5}/f${i}`, i);
  assertEquals([...entries], [...model]);
  assertEquals(entries.size, model.size);
});

Deno.test("PackedEntries: a hash that is not hex, set over a packed one, changes no other slot's hash", () => {
  const entries = new PackedEntries<PackedShape>();
  const base: PackedShape = { kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino: 3 };
  const packed = ["00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"];
  entries.set("a", { ...base, hash: packed[0]! }).set("b", { ...base, hash: packed[1]! });
  // Hex but for its last digit: the first 15 bytes decode before the miss.
  const notHex = "ffeeddccbbaa9988776655443322110g";
  entries.set("a", { ...base, hash: notHex });
  assertEquals(entries.get("a"), { ...base, hash: notHex });
  assertEquals(entries.get("b"), { ...base, hash: packed[1]! });
  entries.set("a", base);
  assertEquals(entries.get("a"), base);
  entries.set("a", { ...base, hash: packed[0]! });
  assertEquals(entries.get("a"), { ...base, hash: packed[0]! });
  assertEquals(entries.get("b"), { ...base, hash: packed[1]! });
  // A first hash that is not hex, then a packed one: both read back.
  const fresh = new PackedEntries<PackedShape>([["x", { ...base, hash: notHex }]]);
  fresh.set("y", { ...base, hash: packed[0]! });
  assertEquals([...fresh.values()].map((e) => e.hash), [notHex, packed[0]!]);
});

Deno.test("PackedEntries: peek reads each field as get does, and countIn counts a folder's direct entries", () => {
  const entries = new PackedEntries<PackedShape>();
  const shapes: [string, PackedShape][] = [
    ["a", { kind: "dir", size: 0, mtimeMs: 10, mode: 0o755, ino: 1 }],
    ["a/f", { kind: "file", size: 3, mtimeMs: 11.5, mode: 0o644, ino: 2 ** 40, racy: true }],
    ["a/g", { kind: "file", size: 4, mtimeMs: 12, mode: 0o600, ino: 3, racy: false }],
    ["a/l", { kind: "symlink", size: 1, mtimeMs: 13, mode: 0o777, ino: 4, target: "../x" }],
    ["a/b/h", { kind: "other", size: 0, mtimeMs: 14, mode: 0o644, ino: 5, hash: "not hex" }],
  ];
  for (const [path, e] of shapes) entries.set(path, e);
  for (const [path, e] of shapes) {
    const v = entries.peek(path)!;
    assertEquals(
      [v.kind, v.size, v.mtimeMs, v.mode, v.ino, v.target, v.racy],
      [e.kind, e.size, e.mtimeMs, e.mode, e.ino, e.target, e.racy],
    );
  }
  assertEquals(entries.peek("a/missing"), undefined);
  assertEquals(entries.peek("a/f") === entries.peek("a/g"), true); // one view, no object per entry
  assertEquals(
    ["", "a", "a/b", "b"].map((dir) => entries.countIn(dir)),
    [1, 3, 1, 0],
  );
  entries.delete("a/g");
  entries.move("a/b", "c");
  assertEquals(["a", "a/b", "c"].map((dir) => entries.countIn(dir)), [2, 0, 1]);
});

Deno.test("PackedEntries: entriesOfKind gives what filtering the entries by kind gives, in order", () => {
  const entries = new PackedEntries<PackedShape>();
  const e = (kind: PackedShape["kind"], ino: number): PackedShape => ({
    kind,
    size: 0,
    mtimeMs: ino,
    mode: 0o755,
    ino,
  });
  entries.set("b", e("dir", 1)).set("b/f", e("file", 2)).set("a", e("dir", 3));
  entries.set("b/l", { ...e("symlink", 4), target: "f" }).set("b/c", e("dir", 5));
  entries.delete("a");
  entries.set("a", e("dir", 6)).set("b", e("dir", 7));
  for (const kind of ["dir", "file", "symlink", "other"] as const) {
    assertEquals([...entries.entriesOfKind(kind)], [...entries].filter(([, v]) => v.kind === kind));
  }
});
