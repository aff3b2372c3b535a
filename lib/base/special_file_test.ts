/** NotRegularFileError and notRegularWords; isNotRegularFile against a real FIFO opened as a source. */

import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { fifoWatchdog } from "../../testing/fifo_watchdog.ts";
import { DenoFileSystem, isNotRegularFile } from "./fs.ts";
import { NotRegularFileError, type NotRegularKind, notRegularWords } from "./special_file.ts";

Deno.test("notRegularWords names each kind for people", () => {
  const words: [NotRegularKind, string][] = [
    ["fifo", "a FIFO"],
    ["socket", "a socket"],
    ["device", "a device"],
    ["symlink", "a symlink"],
    ["directory", "a folder"],
  ];
  for (const [kind, text] of words) assertEquals(notRegularWords(kind), text);
});

Deno.test("NotRegularFileError carries the path and what was found, and says it", () => {
  const err = new NotRegularFileError("/src/p", "socket");
  assert(err instanceof Error);
  assertEquals([err.name, err.path, err.found], ["NotRegularFileError", "/src/p", "socket"]);
  assertEquals(err.message, "not a regular file: a socket");
  assert(isNotRegularFile(err));
  assert(!isNotRegularFile(new Error("not a regular file: a socket")), "by class, not by text");
  assert(!isNotRegularFile(new Deno.errors.NotFound("x")));
});

Deno.test("openSource refuses a FIFO, a folder and a symlink with a NotRegularFileError naming each", async () => {
  await using tmp = await tempDir();
  const fifo = `${tmp.path}/pipe`;
  assert(new Deno.Command("mkfifo", { args: [fifo] }).outputSync().success, "mkfifo");
  put(`${tmp.path}/file`, "x");
  Deno.symlinkSync("file", `${tmp.path}/link`);
  Deno.mkdirSync(`${tmp.path}/dir`);
  const fs = new DenoFileSystem();
  const dog = fifoWatchdog([fifo]);
  const found: Record<string, string> = {};
  for (const name of ["pipe", "dir", "link"]) {
    const err = assertThrows(() => fs.openSource(`${tmp.path}/${name}`), NotRegularFileError);
    assertEquals(err.path, `${tmp.path}/${name}`);
    found[name] = err.found;
  }
  assertEquals(await dog.stop(), [], "the FIFO was never waited on");
  assertEquals(found, { pipe: "fifo", dir: "directory", link: "symlink" });
  fs.openSource(`${tmp.path}/file`).close();
});
