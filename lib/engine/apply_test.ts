import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { type ApplyContext, applySimple, isRacy, RACY_WINDOW_MS } from "./apply.ts";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { LocalDestination } from "../dest/local.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { createHasher } from "../base/hash.ts";
import { RESERVED_DIR } from "../base/layout.ts";

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
