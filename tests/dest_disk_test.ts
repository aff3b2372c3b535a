/**
 * Black-box tests of issue 13 point 5: the destination must not land on the wrong disk.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, tempDir } from "../testing/helpers.ts";

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("dest disk: --dest whose parent is missing (an unmounted disk) is refused, exit 2, nothing created", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  Deno.mkdirSync(`${t.path}/mnt`);
  const r = await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/mnt/usb/x/y`, "--once"]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  assertIncludes(r.stderr, `its parent folder ${t.path}/mnt/usb/x does not exist`);
  assertIncludes(r.stderr, `mkdir -p ${t.path}/mnt/usb/x`);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert(!exists(`${t.path}/mnt/usb`), "nothing is created");
});

Deno.test("dest disk: --dest whose parent exists is created (the last folder only, 0700) and backed up", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const r = await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/dest`, "--once"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(Deno.lstatSync(`${t.path}/dest`).mode! & 0o777, 0o700);
  assertEquals(Deno.readTextFileSync(`${t.path}/dest/a.txt`), "a");
});
