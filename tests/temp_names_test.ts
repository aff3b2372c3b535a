/**
 * Black-box test of issue 12, point 7: a source file named like the backup's
 * temp files (`.backup-tmp-` + 16 hex digits) is backed up, changed, watched
 * and deleted like any other, and the backup's own temp files (in
 * `DEST/.backup-state/staging/`) are still cleaned after a crash.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  assertMirror,
  leftoverTemps,
  put,
  runCli,
  startDaemon,
  stopWithin,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

const NAME = ".backup-tmp-0123456789abcdef";

Deno.test("temp names: a user's file named like a temp file is backed up, changed and deleted", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/${NAME}`, "at the root");
  put(`${src}/sub/${NAME}`, "in a folder");
  const run = () => runCli(["--src", src, "--dest", dest, "--once", "--no-watch"]);
  let out = await run();
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/${NAME}`), "at the root");
  assertEquals(Deno.readTextFileSync(`${dest}/sub/${NAME}`), "in a folder");
  assertMirror(src, dest);
  // A second pass keeps it (it is not taken for a leftover and removed).
  out = await run();
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assert(!out.stdout.includes("leftover"), out.stdout);
  assertEquals(Deno.readTextFileSync(`${dest}/${NAME}`), "at the root");
  put(`${src}/sub/${NAME}`, "changed");
  Deno.removeSync(`${src}/${NAME}`);
  out = await run();
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/sub/${NAME}`), "changed");
  assertMirror(src, dest);
});

Deno.test("temp names: the watcher reports a change to such a file", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "3600"]);
  try {
    await waitFor(() => Deno.readTextFileSync(`${dest}/a.txt`) === "a", {
      what: "the first pass",
      timeoutMs: 20_000,
    });
    put(`${src}/${NAME}`, "live");
    await waitFor(() => Deno.readTextFileSync(`${dest}/${NAME}`) === "live", {
      what: "the live copy (no interval pass for an hour)",
      timeoutMs: 20_000,
    });
  } finally {
    const stop = await stopWithin(daemon, 10_000);
    assertEquals(stop.code, 0, daemon.output());
  }
});

Deno.test("temp names: a leftover in the staging folder is removed, a user's look-alike kept", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/${NAME}`, "mine");
  let out = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch"]);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  put(`${dest}/${RESERVED_DIR}/staging/.backup-tmp-fedcba9876543210`, "half a copy");
  out = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch"]);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertEquals(leftoverTemps(`${dest}/${RESERVED_DIR}`), []);
  assertEquals(Deno.readTextFileSync(`${dest}/${NAME}`), "mine");
});
