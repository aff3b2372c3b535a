import { assertEquals } from "../../testing/assert.ts";
import type { JournalRecord } from "./record.ts";
import { INTERRUPTED_PREFIX, OpJoiner, type OpRow } from "./history.ts";

const TS = "2026-11-22T10:00:00.000Z";

function intent(seq: number, path: string, op: "copy" | "delete" = "copy"): JournalRecord {
  return { seq, ts: TS, type: "intent", op, path, reason: "scan" };
}

function run(records: JournalRecord[], maxWaiting?: number): OpRow[] {
  const rows: OpRow[] = [];
  const j = new OpJoiner((r) => rows.push(r), maxWaiting ? { maxWaiting } : {});
  for (const r of records) j.record(r);
  j.finish();
  return rows;
}

Deno.test("OpJoiner joins intents with their outcomes and emits them in intent order", () => {
  const rows = run([
    { seq: 1, ts: TS, type: "header", v: 1, segment: "s", source: "/src" },
    intent(2, "a"),
    intent(3, "b", "delete"),
    intent(4, "c"),
    { seq: 5, ts: TS, type: "done", ref: 3 },
    { seq: 6, ts: TS, type: "failed", ref: 2, error: "permission denied" },
    { seq: 7, ts: TS, type: "done", ref: 4, hash: "abc", bytes: 3, racy: true },
  ]);
  assertEquals(rows.map((r) => [r.seq, r.path, r.outcome]), [
    [2, "a", "failed"],
    [3, "b", "done"],
    [4, "c", "done"],
  ]);
  assertEquals(rows[0]!.error, "permission denied");
  assertEquals(rows[0]!.outcomeSeq, 6);
  assertEquals([rows[2]!.hash, rows[2]!.bytes, rows[2]!.racy], ["abc", 3, true]);
});

Deno.test("OpJoiner tells interrupted operations from failed ones, and leaves the rest unfinished", () => {
  const rows = run([
    intent(1, "a"),
    intent(2, "b"),
    { seq: 3, ts: TS, type: "failed", ref: 1, error: `${INTERRUPTED_PREFIX}; re-checked` },
  ]);
  assertEquals(rows.map((r) => r.outcome), ["interrupted", "pending"]);
});

Deno.test("OpJoiner holds at most maxWaiting rows: the oldest goes out unfinished", () => {
  const records: JournalRecord[] = [];
  for (let i = 1; i <= 10; i++) records.push(intent(i, `f${i}`));
  records.push({ seq: 11, ts: TS, type: "done", ref: 1 });
  records.push({ seq: 12, ts: TS, type: "done", ref: 10 });
  const rows = run(records, 4);
  assertEquals(rows.length, 10);
  assertEquals(rows[0]!.outcome, "pending", "given up on before its outcome came");
  assertEquals(rows[9]!.outcome, "done");
});

Deno.test("OpJoiner hands on held and confirmed records in journal order among the rows", () => {
  const seen: string[] = [];
  const j = new OpJoiner((r) => seen.push(`${r.op} ${r.path}`), {
    onHeld: (h) => seen.push(`held ${h.seq}`),
    onConfirmed: (c) => seen.push(`confirmed ${c.seq} of ${c.ref}`),
  });
  const records: JournalRecord[] = [
    intent(1, "a"),
    { seq: 2, ts: TS, type: "held", count: 3, tracked: 5, sample: ["x", "y", "z"] },
    { seq: 3, ts: TS, type: "done", ref: 1 },
    { seq: 4, ts: TS, type: "confirmed", ref: 2, count: 3 },
    intent(5, "x", "delete"),
    { seq: 6, ts: TS, type: "done", ref: 5 },
  ];
  for (const r of records) j.record(r);
  j.finish();
  assertEquals(seen, ["copy a", "held 2", "confirmed 4 of 2", "delete x"]);
  const without: string[] = [];
  const quiet = new OpJoiner((r) => without.push(r.path));
  for (const r of records) quiet.record(r);
  quiet.finish();
  assertEquals(without, ["a", "x"], "no callback: the guard's records are passed over");
});
