/**
 * The confirm request: written by `backup confirm`, taken once by the daemon; what a hostile
 * writer could plant in its place (a symlink, a FIFO, junk) is refused and removed.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { confirmPath, takeConfirmRequest, writeConfirmRequest } from "./confirm_request.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const fs = new DenoFileSystem();

/** A destination with its reserved folder. */
async function withDest(fn: (dest: string) => void | Promise<void>): Promise<void> {
  await using t = await tempDir();
  Deno.mkdirSync(`${t.path}/${RESERVED_DIR}`, { mode: 0o700 });
  await fn(t.path);
}

/** True when nothing is left at `path` (not even a symlink). */
function gone(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch {
    return true;
  }
}

Deno.test("confirm request: written private, taken once, nothing left behind", async () => {
  await withDest((dest) => {
    assertEquals(takeConfirmRequest(fs, dest), null, "none yet");
    writeConfirmRequest(fs, dest, 42);
    assertEquals(Deno.statSync(confirmPath(dest)).mode! & 0o777, 0o600);
    assertEquals(takeConfirmRequest(fs, dest), { held: 42 });
    assertEquals(takeConfirmRequest(fs, dest), null, "taken");
    assertEquals(
      [...Deno.readDirSync(`${dest}/${RESERVED_DIR}`)].map((e) => e.name),
      [],
      "no temp file",
    );
  });
});

Deno.test("confirm request: a symlink, a FIFO or junk in its place is refused and removed", async () => {
  await withDest(async (dest) => {
    const path = confirmPath(dest);
    await using victim = await tempDir();
    Deno.writeTextFileSync(`${victim.path}/secret`, '{"held": 7}');
    Deno.symlinkSync(`${victim.path}/secret`, path);
    const linked = takeConfirmRequest(fs, dest);
    assert(linked !== null && "problem" in linked, JSON.stringify(linked));
    assert(gone(path) && Deno.readTextFileSync(`${victim.path}/secret`) === '{"held": 7}');

    const mkfifo = await new Deno.Command("mkfifo", { args: [path] }).output();
    assert(mkfifo.success, "mkfifo");
    const fifo = takeConfirmRequest(fs, dest); // must not wait for a writer
    assert(fifo !== null && "problem" in fifo, JSON.stringify(fifo));
    assert(gone(path));

    for (const junk of ["not json", '{"held": 0}', '{"held": "7"}', "x".repeat(5000)]) {
      Deno.writeTextFileSync(path, junk);
      const got = takeConfirmRequest(fs, dest);
      assert(got !== null && "problem" in got, `${junk.slice(0, 20)}: ${JSON.stringify(got)}`);
      assert(gone(path));
    }
  });
});
