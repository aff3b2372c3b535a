/**
 * Black-box attacks with exclude-rule files (issue 12, point 5): anyone who can write into the
 * source can plant a `.backupignore`, and an `--exclude-from` can name a device. Each test runs
 * the program twice: with the native layer (`--allow-ffi`) and without it (the fallback).
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import {
  assertMirror,
  MAIN,
  put,
  ROOT,
  RUN_PERMS,
  startDaemon,
  stopWithin,
  tempDir,
  type TimedStop,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** With the native layer, and without it. */
const VARIANTS: [string, string[]][] = [
  ["native", RUN_PERMS],
  ["fallback", RUN_PERMS.filter((perm) => perm !== "--allow-ffi")],
];

/** Peak resident memory of a process, in MiB (`VmHWM`; read by `cat`: Deno wants --allow-all for /proc). */
async function peakMiB(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output();
  const status = new TextDecoder().decode(out.stdout);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, "mkfifo");
}

/** Runs the program to its end, killed after `deadlineMs` (a hang fails the test instead of hanging it). */
async function runWithin(
  args: string[],
  perms: string[],
  deadlineMs: number,
): Promise<{ code: number; stderr: string; ms: number }> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...perms, MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(deadlineMs),
  }).output();
  const ms = performance.now() - started;
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr), ms };
}

for (const [variant, perms] of VARIANTS) {
  Deno.test(`ignore-file attack (${variant}): a .backupignore symlinked to /dev/zero is a warning; memory stays small`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    put(`${src}/sub/b.txt`, "b");
    Deno.symlinkSync("/dev/zero", `${src}/sub/.backupignore`);
    const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "0.3"], { perms });
    let stopped: TimedStop | null = null;
    try {
      await waitFor(
        () =>
          /CANNOT READ EXCLUDE RULES: sub\/\.backupignore - it is a symlink/.test(daemon.output()),
        { what: "the warning", timeoutMs: 30_000 },
      );
      // A few more passes read the rules again: memory must not grow with them. (Passes that
      // change nothing are logged at debug level: the status file counts them.)
      await waitFor(
        () =>
          JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/status.json`)).lastPass.pass >=
            4,
        { what: "four passes", timeoutMs: 30_000 },
      );
      const peak = await peakMiB(daemon.child.pid);
      assert(peak < 400, `peak memory ${peak.toFixed(0)} MiB`);
      assertMirror(src, dest); // the rules gave nothing; the symlink itself is backed up as a symlink
    } finally {
      stopped = await stopWithin(daemon, 10_000);
    }
    assertEquals([stopped.code, stopped.killed], [0, false], daemon.output());
  });

  Deno.test(`ignore-file attack (${variant}): --exclude-from /dev/zero is a one-line error, exit 2, at once`, async () => {
    await using t = await tempDir();
    put(`${t.path}/src/a.txt`, "a");
    const run = await runWithin(
      [
        "--src",
        `${t.path}/src`,
        "--dest",
        `${t.path}/dest`,
        "--once",
        "--exclude-from",
        "/dev/zero",
      ],
      perms,
      60_000,
    );
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertIncludes(run.stderr, `cannot use --exclude-from "/dev/zero": it is a`);
    assert(run.ms < 20_000, `took ${run.ms.toFixed(0)} ms`);
  });

  Deno.test(`ignore-file attack (${variant}): a FIFO .backupignore neither hangs the pass nor SIGTERM`, async () => {
    await using t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/sub/b.txt`, "b");
    await mkfifo(`${src}/sub/.backupignore`);
    const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "600"], { perms });
    let stopped: TimedStop | null = null;
    try {
      await waitFor(() => /PASS 1 \(scan\): 1 copied/.test(daemon.output()), {
        what: "the first pass to finish",
        timeoutMs: 30_000,
      });
      assertIncludes(daemon.output(), "CANNOT READ EXCLUDE RULES: sub/.backupignore - it is a");
      // A change in the source still comes through (the FIFO held nothing up).
      put(`${src}/sub/c.txt`, "c");
      await waitFor(() => /PASS 2 /.test(daemon.output()), { what: "a live pass" });
    } finally {
      stopped = await stopWithin(daemon, 10_000);
    }
    assertEquals([stopped.code, stopped.killed], [0, false], daemon.output());
    assert(stopped.ms < 5_000, `SIGTERM took ${stopped.ms.toFixed(0)} ms`);
  });
}

Deno.test("ignore-file attack: a .backupignore above 1 MiB is refused whole, with a warning naming it", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/big/x.txt`, "x");
  put(`${src}/big/.backupignore`, "*.txt\n" + "#".repeat(1024 * 1024));
  const run = await runWithin(["--src", src, "--dest", dest, "--once"], RUN_PERMS, 60_000);
  assertEquals(run.code, 0, run.stderr);
  assertIncludes(
    run.stderr,
    "CANNOT READ EXCLUDE RULES: big/.backupignore - it is larger than 1 MiB, the cap for rule files; its rules are not applied",
  );
  assertEquals(Deno.readTextFileSync(`${dest}/big/x.txt`), "x", "none of its rules applied");
});
