/**
 * Black-box tests of moves that nest: folders moved into folders that are renamed in the same
 * pass, chains of nested renames, a file moved into a renamed folder (by inode, and by size +
 * hash), a new folder reusing a deleted folder's inode, and a file changed with its mtime kept
 * (`touch -r`) then carried by a folder rename. Each runs `--once --json` and reads the pass
 * summary (bytes copied, renames, deletions) and the journal's move records.
 */

import fc from "fast-check";
import { MARKER_NAME } from "../lib/base/layout.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import {
  assertMirror,
  journalShow,
  passSummaries,
  put,
  runCli,
  snapshot,
  startDaemon,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";

/** The summary of the one pass of a `--once --json` run. */
async function pass(src: string, dest: string): Promise<Record<string, number>> {
  const [done] = await passSummaries(["--src", src, "--dest", dest], 1);
  return done!.summary as Record<string, number>;
}

/** Asserts a pass sent no bytes, copied and deleted nothing, and left the mirror equal to `src`. */
function assertNoBytesMoved(summary: Record<string, number>, src: string, dest: string): void {
  assertEquals(summary.bytes, 0, JSON.stringify(summary));
  assertEquals(summary.copied, 0, JSON.stringify(summary));
  assertEquals(summary.deleted, 0, JSON.stringify(summary));
  assertMirror(src, dest);
}

/** The renames the journal recorded, as "from -> to", oldest first. */
async function renames(dest: string): Promise<string[]> {
  return (await journalShow(dest, "--op", "move")).map((m) => `${m.from} -> ${m.path}`);
}

/** Asserts a pass did its work by renames alone: nothing copied, deleted or created. */
function onlyRenames(summary: Record<string, number>, moved: number): void {
  assertEquals(
    {
      copied: summary.copied,
      bytes: summary.bytes,
      deleted: summary.deleted,
      dirs: summary.dirs,
      moved: summary.moved,
    },
    { copied: 0, bytes: 0, deleted: 0, dirs: 0, moved },
    JSON.stringify(summary),
  );
}

Deno.test("moves: mv bulk p/bulk2 && mv p p2 before one pass is two renames, nothing copied", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 50; i++) put(`${src}/bulk/f${i}.bin`, `bulk file ${i}`.repeat(100));
  put(`${src}/p/own.txt`, "p's own file");
  await pass(src, dest);
  Deno.renameSync(`${src}/bulk`, `${src}/p/bulk2`);
  Deno.renameSync(`${src}/p`, `${src}/p2`);
  onlyRenames(await pass(src, dest), 2);
  assertMirror(src, dest);
  assertEquals((await renames(dest)).sort(), ["bulk -> p2/bulk2", "p -> p2"]);
});

Deno.test("moves: a chain of three nested moves, then the outermost renamed, is one rename each", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a/fa`, "in a");
  put(`${src}/b/fb`, "in b");
  put(`${src}/c/fc`, "in c");
  put(`${src}/x/y/z/fz`, "deep");
  await pass(src, dest);
  // Folders moved into one another, then the outermost renamed ...
  Deno.renameSync(`${src}/c`, `${src}/b/c`);
  Deno.renameSync(`${src}/b`, `${src}/a/b`);
  Deno.renameSync(`${src}/a`, `${src}/top`);
  // ... and renames inside renames, innermost first.
  Deno.renameSync(`${src}/x/y/z`, `${src}/x/y/z2`);
  Deno.renameSync(`${src}/x/y`, `${src}/x/y2`);
  Deno.renameSync(`${src}/x`, `${src}/x2`);
  onlyRenames(await pass(src, dest), 6);
  assertMirror(src, dest);
  assertEquals((await renames(dest)).sort(), [
    "a -> top",
    "b -> top/b",
    "c -> top/b/c",
    "x -> x2",
    "x2/y -> x2/y2",
    "x2/y2/z -> x2/y2/z2",
  ]);
});

Deno.test("moves: a file moved into a renamed folder is renamed, found by inode or by size + hash", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/photo.jpg`, "a photo ".repeat(500));
  put(`${src}/copied.jpg`, "another photo ".repeat(500));
  put(`${src}/album/old.jpg`, "old");
  await pass(src, dest);
  Deno.renameSync(`${src}/photo.jpg`, `${src}/album/photo.jpg`); // keeps its inode
  // Copied then deleted (a new inode, same size and content): paired by hash.
  Deno.copyFileSync(`${src}/copied.jpg`, `${src}/album/copied.jpg`);
  const stamp = Deno.statSync(`${src}/copied.jpg`).mtime!;
  Deno.utimeSync(`${src}/album/copied.jpg`, stamp, stamp);
  Deno.removeSync(`${src}/copied.jpg`);
  Deno.renameSync(`${src}/album`, `${src}/Album 2026`);
  const summary = await pass(src, dest);
  assertNoBytesMoved(summary, src, dest);
  assertEquals((await renames(dest)).sort(), [
    "album -> Album 2026",
    "copied.jpg -> Album 2026/copied.jpg",
    "photo.jpg -> Album 2026/photo.jpg",
  ]);
});

Deno.test("moves: a folder of 10,000 files moved inside another moved folder is still one rename", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  Deno.mkdirSync(`${src}/bulk`, { recursive: true });
  for (let i = 0; i < 10_000; i++) Deno.writeTextFileSync(`${src}/bulk/f${i}`, `file ${i}`);
  put(`${src}/p/readme.txt`, "p");
  await pass(src, dest);
  Deno.renameSync(`${src}/bulk`, `${src}/p/bulk2`);
  Deno.renameSync(`${src}/p`, `${src}/p2`);
  onlyRenames(await pass(src, dest), 2);
  assertEquals((await renames(dest)).sort(), ["bulk -> p2/bulk2", "p -> p2"]);
  assertEquals([...Deno.readDirSync(`${dest}/p2/bulk2`)].length, 10_000);
  assertMirror(src, dest);
});

Deno.test("moves: a new folder that reuses a deleted folder's inode is a delete and a create, not a move", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/q/old/a.jpg`, "old photo");
  put(`${src}/q/old/b.jpg`, "old photo b");
  await pass(src, dest);
  const ino = Deno.statSync(`${src}/q/old`).ino;
  Deno.removeSync(`${src}/q/old`, { recursive: true });
  // Ext4 hands a freed inode out again soon in the same folder: make folders until one gets it.
  let reused = false;
  for (let i = 0; i < 2000 && !reused; i++) {
    Deno.mkdirSync(`${src}/q/try${i}`);
    if (Deno.statSync(`${src}/q/try${i}`).ino === ino) {
      Deno.renameSync(`${src}/q/try${i}`, `${src}/q/photos`);
      reused = true;
    }
  }
  for (const e of [...Deno.readDirSync(`${src}/q`)]) {
    if (e.name.startsWith("try")) Deno.removeSync(`${src}/q/${e.name}`);
  }
  if (!reused) Deno.mkdirSync(`${src}/q/photos`); // another file system: the plain case
  put(`${src}/q/photos/new.jpg`, "a new photo");
  const summary = await pass(src, dest);
  assertEquals(summary.moved, 0, `inode reused: ${reused}; ${JSON.stringify(summary)}`);
  assertEquals(summary.deleted, 3, JSON.stringify(summary));
  assertMirror(src, dest);
  assertEquals(await renames(dest), []);
  // The old files' versions stay filed under their own path, not under photos/.
  const why = await runCli(["journal", "why", "--dest", dest, "q/photos/new.jpg"]);
  assert(!why.stdout.includes("old"), why.stdout);
});

Deno.test("moves: a file changed with its mtime kept (touch -r) and carried by a folder rename", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/docs/grown.txt`, "short");
  put(`${src}/docs/same.txt`, "AAAA");
  put(`${src}/docs/other.txt`, "keeps the folder's identity");
  // Older than the racy window (a file copied within 2 s of its mtime is hashed again).
  const old = new Date(Date.now() - 3_600_000);
  for (const f of ["grown.txt", "same.txt", "other.txt"]) {
    Deno.utimeSync(`${src}/docs/${f}`, old, old);
  }
  await pass(src, dest);
  const keep = (path: string, write: string) => {
    const st = Deno.statSync(path);
    Deno.writeTextFileSync(path, write);
    Deno.utimeSync(path, st.atime!, st.mtime!);
  };
  keep(`${src}/docs/grown.txt`, "longer content"); // size changed: seen, as without the rename
  keep(`${src}/docs/same.txt`, "BBBB"); // same size and mtime: the documented limit
  Deno.renameSync(`${src}/docs`, `${src}/papers`);
  const summary = await pass(src, dest);
  assertEquals(summary.moved, 1, JSON.stringify(summary));
  assertEquals(Deno.readTextFileSync(`${dest}/papers/grown.txt`), "longer content");
  // The quick check (size + mtime, as rsync's) cannot see this change, moved or not: no worse.
  assertEquals(Deno.readTextFileSync(`${dest}/papers/same.txt`), "AAAA");
});

Deno.test("moves: nested moves seen by the watcher (a partial pass) are renames too", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 20; i++) put(`${src}/bulk/f${i}`, `bulk ${i}`.repeat(200));
  put(`${src}/p/own.txt`, "p");
  put(`${src}/single.txt`, "a single file".repeat(100));
  const d = startDaemon(["--src", src, "--dest", dest, "--interval", "600"]);
  try {
    await waitFor(() => d.output().includes("PASS 1 "), { what: "first pass" });
    await waitFor(() => d.output().includes("WATCHING"), { what: "watcher start" });
    const ops = () => journalShow(dest);
    const before = (await ops()).length;
    Deno.renameSync(`${src}/bulk`, `${src}/p/bulk2`);
    Deno.renameSync(`${src}/single.txt`, `${src}/p/single.txt`);
    Deno.renameSync(`${src}/p`, `${src}/p2`);
    await waitFor(() => treeDiff(snapshot(src), snapshot(dest)).length === 0, {
      what: `the moves to arrive by the watcher; daemon said:\n${d.output().slice(-2000)}`,
    });
    const after = (await ops()).slice(before);
    const kinds = after.map((o) => o.op).filter((op) => op !== "meta");
    assertEquals(kinds, ["move", "move", "move"], JSON.stringify(after));
    assert(d.output().includes("(watch)"), "the passes were started by the watcher");
  } finally {
    assertEquals(await d.stop("SIGTERM"), 0, d.output());
  }
});

/** One random step of the property tests below: which entry to move and where. */
interface MoveStep {
  /** Picks the entry (among the files, or the folders). */
  what: number;
  /** Picks the folder it goes into. */
  into: number;
  /** A file (true) or a folder. */
  file: boolean;
}

/**
 * The entry `step` moves in `src` (a file or folder, the source guard's marker aside) and the
 * folder it goes into (`""`: the root; never the entry itself or below it), or null when there is
 * no entry of that kind.
 */
function pickMove(src: string, step: MoveStep): { from: string; into: string } | null {
  const listed = (rel: string): string[] =>
    [...Deno.readDirSync(`${src}/${rel}`)].filter((e) => e.name !== MARKER_NAME).flatMap((e) => {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      return e.isDirectory ? [p, ...listed(p)] : [p];
    });
  const all = listed("");
  const folders = ["", ...all.filter((p) => Deno.statSync(`${src}/${p}`).isDirectory)];
  const movable = all.filter((p) => step.file !== Deno.statSync(`${src}/${p}`).isDirectory);
  if (movable.length === 0) return null;
  const from = movable[step.what % movable.length]!;
  const targets = folders.filter((f) => f !== from && !f.startsWith(`${from}/`));
  return { from, into: targets[step.into % targets.length]! };
}

/**
 * The pass after the moves `done` (for the message) copied nothing and left a mirror of `src`;
 * then both trees are removed for the next run.
 */
async function assertMovesCopyNothing(src: string, dest: string, done: string[]): Promise<void> {
  const summary = await pass(src, dest);
  const what = `${done.join(" && ")}: ${JSON.stringify(summary)}`;
  assertEquals(summary.copied, 0, what);
  assertEquals(summary.bytes, 0, what);
  assertMirror(src, dest);
  Deno.removeSync(src, { recursive: true });
  Deno.removeSync(dest, { recursive: true });
}

Deno.test("moves: random sequences of nested mv between two passes copy nothing again", async () => {
  await using t = await tempDir();
  const FOLDERS = ["a", "a/b", "a/b/c", "d", "d/e", "f"];
  // Each step: move entry i (a folder, or the file in it) into folder j under a new name.
  const step = fc.record({ what: fc.nat(), into: fc.nat(), file: fc.boolean() });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 5 }), async (steps) => {
      const src = `${t.path}/s${n}`;
      const dest = `${t.path}/d${n++}`;
      for (const f of FOLDERS) put(`${src}/${f}/data.bin`, `${f} `.repeat(300));
      await pass(src, dest);
      const done: string[] = [];
      for (const [k, s] of steps.entries()) {
        const picked = pickMove(src, s);
        if (picked === null) continue;
        const { from, into } = picked;
        const to = `${into === "" ? "" : into + "/"}m${k}`;
        Deno.renameSync(`${src}/${from}`, `${src}/${to}`);
        done.push(`mv ${from} ${to}`);
      }
      await assertMovesCopyNothing(src, dest, done);
    }),
    { numRuns: 10, endOnFailure: true }, // each run is two CLI runs; shrinking them takes too long
  );
});

for (
  const { name, what, seed } of [
    {
      name: "a file",
      what: "x",
      seed: (src: string) => put(`${src}/p/x`, "x's bytes ".repeat(500)),
    },
    {
      name: "a folder",
      what: "sub",
      seed: (src: string) => {
        for (let i = 0; i < 5; i++) put(`${src}/p/sub/f${i}`, `sub file ${i}`.repeat(200));
      },
    },
  ]
) {
  Deno.test(`moves: mv p p2; mkdir p; mv p2/${what} p/${what} (${name} back to its old path in a new folder) is renamed`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    seed(src);
    put(`${src}/p/keep.txt`, "stays with p");
    await pass(src, dest);
    Deno.renameSync(`${src}/p`, `${src}/p2`);
    Deno.mkdirSync(`${src}/p`);
    Deno.renameSync(`${src}/p2/${what}`, `${src}/p/${what}`);
    const summary = await pass(src, dest);
    assertNoBytesMoved(summary, src, dest);
    assertEquals(await renames(dest), ["p -> p2", `p2/${what} -> p/${what}`]);
  });
}

Deno.test("moves: mv p p2; mkdir -p p/q; mv p2/x p/q/y (into new folders where a moved one was) is renamed", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/p/x`, "x's bytes ".repeat(500));
  put(`${src}/p/keep.txt`, "stays with p");
  await pass(src, dest);
  Deno.renameSync(`${src}/p`, `${src}/p2`);
  Deno.mkdirSync(`${src}/p/q`, { recursive: true });
  Deno.renameSync(`${src}/p2/x`, `${src}/p/q/y`);
  const summary = await pass(src, dest);
  assertEquals(summary.bytes, 0, JSON.stringify(summary));
  assertEquals(summary.copied, 0, JSON.stringify(summary));
  assertMirror(src, dest);
  assertEquals(await renames(dest), ["p -> p2", "p2/x -> p/q/y"]);
});

Deno.test("moves: random nested mv with vacated folders made again and entries moved back copy nothing", async () => {
  await using t = await tempDir();
  const FOLDERS = ["a", "a/b", "a/b/c", "d", "d/e", "f"];
  // Each step: move entry i into folder j, under a new name or its own (back where a moved
  // folder had it); a folder moved away may be made again at its old path (mkdir).
  const step = fc.record({
    what: fc.nat(),
    into: fc.nat(),
    file: fc.boolean(),
    ownName: fc.boolean(),
    remake: fc.boolean(),
  });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 6 }), async (steps) => {
      const src = `${t.path}/r${n}`;
      const dest = `${t.path}/e${n++}`;
      for (const f of FOLDERS) put(`${src}/${f}/data.bin`, `${f} `.repeat(300));
      await pass(src, dest);
      const done: string[] = [];
      const exists = (rel: string) => {
        try {
          Deno.lstatSync(`${src}/${rel}`);
          return true;
        } catch {
          return false;
        }
      };
      for (const [k, s] of steps.entries()) {
        const picked = pickMove(src, s);
        if (picked === null) continue;
        const { from, into } = picked;
        const name = s.ownName ? from.slice(from.lastIndexOf("/") + 1) : `m${k}`;
        const to = `${into === "" ? "" : into + "/"}${name}`;
        if (to === from || exists(to)) continue;
        Deno.renameSync(`${src}/${from}`, `${src}/${to}`);
        done.push(`mv ${from} ${to}`);
        if (s.remake && !s.file) {
          Deno.mkdirSync(`${src}/${from}`);
          done.push(`mkdir ${from}`);
        }
      }
      await assertMovesCopyNothing(src, dest, done);
    }),
    { numRuns: 15, endOnFailure: true }, // each run is two CLI runs; shrinking them takes too long
  );
});

Deno.test("moves: with --keep-versions, a rename back into a new folder of the old name files no version", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/p/x`, "x's bytes ".repeat(500));
  put(`${src}/p/keep.txt`, "stays with p");
  const once = async () => {
    const r = await runCli(["--src", src, "--dest", dest, "--once", "--keep-versions", "30d"]);
    assertEquals(r.code, 0, r.stderr);
  };
  await once();
  Deno.renameSync(`${src}/p`, `${src}/p2`);
  Deno.mkdirSync(`${src}/p`);
  Deno.renameSync(`${src}/p2/x`, `${src}/p/x`);
  await once();
  assertMirror(src, dest);
  const moves = await journalShow(dest, "--op", "move");
  assertEquals(moves.map((m) => [`${m.from} -> ${m.path}`, m.version]), [
    ["p -> p2", undefined],
    ["p2/x -> p/x", undefined], // nothing sat at p/x: p had moved away, the new p was empty
  ]);
});
