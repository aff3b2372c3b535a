import { checkpointName, checkpointSeq, RESERVED_DIR, TMP_SUFFIX } from "../base/layout.ts";
import {
  assert,
  assertEquals,
  assertIncludes,
  assertRejects,
  assertThrows,
} from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import {
  endLine,
  headerLine,
  rawEntryLine,
  readCheckpointAt,
} from "../../testing/checkpoint_fixture.ts";
import { JournalIoError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import {
  CheckpointDamage,
  type CheckpointInfo,
  readCheckpointHeader,
  writeCheckpoint,
} from "./checkpoint.ts";
import { frameLine, type IntentRecord } from "./record.ts";
import { emptyState, type State, type StateEntry } from "./state.ts";

const real = new DenoFileSystem();
const encoder = new TextEncoder();

/** A state with every kind of entry and optional field, and two pending intents. */
function sampleState(): State {
  const state = emptyState();
  state.lastSeq = 42;
  state.entries.set("docs", { kind: "dir", size: 0, mtimeMs: 1000, mode: 0o755, ino: 10 });
  state.entries.set("docs/a.txt", {
    kind: "file",
    size: 5,
    mtimeMs: 1_700_000_000_123,
    mode: 0o644,
    ino: 11,
    hash: "0123456789abcdef0123456789abcdef",
  });
  state.entries.set("docs/racy.txt", {
    kind: "file",
    size: 1,
    mtimeMs: 2000,
    mode: 0o600,
    ino: 12,
    hash: "ffff",
    racy: true,
  });
  state.entries.set("link", {
    kind: "symlink",
    size: 10,
    mtimeMs: 3000,
    mode: 0o777,
    ino: 13,
    target: "docs/a.txt",
  });
  state.entries.set("unicode é 名前\n", {
    kind: "other",
    size: 0,
    mtimeMs: 0,
    mode: 0o644,
    ino: 14,
  });
  const copy: IntentRecord = {
    type: "intent",
    seq: 40,
    ts: "2024-01-01T00:00:00.000Z",
    op: "copy",
    path: "docs/new.txt",
    kind: "file",
    size: 3,
    mtime: 4000,
    mode: 0o644,
    ino: 15,
    reason: "scan",
  };
  const move: IntentRecord = {
    type: "intent",
    seq: 41,
    ts: "2024-01-01T00:00:00.000Z",
    op: "move",
    path: "papers",
    from: "docs",
    reason: "watch",
  };
  state.pending.set(40, copy);
  state.pending.set(41, move);
  return state;
}

/** Reads the checkpoint file at `path` back into a state (and its info). */
function readBack(path: string): { info: CheckpointInfo; state: State } {
  const state = emptyState();
  const info = readCheckpointAt(path, {
    onEntry: (p, e) => state.entries.set(p, e),
    onPending: (intent) => state.pending.set(intent.seq, intent),
  });
  state.lastSeq = info.seq;
  return { info, state };
}

/** Writes `text` as checkpoint 7 in `dir` and reads it; returns the damage thrown. */
function damageOf(dir: string, text: string | Uint8Array): CheckpointDamage {
  const path = `${dir}/${checkpointName(7)}`;
  Deno.writeFileSync(path, typeof text === "string" ? encoder.encode(text) : text);
  return assertThrows(() => readBack(path), CheckpointDamage);
}

Deno.test("checkpointName pads the seq to 12 digits and checkpointSeq reads it back", () => {
  assertEquals(checkpointName(7), "checkpoint-000000000007.jsonl");
  for (const seq of [0, 1, 42, 999_999_999_999, 1_234_567_890_123]) {
    assertEquals(checkpointSeq(checkpointName(seq)), seq);
  }
  assertEquals(checkpointSeq(checkpointName(7) + TMP_SUFFIX), null, "a temp file");
  assertEquals(checkpointSeq("00000001.jsonl"), null, "a segment");
  assertEquals(checkpointSeq("checkpoint-.jsonl"), null);
  assertEquals(checkpointSeq("xcheckpoint-000000000007.jsonl"), null);
});

Deno.test("writeCheckpoint then readCheckpoint gives back every entry, field and pending intent", async () => {
  await using tmp = await tempDir();
  const state = sampleState();
  const info = await writeCheckpoint(real, tmp.path, state, {
    seq: 42,
    next: 5,
    source: "/home/me/src",
    now: () => Date.UTC(2024, 4, 6, 7, 8, 9, 10),
  });
  const path = `${tmp.path}/${checkpointName(42)}`;
  assertEquals(info, {
    name: checkpointName(42),
    seq: 42,
    ts: "2024-05-06T07:08:09.010Z",
    source: "/home/me/src",
    next: 5,
    entries: 5,
    pending: 2,
    bytes: Deno.statSync(path).size,
  });
  const back = readBack(path);
  assertEquals(back.state, state);
  assertEquals(back.info, info, "the reader's info is what the writer returned");
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertEquals([...Deno.readDirSync(tmp.path)].map((e) => e.name), [checkpointName(42)]);
});

Deno.test("a checkpoint of an empty state round-trips too", async () => {
  await using tmp = await tempDir();
  const info = await writeCheckpoint(real, tmp.path, emptyState(), {
    seq: 0,
    next: 1,
    source: "/s",
  });
  const back = readBack(`${tmp.path}/${info.name}`);
  assertEquals([back.info.entries, back.info.pending, back.state.entries.size], [0, 0, 0]);
});

Deno.test("a checkpoint larger than the write buffer round-trips", async () => {
  await using tmp = await tempDir();
  const state = emptyState();
  const entry: StateEntry = { kind: "file", size: 1, mtimeMs: 1, mode: 0o644, ino: 1, hash: "h" };
  for (let i = 0; i < 20_000; i++) state.entries.set(`some/longer/folder/name/file-${i}`, entry);
  const info = await writeCheckpoint(real, tmp.path, state, { seq: 9, next: 3, source: "/s" });
  assert(info.bytes > 1 << 20, `only ${info.bytes} bytes: the test does not pass the buffer`);
  assertEquals(readBack(`${tmp.path}/${info.name}`).state.entries, state.entries);
});

Deno.test("readCheckpoint detects a changed value by its CRC and says at which byte the line starts", async () => {
  await using tmp = await tempDir();
  const info = await writeCheckpoint(real, tmp.path, sampleState(), {
    seq: 7,
    next: 2,
    source: "/s",
  });
  const text = Deno.readTextFileSync(`${tmp.path}/${info.name}`);
  const at = text.indexOf('"size":5');
  assert(at > 0);
  const lineStart = text.lastIndexOf("\n", at) + 1;
  const changed = text.slice(0, at) + '"size":6' + text.slice(at + 8); // same length, valid JSON
  const err = damageOf(tmp.path, changed);
  assertIncludes(err.message, "checksum mismatch");
  assertEquals(err.offset, encoder.encode(text.slice(0, lineStart)).length);
});

Deno.test("readCheckpoint refuses a checkpoint torn at any line end or inside any line", async () => {
  await using tmp = await tempDir();
  const info = await writeCheckpoint(real, tmp.path, sampleState(), {
    seq: 7,
    next: 2,
    source: "/s",
  });
  const good = Deno.readFileSync(`${tmp.path}/${info.name}`);
  assertEquals(damageOf(tmp.path, "").message, "empty checkpoint");
  let lineEnds = 0;
  for (let cut = 1; cut < good.length; cut++) {
    const err = damageOf(tmp.path, good.subarray(0, cut));
    if (good[cut - 1] === 0x0a) {
      lineEnds++;
      assertEquals(err.message, "no trailer (incomplete checkpoint)", `cut at ${cut}`);
      assertEquals(err.offset, cut);
    } else {
      assertEquals(err.message, "incomplete last line", `cut at ${cut}`);
      assertEquals(err.offset, good.lastIndexOf(0x0a, cut - 1) + 1, `cut at ${cut}`);
    }
  }
  assertEquals(lineEnds, 1 + 5 + 2, "header, entries and pending intents before the trailer");
});

Deno.test("readCheckpoint hands out entries before the trailer is checked (callers drop them)", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.path}/${checkpointName(7)}`;
  const seen: string[] = [];
  assertThrows(
    () =>
      readCheckpointAt(
        path,
        { onEntry: (p) => seen.push(p) },
        headerLine() + rawEntryLine("a") + rawEntryLine("b"),
      ),
    CheckpointDamage,
    "no trailer",
  );
  assertEquals(seen, ["a", "b"]);
});

Deno.test("readCheckpoint refuses a wrong header, wrong counts, data after the trailer and unknown lines", async () => {
  await using tmp = await tempDir();
  const cases: [string, string][] = [
    [rawEntryLine("a") + endLine(1), "no checkpoint header"],
    [headerLine({ seq: "7" }) + endLine(0), "bad checkpoint header"],
    [headerLine({ source: undefined }) + endLine(0), "bad checkpoint header"],
    [headerLine({ v: 2 }) + endLine(0), "written in journal format 2; this program reads format 1"],
    [headerLine() + rawEntryLine("a") + endLine(2), "trailer counts do not match"],
    [headerLine() + rawEntryLine("a") + endLine(1, 1), "trailer counts do not match"],
    [headerLine() + endLine(0) + endLine(0), "data after the trailer"],
    [headerLine() + rawEntryLine("a", { kind: "socket" }) + endLine(1), "bad entry"],
    [headerLine() + rawEntryLine("a", { size: "1" }) + endLine(1), "bad entry"],
    [headerLine() + rawEntryLine("a", { mtime: undefined }) + endLine(1), "bad entry"],
    [
      headerLine() + frameLine({ type: "pending", intent: { type: "done" } }) + endLine(0, 1),
      "pending",
    ],
    [headerLine() + frameLine({ type: "pending" }) + endLine(0, 1), "bad pending intent"],
    [headerLine() + frameLine({ type: "surprise" }) + endLine(0), 'unknown line type "surprise"'],
    [headerLine() + '{"type":"end","entries":0,"pending":0}\n', "bad framing"],
  ];
  for (const [text, why] of cases) {
    assertIncludes(damageOf(tmp.path, text).message, why, `for:\n${text}`);
  }
});

Deno.test("readCheckpoint refuses entries and intents whose paths could leave the destination", async () => {
  await using tmp = await tempDir();
  const intent = (seq: number, path: string, from?: string) =>
    frameLine({
      type: "pending",
      intent: { type: "intent", seq, ts: "", op: "move", path, reason: "scan", from },
    });
  const text = headerLine() + rawEntryLine("ok") + rawEntryLine("../up") +
    rawEntryLine(`${RESERVED_DIR}/lock`) +
    intent(5, "fine", "also-fine") + intent(6, "/abs", "x") + intent(7, "to", "../from") +
    endLine(3, 3);
  const kept: string[] = [];
  const refused: string[] = [];
  const info = readCheckpointAt(`${tmp.path}/${checkpointName(7)}`, {
    onEntry: (p) => kept.push(p),
    onPending: (i) => kept.push(`${i.from}->${i.path}`),
    onRefused: (p, why) => refused.push(`${p}: ${why}`),
  }, text);
  assertEquals([info.entries, info.pending], [3, 3], "refused lines still count");
  assertEquals(kept, ["ok", "also-fine->fine"]);
  assertEquals(refused, [
    '../up: bad segment ".."',
    `${RESERVED_DIR}/lock: inside the reserved folder`,
    "/abs: absolute",
    'to: from "../from": bad segment ".."',
  ]);
});

Deno.test("readCheckpointHeader reads seq and next from the first line, null for anything unreadable", async () => {
  await using tmp = await tempDir();
  const info = await writeCheckpoint(real, tmp.path, sampleState(), {
    seq: 12,
    next: 4,
    source: "/s",
  });
  assertEquals(readCheckpointHeader(real, `${tmp.path}/${info.name}`), { seq: 12, next: 4 });
  const path = `${tmp.path}/other`;
  const headerOf = (
    text: string,
  ) => (Deno.writeTextFileSync(path, text), readCheckpointHeader(real, path));
  assertEquals(headerOf(headerLine() + "garbage that is not checked\n"), { seq: 7, next: 2 });
  assertEquals(headerOf(""), null, "empty");
  assertEquals(headerOf(headerLine().slice(0, -1)), null, "no newline: torn");
  assertEquals(headerOf(headerLine().replace('"seq":7', '"seq":8')), null, "checksum mismatch");
  assertEquals(headerOf(rawEntryLine("a")), null, "not a checkpoint header");
  assertEquals(headerOf(headerLine({ next: "2" })), null, "next is not a number");
  assertEquals(readCheckpointHeader(real, `${tmp.path}/missing`), null);
});

Deno.test("writeCheckpoint replaces a temp file left by an earlier crash", async () => {
  await using tmp = await tempDir();
  const stale = `${tmp.path}/${checkpointName(3)}${TMP_SUFFIX}`;
  Deno.writeTextFileSync(stale, "half a checkpoint from before a crash");
  const info = await writeCheckpoint(real, tmp.path, sampleState(), {
    seq: 3,
    next: 2,
    source: "/s",
  });
  assertEquals([...Deno.readDirSync(tmp.path)].map((e) => e.name), [info.name]);
  assertEquals(readBack(`${tmp.path}/${info.name}`).state.entries.size, 5);
});

Deno.test("writeCheckpoint that cannot write leaves nothing behind and is not fatal", async () => {
  await using tmp = await tempDir();
  const fs = new FaultyFileSystem(real, [{
    point: "write",
    partialBytes: 10,
    error: () => new Error("No space left on device (os error 28)"),
  }]);
  const err = await assertRejects(
    () => writeCheckpoint(fs, tmp.path, sampleState(), { seq: 3, next: 2, source: "/s" }),
    JournalIoError,
    "cannot write checkpoint checkpoint-000000000003.jsonl",
  );
  assert(!err.fatal, "nothing changed: the caller may go on");
  assertIncludes(err.message, "no space left on device");
  assertEquals([...Deno.readDirSync(tmp.path)], [], "the temp file is removed");
});

Deno.test("writeCheckpoint whose fsync fails is fatal, before or after the rename", async () => {
  await using tmp = await tempDir();
  const io = () => new Error("Input/output error (os error 5)");
  const fileSync = new FaultyFileSystem(real, [{ point: "sync", error: io }]);
  const before = await assertRejects(
    () => writeCheckpoint(fileSync, tmp.path, sampleState(), { seq: 3, next: 2, source: "/s" }),
    JournalIoError,
  );
  assert(before.fatal, "fsyncgate: a failed fsync of the file stops the process");
  assertEquals([...Deno.readDirSync(tmp.path)], [], "never renamed into place");

  const dirSync = new FaultyFileSystem(real, [{ point: "syncDir", error: io }]);
  const after = await assertRejects(
    () => writeCheckpoint(dirSync, tmp.path, sampleState(), { seq: 4, next: 2, source: "/s" }),
    JournalIoError,
  );
  assert(after.fatal, "a failed fsync of the folder stops the process too");
  const names = [...Deno.readDirSync(tmp.path)].map((e) => e.name);
  assertEquals(names, [checkpointName(4)], "the complete file was renamed and is kept");
  assertEquals(readBack(`${tmp.path}/${checkpointName(4)}`).info.entries, 5);
});
