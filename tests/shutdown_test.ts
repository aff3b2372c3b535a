/**
 * Black-box tests of a bounded shutdown (issue 12): SIGTERM stops the daemon within a few
 * seconds whatever one of its threads is stuck on, and the journal it leaves is sound.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, startDaemon, stopWithin, tempDir, waitFor } from "../testing/helpers.ts";

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, "mkfifo");
}

Deno.test("shutdown: a FIFO created in a watched source (Deno's watcher thread gets stuck on it): SIGTERM still exits 0 within seconds", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/sub/a.txt`, "a");
  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "600"]);
  let stopped;
  try {
    await waitFor(() => daemon.output().includes("PASS 1 (scan)"), { what: "the first pass" });
    await mkfifo(`${src}/sub/fifo`); // Deno's watcher thread gets stuck opening it
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    stopped = await stopWithin(daemon, 15_000);
  }
  assertEquals([stopped.code, stopped.killed], [0, false], daemon.output());
  assert(stopped.ms < 5_000, `SIGTERM took ${stopped.ms.toFixed(0)} ms`);
  assertIncludes(daemon.output(), "BACKUP STOPPED");
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  assertIncludes(verify.stdout, "journal OK");
});

Deno.test("shutdown: whatever holds it up (here a hook that runs on), the daemon exits 130 ten seconds after SIGTERM, journal sound", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const hookPid = `${t.path}/hook.pid`;
  put(`${src}/a.txt`, "a");
  const daemon = startDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "600",
    "--hook-timeout",
    "600",
    "--on-pass",
    `echo $$ > '${hookPid}'; exec sleep 600`,
  ]);
  let stopped;
  try {
    await waitFor(() => {
      try {
        return Deno.readTextFileSync(hookPid).trim() !== "";
      } catch {
        return false;
      }
    }, { what: "the hook to run" });
  } finally {
    stopped = await stopWithin(daemon, 30_000);
    // The hook was left running (its own process group): end it here, by its pid.
    try {
      Deno.kill(Number(Deno.readTextFileSync(hookPid).trim()), "SIGKILL");
    } catch { /* already gone */ }
  }
  assertEquals([stopped.code, stopped.killed], [130, false], daemon.output());
  assert(stopped.ms > 9_000 && stopped.ms < 20_000, `${stopped.ms.toFixed(0)} ms`);
  assertIncludes(daemon.output(), "still stopping 10 s after the signal");
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});
