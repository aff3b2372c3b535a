import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { JournalCorruptError } from "../base/errors.ts";
import { OpJoiner, type OpRow } from "./history.ts";
import { readJournal } from "./reader.ts";
import { decodeRecord, frameLine, type IntentRecord, isFailure, type Unstamped } from "./record.ts";
import { intentUnsafeReason, recordFieldProblem } from "./record_check.ts";
import { refusalCloses, replayJournal } from "./replay.ts";
import { JournalWriter } from "./writer.ts";

const fs = new DenoFileSystem();

const COPY = {
  seq: 2,
  ts: "2026-11-22T14:30:15.123Z",
  type: "intent",
  op: "copy",
  path: "docs/a.txt",
  kind: "file",
  size: 5,
  mtime: 1_700_000_000_000,
  mode: 0o644,
  ino: 42,
  reason: "scan",
};

Deno.test("recordFieldProblem: every record type this program writes passes", () => {
  const records: Record<string, unknown>[] = [
    { seq: 1, ts: COPY.ts, type: "header", v: 1, segment: "x", source: "/s" },
    COPY,
    { ...COPY, op: "move", from: "old.txt", hash: "ab", target: "t", version: "a~1" },
    { ...COPY, op: "delete", kind: undefined, size: undefined },
    { ...COPY, mtime: -5_000 }, // a file from before 1970
    { seq: 3, ts: COPY.ts, type: "done", ref: 2, hash: "ab", bytes: 5, racy: true },
    { seq: 4, ts: COPY.ts, type: "failed", ref: 2, error: "no space left on device" },
    { seq: 5, ts: COPY.ts, type: "held", count: 3, tracked: 4, sample: ["a", "b"] },
  ];
  for (const record of records) {
    const value = JSON.parse(JSON.stringify(record)); // as read back: no undefined fields
    assertEquals(recordFieldProblem(value), null, JSON.stringify(record));
  }
});

Deno.test("recordFieldProblem: a field of the wrong type or out of range is named", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...COPY, size: "big" }, `"size" is "big", not a whole number of at least 0`],
    [{ ...COPY, size: -1 }, `"size" is -1`],
    [{ ...COPY, size: null }, `"size" is null`],
    [{ ...COPY, mtime: "yesterday" }, `"mtime" is "yesterday"`],
    [{ ...COPY, mode: 0o170000 }, `"mode" is 61440, not permission bits`],
    [{ ...COPY, path: 7 }, `"path" is 7, not a string`],
    [{ ...COPY, op: "chown" }, `"op" is "chown"`],
    [{ ...COPY, kind: "fifo" }, `"kind" is "fifo"`],
    [{ ...COPY, version: ["a"] }, `"version" is ["a"]`],
    [{ ...COPY, reason: undefined }, `"reason" is missing`],
    [{ ...COPY, ts: 5 }, `"ts" is 5, not a time`],
    [{ seq: 3, ts: COPY.ts, type: "done", ref: "2" }, `"ref" is "2"`],
    [{ seq: 3, ts: COPY.ts, type: "failed", ref: 2, error: { big: 1 } }, `"error" is {"big":1}`],
    [{ seq: 3, ts: COPY.ts, type: "held", count: 1, tracked: 1, sample: [1] }, `"sample" is [1]`],
  ];
  for (const [record, expected] of cases) {
    const problem = recordFieldProblem(JSON.parse(JSON.stringify(record)));
    assert(problem?.startsWith(expected), `${JSON.stringify(record)}: ${problem}`);
  }
});

Deno.test("decodeRecord: a sound checksum with a wrong field is a checksummed failure (not a torn write)", () => {
  const bad = decodeRecord(frameLine({ ...COPY, size: "big" }).trimEnd());
  assert(isFailure(bad) && bad.checksummed === true, JSON.stringify(bad));
  assertEquals(bad.error, `record seq 2: "size" is "big", not a whole number of at least 0`);
  const torn = decodeRecord(frameLine(COPY).slice(0, 40));
  assert(isFailure(torn) && torn.checksummed === undefined);
});

Deno.test("intentUnsafeReason: path, from and version must stay inside the destination", () => {
  const intent = (fields: Partial<IntentRecord>) => ({ ...COPY, ...fields }) as IntentRecord;
  assertEquals(intentUnsafeReason(intent({})), null);
  assertEquals(intentUnsafeReason(intent({ version: "docs/a.txt~20261122T143015.123Z" })), null);
  assertEquals(intentUnsafeReason(intent({ path: "../x" })), `bad segment ".."`);
  assertEquals(intentUnsafeReason(intent({ from: "/etc" })), `from "/etc": absolute`);
  assertEquals(
    intentUnsafeReason(intent({ version: "../../x~1" })),
    `version "../../x~1": bad segment ".."`,
  );
});

/** A journal holding one safe copy and `extra` records, written by the real writer. */
async function journalWith(dir: string, extra: Unstamped[][]): Promise<void> {
  const writer = await JournalWriter.open(fs, dir, { source: "/src" });
  try {
    for (const batch of extra) await writer.append(batch);
  } finally {
    await writer.close();
  }
}

const UNSAFE: Unstamped = {
  type: "intent",
  op: "copy",
  path: "a.txt",
  kind: "file",
  size: 1,
  mtime: 0,
  mode: 0o644,
  ino: 1,
  version: "../escape~1",
  reason: "scan",
};

Deno.test("replayJournal: a refused intent is reported until the record refusalCloses gives closes it", async () => {
  await using root = await tempDir("backup-refused-");
  const dir = `${root.path}/journal`;
  await journalWith(dir, [[UNSAFE], [{ type: "done", ref: 2 }]]);
  const first = replayJournal(fs, dir);
  assertEquals(first.refused.map((refusal) => [refusal.seq, refusal.reason]), [[
    2,
    `version "../escape~1": bad segment ".."`,
  ]]);
  assertEquals(first.state.pending.size, 0, "never pending: never applied");
  // A `done` written for it (by hand: the daemon never applies it) does not close it.
  const closes = refusalCloses(first.refused);
  assertEquals(closes.map((close) => close.ref), [2]);
  const writer = await JournalWriter.open(fs, dir, {
    source: "/src",
    lastSeq: first.summary.lastSeq,
    lastSegment: { name: first.summary.segments.at(-1)!, bytes: first.summary.lastSegmentBytes },
  });
  await writer.append(closes);
  await writer.close();
  const again = replayJournal(fs, dir);
  assertEquals([again.refused.length, again.refusedClosed], [0, 1]);
  const rows: OpRow[] = [];
  const joiner = new OpJoiner((row) => rows.push(row));
  readJournal(fs, dir, { onRecord: (rec) => joiner.record(rec) });
  joiner.finish();
  assertEquals(rows.map((row) => [row.seq, row.outcome]), [[2, "refused"]]);
});

Deno.test("readJournal: a last record with a sound checksum and a wrong field is corruption, not a torn tail", async () => {
  await using root = await tempDir("backup-refused-");
  const dir = `${root.path}/journal`;
  const { version: _dropped, ...safe } = UNSAFE as Unstamped<IntentRecord>;
  await journalWith(dir, [[safe]]);
  const segment = `${dir}/00000001.jsonl`;
  Deno.writeTextFileSync(segment, frameLine({ ...COPY, seq: 3, ino: "x" }), { append: true });
  const before = Deno.readTextFileSync(segment);
  const err = assertThrows(() => readJournal(fs, dir, { repair: true }), JournalCorruptError);
  assert(err.message.includes(`record seq 3: "ino" is "x"`), err.message);
  assertEquals(Deno.readTextFileSync(segment), before, "not truncated");
});
