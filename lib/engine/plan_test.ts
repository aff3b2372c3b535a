import { assert, assertEquals } from "../../testing/assert.ts";
import { plan, type PlanOp, resolveVerify } from "./plan.ts";
import type { Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";

const file = (size: number, mtimeMs = 1000, extra: Partial<Entry> = {}): Entry => ({
  kind: "file",
  size,
  mtimeMs,
  mode: 0o644,
  ino: 1,
  ...extra,
});
const dir = (mtimeMs = 1000, mode = 0o755): Entry => ({
  kind: "dir",
  size: 0,
  mtimeMs,
  mode,
  ino: 2,
});
const link = (target: string, mtimeMs = 1000): Entry => ({
  kind: "symlink",
  size: target.length,
  mtimeMs,
  mode: 0o777,
  ino: 3,
  target,
});
const st = (e: Entry, hash = "h"): StateEntry => ({ ...e, ...(e.kind === "file" ? { hash } : {}) });

const m = <T>(o: Record<string, T>) => new Map(Object.entries(o));
const brief = (ops: PlanOp[]) => ops.map((o) => `${o.op} ${o.path}`);

Deno.test("plan() copies new files and creates folders shallowest first, then sets folder metadata deepest first", () => {
  const src = m({ "a": dir(), "a/b": dir(), "a/b/f.txt": file(3), "top.txt": file(1) });
  assertEquals(brief(plan(src, new Map(), new Map())), [
    "mkdir a",
    "mkdir a/b",
    "copy a/b/f.txt",
    "copy top.txt",
    "meta a/b",
    "meta a",
  ]);
});

Deno.test("plan() does nothing when source, state and destination agree", () => {
  const src = m({ "a": dir(), "a/f": file(3), "l": link("a/f") });
  const state = m({ "a": st(dir()), "a/f": st(file(3)), "l": st(link("a/f")) });
  assertEquals(plan(src, state, src), []);
});

Deno.test("plan() deletes destination-only files, deepest first, and files deleted from the source", () => {
  const src = m({ "keep": file(1) });
  const dest = m({
    "keep": file(1),
    "gone": dir(),
    "gone/x": file(2),
    "gone/y/z": file(1),
    "gone/y": dir(),
  });
  const state = m({ "keep": st(file(1)), "gone": st(dir()), "gone/x": st(file(2)) });
  assertEquals(brief(plan(src, state, dest)), [
    "delete gone/y/z",
    "delete gone/x",
    "delete gone/y",
    "delete gone",
  ]);
});

Deno.test("plan() never deletes below a protected (unreadable) source folder", () => {
  const src = m({ "locked": dir() });
  const dest = m({ "locked": dir(), "locked/secret": file(1), "other": file(1) });
  const ops = plan(src, new Map(), dest, { protect: (p) => p.startsWith("locked/") });
  assertEquals(brief(ops).filter((o) => o.startsWith("delete")), ["delete other"]);
});

Deno.test("plan() copies a file whose size changed, and verifies one whose size stayed but mtime moved", () => {
  const state = m({ "a": st(file(3)), "b": st(file(3)) });
  const dest = m({ "a": file(3), "b": file(3) });
  const src = m({ "a": file(4, 2000), "b": file(3, 2000) });
  const ops = plan(src, state, dest);
  assertEquals(brief(ops), ["copy a", "verify b"]);
  assertEquals((ops[1] as { hashDest: boolean }).hashDest, false);
});

Deno.test("plan() restores a destination file someone altered, and fixes a mode-only drift in place", () => {
  const state = m({ "a": st(file(3)), "b": st(file(3)) });
  const src = m({ "a": file(3), "b": file(3) });
  const dest = m({ "a": file(5, 5000), "b": file(3, 1000, { mode: 0o600 }) });
  assertEquals(brief(plan(src, state, dest)), ["copy a", "meta b"]);
});

Deno.test("plan() verifies instead of copying an unknown destination file that looks like the source", () => {
  const src = m({ "a": file(3) });
  const ops = plan(src, new Map(), m({ "a": file(3) }));
  assertEquals(ops, [{ op: "verify", path: "a", src: file(3), hashDest: true, state: undefined }]);
});

Deno.test("plan() re-hashes a racy entry even when the quick check says unchanged", () => {
  const src = m({ "a": file(3) });
  const state = m({ "a": { ...st(file(3)), racy: true } });
  assertEquals(brief(plan(src, state, src)), ["verify a"]);
});

Deno.test("plan() replaces a file by a folder and a folder by a file, deleting first", () => {
  const src = m({ "x": dir(), "y": file(1) });
  const dest = m({ "x": file(1), "y": dir(), "y/inner": file(1) });
  assertEquals(brief(plan(src, new Map(), dest)), [
    "delete y/inner",
    "delete x",
    "delete y",
    "mkdir x",
    "copy y",
    "meta x",
  ]);
});

Deno.test("plan() recreates a symlink whose target changed and only re-times one whose mtime did", () => {
  const state = m({ "l": st(link("a")), "k": st(link("a")) });
  const dest = m({ "l": link("a"), "k": link("a") });
  const src = m({ "l": link("b"), "k": link("a", 2000) });
  assertEquals(brief(plan(src, state, dest)), ["meta k", "symlink l"]);
});

Deno.test("plan() forgets state entries that are gone from both sides", () => {
  assertEquals(brief(plan(new Map(), m({ "old": st(file(1)) }), new Map())), ["delete old"]);
});

Deno.test("plan() sets the mtime of a folder whose content changed", () => {
  const src = m({ "d": dir(), "d/new": file(1) });
  const state = m({ "d": st(dir()) });
  const dest = m({ "d": dir() });
  assertEquals(brief(plan(src, state, dest)), ["copy d/new", "meta d"]);
});

Deno.test("resolveVerify() turns equal hashes into a metadata update and different ones into a copy", () => {
  const v = {
    op: "verify" as const,
    path: "a",
    src: file(3, 2000),
    hashDest: true,
    state: undefined,
  };
  assertEquals(resolveVerify(v, undefined, "h1", "h1"), {
    op: "meta",
    path: "a",
    src: v.src,
    hash: "h1",
  });
  assertEquals(resolveVerify(v, undefined, "h1", "h2"), { op: "copy", path: "a", src: v.src });
  const same = { ...v, src: file(3), hashDest: false };
  assertEquals(resolveVerify(same, st(file(3), "h1"), "h1", null), null);
  assertEquals(resolveVerify(same, { ...st(file(3), "h1"), racy: true }, "h1", null)?.op, "meta");
  assertEquals(resolveVerify(same, st(file(3), "h0"), "h1", null)?.op, "copy");
});

Deno.test("plan() re-times the folder of a verify, since the verify may turn into a copy", () => {
  const src = m({ "d": dir(), "d/f": file(3, 2000) });
  const state = m({ "d": st(dir()), "d/f": st(file(3)) });
  const dest = m({ "d": dir(), "d/f": file(3) });
  assertEquals(brief(plan(src, state, dest)), ["verify d/f", "meta d"]);
});

Deno.test("plan() turns a renamed folder into one move, with nothing copied", () => {
  const state = m({ "old": st(dir(1000)), "old/f": st(file(3)) });
  const src = m({ "new": { ...dir(1000), ino: 2 }, "new/f": file(3) });
  const ops = plan(src, state, state);
  assertEquals(
    ops.filter((o) => o.op !== "meta").map((o) => [o.op, o.path, "from" in o ? o.from : ""]),
    [
      ["move", "new", "old"],
    ],
  );
});

Deno.test("plan() renames a folder, then lands a folder and a file moved into it (mv bulk p/bulk2; mv f p/f; mv p p2)", () => {
  const state = m({
    "p": st({ ...dir(1000), ino: 10 }),
    "p/own": st(file(3, 1000, { ino: 11 })),
    "bulk": st({ ...dir(1000), ino: 20 }),
    "bulk/g": st(file(4, 1000, { ino: 21 })),
    "f": st(file(5, 1000, { ino: 30 })),
  });
  const src = m({
    "p2": { ...dir(2000), ino: 10 }, // its mtime moved: bulk2 and f arrived in it
    "p2/own": file(3, 1000, { ino: 11 }),
    "p2/bulk2": { ...dir(1000), ino: 20 },
    "p2/bulk2/g": file(4, 1000, { ino: 21 }),
    "p2/f": file(5, 1000, { ino: 30 }),
  });
  const ops = plan(src, state, state);
  assertEquals(
    ops.filter((o) => o.op !== "meta").map((o) => `${o.op} ${"from" in o ? o.from : ""} ${o.path}`),
    ["move p p2", "move bulk p2/bulk2", "move f p2/f"],
  );
});

Deno.test("plan() moves a file between folders instead of copying it", () => {
  const state = m({
    "a": st(dir()),
    "b": { ...st(dir()), ino: 5 },
    "a/f": st(file(3, 1000, { ino: 7 })),
  });
  const src = m({ "a": dir(), "b": { ...dir(), ino: 5 }, "b/f": file(3, 1000, { ino: 7 }) });
  assertEquals(brief(plan(src, state, state)), ["move b/f", "meta a", "meta b"]);
});

Deno.test("plan() swaps two files through a parking name", () => {
  const state = m({ "x": st(file(1, 1000, { ino: 10 })), "y": st(file(2, 1000, { ino: 11 })) });
  const src = m({ "x": file(2, 1000, { ino: 11 }), "y": file(1, 1000, { ino: 10 }) });
  const ops = plan(src, state, state);
  assertEquals(ops.length, 3);
  const [a, b, c] = ops as Extract<PlanOp, { op: "move" }>[];
  assert(a!.path.startsWith(".backup-move-"), "first the one entry is parked");
  assertEquals([b!.from, b!.path], [a!.from === "x" ? "y" : "x", a!.from]);
  assertEquals([c!.from, c!.path], [a!.path, a!.from === "x" ? "y" : "x"]);
});

Deno.test("plan() moves a folder away and puts a symlink of the same name in its place", () => {
  const state = m({ "d": st(dir()), "d/f": st(file(3)) });
  const src = m({ "d2": dir(), "d2/f": file(3), "d": link("d2") });
  assertEquals(brief(plan(src, state, state)), ["move d2", "symlink d"]);
});

Deno.test("plan() does not move when the old path is still in the source (a hard link or copy)", () => {
  const state = m({ "a": st(file(3, 1000, { ino: 7 })) });
  const src = m({ "a": file(3, 1000, { ino: 7 }), "b": file(3, 1000, { ino: 7 }) });
  assertEquals(brief(plan(src, state, state)), ["copy b"]);
});

Deno.test("plan() creates a new folder between the rename that vacates its path and the one back into it", () => {
  // mv p p2; mkdir p; mv p2/x p/x; mkdir -p p/q; mv p2/sub p/q/sub
  const state = m({
    "p": st({ ...dir(1000), ino: 10 }),
    "p/x": st(file(3, 1000, { ino: 11 })),
    "p/keep": st(file(4, 1000, { ino: 12 })),
    "p/sub": st({ ...dir(1000), ino: 13 }),
    "p/sub/g": st(file(5, 1000, { ino: 14 })),
  });
  const src = m({
    "p2": { ...dir(2000), ino: 10 },
    "p2/keep": file(4, 1000, { ino: 12 }),
    "p": { ...dir(3000), ino: 20 },
    "p/x": file(3, 1000, { ino: 11 }),
    "p/q": { ...dir(3000), ino: 21 },
    "p/q/sub": { ...dir(1000), ino: 13 },
    "p/q/sub/g": file(5, 1000, { ino: 14 }),
  });
  const ops = plan(src, state, state);
  assertEquals(
    ops.filter((o) => o.op !== "meta").map((o) => `${o.op} ${"from" in o ? o.from : ""} ${o.path}`),
    ["move p p2", "mkdir  p", "mkdir  p/q", "move p2/sub p/q/sub", "move p2/x p/x"],
  );
});

Deno.test("plan() copies instead of renaming into a new folder it cannot create between the renames", () => {
  // mv p p2; mkdir -p p/n; mv p2/x p/n/x, in a pass whose scope leaves p/n out.
  const state = m({
    "p": st({ ...dir(1000), ino: 10 }),
    "p/x": st(file(3, 1000, { ino: 11 })),
    "p/keep": st(file(4, 1000, { ino: 12 })),
  });
  const src = m({
    "p2": { ...dir(2000), ino: 10 },
    "p2/keep": file(4, 1000, { ino: 12 }),
    "p": { ...dir(3000), ino: 20 },
    "p/n": { ...dir(3000), ino: 21 },
    "p/n/x": file(3, 1000, { ino: 11 }),
  });
  for (const moves of [[], [["p/x", "p/n/x"]] as [string, string][]]) {
    const ops = plan(src, state, state, { within: (rel) => rel !== "p/n", moves });
    const moved = ops.filter((o) => o.op === "move").map((o) =>
      `${"from" in o ? o.from : ""} ${o.path}`
    );
    assertEquals(moved, ["p p2"]);
    assert(ops.some((o) => o.op === "copy" && o.path === "p/n/x"), JSON.stringify(ops));
  }
});
