import { capturingDeps } from "../../testing/journal_deps.ts";
import { copyIntent } from "../../testing/records.ts";
import { assertEquals, assertIncludes, assertRejects } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, LockedError, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { acquireLock } from "../dest/reserved.ts";
import { checkpointName, journalDir, segmentName } from "../base/layout.ts";
import { replayJournal } from "../journal/replay.ts";
import { JournalWriter } from "../journal/writer.ts";
import { runCompact } from "./journal_compact.ts";

const real = new DenoFileSystem();

const copy = copyIntent;

/** A journal of two segments: `a` copied, `b` still unfinished. */
async function journal(dest: string): Promise<void> {
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/s" });
  const [a] = await w.append([copy("a")]);
  await w.append([{ type: "done", ref: a!.seq, hash: "ha" }]);
  await w.rotate();
  await w.append([copy("b")]);
  await w.close();
}

function compact(dest: string, json = false): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const deps = capturingDeps(lines);
  return runCompact({ action: "compact", dest, json }, deps).then((code) => ({ code, lines }));
}

const names = (dest: string) => [...Deno.readDirSync(journalDir(dest))].map((e) => e.name).sort();

Deno.test("runCompact checkpoints the state, drops the old segments, and replay is unchanged", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path);
  const before = replayJournal(real, journalDir(tmp.path), { repair: false }).state;
  const { code, lines } = await compact(tmp.path);
  assertEquals(code, EXIT.OK);
  assertEquals(lines.length, 1, lines.join("\n"));
  assertIncludes(
    lines[0]!,
    `compacted: checkpoint ${
      checkpointName(5)
    } at seq 5 (1 entry, 1 unfinished operation kept), 2 old files removed`,
  );
  assertEquals(names(tmp.path), [segmentName(3), checkpointName(5)].sort());
  const after = replayJournal(real, journalDir(tmp.path), { repair: false }).state;
  assertEquals(after.entries, before.entries);
  assertEquals([...after.pending.values()].map((i) => i.path), ["b"]);
});

Deno.test("runCompact --json reports the checkpoint and what it removed", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path);
  const { lines } = await compact(tmp.path, true);
  const report = JSON.parse(lines[0]!);
  assertEquals([report.compacted, report.checkpoint.seq, report.removed.sort()], [
    true,
    5,
    [segmentName(1), segmentName(2)],
  ]);
  assertEquals([report.refused, report.tornTail, report.kept], [0, null, []]);
});

Deno.test("runCompact of an empty journal folder changes nothing", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(journalDir(tmp.path), { recursive: true });
  assertEquals(await compact(tmp.path), { code: EXIT.OK, lines: ["the journal is empty"] });
  assertEquals((await compact(tmp.path, true)).lines, ['{"compacted":false}']);
  assertEquals(names(tmp.path), []);
});

Deno.test("runCompact refuses while a daemon holds the lock, and without a journal", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path);
  const lock = acquireLock(real, tmp.path);
  try {
    const err = await assertRejects(() => compact(tmp.path), LockedError);
    assertIncludes(err.message, "compacts its journal by itself past --journal-max-mb");
  } finally {
    lock.release();
  }
  assertEquals(names(tmp.path), [segmentName(1), segmentName(2)], "untouched");
  await assertRejects(() => compact(`${tmp.path}/elsewhere`), UsageError, "no journal in");
});
