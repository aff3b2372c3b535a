import { PARKING_PREFIX } from "../base/layout.ts";
import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { StateEntry } from "../journal/state.ts";
import {
  beforeRenames,
  detectMoves,
  type DetectOptions,
  hashMoveCandidates,
  type Move,
  orderMoves,
  originOf,
  position,
} from "./moves.ts";
import { type Entry, scanTree } from "../base/scan.ts";

const file = (ino: number, size = 3, mtimeMs = 1000): Entry => ({
  kind: "file",
  size,
  mtimeMs,
  mode: 0o644,
  ino,
});
const dir = (ino: number): Entry => ({ kind: "dir", size: 0, mtimeMs: 1000, mode: 0o755, ino });
const link = (ino: number): Entry => ({
  kind: "symlink",
  size: 1,
  mtimeMs: 1000,
  mode: 0o777,
  ino,
  target: "x",
});
const tree = (o: Record<string, Entry>) => new Map(Object.entries(o));
/** The state a journal would hold for `entries`: files carry a content hash. */
const stateOf = (entries: Map<string, Entry>): Map<string, StateEntry> =>
  new Map(
    [...entries].map(([p, e]) => [p, e.kind === "file" ? { ...e, hash: `hash-${p}` } : { ...e }]),
  );
const everything: DetectOptions = { within: () => true, allow: () => true, extra: [] };
const brief = (moves: Move[]) => moves.map((m) => `${m.origin} -> ${m.to} (${m.kind})`);

/** detectMoves when the destination still holds exactly what the state says (the usual case). */
const detect = (
  before: Map<string, Entry>,
  source: Map<string, Entry>,
  options: Partial<DetectOptions> = {},
) => detectMoves(source, stateOf(before), before, { ...everything, ...options });

const move = (origin: string, to: string, kind: Move["kind"] = "file"): Move => ({
  from: origin,
  origin,
  to,
  kind,
  src: kind === "dir" ? dir(1) : file(1),
});

// ---- detectMoves ---------------------------------------------------------------------------

Deno.test("detectMoves pairs a renamed file with its old path by inode", () => {
  const moves = detect(tree({ "a.txt": file(11) }), tree({ "b.txt": file(11) }));
  assertEquals(brief(moves), ["a.txt -> b.txt (file)"]);
  assertEquals(moves[0]!.from, "a.txt", "before ordering, from is the origin");
  assertEquals(moves[0]!.src, file(11), "the move carries the source entry now at its target");
});

Deno.test("detectMoves renames a folder once and lets it carry what is below it", () => {
  const before = tree({ "d": dir(20), "d/f": file(21), "d/sub": dir(22), "d/sub/g": file(23) });
  const source = tree({ "e": dir(20), "e/f": file(21), "e/sub": dir(22), "e/sub/g": file(23) });
  assertEquals(brief(detect(before, source)), ["d -> e (dir)"]);
});

Deno.test("detectMoves moves a file out of a folder that is renamed too, as a separate move", () => {
  const before = tree({ "d": dir(20), "d/f": file(21), "d/g": file(22) });
  const source = tree({ "e": dir(20), "e/f": file(21), "g": file(22) });
  assertEquals(brief(detect(before, source)), ["d -> e (dir)", "d/g -> g (file)"]);
});

Deno.test("detectMoves does not pair a file whose size or mtime changed along with the rename", () => {
  const before = tree({ "a": file(11, 3, 1000) });
  assertEquals(detect(before, tree({ "b": file(11, 4, 1000) })), [], "size changed");
  assertEquals(detect(before, tree({ "b": file(11, 3, 2000) })), [], "mtime changed");
});

Deno.test("detectMoves copies a new hard link instead of moving the file that stays", () => {
  const before = tree({ "a": file(11) });
  assertEquals(detect(before, tree({ "a": file(11), "b": file(11) })), []);
});

Deno.test("detectMoves ignores inode 0 (a file system that reports no inodes) and symlinks", () => {
  assertEquals(detect(tree({ "a": file(0) }), tree({ "b": file(0) })), []);
  assertEquals(detect(tree({ "l": link(7) }), tree({ "m": link(7) })), []);
});

Deno.test("detectMoves does not pair entries of different kinds that share an inode number", () => {
  assertEquals(detect(tree({ "a": file(11) }), tree({ "b": dir(11) })), []);
});

Deno.test("detectMoves refuses a pair that allow() rejects (a rename that failed before)", () => {
  const asked: string[] = [];
  const moves = detect(tree({ "a": file(11) }), tree({ "b": file(11) }), {
    allow: (from, to) => (asked.push(`${from}->${to}`), false),
  });
  assertEquals(moves, []);
  assertEquals(asked, ["a->b"]);
});

Deno.test("detectMoves sees only paths `within` the pass, on both sides of the rename", () => {
  const before = tree({ "in": dir(1), "in/a": file(11), "out": dir(2) });
  const source = tree({ "in": dir(1), "out": dir(2), "out/a": file(11) });
  const inside = (rel: string) => rel === "in" || rel.startsWith("in/");
  assertEquals(detect(before, source, { within: inside }), [], "the target is out of scope");
  const back = detect(source, before, { within: inside });
  assertEquals(back, [], "the origin is out of scope");
  assertEquals(brief(detect(before, source)), ["in/a -> out/a (file)"]);
});

Deno.test("detectMoves does not move what the destination no longer holds as the state says", () => {
  const before = tree({ "a": file(11, 3, 1000) });
  const dest = tree({ "a": file(11, 3, 5000) }); // touched in the destination
  const moves = detectMoves(tree({ "b": file(11) }), stateOf(before), dest, everything);
  assertEquals(moves, []);
  const gone = detectMoves(tree({ "b": file(11) }), stateOf(before), new Map(), everything);
  assertEquals(gone, [], "nor what is missing from the destination");
});

Deno.test("detectMoves adds the hash-confirmed pairs given in `extra`", () => {
  const before = tree({ "a": file(11) });
  const source = tree({ "b": file(99) }); // copied then deleted: a new inode
  assertEquals(detect(before, source), []);
  assertEquals(brief(detect(before, source, { extra: [["a", "b"]] })), ["a -> b (file)"]);
  assertEquals(
    detect(before, source, { extra: [["a", "b"]], within: (rel) => rel !== "b" }),
    [],
    "a pair whose target is out of scope is dropped",
  );
  assertEquals(detect(before, source, { extra: [["a", "nowhere"]] }), [], "unknown target");
});

Deno.test("detectMoves does not use one origin twice, inode pairs taking precedence over extra", () => {
  const before = tree({ "a": file(11) });
  const source = tree({ "b": file(11), "c": file(12) });
  assertEquals(brief(detect(before, source, { extra: [["a", "c"]] })), ["a -> b (file)"]);
});

Deno.test("detectMoves pairs two files that swapped names", () => {
  const before = tree({ "a": file(1, 3), "b": file(2, 4) });
  const source = tree({ "a": file(2, 4), "b": file(1, 3) });
  assertEquals(brief(detect(before, source)).sort(), ["a -> b (file)", "b -> a (file)"]);
});

Deno.test("detectMoves pairs two folders that swapped names", () => {
  const before = tree({ "x": dir(1), "x/f": file(3), "y": dir(2), "y/g": file(4) });
  const source = tree({ "y": dir(1), "y/f": file(3), "x": dir(2), "x/g": file(4) });
  assertEquals(brief(detect(before, source)).sort(), ["x -> y (dir)", "y -> x (dir)"]);
});

Deno.test("detectMoves lets a moved file replace a file, but not a folder replace a file that stays", () => {
  const fileOverFile = detect(tree({ "a": file(1), "b": file(2) }), tree({ "b": file(1) }));
  assertEquals(brief(fileOverFile), ["a -> b (file)"]);
  // The folder d is renamed to f while the file f is replaced: copied instead, never wrong.
  const dirOverFile = detect(tree({ "d": dir(5), "f": file(6) }), tree({ "f": dir(5) }));
  assertEquals(dirOverFile, []);
});

Deno.test("detectMoves refuses to move a folder into itself or out of itself", () => {
  const into = detect(tree({ "d": dir(5) }), tree({ "d": dir(9), "d/x": dir(5) }));
  assertEquals(into, []);
  const outOf = detect(tree({ "d": dir(9), "d/x": dir(5) }), tree({ "d": dir(5) }));
  assertEquals(outOf, []);
});

Deno.test("detectMoves moves a file into a new folder where one moved away (mv d e; mkdir d; mv f d/f)", () => {
  // Once refused; plan() now creates the new d between the two renames.
  const before = tree({ "d": dir(5), "f": file(6) });
  const source = tree({ "e": dir(5), "d": dir(7), "d/f": file(6) });
  assertEquals(brief(detect(before, source)), ["d -> e (dir)", "f -> d/f (file)"]);
});

Deno.test("detectMoves renames back what a folder move carried off (mv p p2; mkdir p; mv p2/x p/x)", () => {
  const before = tree({ "p": dir(5), "p/x": file(6), "p/keep": file(8) });
  const source = tree({ "p2": dir(5), "p2/keep": file(8), "p": dir(9), "p/x": file(6) });
  assertEquals(brief(detect(before, source)), ["p -> p2 (dir)", "p/x -> p/x (file)"]);
});

Deno.test("detectMoves moves a file into a folder that arrives by a move in the same pass", () => {
  // mv top d/top && mv d e
  const before = tree({ "d": dir(5), "top": file(6) });
  const source = tree({ "e": dir(5), "e/top": file(6) });
  assertEquals(brief(detect(before, source)), ["d -> e (dir)", "top -> e/top (file)"]);
});

Deno.test("detectMoves keeps a folder moved into a renamed folder one rename (mv bulk p/bulk2 && mv p p2)", () => {
  const before = tree({
    "p": dir(1),
    "p/x": file(2),
    "bulk": dir(3),
    "bulk/f": file(4),
    "bulk/g": file(5),
  });
  const source = tree({
    "p2": dir(1),
    "p2/x": file(2),
    "p2/bulk2": dir(3),
    "p2/bulk2/f": file(4),
    "p2/bulk2/g": file(5),
  });
  assertEquals(brief(detect(before, source)), ["p -> p2 (dir)", "bulk -> p2/bulk2 (dir)"]);
});

Deno.test("detectMoves keeps each of three nested renames one rename", () => {
  // mv a/b/c a/b/c2 && mv a/b a/b2 && mv a a2
  const before = tree({ "a": dir(1), "a/b": dir(2), "a/b/c": dir(3), "a/b/c/f": file(4) });
  const source = tree({ "a2": dir(1), "a2/b2": dir(2), "a2/b2/c2": dir(3), "a2/b2/c2/f": file(4) });
  assertEquals(brief(detect(before, source)), [
    "a -> a2 (dir)",
    "a/b -> a2/b2 (dir)",
    "a/b/c -> a2/b2/c2 (dir)",
  ]);
  // mv c b/c && mv b a/b && mv a z: three folders moved into one another, then the outermost.
  const flat = tree({ "a": dir(1), "b": dir(2), "c": dir(3), "c/f": file(4) });
  const nested = tree({ "z": dir(1), "z/b": dir(2), "z/b/c": dir(3), "z/b/c/f": file(4) });
  assertEquals(brief(detect(flat, nested)), [
    "a -> z (dir)",
    "b -> z/b (dir)",
    "c -> z/b/c (dir)",
  ]);
});

Deno.test("detectMoves does not take a new folder that reuses a deleted folder's inode for a move", () => {
  // rm -r old; mkdir photos: the inode is reused, the mtime is the new folder's, no child in common.
  const before = tree({ "old": dir(7), "old/a.jpg": file(8) });
  const reused = { ...dir(7), mtimeMs: 9000 };
  assertEquals(detect(before, tree({ "photos": reused })), []);
  assertEquals(detect(before, tree({ "photos": reused, "photos/b.jpg": file(9) })), []);
  // A child that reuses an inode too is no evidence unless it is the same file (size, mtime).
  const lookalike = { ...file(8), mtimeMs: 9000 };
  assertEquals(detect(before, tree({ "photos": reused, "photos/a.jpg": lookalike })), []);
});

Deno.test("detectMoves pairs a renamed folder whose mtime moved when it still holds one of its entries", () => {
  const before = tree({ "old": dir(7), "old/a.jpg": file(8), "old/b.jpg": file(9) });
  const changed = { ...dir(7), mtimeMs: 9000 }; // b.jpg deleted, c.jpg added, then renamed
  const source = tree({ "new": changed, "new/a.jpg": file(8), "new/c.jpg": file(10) });
  assertEquals(brief(detect(before, source)), ["old -> new (dir)"]);
  // An untouched folder keeps its mtime through a rename: that is evidence enough, even empty.
  assertEquals(brief(detect(tree({ "e": dir(3) }), tree({ "f": dir(3) }))), ["e -> f (dir)"]);
});

Deno.test("detectMoves refuses a move whose target folder is a file in the destination", () => {
  // "p" is a file in the destination now and becomes a folder in the source.
  const before = tree({ "a": file(1), "p": file(2) });
  const source = tree({ "p": dir(3), "p/a": file(1) });
  assertEquals(detect(before, source), []);
});

Deno.test("detectMoves looks up on disk the entries a scan left out (excluded) for a folder's evidence", () => {
  const before = tree({ "b": dir(7), "b/y.txt": file(8) });
  const changed = { ...dir(7), mtimeMs: 9000 }; // b/.backupignore added: y.txt excluded now
  const source = tree({ "a": changed, "a/.backupignore": file(9) });
  assertEquals(detect(before, source), [], "without lookups there is no evidence");
  const asked: string[] = [];
  const probe = (rel: string) => (asked.push(rel), rel === "a/y.txt" ? file(8) : null);
  assertEquals(brief(detect(before, source, { probe })), ["b -> a (dir)"]);
  assertEquals(asked, ["a/y.txt"]);
  const other = (rel: string) => rel === "a/y.txt" ? { ...file(8), size: 99 } : null;
  assertEquals(detect(before, source, { probe: other }), [], "a different file is no evidence");
});

Deno.test("detectMoves finds real renames by the inodes a scan reports", async () => {
  await using tmp = await tempDir();
  const fs = new DenoFileSystem();
  put(`${tmp.path}/docs/a.txt`, "aaa");
  put(`${tmp.path}/docs/deep/b.txt`, "bbbb");
  put(`${tmp.path}/top.txt`, "top");
  put(`${tmp.path}/kept.txt`, "kept");
  const before = scanTree(fs, tmp.path).entries;
  Deno.renameSync(`${tmp.path}/docs`, `${tmp.path}/papers`);
  Deno.renameSync(`${tmp.path}/top.txt`, `${tmp.path}/renamed.txt`);
  const after = scanTree(fs, tmp.path).entries;
  assertEquals(brief(detect(before, after)), [
    "docs -> papers (dir)",
    "top.txt -> renamed.txt (file)",
  ]);
});

// ---- position, originOf, beforeRenames -----------------------------------------------------

Deno.test("position follows an entry through the deepest folder move above it", () => {
  const moves = [move("d", "e", "dir"), move("d/s", "z", "dir"), move("f", "g")];
  assertEquals(position("d/f", moves), "e/f");
  assertEquals(position("d/s/x", moves), "z/x", "the deepest carrier wins");
  assertEquals(position("d", moves), "e");
  assertEquals(position("f", moves), "g");
  assertEquals(position("f/x", moves), "f/x", "a file move carries nothing below it");
  assertEquals(position("dd/f", moves), "dd/f", "a name that only starts like a moved folder");
  assertEquals(position("other", []), "other");
});

Deno.test("originOf is the inverse of position", () => {
  const moves = [move("d", "e", "dir"), move("d/s", "z", "dir"), move("f", "g")];
  for (const p of ["d/f", "d/s/x", "d", "f", "other"]) {
    assertEquals(originOf(position(p, moves), moves), p, p);
  }
  assertEquals(originOf("g/x", moves), "g/x", "a file move carries nothing below it");
});

Deno.test("beforeRenames undoes renames in reverse order, folder renames carrying what is below", () => {
  const renames = [{ from: "a", path: "b" }, { from: "b", path: "c" }];
  assertEquals(beforeRenames("c/f", renames), "a/f");
  assertEquals(beforeRenames("c", renames), "a");
  assertEquals(beforeRenames("cc", renames), "cc");
  assertEquals(beforeRenames("x", []), "x");
  // A swap through a parking name: a -> tmp, b -> a, tmp -> b.
  const swap = [{ from: "a", path: "tmp" }, { from: "b", path: "a" }, { from: "tmp", path: "b" }];
  assertEquals(beforeRenames("a", swap), "b");
  assertEquals(beforeRenames("b/f", swap), "a/f");
});

// ---- hashMoveCandidates --------------------------------------------------------------------

Deno.test("hashMoveCandidates pairs a new file with every vanished hashed file of its size", () => {
  const before = tree({ "old1": file(1, 10), "old2": file(2, 10), "other": file(3, 11) });
  const source = tree({ "new": file(9, 10) });
  const found = hashMoveCandidates(source, stateOf(before), before, () => true, []);
  assertEquals(found.map((c) => ({ to: c.to, from: [...c.from].sort() })), [
    { to: "new", from: ["old1", "old2"] },
  ]);
});

Deno.test("hashMoveCandidates leaves out empty files, unhashed state and different sizes", () => {
  const before = tree({ "empty": file(1, 0), "sized": file(2, 5) });
  const state = stateOf(before);
  const source = tree({ "new-empty": file(8, 0), "new-other": file(9, 6) });
  assertEquals(hashMoveCandidates(source, state, before, () => true, []), []);
  const unhashed = new Map(state);
  unhashed.set("sized", { ...file(2, 5) });
  const same = tree({ "new": file(9, 5) });
  assertEquals(hashMoveCandidates(same, unhashed, before, () => true, []), []);
  assertEquals(hashMoveCandidates(same, state, before, () => true, []).length, 1);
});

Deno.test("hashMoveCandidates leaves out a path that is still in the source, or changed in the destination", () => {
  const before = tree({ "old": file(1, 10) });
  const replaced = tree({ "old": file(5, 20), "new": file(9, 10) });
  assertEquals(hashMoveCandidates(replaced, stateOf(before), before, () => true, []), []);
  const touched = tree({ "old": file(1, 10, 7777) });
  const source = tree({ "new": file(9, 10) });
  assertEquals(hashMoveCandidates(source, stateOf(before), touched, () => true, []), []);
});

Deno.test("hashMoveCandidates leaves out what an inode move already carries, at either end", () => {
  const before = tree({ "d": dir(5), "d/f": file(6, 10), "old": file(7, 10) });
  const source = tree({ "e": dir(5), "e/f": file(16, 10), "new": file(17, 10) });
  const inode: Move[] = [move("d", "e", "dir")];
  const found = hashMoveCandidates(source, stateOf(before), before, () => true, inode);
  // e/f arrives inside a moved folder and d/f leaves with it: only new <- old is left to hash.
  assertEquals(found, [{ to: "new", from: ["old"] }]);
  const fileMoves: Move[] = [move("old", "new")];
  assertEquals(
    hashMoveCandidates(source, stateOf(before), before, () => true, fileMoves),
    [{ to: "e/f", from: ["d/f"] }],
    "without the folder move, e/f may be d/f copied; new and old are the file move's",
  );
});

Deno.test("hashMoveCandidates keeps a new file in a renamed folder, and a file that left it before", () => {
  // cp top e/top && rm top && mv d e: e/top is new in the renamed folder, not carried by it.
  const before = tree({
    "d": dir(5),
    "d/k": file(6, 4),
    "d/gone": file(8, 12),
    "top": file(7, 10),
  });
  const source = tree({
    "e": dir(5),
    "e/k": file(6, 4),
    "e/top": file(17, 10),
    "out": file(18, 12),
  });
  const inode: Move[] = [move("d", "e", "dir")];
  const found = hashMoveCandidates(source, stateOf(before), before, () => true, inode);
  // d/gone left d (copied out as "out") before the rename: the rename does not carry it.
  assertEquals(found, [{ to: "out", from: ["d/gone"] }, { to: "e/top", from: ["top"] }]);
});

Deno.test("hashMoveCandidates looks only `within` the pass", () => {
  const before = tree({ "a/old": file(1, 10) });
  const source = tree({ "b/new": file(9, 10) });
  const inA = (rel: string) => rel.startsWith("a/");
  const inB = (rel: string) => rel.startsWith("b/");
  assertEquals(hashMoveCandidates(source, stateOf(before), before, inA, []), []);
  assertEquals(hashMoveCandidates(source, stateOf(before), before, inB, []), []);
});

// ---- orderMoves, applied to a real folder --------------------------------------------------

/** Creates files (content = their original path) and folders, renames as ordered, then lists. */
function runRenames(root: string, files: string[], ordered: Move[]): Record<string, string> {
  for (const p of files) put(`${root}/${p}`, p);
  for (const m of ordered) {
    let taken = true;
    try {
      Deno.lstatSync(`${root}/${m.to}`);
    } catch {
      taken = false;
    }
    assert(!taken, `rename ${m.from} -> ${m.to} would land on an entry that has yet to move`);
    Deno.renameSync(`${root}/${m.from}`, `${root}/${m.to}`);
  }
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) walk(p);
      else out[p] = Deno.readTextFileSync(`${root}/${p}`);
    }
  };
  walk("");
  return out;
}

Deno.test("orderMoves runs a chain of renames back to front so none lands on a pending one", async () => {
  await using tmp = await tempDir();
  const ordered = orderMoves([move("a", "b"), move("b", "c")]);
  assertEquals(ordered.map((m) => `${m.from}->${m.to}`), ["b->c", "a->b"]);
  assertEquals(runRenames(tmp.path, ["a", "b"], ordered), { b: "a", c: "b" });
});

Deno.test("orderMoves breaks a swap of two files by parking one under a move temp name", async () => {
  await using tmp = await tempDir();
  const ordered = orderMoves([move("a", "b"), move("b", "a")]);
  assertEquals(ordered.length, 3);
  const park = ordered[0]!.to;
  assert(park.startsWith(PARKING_PREFIX), park);
  assertEquals(park.length, PARKING_PREFIX.length + 16);
  assertEquals(ordered.map((m) => `${m.from}->${m.to}`), [`a->${park}`, "b->a", `${park}->b`]);
  assertEquals(runRenames(tmp.path, ["a", "b"], ordered), { a: "b", b: "a" });
});

Deno.test("orderMoves picks a fresh parking name for every swap", () => {
  const names = new Set<string>();
  for (let i = 0; i < 20; i++) names.add(orderMoves([move("a", "b"), move("b", "a")])[0]!.to);
  assertEquals(names.size, 20);
});

Deno.test("orderMoves swaps two folders with their content", async () => {
  await using tmp = await tempDir();
  const ordered = orderMoves([move("x", "y", "dir"), move("y", "x", "dir")]);
  assertEquals(runRenames(tmp.path, ["x/f", "x/deep/g", "y/h"], ordered), {
    "y/f": "x/f",
    "y/deep/g": "x/deep/g",
    "x/h": "y/h",
  });
});

Deno.test("orderMoves rotates three files through one parking name", async () => {
  await using tmp = await tempDir();
  const ordered = orderMoves([move("a", "b"), move("b", "c"), move("c", "a")]);
  assertEquals(ordered.length, 4);
  assertEquals(runRenames(tmp.path, ["a", "b", "c"], ordered), { a: "c", b: "a", c: "b" });
});

Deno.test("orderMoves gives a file leaving a renamed folder the path it has after that rename", async () => {
  await using tmp = await tempDir();
  const ordered = orderMoves([move("d", "e", "dir"), move("d/f", "g")]);
  assertEquals(ordered.map((m) => `${m.from}->${m.to}`), ["d->e", "e/f->g"]);
  assertEquals(ordered[1]!.origin, "d/f", "the origin stays the path before the pass");
  assertEquals(runRenames(tmp.path, ["d/f", "d/k"], ordered), { "e/k": "d/k", g: "d/f" });
});

Deno.test("orderMoves renames a folder away before a file takes its name, and finds what it carried", async () => {
  await using tmp = await tempDir();
  // d/f leaves d, then d is renamed away, then x takes the name d.
  const moves = [move("x", "d"), move("d", "e", "dir"), move("d/f", "f")];
  const ordered = orderMoves(moves);
  assertEquals(runRenames(tmp.path, ["x", "d/f"], ordered), { d: "x", f: "d/f" });
});

Deno.test("orderMoves lands a folder moved into a renamed folder after that rename", async () => {
  await using tmp = await tempDir();
  // mv bulk p/bulk2 && mv p p2, given in the order that would fail (p2 missing).
  const ordered = orderMoves([move("bulk", "p2/bulk2", "dir"), move("p", "p2", "dir")]);
  assertEquals(ordered.map((m) => `${m.from}->${m.to}`), ["p->p2", "bulk->p2/bulk2"]);
  assertEquals(runRenames(tmp.path, ["p/x", "bulk/f"], ordered), {
    "p2/x": "p/x",
    "p2/bulk2/f": "bulk/f",
  });
});

Deno.test("orderMoves runs a chain of three nested renames outermost first", async () => {
  await using tmp = await tempDir();
  const moves = [
    move("a/b/c", "a2/b2/c2", "dir"),
    move("a/b", "a2/b2", "dir"),
    move("a", "a2", "dir"),
    move("top", "a2/b2/c2/top"),
  ];
  const ordered = orderMoves(moves);
  assertEquals(ordered.length, 4, "no parking");
  assertEquals(runRenames(tmp.path, ["a/b/c/f", "a/b/g", "top"], ordered), {
    "a2/b2/c2/f": "a/b/c/f",
    "a2/b2/g": "a/b/g",
    "a2/b2/c2/top": "top",
  });
});

Deno.test("orderMoves lets a folder leave before another lands below its old name", async () => {
  await using tmp = await tempDir();
  // d is renamed to e, x takes the name d, and y moves into the new d.
  const moves = [move("y", "d/y"), move("x", "d", "dir"), move("d", "e", "dir")];
  const ordered = orderMoves(moves);
  assertEquals(runRenames(tmp.path, ["x/k", "d/f", "y"], ordered), {
    "d/k": "x/k",
    "d/y": "y",
    "e/f": "d/f",
  });
});

Deno.test("orderMoves keeps an empty list empty and a single move as it is", () => {
  assertEquals(orderMoves([]), []);
  assertEquals(brief(orderMoves([move("a", "b")])), ["a -> b (file)"]);
});

Deno.test("detectMoves with nothing tracked (an initial copy) pairs nothing, whatever the destination holds", () => {
  const source = tree({ "d": dir(1), "d/a": file(2), "b": file(3) });
  assertEquals(detectMoves(source, new Map(), source, everything), []);
  assertEquals(hashMoveCandidates(source, new Map(), source, () => true, []), []);
});
