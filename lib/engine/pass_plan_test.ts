/**
 * planPass on real temp trees: moves paired by content hash, `verify`s
 * resolved by hashing, and a `verify` whose file vanished or became a FIFO
 * reported as vanished, not as unreadable.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { fifoWatchdog } from "../../testing/fifo_watchdog.ts";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import { scanTree } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { LocalDestination } from "../dest/local.ts";
import type { PlanOp } from "./plan.ts";
import { type FileOp, type PassInput, planPass } from "./pass_plan.ts";

const real = new DenoFileSystem();

/** The state entry saying the destination holds `abs` as it is now (with its hash). */
async function stateOf(abs: string, over: Partial<StateEntry> = {}): Promise<StateEntry> {
  const info = real.lstat(abs);
  const { hash } = await hashFile(real, abs, await createHasher());
  return {
    kind: "file",
    size: info.size,
    mtimeMs: info.mtimeMs,
    mode: info.mode,
    ino: info.ino,
    hash,
    ...over,
  };
}

/** Plans one pass from `src` to `dest` with `state` (scans both). */
async function planOf(
  src: string,
  dest: string,
  state: Map<string, StateEntry>,
  extra: Partial<PassInput> = {},
  fs: FileSystem = real,
): Promise<FileOp[]> {
  return await planPass(
    { fs, hasher: await createHasher(), source: src, destination: new LocalDestination(fs, dest) },
    {
      src: scanTree(real, src),
      dst: scanTree(real, dest, { destination: true }),
      state,
      ...extra,
    },
  );
}

/** `op path` (and `<- from` for moves), for compact assertions. */
function brief(ops: FileOp[]): string[] {
  return ops.map((op) =>
    op.op === "move" ? `move ${op.from} -> ${op.path}` : `${op.op} ${op.path}`
  );
}

async function trees() {
  const dir = await tempDir();
  return { dir, src: `${dir.path}/src`, dest: `${dir.path}/dest` };
}

Deno.test("planPass pairs a new file with a vanished one of the same content (a move that lost its inode)", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${dest}/old.txt`, "the same bytes");
  put(`${src}/new.txt`, "the same bytes");
  // A different inode: only the hash can pair them.
  const state = new Map([["old.txt", await stateOf(`${dest}/old.txt`, { ino: 1 })]]);
  const ops = brief(await planOf(src, dest, state));
  // The move carries the content; its metadata (another mtime and inode) is fixed after it.
  assertEquals(ops, ["move old.txt -> new.txt", "meta new.txt"]);
});

Deno.test("planPass does not pair files of equal size but other content: copy and delete", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${dest}/old.txt`, "aaaa");
  put(`${src}/new.txt`, "bbbb");
  const state = new Map([["old.txt", await stateOf(`${dest}/old.txt`, { ino: 1 })]]);
  assertEquals(brief(await planOf(src, dest, state)), ["delete old.txt", "copy new.txt"]);
});

Deno.test("planPass honours allowMove: a refused hash move is a copy and a delete", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${dest}/old.txt`, "the same bytes");
  put(`${src}/new.txt`, "the same bytes");
  const state = new Map([["old.txt", await stateOf(`${dest}/old.txt`, { ino: 1 })]]);
  const asked: string[] = [];
  const ops = await planOf(src, dest, state, {
    allowMove: (from, to) => (asked.push(`${from}>${to}`), false),
  });
  assertEquals(brief(ops), ["delete old.txt", "copy new.txt"]);
  assert(asked.includes("old.txt>new.txt"), asked.join(","));
});

Deno.test("planPass pairs each vanished file once: two new copies of one content get one move and one copy", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${dest}/old.txt`, "twin");
  put(`${src}/a.txt`, "twin");
  put(`${src}/b.txt`, "twin");
  const state = new Map([["old.txt", await stateOf(`${dest}/old.txt`, { ino: 1 })]]);
  const ops = brief(await planOf(src, dest, state));
  assertEquals(ops.filter((op) => op.startsWith("move")).length, 1, ops.join(", "));
  assertEquals(ops.filter((op) => op.startsWith("copy")).length, 1, ops.join(", "));
});

Deno.test("planPass plans nothing for a file the state and destination both match", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/a.txt`, "same");
  put(`${dest}/a.txt`, "same");
  const srcInfo = real.lstat(`${src}/a.txt`);
  real.utime(`${dest}/a.txt`, srcInfo.mtimeMs);
  const state = new Map([[
    "a.txt",
    await stateOf(`${dest}/a.txt`, { ino: srcInfo.ino, mode: srcInfo.mode }),
  ]]);
  assertEquals(brief(await planOf(src, dest, state)), []);
});

Deno.test("planPass resolves a verify the state vouches for (same content, new mtime) into meta with the hash", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/a.txt`, "same");
  put(`${dest}/a.txt`, "same");
  const state = new Map([["a.txt", await stateOf(`${dest}/a.txt`)]]);
  real.utime(`${src}/a.txt`, 1_000_000);
  const ops = await planOf(src, dest, state);
  assertEquals(brief(ops), ["meta a.txt"]);
  assertEquals((ops[0] as { hash?: string }).hash, state.get("a.txt")!.hash);
});

Deno.test("planPass resolves a verify whose content changed at the same size into a copy", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/a.txt`, "new!");
  put(`${dest}/a.txt`, "old!");
  const state = new Map([["a.txt", await stateOf(`${dest}/a.txt`)]]);
  real.utime(`${src}/a.txt`, 1_000_000);
  assertEquals(brief(await planOf(src, dest, state)), ["copy a.txt"]);
});

Deno.test("planPass hashes an unknown destination file that looks like the source: equal is meta, different is copy", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/same.txt`, "1234");
  put(`${dest}/same.txt`, "1234");
  put(`${src}/other.txt`, "1234");
  put(`${dest}/other.txt`, "abcd");
  for (const name of ["same.txt", "other.txt"]) {
    real.utime(`${src}/${name}`, 5_000_000);
    real.utime(`${dest}/${name}`, 5_000_000);
  }
  const ops = await planOf(src, dest, new Map());
  assertEquals(brief(ops), ["copy other.txt", "meta same.txt"]);
});

/** A verify on `a.txt` whose source open runs `effect` first; returns the plan and the callbacks' calls. */
async function verifyWith(effect: (path: string) => void, error?: () => Error) {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/a.txt`, "same");
  put(`${dest}/a.txt`, "same");
  const state = new Map([["a.txt", await stateOf(`${dest}/a.txt`)]]);
  real.utime(`${src}/a.txt`, 1_000_000);
  const faulty = new FaultyFileSystem(real, [{
    point: "open",
    path: `${src}/a.txt`,
    effect,
    ...(error ? { error } : {}),
  }]);
  const vanished: PlanOp[] = [];
  const unreadable: unknown[] = [];
  const dog = fifoWatchdog([`${src}/a.txt`]);
  const ops = await planOf(src, dest, state, {
    onVanished: (op) => vanished.push(op),
    onUnreadable: (_op, err) => unreadable.push(err),
  }, faulty);
  assertEquals(await dog.stop(), [], "nothing waited on a FIFO");
  return { ops, vanished, unreadable };
}

Deno.test("planPass: a verify's source that vanished before hashing is reported vanished, not unreadable", async () => {
  const { ops, vanished, unreadable } = await verifyWith((path) => Deno.removeSync(path));
  assertEquals(brief(ops), []);
  assertEquals(vanished.map((op) => `${op.op} ${op.path}`), ["verify a.txt"]);
  assertEquals(unreadable, []);
});

Deno.test("planPass: a verify's source swapped for a FIFO is reported vanished, never waited on", async () => {
  const { ops, vanished, unreadable } = await verifyWith((path) => {
    Deno.removeSync(path);
    assert(new Deno.Command("mkfifo", { args: [path] }).outputSync().success, "mkfifo");
  });
  assertEquals(brief(ops), []);
  assertEquals(vanished.map((op) => op.path), ["a.txt"]);
  assertEquals(unreadable, []);
});

Deno.test("planPass: a verify's source that cannot be read is reported unreadable with its error", async () => {
  const { ops, vanished, unreadable } = await verifyWith(
    () => {},
    () => new Deno.errors.PermissionDenied("no"),
  );
  assertEquals(brief(ops), []);
  assertEquals(vanished, []);
  assertEquals(unreadable.length, 1);
  assert(unreadable[0] instanceof Deno.errors.PermissionDenied);
});

Deno.test("planPass protects what lies below an unreadable source folder and what keeps says", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/here.txt`, "x");
  put(`${dest}/here.txt`, "x");
  put(`${dest}/locked/inner.txt`, "kept");
  put(`${dest}/excluded.log`, "kept");
  put(`${dest}/gone.txt`, "deleted");
  const scan = scanTree(real, src);
  scan.unreadable.set("locked", "permission denied");
  const ops = await planPass(
    {
      fs: real,
      hasher: await createHasher(),
      source: src,
      destination: new LocalDestination(real, dest),
    },
    {
      src: scan,
      dst: scanTree(real, dest, { destination: true }),
      state: new Map(),
      keeps: (rel) => rel.endsWith(".log"),
    },
  );
  const deleted = brief(ops).filter((op) => op.startsWith("delete"));
  assertEquals(deleted, ["delete gone.txt"]);
});

Deno.test("planPass plans only the paths `within` lets through", async () => {
  const { dir, src, dest } = await trees();
  await using _ = dir;
  put(`${src}/in/a.txt`, "a");
  put(`${src}/out/b.txt`, "b");
  Deno.mkdirSync(dest);
  const ops = await planOf(src, dest, new Map(), {
    within: (rel) => rel === "in" || rel.startsWith("in/"),
  });
  assertEquals(brief(ops), ["mkdir in", "copy in/a.txt", "meta in"]);
});
