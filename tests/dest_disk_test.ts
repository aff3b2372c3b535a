/**
 * Black-box tests of issue 13 point 5: the destination must not land on the wrong disk.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import {
  assertMirror,
  pathExists,
  put,
  runCli,
  startDaemon,
  stopWithin,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { LEGACY_RESERVED_DIR, RESERVED_DIR } from "../lib/base/layout.ts";

Deno.test("dest disk: --dest whose parent is missing (an unmounted disk) is refused, exit 2, nothing created", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  Deno.mkdirSync(`${t.path}/mnt`);
  const r = await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/mnt/usb/x/y`, "--once"]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  assertIncludes(r.stderr, `its parent folder ${t.path}/mnt/usb/x does not exist`);
  assertIncludes(r.stderr, `mkdir -p ${t.path}/mnt/usb/x`);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert(!pathExists(`${t.path}/mnt/usb`), "nothing is created");
});

Deno.test("dest disk: --dest whose parent exists is created (the last folder only, 0700) and backed up", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const r = await runCli(["--src", `${t.path}/src`, "--dest", `${t.path}/dest`, "--once"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(Deno.lstatSync(`${t.path}/dest`).mode! & 0o777, 0o700);
  assertEquals(Deno.readTextFileSync(`${t.path}/dest/a.txt`), "a");
});

Deno.test("dest disk: a destination that lost its backup (its disk not mounted) while the source's marker names it is refused, exit 2; --adopt-dest starts afresh", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/mnt/usb`];
  put(`${src}/a.txt`, "a");
  Deno.mkdirSync(`${t.path}/mnt`);
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(first.code, 0, first.stdout + first.stderr);
  // "Unmount" the disk: the mount point stays, empty.
  Deno.renameSync(dest, `${t.path}/usb-disk`);
  Deno.mkdirSync(dest);
  const r = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  assertIncludes(r.stderr, `"${dest}" holds no backup, but ${src}/.backup-source says`);
  assertIncludes(r.stderr, "is its disk mounted?");
  assertEquals([...Deno.readDirSync(dest)], [], "nothing written into the mount point");
  const missing = await runCli(["--src", src, "--dest", `${t.path}/mnt/usb2`, "--once"]);
  assertEquals(missing.code, 0, "another destination is a new backup: " + missing.stderr);
  const adopted = await runCli(["--src", src, "--dest", dest, "--once", "--adopt-dest"]);
  assertEquals(adopted.code, 0, adopted.stdout + adopted.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/a.txt`), "a");
});

Deno.test("dest disk: a start on another device than the backup was made on pauses (exit 6 with --once, nothing written); --adopt-dest records the new one", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(first.code, 0, first.stdout + first.stderr);
  assertIncludes(
    first.stdout,
    `DESTINATION GUARD: recorded ${dest} (device ${Deno.lstatSync(dest).dev})`,
  );
  // The backup as if made on another disk (a copy of it, or another disk mounted there).
  const record = `${dest}/${RESERVED_DIR}/destination.json`;
  const identity = JSON.parse(Deno.readTextFileSync(record));
  identity.dev += 1;
  Deno.writeTextFileSync(record, JSON.stringify(identity));
  put(`${src}/b.txt`, "b");
  const r = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(r.code, 6, r.stdout + r.stderr);
  assertIncludes(r.stderr, `but its backup was made on device ${identity.dev}`);
  assertIncludes(r.stderr, "the job is paused");
  assert(!pathExists(`${dest}/b.txt`), "nothing copied");
  const adopted = await runCli(["--src", src, "--dest", dest, "--once", "--adopt-dest"]);
  assertEquals(adopted.code, 0, adopted.stdout + adopted.stderr);
  assertEquals(Deno.readTextFileSync(`${dest}/b.txt`), "b");
  assertEquals(JSON.parse(Deno.readTextFileSync(record)).dev, Deno.lstatSync(dest).dev);
});

Deno.test("dest disk: the reserved folder vanishing while the daemon runs pauses it; no fresh full copy", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "1"]);
  try {
    await waitFor(() => daemon.output().includes("PASS 1 (scan)"), { what: "the first pass" });
    Deno.removeSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
    Deno.removeSync(`${dest}/a.txt`);
    put(`${src}/b.txt`, "b");
    await waitFor(() => daemon.output().includes(`${RESERVED_DIR} is gone`), {
      what: "the pause",
    });
    // Skipped passes are logged at debug level: give the 1 s interval time for two more.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
  } finally {
    await stopWithin(daemon, 15_000);
  }
  assert(!pathExists(`${dest}/${RESERVED_DIR}`), "the reserved folder is not made again");
  assert(!pathExists(`${dest}/a.txt`) && !pathExists(`${dest}/b.txt`), "nothing copied");
});

Deno.test("dest disk: a user's own .backup folder at the top of the source is backed up; the reserved folder is .backup-state", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/.backup/notes.txt`, "mine");
  put(`${src}/a.txt`, "a");
  const r = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assert(!r.stdout.includes("SKIPPED"), r.stdout);
  assertEquals(RESERVED_DIR, ".backup-state");
  assertEquals(Deno.readTextFileSync(`${dest}/.backup/notes.txt`), "mine");
  assert(pathExists(`${dest}/${RESERVED_DIR}/journal`), "the journal is in the reserved folder");
  assertMirror(src, dest);
  Deno.removeSync(`${src}/.backup`, { recursive: true });
  const again = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(again.code, 0, again.stderr);
  assert(!pathExists(`${dest}/.backup`), "mirrored like any folder: deleted with its source");
});

Deno.test("dest disk: a destination made with the old .backup reserved folder keeps working (and keeps that name reserved)", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  // What a destination made before the rename looks like.
  Deno.renameSync(`${dest}/${RESERVED_DIR}`, `${dest}/${LEGACY_RESERVED_DIR}`);
  put(`${src}/b.txt`, "b");
  put(`${src}/.backup/mine.txt`, "cannot go there");
  const r = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertIncludes(r.stdout, "1 copied");
  assertIncludes(
    r.stderr,
    "SKIPPED: a folder at the top of the source has the backup's reserved name",
  );
  assertEquals(Deno.readTextFileSync(`${dest}/b.txt`), "b");
  assert(!pathExists(`${dest}/${RESERVED_DIR}`), "no second reserved folder");
  assert(!pathExists(`${dest}/.backup/mine.txt`), "the source's .backup is not written into it");
  assert(pathExists(`${dest}/.backup/journal`), "the old journal goes on");
  const status = await runCli(["status", "--dest", dest]);
  assertEquals(status.code, 0, status.stderr);
  assertIncludes(status.stdout, `source:      ${src}`);
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertIncludes(verify.stdout, "journal OK");
});
