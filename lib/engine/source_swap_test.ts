/**
 * A source file swapped for a FIFO between the scan and its copy (issue 12,
 * point 6): the copy opens it without waiting, skips it with a warning, and
 * the pass goes on. The swap is made by a fault rule at the very open of the
 * copy, so the race is hit every time; a watchdog thread unblocks an open that
 * did wait, so a regression fails the test instead of hanging the run.
 */

import { assert, assertEquals, assertIncludes } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { fifoWatchdog } from "../../testing/fifo_watchdog.ts";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import { Reconciler } from "./reconciler.ts";

/** A logger that keeps `LEVEL message` lines, the `{name}` placeholders filled in. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Proxy({}, {
    get: (_target, level) => (message: string, props: Record<string, unknown> = {}) => {
      const text = message.replace(/\{(\w+)\}/g, (_, key: string) => String(props[key]));
      lines.push(`${String(level).toUpperCase()} ${text}`);
    },
  }) as Logger;
  return { logger, lines };
}

async function onePass(src: string, dest: string, fs: FileSystem, logger: Logger) {
  const rec = await Reconciler.start(fs, {
    source: src,
    dest,
    logs: { op: logger, pass: logger, daemon: logger },
  });
  try {
    return await rec.pass();
  } finally {
    await rec.close();
  }
}

/** Replaces the file at `path` by a FIFO (as an attacker who can write into the source would). */
function swapForFifo(path: string): void {
  Deno.removeSync(path);
  assert(new Deno.Command("mkfifo", { args: [path] }).outputSync().success, "mkfifo");
}

Deno.test("a source file swapped for a FIFO between scan and copy is skipped with a warning, never waited on; the rest is backed up and its old backup kept", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/a.txt`, "a");
  put(`${src}/swapped.txt`, "first");
  put(`${src}/sub/c.txt`, "c");
  const real = new DenoFileSystem();
  const quiet = capture();
  assertEquals((await onePass(src, dest, real, quiet.logger)).copied, 3);

  put(`${src}/swapped.txt`, "second, longer");
  put(`${src}/sub/new.txt`, "new");
  const fifo = `${src}/swapped.txt`;
  const dog = fifoWatchdog([fifo]);
  const { logger, lines } = capture();
  const faulty = new FaultyFileSystem(real, [{
    point: "open",
    path: fifo,
    nth: 1,
    effect: swapForFifo,
  }]);
  const summary = await onePass(src, dest, faulty, logger);
  assertEquals(await dog.stop(), [], "nothing waited on the FIFO");

  assertEquals(summary.failed, 0, lines.join("\n"));
  assertEquals(summary.copied, 1, "sub/new.txt");
  assert(Deno.lstatSync(fifo).isFifo, "the swap happened");
  assertEquals(Deno.readTextFileSync(`${dest}/swapped.txt`), "first", "its backup is kept");
  assertEquals(Deno.readTextFileSync(`${dest}/sub/new.txt`), "new");
  const warning = lines.find((line) => line.includes("Cannot back up"));
  assert(warning !== undefined, lines.join("\n"));
  assertIncludes(warning, 'WARN Cannot back up "swapped.txt": it became a FIFO');

  // The next pass sees a FIFO, which is not carried over: nothing fails, the backup stays.
  const after = capture();
  const next = await onePass(src, dest, real, after.logger);
  assertEquals([next.failed, next.copied], [0, 0], after.lines.join("\n"));
  assertEquals(Deno.readTextFileSync(`${dest}/swapped.txt`), "first");
});
