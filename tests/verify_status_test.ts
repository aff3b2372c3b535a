/**
 * Black-box test of the rolling verification's progress (`--verify-every`) in
 * `backup status`, its `--json` and `DEST/.backup/status.json`: a round under
 * way (files and bytes of the total, its start), resumed by a restarted daemon,
 * the last full round and its mismatches.
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

/** `backup status --dest DEST --json`, parsed. */
async function statusJson(dest: string): Promise<Record<string, unknown>> {
  const r = await runCli(["status", "--dest", dest, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The `verify` object of the status, typed loosely for the test. */
interface Progress {
  periodMs: number;
  round: { files: number; totalFiles: number; bytes: number; totalBytes: number } | null;
  lastRound: { files: number; mismatches: number; endedAt: string } | null;
}

Deno.test("status shows the rolling verification's round, the last full round and its mismatches", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  // 300 files of 10 bytes: a slice reads 256, so with a long period the round stops at 256.
  for (let i = 0; i < 300; i++) {
    put(`${src}/d${i % 3}/f${String(i).padStart(3, "0")}`, "ten bytes\n");
  }
  const base = ["--src", src, "--dest", dest, "--interval", "3600", "--no-watch"];
  const slow = startDaemon([...base, "--verify-every", "1h"]);
  try {
    const first = (await waitFor(async () => {
      const v = (await statusJson(dest)).verify as Progress | null;
      return v?.round?.files === 256 ? v : null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: "the first slice in status --json" }))!;
    assertEquals(first.periodMs, 3_600_000);
    assertEquals(first.round, {
      ...first.round!,
      files: 256,
      totalFiles: 300,
      bytes: 2560,
      totalBytes: 3000,
    });
    assertEquals(first.lastRound, null);
    const text = await runCli(["status", "--dest", dest]);
    assertEquals(text.code, 0, text.stderr);
    assertIncludes(text.stdout, "verify:");
    assertIncludes(text.stdout, "every 1h; round 85% done (256 of 300 files, 2.6 kB of 3.0 kB)");
    assertIncludes(text.stdout, "0 mismatches so far; no full round finished yet");
    // status.json holds the same.
    const file = JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/status.json`));
    assertEquals(file.verify.round.files, 256);
  } finally {
    assertEquals(await slow.stop(), 0, slow.output());
  }

  // A restarted daemon resumes the round (now due at once) and finishes it.
  const fast = startDaemon([...base, "--verify-every", "2s"]);
  try {
    const done = (await waitFor(async () => {
      const v = (await statusJson(dest)).verify as Progress | null;
      return v?.lastRound ? v : null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: "a full round in status --json" }))!;
    assertEquals([done.lastRound!.files, done.lastRound!.mismatches], [300, 0]);
    assert(fast.output().includes("VERIFY ROUND DONE"), fast.output());
    const text = await runCli(["status", "--dest", dest]);
    assertIncludes(text.stdout, "every 2s;");
    assertIncludes(text.stdout, "last full round finished");
    assertIncludes(text.stdout, "(300 files, 3.0 kB, 0 mismatches)");

    // Damage in the backup (same size, same mtime) shows as the next round's mismatch.
    const damaged = `${dest}/d1/f001`;
    const mtime = Deno.statSync(damaged).mtime!;
    Deno.writeTextFileSync(damaged, "TEN BYTES\n");
    Deno.utimeSync(damaged, mtime, mtime);
    const found = (await waitFor(async () => {
      const v = (await statusJson(dest)).verify as Progress | null;
      return v?.lastRound?.mismatches === 1 ? v : null;
    }, { timeoutMs: 30_000, intervalMs: 200, what: "the mismatch in the last round" }))!;
    assertEquals(found.lastRound!.files, 300);
    const after = await runCli(["status", "--dest", dest]);
    assertIncludes(after.stdout, "(300 files, 3.0 kB, 1 mismatch)");
  } finally {
    assertEquals(await fast.stop(), 0, fast.output());
  }
  const stopped = await runCli(["status", "--dest", dest]);
  assertIncludes(stopped.stdout, "(the daemon is not running)");
});
