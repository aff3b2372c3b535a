/**
 * Black-box tests of issue 13's "smaller breaks" (point 6): each one a promise a user hit broken.
 *
 * @module
 */

import { assertEquals, assertIncludes } from "../testing/assert.ts";
import { put, startDaemon, stopWithin, tempDir, waitFor } from "../testing/helpers.ts";

Deno.test("smaller breaks: two SIGINTs within a second (the terminal's and deno task's) are one clean stop, exit 0", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  // A hook still running makes the stop take a while, so the second signal lands during it.
  const daemon = startDaemon([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--on-pass",
    "sleep 2",
  ]);
  await waitFor(() => daemon.output().includes("PASS 1 (scan)"), { what: "the first pass" });
  daemon.child.kill("SIGINT");
  // Apart enough for the kernel to deliver two signals (two pending SIGINTs merge into one).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stopped = await stopWithin(daemon, 15_000, "SIGINT");
  assertEquals([stopped.code, stopped.killed], [0, false], daemon.output());
  assertIncludes(daemon.output(), "BACKUP STOPPED");
});
