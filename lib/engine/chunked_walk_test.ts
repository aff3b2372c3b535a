import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { emptyScan, scanTree } from "../base/scan.ts";
import { isAtOrBelow } from "../base/paths.ts";
import { plan } from "./plan.ts";
import {
  type Chunk,
  CHUNK_OPS,
  ChunkedWalk,
  chunkOpsFromEnv,
  firstCopyRoot,
} from "./chunked_walk.ts";

const real = new DenoFileSystem();

/** Every chunk of a walk of `root`. */
function chunksOf(
  root: string,
  chunkOps: number,
  skip: (rel: string) => boolean = () => false,
): Chunk[] {
  const walk = new ChunkedWalk({ fs: real, source: root, skip, chunkOps });
  const chunks: Chunk[] = [];
  for (let c = walk.next(); c !== null; c = walk.next()) chunks.push(c);
  return chunks;
}

/** A tree of folders several levels deep, files, a symlink, an empty folder, a FIFO. */
function makeTree(root: string): void {
  for (const d of ["a", "a/b", "a/b/c", "a/d", "e", "e/f/g/h"]) {
    for (let i = 0; i < 7; i++) put(`${root}/${d}/f${i}.txt`, `${d} ${i}`);
  }
  Deno.mkdirSync(`${root}/empty`);
  Deno.symlinkSync("../e", `${root}/a/link`);
  new Deno.Command("mkfifo", { args: [`${root}/fifo`] }).outputSync();
}

const key = (op: { op: string; path: string }) => `${op.op} ${op.path}`;

Deno.test("ChunkedWalk plans the operations the planner plans for an empty destination, in chunks, each folder's meta after all it holds", async () => {
  await using tmp = await tempDir();
  makeTree(tmp.path);
  const whole = plan(scanTree(real, tmp.path).entries, new Map(), new Map());
  for (const chunkOps of [1, 5, 10, 1000]) {
    const chunks = chunksOf(tmp.path, chunkOps);
    const ops = chunks.flatMap((c) => c.ops);
    assertEquals(ops.map(key).sort(), whole.map(key).sort(), `chunk size ${chunkOps}`);
    if (chunkOps <= 10) assert(chunks.length > 3, `${chunks.length} chunks of ${chunkOps}`);
    // A chunk holds whole folder listings: at most one folder (7 files and a few folders) over.
    for (const c of chunks) assert(c.ops.length <= chunkOps + 2 * 11, `${c.ops.length} ops`);
    ops.forEach((op, i) => {
      const later = ops.slice(i + 1);
      if (op.op === "meta") {
        // Nothing inside the folder comes after its meta.
        const after = later.find((o) => o.path !== op.path && isAtOrBelow(o.path, op.path));
        assertEquals(after, undefined, `${key(after ?? op)} after meta ${op.path}`);
      } else {
        // Each entry's folder is created before it.
        const parent = op.path.includes("/") ? op.path.slice(0, op.path.lastIndexOf("/")) : "";
        if (parent !== "") {
          assert(ops.slice(0, i).some((o) => o.op === "mkdir" && o.path === parent));
        }
      }
    });
  }
});

Deno.test("ChunkedWalk leaves out what skip says, reports unreadable and vanished folders, throws when the root cannot be listed", async () => {
  await using tmp = await tempDir();
  makeTree(tmp.path);
  const chunks = chunksOf(tmp.path, 1000, (rel) => rel === "e/f" || rel.endsWith("f0.txt"));
  const ops = chunks.flatMap((c) => c.ops);
  assert(!ops.some((op) => isAtOrBelow(op.path, "e/f") || op.path.endsWith("f0.txt")));
  assertEquals(chunks.reduce((n, c) => n + c.problems.skipped, 0), 6);

  // A folder gone between its parent's listing and its own; one that cannot be read.
  const walk = new ChunkedWalk({ fs: real, source: tmp.path, skip: () => false, chunkOps: 1 });
  const first = walk.next()!; // the root alone
  assert(first.ops.some((op) => op.op === "mkdir" && op.path === "a"));
  Deno.removeSync(`${tmp.path}/e`, { recursive: true });
  Deno.chmodSync(`${tmp.path}/a`, 0);
  const rest: Chunk[] = [];
  for (let c = walk.next(); c !== null; c = walk.next()) rest.push(c);
  Deno.chmodSync(`${tmp.path}/a`, 0o755);
  assertEquals(rest.flatMap((c) => c.vanished), ["e"]);
  const unreadable = new Map(rest.flatMap((c) => [...c.problems.unreadable]));
  // As root, permissions do not stop a read: then `a` is listed like any folder.
  if (Deno.uid() !== 0) assert(unreadable.has("a"));
  // Their folders still get their meta (after their creation), so the walk ends whole.
  const metas = rest.flatMap((c) => c.ops).filter((op) => op.op === "meta").map((op) => op.path);
  assert(metas.includes("a") && metas.includes("e") && metas.includes("empty"), `${metas}`);

  Deno.removeSync(`${tmp.path}`, { recursive: true });
  const gone = new ChunkedWalk({ fs: real, source: tmp.path, skip: () => false, chunkOps: 5 });
  assertThrows(() => gone.next(), Error);
});

Deno.test("firstCopyRoot: only with nothing tracked, nothing in doubt, real folders and an empty root", async () => {
  const empty = emptyScan();
  empty.temps.push(".backup-state/staging/x");
  const listRoot = () => Promise.resolve(empty);
  const check = { tracked: 0, suspects: 0, realFolders: true, listRoot };
  assertEquals(await firstCopyRoot(check), empty);
  assertEquals(await firstCopyRoot({ ...check, tracked: 1 }), null);
  assertEquals(await firstCopyRoot({ ...check, suspects: 1 }), null);
  assertEquals(await firstCopyRoot({ ...check, realFolders: false }), null);
  const full = emptyScan();
  full.entries.set("x", { kind: "file", size: 1, mtimeMs: 0, mode: 0o644, ino: 1 });
  assertEquals(await firstCopyRoot({ ...check, listRoot: () => Promise.resolve(full) }), null);
  const failing = () => Promise.reject(new Error("gone"));
  assertEquals(await firstCopyRoot({ ...check, listRoot: failing }), null);
});

Deno.test("chunkOpsFromEnv: the default unless BACKUP_CHUNK_OPS is set to a whole number", () => {
  const before = Deno.env.get("BACKUP_CHUNK_OPS");
  try {
    Deno.env.delete("BACKUP_CHUNK_OPS");
    assertEquals(chunkOpsFromEnv(), CHUNK_OPS);
    Deno.env.set("BACKUP_CHUNK_OPS", "0");
    assertEquals(chunkOpsFromEnv(), 0);
    Deno.env.set("BACKUP_CHUNK_OPS", "25");
    assertEquals(chunkOpsFromEnv(), 25);
    Deno.env.set("BACKUP_CHUNK_OPS", "lots");
    assertThrows(() => chunkOpsFromEnv(), Error, "BACKUP_CHUNK_OPS=lots");
  } finally {
    if (before === undefined) Deno.env.delete("BACKUP_CHUNK_OPS");
    else Deno.env.set("BACKUP_CHUNK_OPS", before);
  }
});
