import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import {
  type ApplyContext,
  applySimple,
  commitCopies,
  isRacy,
  prepareCopy,
  type PreparedCopy,
  RACY_WINDOW_MS,
  SYNC_ALL_FROM,
} from "./apply.ts";
import type { StagedFile } from "../dest/destination.ts";
import { nativeAvailable } from "../base/native/libc.ts";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { LocalDestination } from "../dest/local.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import { RESERVED_DIR } from "../base/layout.ts";
import { entryOf } from "../base/scan.ts";

async function context(dest: string, fs: FileSystem = new DenoFileSystem()): Promise<ApplyContext> {
  return {
    fs,
    source: "/nonexistent",
    destination: new LocalDestination(fs, dest),
    hasher: await createHasher(),
  };
}

Deno.test("applySimple: deleting what is gone succeeds, also when a parent became a file", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  Deno.writeTextFileSync(`${t.path}/was-a-folder`, "now a file");
  // A crash left a delete of a file whose folder was then replaced by a file: nothing to do.
  await applySimple(ctx, { op: "delete", path: "was-a-folder/child.txt", kind: "file" });
  await applySimple(ctx, { op: "delete", path: "missing.txt", kind: "file" });
  assertEquals(Deno.readTextFileSync(`${t.path}/was-a-folder`), "now a file");
});

Deno.test("applySimple: a delete that really fails still throws", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  Deno.mkdirSync(`${t.path}/full`);
  Deno.writeTextFileSync(`${t.path}/full/x`, "x");
  // A folder that is not empty cannot be removed by a plain delete of its own.
  await assertRejects(() => applySimple(ctx, { op: "delete", path: "full", kind: "dir" }), Error);
});

Deno.test("applySimple: a symlink replacing a versioned file waits for the version to be durable", async () => {
  await using t = await tempDir();
  const order: string[] = [];
  const fs = new FaultyFileSystem(new DenoFileSystem(), [
    {
      point: "syncDir",
      path: `${RESERVED_DIR}/versions`,
      effect: () => order.push("sync versions"),
    },
    { point: "rename", path: /\/a\.txt$/, effect: () => order.push("rename over a.txt") },
  ]);
  Deno.mkdirSync(`${t.path}/${RESERVED_DIR}`, { recursive: true });
  Deno.writeTextFileSync(`${t.path}/a.txt`, "old content");
  const ctx: ApplyContext = await context(t.path, fs);
  const src = {
    kind: "symlink" as const,
    size: 1,
    mtimeMs: 1_700_000_000_000,
    mode: 0o777,
    ino: 9,
  };
  const dirs = await applySimple(
    ctx,
    { op: "symlink", path: "a.txt", src: { ...src, target: "elsewhere" } },
    { version: "a.txt~20260101T000000.000Z" },
  );
  assertEquals(order, ["sync versions", "rename over a.txt"]);
  assertEquals(Deno.readLinkSync(`${t.path}/a.txt`), "elsewhere");
  assertEquals(
    Deno.readTextFileSync(`${t.path}/${RESERVED_DIR}/versions/a.txt~20260101T000000.000Z`),
    "old content",
  );
  assertEquals(dirs.length > 0, true);
});

Deno.test("isRacy: the window covers a little clock skew either way, not a far-future mtime", () => {
  const now = 1_700_000_000_000;
  const cases: [number, boolean][] = [
    [now, true],
    [now - RACY_WINDOW_MS + 1, true],
    [now - RACY_WINDOW_MS, false],
    [now + 1000, true], // a file server a second ahead
    [now + RACY_WINDOW_MS, false],
    [now + 86_400_000, false], // a wrong camera clock
    [0, false],
  ];
  assertEquals(cases.map(([m]) => isRacy(m, now)), cases.map(([, want]) => want));
});

/** How {@link fakeCopies} stages its files. */
interface FakeOptions {
  /** Every staged file has `syncAll` (as locally, pinned). */
  syncAll?: boolean;
  /** `syncAll` fails. */
  failSyncAll?: boolean;
  /** Copies whose own `sync` fails. */
  failSync?: Set<number>;
  /** The file system of copy `i` (default 1). */
  fileSystemOf?: (i: number) => number;
}

/** A staged file that logs what is done with it. */
function fakeStaged(name: string, log: string[], options: FakeOptions, i: number): StagedFile {
  const staged: StagedFile = {
    write: () => Promise.resolve(),
    seal: () => Promise.resolve(),
    sync: () => {
      log.push(`sync ${name}`);
      return options.failSync?.has(i)
        ? Promise.reject(new Error(`EIO ${name}`))
        : Promise.resolve();
    },
    commit: () => (log.push(`commit ${name}`), Promise.resolve()),
    discard: () => (log.push(`discard ${name}`), Promise.resolve()),
  };
  if (!options.syncAll) return staged;
  return {
    ...staged,
    fileSystem: options.fileSystemOf?.(i) ?? 1,
    syncAll: () => {
      log.push(`syncAll ${name}`);
      return options.failSyncAll ? Promise.reject(new Error("EIO elsewhere")) : Promise.resolve();
    },
  };
}

function fakeCopies(n: number, log: string[], options: FakeOptions): PreparedCopy[] {
  return Array.from({ length: n }, (_, i) => ({
    op: {
      op: "copy" as const,
      path: `f${i}`,
      src: { kind: "file" as const, size: 1, mtimeMs: 0, mode: 0o644, ino: i + 1 },
    },
    staged: fakeStaged(`f${i}`, log, options, i),
    hash: "h",
    bytes: 1,
    racy: false,
  }));
}

Deno.test("commitCopies: a batch of SYNC_ALL_FROM copies is made durable by one syncAll, before any commit", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  const log: string[] = [];
  const outcomes = await commitCopies(ctx, fakeCopies(SYNC_ALL_FROM, log, { syncAll: true }));
  assertEquals(outcomes, new Array(SYNC_ALL_FROM).fill(null));
  assertEquals(log[0], "syncAll f0");
  assertEquals(log.filter((l) => l.startsWith("sync")).length, 1);
  assertEquals(log.filter((l) => l.startsWith("commit")).length, SYNC_ALL_FROM);
});

Deno.test("commitCopies: fewer copies, or no syncAll, are fsynced one by one", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  const few: string[] = [];
  await commitCopies(ctx, fakeCopies(SYNC_ALL_FROM - 1, few, { syncAll: true }));
  assertEquals(few.filter((l) => l.startsWith("sync ")).length, SYNC_ALL_FROM - 1);
  assertEquals(few.filter((l) => l.startsWith("syncAll")), []);
  const without: string[] = [];
  await commitCopies(ctx, fakeCopies(SYNC_ALL_FROM, without, {}));
  assertEquals(without.filter((l) => l.startsWith("sync ")).length, SYNC_ALL_FROM);
});

Deno.test("commitCopies: one syncAll per file system; a file system with few copies fsyncs each", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  const log: string[] = [];
  // Copies 0..SYNC_ALL_FROM-1 on file system 1, the last two on file system 2 (a mount inside).
  const n = SYNC_ALL_FROM + 2;
  const copies = fakeCopies(n, log, {
    syncAll: true,
    fileSystemOf: (i) => i < SYNC_ALL_FROM ? 1 : 2,
  });
  assertEquals(await commitCopies(ctx, copies), new Array(n).fill(null));
  assertEquals(log.filter((l) => l.startsWith("syncAll")), ["syncAll f0"]);
  assertEquals(log.filter((l) => l.startsWith("sync ")).sort(), [
    `sync f${SYNC_ALL_FROM}`,
    `sync f${SYNC_ALL_FROM + 1}`,
  ]);
});

Deno.test("commitCopies: a failed syncAll falls back to an fsync each; only a file whose own fsync fails fails", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  const log: string[] = [];
  const copies = fakeCopies(SYNC_ALL_FROM, log, {
    syncAll: true,
    failSyncAll: true,
    failSync: new Set([3]),
  });
  const outcomes = await commitCopies(ctx, copies);
  assertEquals(log[0], "syncAll f0");
  assertEquals(log.filter((l) => l.startsWith("sync ")).length, SYNC_ALL_FROM);
  assertEquals(outcomes.map((o) => o === null), copies.map((_, i) => i !== 3));
  assertEquals(log.includes("discard f3"), true);
  assertEquals(log.includes("commit f3"), false);
});

Deno.test("commitCopies: the syncAll goes through the file staged first, not the first in order", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  const log: string[] = [];
  const copies = fakeCopies(SYNC_ALL_FROM, log, { syncAll: true });
  // Staged ahead, then f2 staged again in line: f2 was opened last, f1 first.
  copies.forEach((copy, i) => copy.stagedOrder = i === 2 ? 100 : i === 1 ? 0 : 10 + i);
  assertEquals(await commitCopies(ctx, copies), copies.map(() => null));
  assertEquals(log[0], "syncAll f1");
});

Deno.test("LocalDestination: a staged file can syncAll (syncfs) where the native layer is on, and is still committed", async () => {
  await using t = await tempDir();
  const destination = new LocalDestination(new DenoFileSystem(), t.path);
  const staged = await destination.stageFile("a.txt", { size: 2 });
  await staged.write(new TextEncoder().encode("hi"));
  await staged.seal({ mode: 0o644, mtimeMs: 1_700_000_000_000 });
  assertEquals(staged.syncAll !== undefined, nativeAvailable());
  if (staged.syncAll) assertEquals(staged.fileSystem, Deno.statSync(t.path).dev);
  await (staged.syncAll ?? staged.sync).call(staged);
  await staged.commit();
  assertEquals(Deno.readTextFileSync(`${t.path}/a.txt`), "hi");
  destination.close();
});

Deno.test("prepareCopy: a file of several kernel-copy spans arrives whole, with the hash of its bytes", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  Deno.mkdirSync(src);
  Deno.mkdirSync(dest);
  // 20 MiB and a bit: three spans of the kernel copy, the last one short.
  const data = new Uint8Array(20 * 1024 * 1024 + 12_345);
  for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) % 251;
  Deno.writeFileSync(`${src}/big.bin`, data);
  const fs = new DenoFileSystem();
  const ctx: ApplyContext = { ...(await context(dest)), source: src };
  const info = fs.lstat(`${src}/big.bin`);
  const copy = await prepareCopy(ctx, { op: "copy", path: "big.bin", src: entryOf(info) });
  assertEquals(await commitCopies(ctx, [copy]), [null]);
  assertEquals(copy.bytes, data.length);
  assertEquals(Deno.readFileSync(`${dest}/big.bin`), data);
  assertEquals(copy.hash, (await hashFile(fs, `${src}/big.bin`, await createHasher())).hash);
});
