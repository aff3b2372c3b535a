/**
 * destinationHas on a real local destination: true for anything there (a
 * dangling symlink too), false only when nothing is, and "cannot tell"
 * thrown rather than taken for "not there".
 */

import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { LocalDestination } from "./local.ts";
import { destinationHas } from "./destination.ts";

const real = new DenoFileSystem();

Deno.test("destinationHas is true for a file, a folder, the root and a dangling symlink", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/d/f.txt`, "x");
  Deno.symlinkSync("nowhere", `${tmp.path}/dangling`);
  const destination = new LocalDestination(real, tmp.path);
  for (const rel of ["d/f.txt", "d", "", "dangling"]) {
    assertEquals(await destinationHas(destination, rel), true, rel);
  }
});

Deno.test("destinationHas is false when nothing is there, or a parent is a file", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/file`, "x");
  const destination = new LocalDestination(real, tmp.path);
  assertEquals(await destinationHas(destination, "missing"), false);
  assertEquals(await destinationHas(destination, "missing/below"), false);
  assertEquals(await destinationHas(destination, "file/below"), false, "not a folder: missing");
});

Deno.test("destinationHas throws when it cannot tell (permission, I/O), never says 'not there'", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/secret/f.txt`, "x");
  const faulty = new FaultyFileSystem(real, [
    { point: "lstat", path: "/secret", error: () => new Deno.errors.PermissionDenied("EACCES") },
    { point: "lstat", path: "/flaky", error: () => new Error("EIO: input/output error") },
  ]);
  const destination = new LocalDestination(faulty, tmp.path);
  await assertRejects(
    () => destinationHas(destination, "secret/f.txt"),
    Deno.errors.PermissionDenied,
  );
  await assertRejects(() => destinationHas(destination, "flaky"), Error, "EIO");
});

Deno.test("destinationHas refuses a path outside the destination instead of answering", async () => {
  await using tmp = await tempDir();
  const destination = new LocalDestination(real, `${tmp.path}/dest`);
  put(`${tmp.path}/outside.txt`, "x");
  await assertRejects(() => destinationHas(destination, "../outside.txt"), Error);
});
