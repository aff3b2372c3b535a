/**
 * runDryRun on real temp trees: the plan is printed (as text or JSON lines)
 * and nothing is written anywhere: not the destination, its journal or lock,
 * nor the source's marker.
 */

import { assert, assertEquals, assertIncludes } from "../../testing/assert.ts";
import { put, snapshot, tempDir, treeDiff } from "../../testing/helpers.ts";
import { EXIT, RootError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { MARKER_NAME } from "../base/layout.ts";
import { assertRejects } from "../../testing/assert.ts";
import { jobLoggers } from "./jobs.ts";
import { runBackup } from "./run.ts";
import { parseRunArgs } from "./run_args.ts";
import { runDryRun } from "./dry_run.ts";

const real = new DenoFileSystem();

/** Runs a dry run with `flags` in `cwd`; returns its exit code and lines. */
async function dryRun(cwd: string, flags: string[], excludes: string[] = []) {
  const lines: string[] = [];
  const code = await runDryRun(parseRunArgs(["--src=src", ...flags, "--dry-run"]), {
    fs: real,
    cwd,
    out: (line) => lines.push(line),
    excludes,
  });
  return { code, lines };
}

/**
 * One real backup pass of `cwd/src` into `cwd/dest`, its files dated an hour back first
 * (a file copied in the racy window is re-hashed by the next pass: a `meta` in its plan).
 */
async function backUp(cwd: string): Promise<void> {
  const anHourAgo = Date.now() - 3_600_000;
  for (const name of real.readDir(`${cwd}/src`)) real.utime(`${cwd}/src/${name}`, anHourAgo);
  const opts = parseRunArgs(["--src=src", "--dest=dest", "--once", "--no-watch"]);
  const code = await runBackup(opts, {
    fs: real,
    cwd,
    logs: jobLoggers("test"),
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
    out: () => {},
  });
  assertEquals(code, EXIT.OK);
}

/** Everything below `root`, the reserved folder and the marker included. */
function everything(root: string) {
  return snapshot(root, []);
}

Deno.test("runDryRun into a destination that does not exist prints the plan and creates nothing", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "alpha");
  put(`${tmp.path}/src/sub/b.txt`, "bravo!");
  Deno.symlinkSync("a.txt", `${tmp.path}/src/link`);
  const before = everything(tmp.path);
  const { code, lines } = await dryRun(tmp.path, ["--dest=dest"]);
  assertEquals(code, EXIT.OK);
  assertEquals(treeDiff(before, everything(tmp.path)), [], "nothing written");
  assertEquals(
    lines[0],
    `dry run: one full pass from ${tmp.path}/src to ${tmp.path}/dest; nothing is changed`,
  );
  const text = lines.join("\n");
  assertIncludes(text, "sub/");
  assertIncludes(text, "a.txt");
  assertIncludes(text, "sub/b.txt");
  assertIncludes(text, "link -> a.txt");
  assertIncludes(
    lines.at(-1)!,
    "dry run: 2 to copy (11 B), 0 to delete, 0 to move, 1 folder to create, 1 symlink to create",
  );
});

Deno.test("runDryRun without --dest plans against an empty destination", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "alpha");
  const { code, lines } = await dryRun(tmp.path, []);
  assertEquals(code, EXIT.OK);
  assertIncludes(lines[0]!, "to (no --dest)");
  assertIncludes(lines.at(-1)!, "1 to copy");
});

Deno.test("runDryRun --json prints one plan object per operation and a summary, and nothing else", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "alpha");
  put(`${tmp.path}/src/d/b.txt`, "b");
  Deno.symlinkSync("a.txt", `${tmp.path}/src/link`);
  const { lines } = await dryRun(tmp.path, ["--dest=dest", "--json"]);
  const objects = lines.map((line) => JSON.parse(line));
  const plans = objects.filter((object) => object.type === "plan");
  assertEquals(objects.length, plans.length + 1, "every line is JSON; one summary");
  assert(
    plans.some((plan) => plan.op === "copy" && plan.path === "a.txt" && plan.size === 5),
    lines.join("\n"),
  );
  assert(plans.some((plan) => plan.op === "symlink" && plan.target === "a.txt"));
  assert(plans.some((plan) => plan.op === "mkdir" && plan.kind === "dir" && plan.path === "d"));
  const summary = objects.at(-1);
  assertEquals(summary.type, "summary");
  assertEquals(summary.dryRun, true);
  assertEquals([summary.source, summary.dest], [`${tmp.path}/src`, `${tmp.path}/dest`]);
  assertEquals(summary.operations, plans.length);
  assertEquals([summary.counts.copy, summary.counts.symlink, summary.bytes], [2, 1, 6]);
  assertEquals([summary.held, summary.sourceGuard, summary.unreadable, summary.temps], [
    0,
    null,
    0,
    0,
  ]);
  assertEquals(real.readDir(tmp.path), ["src"]);
});

Deno.test("runDryRun over an existing backup plans the changes and writes nothing, not even the journal", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/keep.txt`, "keep");
  put(`${tmp.path}/src/old.txt`, "old");
  put(`${tmp.path}/src/moved.txt`, "moved content");
  await backUp(tmp.path);
  Deno.removeSync(`${tmp.path}/src/old.txt`);
  put(`${tmp.path}/src/new.txt`, "new");
  Deno.renameSync(`${tmp.path}/src/moved.txt`, `${tmp.path}/src/there.txt`);
  const before = everything(tmp.path);
  const { lines } = await dryRun(tmp.path, ["--dest=dest"]);
  assertEquals(treeDiff(before, everything(tmp.path)), [], "nothing written, journal included");
  const text = lines.join("\n");
  assertIncludes(text, "old.txt");
  assertIncludes(text, "moved.txt -> there.txt");
  assertIncludes(lines.at(-1)!, "1 to copy (3 B), 1 to delete, 1 to move");
  assertEquals(
    lines.filter((line) => line.startsWith("meta")),
    [],
    "renamed in place: nothing else",
  );
  assert(!text.includes("keep.txt"), text);
});

Deno.test("runDryRun notes what the source guard and the mass-delete guard would hold", async () => {
  await using tmp = await tempDir();
  for (let i = 0; i < 4; i++) put(`${tmp.path}/src/f${i}.txt`, `file ${i}`);
  await backUp(tmp.path);
  for (let i = 0; i < 3; i++) Deno.removeSync(`${tmp.path}/src/f${i}.txt`);
  const held = await dryRun(tmp.path, ["--dest=dest", "--max-delete=1"]);
  assertIncludes(held.lines.join("\n"), "the mass-delete guard would hold these 3 deletions");
  const confirmed = await dryRun(tmp.path, ["--dest=dest", "--max-delete=1", "--confirm-deletes"]);
  assert(!confirmed.lines.join("\n").includes("mass-delete"), confirmed.lines.join("\n"));
  const defaults = await dryRun(tmp.path, ["--dest=dest"]);
  assert(!defaults.lines.join("\n").includes("mass-delete"), "3 is within the default 100");

  Deno.removeSync(`${tmp.path}/src/${MARKER_NAME}`);
  const vetoed = await dryRun(tmp.path, ["--dest=dest", "--json"]);
  const summary = JSON.parse(vetoed.lines.at(-1)!);
  assertIncludes(summary.sourceGuard, "lost its marker file");
  assertEquals(summary.counts.delete, 3, "the plan it holds back is still shown");
  const reset = await dryRun(tmp.path, ["--dest=dest", "--json", "--new-source"]);
  assertEquals(JSON.parse(reset.lines.at(-1)!).sourceGuard, null);
  assert(!real.readDir(`${tmp.path}/src`).includes(MARKER_NAME), "no marker written back");
});

Deno.test("runDryRun leaves out what --exclude names, and refuses a destination inside the source", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "a");
  put(`${tmp.path}/src/b.log`, "b");
  const { lines } = await dryRun(tmp.path, ["--dest=dest"], ["*.log"]);
  assert(!lines.join("\n").includes("b.log"), lines.join("\n"));
  await assertRejects(() => dryRun(tmp.path, ["--dest=src/in"]), RootError, "is inside --src");
});
