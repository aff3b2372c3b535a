/**
 * `--dry-run`, `journal replay --dry-run` and a real pass prepare a pass with
 * the same function (lib/engine/prepare.ts), so on the same source,
 * destination and journal they plan the same operations: a hash-paired move,
 * the re-check of a path a crash left in doubt, copies and deletes.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, jsonLines, put, runCli, snapshot, tempDir } from "../testing/helpers.ts";
import { DenoFileSystem } from "../lib/base/fs.ts";
import { readJournal } from "../lib/journal/reader.ts";
import { journalDir } from "../lib/base/layout.ts";
import { JournalWriter } from "../lib/journal/writer.ts";
import type { Unstamped } from "../lib/journal/record.ts";

const fs = new DenoFileSystem();

/** One hour before the tests started: out of the racy window. */
const HOUR_AGO = new Date(Date.now() - 3600_000);

/** Sets every entry below `root` (and `root`) to {@link HOUR_AGO}, so no pass sees them as racy. */
function age(root: string): void {
  for (const path of [...snapshot(root, []).keys()].reverse()) {
    Deno.utimeSync(`${root}/${path}`, HOUR_AGO, HOUR_AGO);
  }
  Deno.utimeSync(root, HOUR_AGO, HOUR_AGO);
}

/** Appends intents with no outcome, as a crash right after they were made durable leaves them. */
async function crashAfter(dest: string, intents: Unstamped[]): Promise<number> {
  const dir = journalDir(dest);
  const read = readJournal(fs, dir);
  const writer = await JournalWriter.open(fs, dir, {
    source: read.source!,
    lastSeq: read.lastSeq,
    lastSegment: { name: read.segments.at(-1)!, bytes: read.lastSegmentBytes },
  });
  try {
    const written = await writer.append(intents);
    return written.at(-1)!.seq;
  } finally {
    await writer.close();
  }
}

/** `op from -> path` (or `op path`) of each planned or journaled operation, in order. */
function opsOf(objects: Record<string, unknown>[]): string[] {
  return objects.map((object) =>
    typeof object.from === "string"
      ? `${object.op} ${object.from} -> ${object.path}`
      : `${object.op} ${object.path}`
  );
}

Deno.test("--dry-run, journal replay --dry-run and the replay's real pass plan the same operations", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a.txt`, "alpha");
  put(`${src}/same.txt`, "same");
  put(`${src}/old.txt`, "content that moves without its inode");
  put(`${src}/gone.txt`, "to be deleted");
  put(`${src}/dir/x.txt`, "x");
  age(src);
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(first.code, 0, first.stderr);

  // A move that lost its inode (copied, then deleted): paired by size and hash, not copied.
  Deno.copyFileSync(`${src}/old.txt`, `${src}/new.txt`);
  Deno.removeSync(`${src}/old.txt`);
  Deno.removeSync(`${src}/gone.txt`);
  put(`${src}/a.txt`, "alpha, longer");
  put(`${src}/add.txt`, "added");
  age(src);
  // A crash right after an intent on same.txt was made durable: whether it ran is in doubt,
  // so the pass checks same.txt by hash (and records it with a `meta`) instead of trusting
  // the state.
  const st = Deno.lstatSync(`${src}/same.txt`);
  const crashSeq = await crashAfter(dest, [{
    type: "intent",
    op: "copy",
    path: "same.txt",
    kind: "file",
    size: st.size,
    mtime: st.mtime!.getTime(),
    mode: st.mode! & 0o7777,
    ino: st.ino!,
    reason: "scan",
  }]);

  const dry = await runCli(["--src", src, "--dest", dest, "--dry-run", "--json"]);
  assertEquals(dry.code, 0, dry.stderr);
  const dryOps = opsOf(jsonLines(dry.stdout).filter((line) => line.type === "plan"));

  const replayDry = await runCli(["journal", "replay", "--dest", dest, "--dry-run", "--json"]);
  assertEquals(replayDry.code, 0, replayDry.stderr);
  const replayDryLines = jsonLines(replayDry.stdout);
  assertEquals(replayDryLines.at(-1)!.skipped, null);
  const replayDryOps = opsOf(replayDryLines.filter((line) => line.type === "plan"));

  const replay = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(replay.code, 0, replay.stderr + replay.stdout);
  assertMirror(src, dest);
  const shown = await runCli(["journal", "show", "--dest", dest, "--json"]);
  const realOps = opsOf(
    jsonLines(shown.stdout).filter((line) => line.type === "op" && (line.seq as number) > crashSeq),
  );

  assertEquals(
    [...realOps].sort(),
    [
      "copy a.txt",
      "copy add.txt",
      "delete gone.txt",
      "meta new.txt", // its new inode, recorded
      "meta same.txt",
      "move old.txt -> new.txt",
    ],
    "the real pass did what this test is about",
  );
  assertEquals(dryOps, realOps, "--dry-run plans what the real pass does");
  assertEquals(replayDryOps, realOps, "journal replay --dry-run plans what the real pass does");
});

Deno.test("--dry-run and journal replay --dry-run agree with the real pass on an interrupted move", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/left.txt`, "LLLL");
  put(`${src}/right.txt`, "RRRR");
  age(src);
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);

  // The first step of a swap through a parking name was journaled, then the process died
  // before it ran; the source holds the two files swapped (look-alikes: same size and mtime).
  Deno.renameSync(`${src}/left.txt`, `${t.path}/parked`);
  Deno.renameSync(`${src}/right.txt`, `${src}/left.txt`);
  Deno.renameSync(`${t.path}/parked`, `${src}/right.txt`);
  age(src);
  const crashSeq = await crashAfter(dest, [{
    type: "intent",
    op: "move",
    from: "left.txt",
    path: ".backup-move-0123456789abcdef",
    kind: "file",
    reason: "watch",
  }]);

  const dry = await runCli(["--src", src, "--dest", dest, "--dry-run", "--json"]);
  assertEquals(dry.code, 0, dry.stderr);
  const replayDry = await runCli(["journal", "replay", "--dest", dest, "--dry-run", "--json"]);
  assertEquals(replayDry.code, 0, replayDry.stderr);
  const replay = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(replay.code, 0, replay.stderr + replay.stdout);
  assertMirror(src, dest);
  const shown = await runCli(["journal", "show", "--dest", dest, "--json"]);
  const realOps = opsOf(
    jsonLines(shown.stdout).filter((line) => line.type === "op" && (line.seq as number) > crashSeq),
  );
  assert(realOps.length > 0, "the replay had work to do");
  assertEquals(opsOf(jsonLines(dry.stdout).filter((line) => line.type === "plan")), realOps);
  assertEquals(opsOf(jsonLines(replayDry.stdout).filter((line) => line.type === "plan")), realOps);
});
