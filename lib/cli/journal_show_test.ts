import { assertEquals } from "../../testing/assert.ts";
import type { OpRow } from "../journal/history.ts";
import type { HeldRecord } from "../journal/record.ts";
import { checkpointJson, heldMatches, rowMatches } from "./journal_show.ts";
import type { ShowOptions } from "./journal_common.ts";

const NOON = Date.UTC(2024, 5, 1, 12);
const at = (ms: number) => new Date(ms).toISOString();

const show = (over: Partial<ShowOptions> = {}): ShowOptions => ({
  action: "show",
  dest: "/b",
  path: null,
  since: null,
  until: null,
  ops: [],
  failed: false,
  limit: null,
  json: false,
  ...over,
});
const row = (over: Partial<OpRow> = {}): OpRow => ({
  seq: 2,
  ts: at(NOON),
  op: "copy",
  path: "docs/a.txt",
  reason: "scan",
  outcome: "done",
  ...over,
});
const held = (sample: string[], ts = at(NOON)): HeldRecord => ({
  type: "held",
  seq: 9,
  ts,
  count: 500,
  tracked: 600,
  sample,
});

Deno.test("rowMatches passes every row without filters", () => {
  assertEquals(rowMatches(row(), show()), true);
});

Deno.test("rowMatches filters by operation and by failed or interrupted outcome", () => {
  assertEquals(rowMatches(row(), show({ ops: ["delete", "copy"] })), true);
  assertEquals(rowMatches(row(), show({ ops: ["delete"] })), false);
  for (const outcome of ["failed", "interrupted"] as const) {
    assertEquals(rowMatches(row({ outcome }), show({ failed: true })), true, outcome);
  }
  for (const outcome of ["done", "pending"] as const) {
    assertEquals(rowMatches(row({ outcome }), show({ failed: true })), false, outcome);
  }
});

Deno.test("rowMatches filters by path and below, on either end of a move", () => {
  assertEquals(rowMatches(row(), show({ path: "docs" })), true);
  assertEquals(rowMatches(row(), show({ path: "docs/a.txt" })), true);
  assertEquals(rowMatches(row(), show({ path: "doc" })), false, "a prefix is not a folder");
  const moved = row({ op: "move", path: "papers/a.txt", from: "docs/a.txt" });
  assertEquals(rowMatches(moved, show({ path: "docs" })), true, "where it came from");
  assertEquals(rowMatches(moved, show({ path: "papers" })), true, "where it went");
  assertEquals(rowMatches(moved, show({ path: "other" })), false);
});

Deno.test("rowMatches filters by time, both ends included", () => {
  assertEquals(rowMatches(row(), show({ since: NOON, until: NOON })), true);
  assertEquals(rowMatches(row(), show({ since: NOON + 1 })), false);
  assertEquals(rowMatches(row(), show({ until: NOON - 1 })), false);
  assertEquals(rowMatches(row({ ts: "garbage" }), show({ since: 0 })), false, "no time, no match");
});

Deno.test("heldMatches picks holds by `held` in --op, by their sample paths and by time", () => {
  const hold = held(["docs/a", "docs/b"]);
  assertEquals(heldMatches(hold, show()), true);
  assertEquals(heldMatches(hold, show({ ops: ["held"] })), true);
  assertEquals(heldMatches(hold, show({ ops: ["delete"] })), false);
  assertEquals(heldMatches(hold, show({ path: "docs" })), true, "a sample path below");
  assertEquals(heldMatches(hold, show({ path: "docs/a/deeper" })), true, "a sample path above");
  assertEquals(heldMatches(hold, show({ path: "other" })), false);
  assertEquals(heldMatches(hold, show({ since: NOON + 1 })), false);
  assertEquals(heldMatches(hold, show({ until: NOON - 1 })), false);
  assertEquals(heldMatches(hold, show({ since: NOON, until: NOON })), true);
});

Deno.test("checkpointJson is one JSON line naming the checkpoint and its counts", () => {
  const line = checkpointJson({
    name: "checkpoint-000000000007.jsonl",
    seq: 7,
    ts: at(NOON),
    source: "/src",
    next: 2,
    entries: 10,
    pending: 1,
    bytes: 999,
  });
  assertEquals(
    line,
    `{"type":"checkpoint","name":"checkpoint-000000000007.jsonl","seq":7,"ts":"${
      at(NOON)
    }","entries":10,"pending":1}`,
  );
});
