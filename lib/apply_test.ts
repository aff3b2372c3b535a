import { assertEquals, assertThrows } from "../tests/assert.ts";
import { tempDir } from "../tests/helpers.ts";
import { type ApplyContext, applySimple } from "./apply.ts";
import { DenoFileSystem } from "./fs.ts";
import { createHasher } from "./hash.ts";

async function context(dest: string): Promise<ApplyContext> {
  return { fs: new DenoFileSystem(), source: "/nonexistent", dest, hasher: await createHasher() };
}

Deno.test("applySimple: deleting what is gone succeeds, also when a parent became a file", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  Deno.writeTextFileSync(`${t.path}/was-a-folder`, "now a file");
  // A crash left a delete of a file whose folder was then replaced by a file: nothing to do.
  applySimple(ctx, { op: "delete", path: "was-a-folder/child.txt", kind: "file" });
  applySimple(ctx, { op: "delete", path: "missing.txt", kind: "file" });
  assertEquals(Deno.readTextFileSync(`${t.path}/was-a-folder`), "now a file");
});

Deno.test("applySimple: a delete that really fails still throws", async () => {
  await using t = await tempDir();
  const ctx = await context(t.path);
  Deno.mkdirSync(`${t.path}/full`);
  Deno.writeTextFileSync(`${t.path}/full/x`, "x");
  // A folder that is not empty cannot be removed by a plain delete of its own.
  assertThrows(() => applySimple(ctx, { op: "delete", path: "full", kind: "dir" }), Error);
});
