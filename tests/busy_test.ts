/**
 * Black-box test of issue 13 point 4: a file still being written under a
 * running daemon is busy (pending), not failed: no errors, no `--on-error`,
 * and the mirror converges once the writer is done.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, put, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";

/** The `pass` events' summaries printed so far by a `--json` daemon. */
function passes(output: string): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line);
    if (event.event === "pass" && event.summary) out.push(event.summary);
  }
  return out;
}

Deno.test("busy: a file appended to for seconds under the daemon is pending, never an error, and converges", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    const errors = `${t.path}/on-error.json`;
    put(`${src}/keep.txt`, "keep");
    const daemon = startDaemon([
      "--src",
      src,
      "--dest",
      dest,
      "--interval",
      "2",
      "--json",
      "--on-error",
      `cat >> '${errors}'`,
    ]);
    try {
      await waitFor(() => passes(daemon.output()).length > 0, { what: "the first pass" });
      // About 16 MiB appended in 64 KiB pieces over 5 s or more: copies keep seeing it grow.
      const writer = new Deno.Command("sh", {
        args: [
          "-c",
          `for i in $(seq 1 250); do head -c 65536 /dev/urandom; sleep 0.02; done > '${src}/big.bin'`,
        ],
      }).spawn();
      assert((await writer.status).success, "the writer ran");
      await waitFor(() => {
        assertMirror(src, dest);
        return true;
      }, { timeoutMs: 30_000, what: "the mirror to converge after the writer stopped" });
      const summaries = passes(daemon.output());
      const failed = summaries.reduce((sum, s) => sum + (s.failed ?? 0), 0);
      const busy = summaries.reduce((sum, s) => sum + (s.busy ?? 0), 0);
      assertEquals(failed, 0, daemon.output().slice(-3000));
      assert(busy > 0, `the file was found busy at least once (${summaries.length} passes)`);
      assert(!daemon.output().includes("FAILED"), "no FAILED line");
    } finally {
      assertEquals(await daemon.stop(), 0);
    }
    let ran = false;
    try {
      Deno.statSync(errors);
      ran = true;
    } catch { /* not run: right */ }
    assertEquals(ran, false, "--on-error did not fire for a busy file");
  } finally {
    await t.cleanup();
  }
});
