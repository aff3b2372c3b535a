import { assertEquals } from "../../testing/assert.ts";
import { emptyState, foldRecord } from "./state.ts";
import type { JournalRecord, Unstamped } from "./record.ts";

const ts = "2026-11-22T00:00:00.000Z";

function fold(records: Unstamped[]) {
  const state = emptyState();
  records.forEach((r, i) => foldRecord(state, { ...r, seq: i + 1, ts } as JournalRecord));
  return state;
}

Deno.test("foldRecord() applies an intent only once it is done, and drops failed ones", () => {
  const s = fold([
    {
      type: "intent",
      op: "copy",
      path: "a",
      kind: "file",
      size: 1,
      mtime: 5,
      mode: 0o644,
      ino: 3,
      reason: "scan",
    },
    {
      type: "intent",
      op: "copy",
      path: "b",
      kind: "file",
      size: 1,
      mtime: 5,
      mode: 0o644,
      ino: 4,
      reason: "scan",
    },
    { type: "intent", op: "mkdir", path: "d", kind: "dir", mode: 0o755, mtime: 1, reason: "scan" },
    { type: "done", ref: 1, hash: "h1", racy: true },
    { type: "failed", ref: 2, error: "permission denied" },
  ]);
  assertEquals(s.entries.get("a"), {
    kind: "file",
    size: 1,
    mtimeMs: 5,
    mode: 0o644,
    ino: 3,
    hash: "h1",
    racy: true,
  });
  assertEquals(s.entries.has("b"), false);
  assertEquals([...s.pending.keys()], [3], "the mkdir is still pending");
  assertEquals(s.lastSeq, 5);
});

Deno.test("foldRecord() moves a folder with everything below it, and deletes", () => {
  const s = fold([
    { type: "intent", op: "mkdir", path: "x", kind: "dir", mode: 0o755, mtime: 1, reason: "scan" },
    { type: "done", ref: 1 },
    {
      type: "intent",
      op: "copy",
      path: "x/f",
      kind: "file",
      size: 2,
      mtime: 1,
      mode: 0o644,
      ino: 8,
      reason: "scan",
    },
    { type: "done", ref: 3, hash: "hf" },
    {
      type: "intent",
      op: "copy",
      path: "xy",
      kind: "file",
      size: 2,
      mtime: 1,
      mode: 0o644,
      ino: 9,
      reason: "scan",
    },
    { type: "done", ref: 5, hash: "hxy" },
    { type: "intent", op: "move", from: "x", path: "y/z", kind: "dir", reason: "watch" },
    { type: "done", ref: 7 },
    { type: "intent", op: "delete", path: "xy", reason: "scan" },
    { type: "done", ref: 9 },
  ]);
  assertEquals([...s.entries.keys()].sort(), ["y/z", "y/z/f"]);
  assertEquals(s.entries.get("y/z/f")?.hash, "hf");
});
