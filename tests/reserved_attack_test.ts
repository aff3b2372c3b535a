/**
 * Black-box attacks on the destination's reserved folder and root (issue 12, points 2 and 4): the
 * owner of the destination plants symlinks in `DEST/${RESERVED_DIR}`, replaces `DEST/${RESERVED_DIR}` with a
 * symlink, or swaps the whole destination for a symlink under a running daemon. Each asserts that
 * a victim outside the destination is byte for byte unchanged (content, mode and mtime). The
 * planted-file attacks run with the native layer (`--allow-ffi`) and without it (the fallback).
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import {
  put,
  RUN_PERMS,
  runCli,
  snapshot,
  startDaemon,
  stopWithin,
  tempDir,
  type TimedStop,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** With the native layer, and without it. */
const VARIANTS: [string, string[]][] = [
  ["native", RUN_PERMS],
  ["fallback", RUN_PERMS.filter((perm) => perm !== "--allow-ffi")],
];

/** A victim folder outside the destination: a snapshot of everything in it, to compare. */
function victimFolder(path: string): () => void {
  put(`${path}/a.txt`, "victim a\n");
  put(`${path}/sub/b.txt`, "victim b\n");
  Deno.chmodSync(`${path}/a.txt`, 0o644);
  Deno.chmodSync(path, 0o755);
  const before = snapshot(path, []);
  const mode = Deno.lstatSync(path).mode! & 0o7777;
  return () => {
    assertEquals(treeDiff(before, snapshot(path, [])), [], "the victim folder changed");
    assertEquals(Deno.lstatSync(path).mode! & 0o7777, mode, "the victim folder's mode changed");
  };
}

for (const [variant, perms] of VARIANTS) {
  for (const name of ["lock", "backup.log"]) {
    Deno.test(`reserved attack (${variant}): a planted ${name} symlink is refused at start, its target unchanged`, async () => {
      await using t = await tempDir();
      const src = `${t.path}/src`;
      const dest = `${t.path}/dest`;
      put(`${src}/a.txt`, "a");
      const first = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
      assertEquals(first.code, 0, first.stderr);
      const unchanged = victimFolder(`${t.path}/victim`);
      Deno.removeSync(`${dest}/${RESERVED_DIR}/${name}`);
      Deno.symlinkSync(`${t.path}/victim/a.txt`, `${dest}/${RESERVED_DIR}/${name}`);
      const run = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
      assertEquals(run.code, 2, run.stderr);
      assertIncludes(run.stderr, `${dest}/${RESERVED_DIR}/${name}"`);
      assertIncludes(run.stderr, "is a symlink");
      assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
      unchanged();
    });
  }

  Deno.test(`reserved attack (${variant}): a planted status.json.tmp symlink is removed, never written through`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    const unchanged = victimFolder(`${t.path}/victim`);
    const first = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    assertEquals(first.code, 0, first.stderr);
    Deno.symlinkSync(`${t.path}/victim/a.txt`, `${dest}/${RESERVED_DIR}/status.json.tmp`);
    put(`${src}/b.txt`, "b");
    const run = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    assertEquals(run.code, 0, run.stderr);
    unchanged();
    const status = Deno.lstatSync(`${dest}/${RESERVED_DIR}/status.json`);
    assert(status.isFile, "status.json is a regular file");
    assertIncludes(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/status.json`), '"copied":1');
  });

  Deno.test(`reserved attack (${variant}): .backup replaced by a symlink to a victim folder is refused; nothing there changes`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    const first = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    assertEquals(first.code, 0, first.stderr);
    const unchanged = victimFolder(`${t.path}/victim`);
    // The real journal, renamed away by the attacker, must not be deleted as a stray either.
    Deno.renameSync(`${dest}/${RESERVED_DIR}`, `${dest}/${RESERVED_DIR}.real`);
    const journal = snapshot(`${dest}/${RESERVED_DIR}.real`, []);
    Deno.symlinkSync(`${t.path}/victim`, `${dest}/${RESERVED_DIR}`);
    const run = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    assertEquals(run.code, 2, run.stderr);
    assertIncludes(run.stderr, `${dest}/${RESERVED_DIR}" is a symlink`);
    unchanged();
    assertEquals(treeDiff(journal, snapshot(`${dest}/${RESERVED_DIR}.real`, [])), []);
  });

  Deno.test(`reserved attack (${variant}): journal replay, journal compact and status refuse a symlinked .backup`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    const first = await runCli(["--src", src, "--dest", dest, "--once"], { perms });
    assertEquals(first.code, 0, first.stderr);
    put(`${src}/b.txt`, "b"); // something for a replay's pass to do
    // The victim is a folder that looks like a backup's own (a journal to compact and replay).
    const victim = `${t.path}/victim`;
    const copied = await new Deno.Command("cp", { args: ["-a", `${dest}/${RESERVED_DIR}`, victim] })
      .output();
    assert(copied.success);
    const before = snapshot(victim, []);
    Deno.removeSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
    Deno.symlinkSync(victim, `${dest}/${RESERVED_DIR}`);
    for (
      const args of [
        ["journal", "replay", "--dest", dest],
        ["journal", "replay", "--dest", dest, "--dry-run"],
        ["journal", "compact", "--dest", dest],
        ["status", "--dest", dest],
      ]
    ) {
      const run = await runCli(args, { perms });
      assertEquals(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
      assertIncludes(run.stderr, `${dest}/${RESERVED_DIR}" is a symlink`);
      assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
      assertEquals(
        treeDiff(before, snapshot(victim, [])),
        [],
        `${args.join(" ")} changed the victim`,
      );
    }
  });
}

Deno.test("root attack: a running daemon whose destination is swapped for a symlink pauses, then resumes", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 5; i++) put(`${src}/f${i}.txt`, `file ${i}`);
  const unchanged = victimFolder(`${t.path}/victim`);
  const hookOut = `${t.path}/on-error.json`;
  const daemon = startDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "1",
    "--on-error",
    `cat > '${hookOut}'`,
  ]);
  let stopped: TimedStop | null = null;
  try {
    await waitFor(() => /PASS 1 \(scan\): 5 copied/.test(daemon.output()), {
      what: "the first pass",
      timeoutMs: 20_000,
    });
    Deno.renameSync(dest, `${dest}.old`);
    Deno.symlinkSync(`${t.path}/victim`, dest);
    // The source changes: a pass that followed the symlink would copy into and delete from it.
    put(`${src}/new.txt`, "new");
    Deno.removeSync(`${src}/f0.txt`);
    await waitFor(() => /DESTINATION CHANGED: .*is a symlink now/.test(daemon.output()), {
      what: "the pause",
      timeoutMs: 10_000,
    });
    // A skipped pass is logged at debug level: give the 1 s interval time for two or three.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    unchanged();
    await waitFor(() => Deno.readTextFileSync(hookOut).includes("destination changed"), {
      what: "--on-error with the skipped pass",
    });
    assertEquals(
      (daemon.output().match(/DESTINATION CHANGED/g) ?? []).length,
      1,
      "logged once",
    );
    // The original comes back: the daemon resumes by itself.
    Deno.removeSync(dest);
    Deno.renameSync(`${dest}.old`, dest);
    await waitFor(() => /DESTINATION BACK/.test(daemon.output()), {
      what: "the resume",
      timeoutMs: 10_000,
    });
    await waitFor(() => {
      try {
        Deno.lstatSync(`${dest}/new.txt`);
        return true;
      } catch {
        return false;
      }
    }, { what: "new.txt backed up after the resume", timeoutMs: 10_000 });
    unchanged();
  } finally {
    stopped = await stopWithin(daemon, 5_000);
  }
  assert(!stopped.killed, `SIGTERM took ${stopped.ms} ms:\n${daemon.output()}`);
  assertEquals(stopped.code, 0, daemon.output());
});
