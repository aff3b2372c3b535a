/**
 * Moves at scale, end to end: a folder of 10,000 files that sat inside a
 * folder which was moved, and was itself moved out of it (both between two
 * passes), is still renamed in the destination, never copied: every file
 * keeps its inode there, and the second pass journals the two moves and no
 * copy; likewise a folder of 10,000 files renamed inside a folder that was
 * itself renamed (issue 14's case). (A move *into* a folder that arrives new
 * in the same pass is refused by design, lib/engine/moves.ts, and copied
 * instead: not tested here.)
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, journalShow, put, runCli, withRoots } from "../testing/helpers.ts";

const FOLDERS = 10;
const PER_FOLDER = 1000;

/** Inode of every file below `root`, by path relative to it. */
function inodes(root: string, rel = ""): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of Deno.readDirSync(rel === "" ? root : `${root}/${rel}`)) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) { for (const [p, ino] of inodes(root, path)) out.set(p, ino); }
    else out.set(path, Deno.lstatSync(`${root}/${path}`).ino!);
  }
  return out;
}

/** The operations the journal holds (one line each), from `journal show --json`. */
async function operations(dest: string): Promise<Record<string, unknown>[]> {
  return (await journalShow(dest)).filter((rec) => rec.type === "op");
}

/**
 * Writes 10,000 files under `host/big` and a file beside it, backs them up,
 * applies `rename` to the source, backs up again, and checks that no file was
 * copied and that the journal holds exactly the `expected` moves.
 */
async function movedOnce(
  rename: (src: string) => void,
  bigAfter: string,
  expected: string[],
): Promise<void> {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < FOLDERS; i++) {
      for (let j = 0; j < PER_FOLDER; j++) {
        put(`${src}/host/big/d${i}/f${j}.txt`, `file ${i}/${j}\n`);
      }
    }
    put(`${src}/host/readme.txt`, "the folder that holds it, and moves too\n");
    const first = await runCli(["--src", src, "--dest", dest, "--once", "--quiet"]);
    assertEquals(first.code, 0, first.stderr);
    const before = inodes(`${dest}/host/big`);
    assertEquals(before.size, FOLDERS * PER_FOLDER);
    const seqBefore = (await operations(dest)).length;

    rename(src);
    const second = await runCli(["--src", src, "--dest", dest, "--once", "--quiet"]);
    assertEquals(second.code, 0, second.stderr);

    assertMirror(src, dest);
    const after = inodes(`${dest}/${bigAfter}`);
    assertEquals(after.size, FOLDERS * PER_FOLDER);
    const copied = [...before].filter(([path, ino]) => after.get(path) !== ino);
    assertEquals(copied.length, 0, `files copied instead of moved: ${copied.slice(0, 3)}`);
    const ops = (await operations(dest)).slice(seqBefore);
    const moves = ops.filter((rec) => rec.op === "move").map((rec) => `${rec.from} -> ${rec.path}`);
    assertEquals(moves.sort(), expected);
    assert(ops.every((rec) => rec.outcome === "done"), JSON.stringify(ops.slice(0, 3)));
    assert(!ops.some((rec) => rec.op === "copy"), `copies: ${JSON.stringify(ops.slice(0, 3))}`);
  });
}

Deno.test("a folder of 10,000 files moved out of a folder that moves too is still one rename", async () => {
  await movedOnce(
    (src) => {
      Deno.renameSync(`${src}/host/big`, `${src}/big2`);
      Deno.renameSync(`${src}/host`, `${src}/host2`);
    },
    "big2",
    ["host -> host2", "host/big -> big2"],
  );
});

Deno.test("a folder of 10,000 files moved inside a folder that moves too is still one rename", async () => {
  await movedOnce(
    (src) => {
      Deno.renameSync(`${src}/host`, `${src}/host2`);
      Deno.renameSync(`${src}/host2/big`, `${src}/host2/big2`);
    },
    "host2/big2",
    ["host -> host2", "host2/big -> host2/big2"],
  );
});
