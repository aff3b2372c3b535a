import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { JournalCorruptError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { checkpointName, RESERVED_DIR, segmentName } from "../base/layout.ts";
import { frameLine, type Unstamped } from "./record.ts";
import { replayJournal } from "./replay.ts";
import { emptyState } from "./state.ts";
import { JournalWriter } from "./writer.ts";

const real = new DenoFileSystem();

const copy = (path: string, size = 3): Unstamped => ({
  type: "intent",
  op: "copy",
  path,
  kind: "file",
  size,
  mtime: 1000,
  mode: 0o644,
  ino: size,
  reason: "scan",
});

/** Opens a writer on `dir`, runs `fn`, closes it. */
async function writeWith(
  dir: string,
  fn: (w: JournalWriter) => Promise<void>,
  options: { lastSeq?: number } = {},
): Promise<void> {
  const w = await JournalWriter.open(real, dir, { source: "/src", ...options });
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

/** A record line without its last `missing` characters: what a crash mid-write leaves. */
function encodeTorn(record: Unstamped, missing: number): string {
  const line = frameLine({ seq: 4, ts: "2024-01-01T00:00:00.000Z", ...record });
  return line.slice(0, line.length - missing);
}

Deno.test("replayJournal of a missing or empty journal folder is an empty state", async () => {
  await using tmp = await tempDir();
  const missing = replayJournal(real, `${tmp.path}/journal`);
  assertEquals(missing.state, emptyState());
  assertEquals(missing.refused, []);
  assertEquals(missing.summary.lastSeq, 0);
  Deno.mkdirSync(`${tmp.path}/journal`);
  assertEquals(replayJournal(real, `${tmp.path}/journal`).state, emptyState());
});

Deno.test("replayJournal applies done intents, drops failed ones and keeps the rest pending", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  await writeWith(dir, async (w) => {
    const [ok, bad, open] = await w.append([
      copy("ok.txt", 3),
      copy("bad.txt", 4),
      copy("open", 5),
    ]);
    await w.append([
      { type: "done", ref: ok!.seq, hash: "hash-ok", racy: true },
      { type: "failed", ref: bad!.seq, error: "permission denied" },
    ]);
    assert(open);
  });
  const { state, summary, refused } = replayJournal(real, dir);
  assertEquals([...state.entries], [["ok.txt", {
    kind: "file",
    size: 3,
    mtimeMs: 1000,
    mode: 0o644,
    ino: 3,
    hash: "hash-ok",
    racy: true,
  }]]);
  assertEquals([...state.pending.values()].map((i) => i.path), ["open"]);
  assertEquals(state.lastSeq, summary.lastSeq);
  assertEquals(state.lastSeq, 6, "header, three intents, two outcomes");
  assertEquals(summary.source, "/src");
  assertEquals(refused, []);
});

Deno.test("replayJournal refuses intents whose path or origin could leave the destination", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  let bad: number[] = [];
  await writeWith(dir, async (w) => {
    const written = await w.append([
      copy("../outside"),
      { type: "intent", op: "move", path: "inside", from: "/etc", reason: "scan" },
      copy(`${RESERVED_DIR}/journal/x`),
      copy("fine"),
    ]);
    bad = written.slice(0, 3).map((r) => r.seq);
    await w.append(written.map((r) => ({ type: "done" as const, ref: r.seq })));
  });
  const { state, refused } = replayJournal(real, dir);
  assertEquals([...state.entries.keys()], ["fine"], "a refused intent is never applied");
  assertEquals(refused, [
    { seq: bad[0]!, path: "../outside", reason: 'bad segment ".."' },
    { seq: bad[1]!, path: "inside", reason: 'from "/etc": absolute' },
    { seq: bad[2]!, path: `${RESERVED_DIR}/journal/x`, reason: "inside the reserved folder" },
  ]);
  assertEquals(state.pending.size, 0);
  assertEquals(state.lastSeq, 9, "refused intents still count as read");
});

Deno.test("replayJournal truncates a torn tail by default, and only reports it with repair: false", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  await writeWith(dir, async (w) => {
    const [intent] = await w.append([copy("a")]);
    await w.append([{ type: "done", ref: intent!.seq }]);
  });
  const segment = `${dir}/${segmentName(1)}`;
  const whole = Deno.statSync(segment).size;
  const torn = encodeTorn(copy("half"), 4);
  Deno.writeTextFileSync(segment, torn, { append: true });

  const look = replayJournal(real, dir, { repair: false });
  assertEquals([...look.state.entries.keys()], ["a"]);
  assertEquals(look.summary.tornTail?.offset, whole);
  assertEquals(Deno.statSync(segment).size, whole + torn.length, "read-only: left as it is");

  const fixed = replayJournal(real, dir);
  assertEquals(fixed.state, look.state);
  assertEquals(Deno.statSync(segment).size, whole, "the torn tail is cut off");
  assertEquals(replayJournal(real, dir).summary.tornTail, null);
});

Deno.test("replayJournal starts from the checkpoint and folds the records after it", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  Deno.mkdirSync(dir);
  const base = emptyState();
  base.entries.set("kept", { kind: "file", size: 1, mtimeMs: 1, mode: 0o644, ino: 1, hash: "k" });
  base.entries.set("gone", { kind: "file", size: 2, mtimeMs: 2, mode: 0o644, ino: 2, hash: "g" });
  base.pending.set(10, {
    type: "intent",
    seq: 10,
    ts: "",
    op: "delete",
    path: "maybe",
    reason: "scan",
  });
  await writeCheckpoint(real, dir, base, { seq: 20, next: 1, source: "/src" });

  // No record after the checkpoint yet: the state is the checkpoint's, at its seq.
  const only = replayJournal(real, dir);
  assertEquals(only.state.entries, base.entries);
  assertEquals([...only.state.pending.keys()], [10]);
  assertEquals(only.state.lastSeq, 20);

  await writeWith(dir, async (w) => {
    const [del] = await w.append([
      { type: "intent", op: "delete", path: "gone", kind: "file", reason: "scan" },
    ]);
    await w.append([{ type: "done", ref: del!.seq }, { type: "failed", ref: 10, error: "x" }]);
  }, { lastSeq: 20 });
  const after = replayJournal(real, dir);
  assertEquals([...after.state.entries.keys()], ["kept"]);
  assertEquals(after.state.pending.size, 0, "an outcome after the checkpoint settles its intent");
  assertEquals(after.state.lastSeq, 24);
});

Deno.test("replayJournal reports checkpoint entries with unsafe paths as refused at seq 0", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  Deno.mkdirSync(dir);
  const entry = { kind: "file", size: 1, mtime: 1, mode: 0o644, ino: 1 };
  Deno.writeTextFileSync(
    `${dir}/${checkpointName(5)}`,
    frameLine({ type: "checkpoint", v: 1, seq: 5, ts: "", source: "/src", next: 1 }) +
      frameLine({ type: "entry", path: "a/../../b", ...entry }) +
      frameLine({ type: "entry", path: "ok", ...entry }) +
      frameLine({ type: "end", entries: 2, pending: 0 }),
  );
  const { state, refused } = replayJournal(real, dir);
  assertEquals([...state.entries.keys()], ["ok"]);
  assertEquals(refused, [{
    seq: 0,
    path: "a/../../b",
    reason: 'bad segment ".." (in the checkpoint)',
  }]);
});

Deno.test("replayJournal throws on damage before the tail", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/journal`;
  await writeWith(dir, async (w) => {
    await w.append([copy("a"), copy("b"), copy("c")]);
  });
  const segment = `${dir}/${segmentName(1)}`;
  const text = Deno.readTextFileSync(segment);
  Deno.writeTextFileSync(segment, text.replace('"path":"b"', '"path":"B"'));
  assertThrows(() => replayJournal(real, dir), JournalCorruptError);
});
