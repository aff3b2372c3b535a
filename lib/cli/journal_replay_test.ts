/**
 * runReplay in process on a real backup whose journal ends with interrupted
 * intents (a crash after they were made durable): the dry run lists them and
 * the plan and writes nothing; the real replay closes them and re-checks
 * their paths.
 */

import { assert, assertEquals, assertIncludes, assertRejects } from "../../testing/assert.ts";
import { assertMirror, put, snapshot, tempDir, treeDiff } from "../../testing/helpers.ts";
import { copyIntent } from "../../testing/records.ts";
import { EXIT, RootError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import type { Unstamped } from "../journal/record.ts";
import { readJournal } from "../journal/reader.ts";
import { replayJournal } from "../journal/replay.ts";
import { JournalWriter } from "../journal/writer.ts";
import { jobLoggers } from "./jobs.ts";
import { runBackup } from "./run.ts";
import { parseRunArgs } from "./run_args.ts";
import { runReplay } from "./journal_replay.ts";

const real = new DenoFileSystem();

/** An hour before the tests started: out of the racy window, and the same on every call. */
const HOUR_AGO = Date.now() - 3_600_000;

/** Dates every file of `dir` {@link HOUR_AGO}. */
function age(dir: string): void {
  for (const name of real.readDir(dir)) real.utime(`${dir}/${name}`, HOUR_AGO);
}

/** A backup of `root/src` in `root/dest` whose journal ends with `intents`, never completed. */
async function crashedBackup(root: string, intents: (src: string) => Unstamped[]) {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  const code = await runBackup(parseRunArgs(["--src=src", "--dest=dest", "--once", "--no-watch"]), {
    fs: real,
    cwd: root,
    logs: jobLoggers("test"),
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
    out: () => {},
  });
  assertEquals(code, EXIT.OK);
  const dir = journalDir(dest);
  const read = readJournal(real, dir);
  const writer = await JournalWriter.open(real, dir, {
    source: read.source!,
    lastSeq: read.lastSeq,
    lastSegment: { name: read.segments.at(-1)!, bytes: read.lastSegmentBytes },
  });
  try {
    await writer.append(intents(src));
  } finally {
    await writer.close();
  }
  return { src, dest };
}

/** Runs `journal replay --dest dest [--dry-run] [--json]`; returns its code and lines. */
async function replay(dest: string, flags: { dryRun?: boolean; json?: boolean } = {}) {
  const lines: string[] = [];
  const code = await runReplay(
    { action: "replay", dest, dryRun: flags.dryRun ?? false, json: flags.json ?? false },
    {
      fs: real,
      cwd: "/",
      out: (line) => lines.push(line),
      logs: jobLoggers("test"),
      signal: new AbortController().signal,
      startLogging: () => Promise.resolve(),
    },
  );
  return { code, lines };
}

/** A copy of `late.txt` was journaled, then the process died before it ran. */
async function lateCopy(root: string) {
  put(`${root}/src/a.txt`, "a");
  age(`${root}/src`);
  const crashed = await crashedBackup(root, (src) => {
    put(`${src}/late.txt`, "late");
    age(src);
    const info = real.lstat(`${src}/late.txt`);
    return [{
      ...copyIntent("late.txt"),
      size: info.size,
      mtime: info.mtimeMs,
      mode: info.mode,
      ino: info.ino,
    }];
  });
  return crashed;
}

Deno.test("journal replay --dry-run lists the interrupted intent and the plan, and writes nothing", async () => {
  await using tmp = await tempDir();
  const { dest } = await lateCopy(tmp.path);
  const before = snapshot(tmp.path, []);
  const { code, lines } = await replay(dest, { dryRun: true });
  assertEquals(code, EXIT.OK);
  assertEquals(treeDiff(before, snapshot(tmp.path, [])), [], "not the journal, not the lock");
  const text = lines.join("\n");
  assertIncludes(lines[0]!, `dry run: nothing is changed. A replay of ${dest} would:`);
  assertIncludes(text, "- close 1 unfinished operation and re-check their paths:");
  assert(/copy +unfinished +scan .*late\.txt/.test(text), text);
  assertIncludes(text, `- run one reconcile pass from ${tmp.path}/src: 1 operation`);
  assert(/\n {2}copy +late\.txt +4 B/.test(text), text);
  assertEquals(replayJournal(real, journalDir(dest), { repair: false }).state.pending.size, 1);
});

Deno.test("journal replay --dry-run --json prints the unfinished intent, the plan and a summary", async () => {
  await using tmp = await tempDir();
  const { dest } = await lateCopy(tmp.path);
  const before = snapshot(tmp.path, []);
  const { lines } = await replay(dest, { dryRun: true, json: true });
  assertEquals(treeDiff(before, snapshot(tmp.path, [])), []);
  const objects = lines.map((line) => JSON.parse(line));
  assertEquals(objects.filter((o) => o.type === "unfinished").map((o) => o.path), ["late.txt"]);
  assertEquals(
    objects.filter((o) => o.type === "plan").map((o) => [o.op, o.path, o.size]),
    [["copy", "late.txt", 4]],
  );
  const summary = objects.at(-1);
  assertEquals(summary.type, "summary");
  assertEquals(
    [summary.unfinished, summary.refused, summary.operations, summary.held, summary.skipped],
    [1, 0, 1, 0, null],
  );
  assertEquals(summary.running, null);
});

Deno.test("journal replay closes the interrupted intent and does its copy", async () => {
  await using tmp = await tempDir();
  const { src, dest } = await lateCopy(tmp.path);
  const { code, lines } = await replay(dest);
  assertEquals(code, EXIT.OK, lines.join("\n"));
  assertIncludes(lines.join("\n"), "replayed: 1 unfinished operation closed and re-checked");
  assertIncludes(lines.join("\n"), "pass: 1 copied");
  assertMirror(src, dest);
  const after = replayJournal(real, journalDir(dest), { repair: false }).state;
  assertEquals(after.pending.size, 0, "nothing left unfinished");
  assertEquals(after.entries.has("late.txt"), true);
});

Deno.test("journal replay re-checks by hash an interrupted copy whose destination looks done but is not", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "good");
  age(`${tmp.path}/src`);
  const { src, dest } = await crashedBackup(tmp.path, (source) => {
    const info = real.lstat(`${source}/a.txt`);
    return [{
      ...copyIntent("a.txt"),
      size: info.size,
      mtime: info.mtimeMs,
      mode: info.mode,
      ino: info.ino,
    }];
  });
  // The crash left bytes of another content in place, with the size and mtime of the source.
  const mtime = real.lstat(`${src}/a.txt`).mtimeMs;
  Deno.writeTextFileSync(`${dest}/a.txt`, "BAD!");
  real.utime(`${dest}/a.txt`, mtime);
  const { lines } = await replay(dest, { dryRun: true, json: true });
  const plans = lines.map((line) => JSON.parse(line)).filter((o) => o.type === "plan");
  assertEquals(plans.map((o) => `${o.op} ${o.path}`), ["copy a.txt"]);
  const done = await replay(dest);
  assertEquals(done.code, EXIT.OK, done.lines.join("\n"));
  assertEquals(Deno.readTextFileSync(`${dest}/a.txt`), "good");
});

Deno.test("journal replay refuses when the journal's source is gone; its dry run says it would skip the pass", async () => {
  await using tmp = await tempDir();
  const { src, dest } = await lateCopy(tmp.path);
  Deno.removeSync(src, { recursive: true });
  const dry = await replay(dest, { dryRun: true });
  assertEquals(dry.code, EXIT.OK);
  assertIncludes(dry.lines.join("\n"), "- skip its pass (source ");
  assertIncludes(dry.lines.join("\n"), "nothing would be deleted");
  await assertRejects(() => replay(dest), RootError, "cannot replay: the journal's source");
});
