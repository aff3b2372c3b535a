import { capturingDeps } from "../../testing/journal_deps.ts";
import { copyIntent } from "../../testing/records.ts";
import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, JournalCorruptError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { OpRow } from "../journal/history.ts";
import type { HeldRecord } from "../journal/record.ts";
import { journalDir, segmentName } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { heldMatches, rowMatches, runShow } from "./journal_show.ts";
import { checkpointJson } from "./format.ts";
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

// ---- runShow on a real journal -------------------------------------------------------------

const real = new DenoFileSystem();
const copy = copyIntent;

/** A journal in `dest` of five copies: c0 to c4, c1 failed, c4 unfinished, the rest done. */
async function fiveCopies(dest: string): Promise<void> {
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/s" });
  const intents = await w.append([0, 1, 2, 3, 4].map((i) => copy(`c${i}`)));
  await w.append([
    { type: "done", ref: intents[0]!.seq },
    { type: "failed", ref: intents[1]!.seq, error: "permission denied" },
    { type: "done", ref: intents[2]!.seq },
    { type: "done", ref: intents[3]!.seq },
  ]);
  await w.close();
}

function runShowOn(dest: string, over: Partial<ShowOptions>): { code: number; lines: string[] } {
  const lines: string[] = [];
  const deps = capturingDeps(lines);
  return { code: runShow(show({ dest, ...over }), deps), lines };
}

Deno.test("runShow --json prints every operation oldest first, with its outcome", async () => {
  await using tmp = await tempDir();
  await fiveCopies(tmp.path);
  const { code, lines } = runShowOn(tmp.path, { json: true });
  assertEquals(code, EXIT.OK);
  const rows = lines.map((l) => JSON.parse(l));
  assertEquals(rows.map((r) => `${r.path}:${r.outcome}`), [
    "c0:done",
    "c1:failed",
    "c2:done",
    "c3:done",
    "c4:pending",
  ]);
  assertEquals(rows[1].error, "permission denied");
});

Deno.test("runShow --limit keeps the newest rows, in order, under one header", async () => {
  await using tmp = await tempDir();
  await fiveCopies(tmp.path);
  const { lines } = runShowOn(tmp.path, { limit: 2 });
  assertEquals(lines.length, 3);
  assertIncludes(lines[0]!, "TIME");
  assertIncludes(lines[1]!, "c3");
  assertIncludes(lines[2]!, "c4");
  const failed = runShowOn(tmp.path, { failed: true, json: true }).lines.map((l) => JSON.parse(l));
  assertEquals(failed.map((r) => r.path), ["c1"]);
});

Deno.test("runShow says when nothing matches", async () => {
  await using tmp = await tempDir();
  await fiveCopies(tmp.path);
  assertEquals(runShowOn(tmp.path, { ops: ["delete"] }).lines, ["no operations match"]);
  assertEquals(runShowOn(tmp.path, { ops: ["delete"], json: true }).lines, []);
});

Deno.test("runShow prints what comes before a corruption, then throws", async () => {
  await using tmp = await tempDir();
  await fiveCopies(tmp.path);
  const segment = `${journalDir(tmp.path)}/${segmentName(1)}`;
  Deno.writeTextFileSync(
    segment,
    Deno.readTextFileSync(segment).replace('"path":"c3"', '"path":"cX"'),
  );
  const lines: string[] = [];
  assertThrows(
    () => runShow(show({ dest: tmp.path, json: true }), capturingDeps(lines)),
    JournalCorruptError,
  );
  assertEquals(lines.map((l) => JSON.parse(l).path), ["c0", "c1", "c2"]);
});

Deno.test("heldMatches picks confirmations by `confirmed` in --op and by their hold's sample", () => {
  const confirmed = { type: "confirmed" as const, seq: 12, ts: at(NOON), ref: 9, count: 2 };
  const named = { ...confirmed, sample: ["docs/a", "docs/b"] };
  assertEquals(heldMatches(named, show()), true);
  assertEquals(heldMatches(named, show({ ops: ["confirmed"] })), true);
  assertEquals(
    heldMatches(named, show({ ops: ["held"] })),
    false,
    "a hold is not its confirmation",
  );
  assertEquals(heldMatches(named, show({ path: "docs" })), true);
  assertEquals(heldMatches(named, show({ path: "other" })), false);
  assertEquals(heldMatches(confirmed, show({ path: "docs" })), false, "its hold compacted away");
  assertEquals(heldMatches(confirmed, show({ since: NOON + 1 })), false);
});
