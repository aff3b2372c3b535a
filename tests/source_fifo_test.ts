/**
 * Black-box test of issue 12, point 6: a source file that becomes a FIFO
 * between the scan and the copy must never hang the daemon. A loop swaps a
 * fresh file and a FIFO in and out of the source every few milliseconds
 * while the daemon passes every 50 ms (no watcher: only the copy's open is
 * under test here), until the daemon has met the FIFO at a copy twice (its
 * warning) or {@link SWAP_CAP_MS} passed; then it checks that passes still go
 * on, that SIGTERM stops the daemon within a deadline, and that the rest of
 * the tree is backed up. Before the fix the first such meeting hung the
 * daemon for good. Run with and without `--allow-ffi`: the fallback's open
 * never blocks either. `lib/engine/source_swap_test.ts` makes the same swap
 * deterministically, at the copy's open.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  put,
  RUN_PERMS,
  snapshot,
  startDaemon,
  stopWithin,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";

/** The most the swapping goes on (it stops after the second hit, typically within seconds). */
const SWAP_CAP_MS = 20_000;
const HIT = "Cannot back up";
const STOP_DEADLINE_MS = 10_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The tree without `name` at its top: what must be mirrored whatever `name` became. */
function without(root: string, name: string) {
  const tree = snapshot(root);
  tree.delete(name);
  return tree;
}

async function fifoSwapRun(perms: string[]): Promise<void> {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  const stage = `${dir.path}/stage`; // same file system, outside the source
  for (let i = 0; i < 20; i++) put(`${src}/docs/file-${i}.txt`, `file ${i}`);
  const victim = `${src}/victim.txt`;
  put(victim, "first");
  Deno.mkdirSync(stage);
  const made = await new Deno.Command("mkfifo", { args: [`${stage}/fifo`] }).output();
  assert(made.success, "mkfifo");

  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "0.05", "--no-watch"], {
    perms,
  });
  let stopped;
  try {
    await waitFor(() => daemon.output().includes("PASS 1 "), {
      what: `the first pass; daemon said:\n${daemon.output()}`,
    });
    const end = Date.now() + SWAP_CAP_MS;
    const hits = () => daemon.output().split(HIT).length - 1;
    for (let round = 1; Date.now() < end && hits() < 2; round++) {
      // A new regular file (new inode, size and content) the next scan plans to copy...
      put(`${stage}/file`, `version ${round} `.repeat(1 + round % 9));
      Deno.renameSync(`${stage}/file`, victim);
      if (round % 10 === 0) put(`${src}/docs/file-${round % 20}.txt`, `file, round ${round}`);
      await pause(Math.random() * 8);
      // ...and the FIFO in its place, maybe after that scan and before that copy.
      Deno.renameSync(`${stage}/fifo`, victim);
      await pause(Math.random() * 8);
      Deno.renameSync(victim, `${stage}/fifo`);
    }
    // A regular file once more, backed up; then the FIFO takes its place for good. (During the
    // swaps the path was also briefly empty, and a pass then may have deleted its backup.)
    put(`${stage}/file`, "last");
    Deno.renameSync(`${stage}/file`, victim);
    await waitFor(() => {
      try {
        return Deno.readTextFileSync(`${dest}/victim.txt`) === "last";
      } catch {
        return false;
      }
    }, { timeoutMs: 20_000, what: `the victim's last version backed up:\n${daemon.output()}` });
    // It stays a FIFO; a file added now shows that passes still run.
    Deno.renameSync(`${stage}/fifo`, victim);
    put(`${src}/docs/late.txt`, "late");
    await waitFor(
      () => treeDiff(without(src, "victim.txt"), without(dest, "victim.txt")).length === 0,
      {
        timeoutMs: 20_000,
        what: `the rest of the tree mirrored; daemon said:\n${daemon.output().slice(-3000)}`,
      },
    );
  } finally {
    stopped = await stopWithin(daemon, STOP_DEADLINE_MS);
  }
  const output = daemon.output();
  assert(
    !stopped.killed,
    `SIGTERM did not stop it within ${STOP_DEADLINE_MS} ms:\n${output.slice(-3000)}`,
  );
  assertEquals(stopped.code, 0, output.slice(-3000));
  // Vacuous unless the copy met the FIFO at least once (and went on).
  assert(output.includes(`${HIT} "victim.txt": it became a FIFO`), output.slice(-3000));
  assertEquals(Deno.readTextFileSync(`${dest}/docs/late.txt`), "late");
  assertEquals(
    Deno.readTextFileSync(`${dest}/victim.txt`),
    "last",
    "the victim's last backup is kept as a file",
  );
}

Deno.test("fifo: a source file swapped with a FIFO under a daemon passing every 50 ms never hangs it; SIGTERM stops it in time and the rest is backed up", async () => {
  await fifoSwapRun(RUN_PERMS);
});

Deno.test("fifo: the same without --allow-ffi (the fallback's open never blocks either)", async () => {
  await fifoSwapRun(RUN_PERMS.filter((flag) => flag !== "--allow-ffi"));
});

Deno.test("fifo: a FIFO created in a watched source silences the watcher; the next full pass restarts it and live copies resume", async () => {
  await using dir = await tempDir();
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  put(`${src}/a.txt`, "a");
  // A long interval: a file copied within it after the restart came through the watcher.
  const daemon = startDaemon(["--src", src, "--dest", dest, "--interval", "8"]);
  let stopped;
  try {
    await waitFor(() => daemon.output().includes("PASS 1 "), {
      what: `the first pass; daemon said:\n${daemon.output()}`,
    });
    const made = await new Deno.Command("mkfifo", { args: [`${src}/fifo`] }).output();
    assert(made.success, "mkfifo");
    put(`${src}/during.txt`, "written while the watcher is stuck");
    await waitFor(() => daemon.output().includes("WATCHER SILENT"), {
      timeoutMs: 30_000,
      what: `the silent watcher noticed at a full pass; daemon said:\n${daemon.output()}`,
    });
    assertEquals(Deno.readTextFileSync(`${dest}/during.txt`), "written while the watcher is stuck");
    // The new watch starts a moment after the warning: a file written before it is up is left
    // to the next full pass, so write one file after another until a live pass copies one.
    const mark = daemon.output().length;
    const live = () => /PASS \d+ \(watch\): 1 copied/.test(daemon.output().slice(mark));
    for (let round = 0; round < 15 && !live(); round++) {
      put(`${src}/after-${round}.txt`, "live again");
      await waitFor(live, { timeoutMs: 1_000 }).catch(() => {});
    }
    assert(live(), `no live (watch) pass after the restart:\n${daemon.output().slice(mark)}`);
  } finally {
    stopped = await stopWithin(daemon, STOP_DEADLINE_MS);
  }
  assert(!stopped.killed, `SIGTERM did not stop it:\n${daemon.output().slice(-3000)}`);
  assertEquals(stopped.code, 0, daemon.output().slice(-3000));
});
