import { assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { ownerOf, uidByTempFile } from "./owner.ts";

Deno.test("ownerOf names a file's uid, and uidByTempFile this process's, without --allow-sys", async () => {
  await using tmp = await tempDir();
  Deno.writeTextFileSync(`${tmp.path}/mine`, "x");
  const me = uidByTempFile();
  assertEquals(typeof me, "number");
  assertEquals(ownerOf(`${tmp.path}/mine`), me);
  Deno.symlinkSync("/", `${tmp.path}/link`);
  assertEquals(ownerOf(`${tmp.path}/link`), me, "the link itself, not its target's owner");
});
