import { assert, assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR, STATUS_FILE } from "../base/layout.ts";
import { emptySummary, type PassSummary } from "../engine/summary.ts";
import { readStatus, STATUS_VERSION, StatusRecorder } from "./status.ts";

const real = new DenoFileSystem();
const summary = (over: Partial<PassSummary> = {}): PassSummary => ({
  ...emptySummary(1, "scan"),
  ...over,
});

/** A clock that starts at `start` and moves `step` ms each time it is read. */
function clock(start: number, step = 1000): () => number {
  let at = start - step;
  return () => (at += step);
}

Deno.test("StatusRecorder writes nothing until the first pass", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
  new StatusRecorder(real, tmp.path, { source: "/src" });
  assertEquals([...Deno.readDirSync(`${tmp.path}/${RESERVED_DIR}`)], []);
  assertEquals(readStatus(real, tmp.path), null);
});

Deno.test("StatusRecorder records the last pass with all its counts and sums the totals", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
  const start = Date.UTC(2024, 0, 2, 3, 4, 5);
  const recorder = new StatusRecorder(real, tmp.path, {
    source: "/src",
    pid: 4242,
    now: clock(start),
  });
  recorder.record(summary({ pass: 1, copied: 3, bytes: 300, deleted: 1, failed: 0, dirs: 2 }));
  recorder.record(
    summary({
      pass: 2,
      trigger: "watch",
      copied: 1,
      bytes: 5,
      failed: 2,
      moved: 4,
      durationMs: 12.6,
    }),
  );
  const status = readStatus(real, tmp.path);
  assert(status);
  assertEquals(
    [status.v, status.pid, status.source, status.dest, status.passes],
    [STATUS_VERSION, 4242, "/src", tmp.path, 2],
  );
  assertEquals(status.startedAt, new Date(start).toISOString());
  assertEquals(status.updatedAt, new Date(start + 2000).toISOString());
  assertEquals(status.totals, { copied: 4, bytes: 305, deleted: 1, failed: 2 });
  const last = status.lastPass;
  assert(last);
  assertEquals(
    [last.pass, last.trigger, last.copied, last.bytes, last.failed, last.moved, last.dirs],
    [2, "watch", 1, 5, 2, 4, 0],
  );
  assertEquals(last.durationMs, 13, "whole milliseconds");
  assertEquals(last.endedAt, status.updatedAt);
  assertEquals("retrySoon" in last || "interrupted" in last, false, "flags are not counts");
  const file = `${tmp.path}/${RESERVED_DIR}/${STATUS_FILE}`;
  assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
  assertEquals([...Deno.readDirSync(`${tmp.path}/${RESERVED_DIR}`)].length, 1, "no temp left");
});

Deno.test({
  name:
    "StatusRecorder does not store the retry folder set in the last pass (a Set is written as {})",
  fn: async () => {
    await using tmp = await tempDir();
    Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
    const recorder = new StatusRecorder(real, tmp.path, { source: "/src" });
    recorder.record(summary({ retryDirs: new Set(["a", "b"]) }));
    assertEquals("retryDirs" in readStatus(real, tmp.path)!.lastPass!, false);
  },
});

Deno.test("StatusRecorder never throws when the status file cannot be written", async () => {
  await using tmp = await tempDir();
  // No reserved folder: the temp file cannot even be created.
  new StatusRecorder(real, tmp.path, { source: "/src" }).record(summary());
  assertEquals(readStatus(real, tmp.path), null);
  Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
  const full = new FaultyFileSystem(real, [{
    point: "write",
    error: () => new Error("No space left on device"),
  }]);
  const recorder = new StatusRecorder(full, tmp.path, { source: "/src" });
  recorder.record(summary({ copied: 1 }));
  assertEquals(readStatus(real, tmp.path), null, "the failed write was not renamed into place");
});

Deno.test("readStatus is null for a missing, damaged or newer status file", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
  const file = `${tmp.path}/${RESERVED_DIR}/${STATUS_FILE}`;
  assertEquals(readStatus(real, tmp.path), null);
  for (const text of ['{"v":1,', "null", "42", JSON.stringify({ v: STATUS_VERSION + 1 })]) {
    Deno.writeTextFileSync(file, text);
    assertEquals(readStatus(real, tmp.path), null, text);
  }
});

Deno.test("StatusRecorder.scheduled writes the next run at once, and passes keep it", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/${RESERVED_DIR}`);
  const recorder = new StatusRecorder(real, tmp.path, { source: "/src", pid: 7 });
  const at = Date.UTC(2026, 11, 7, 2, 0, 0);
  recorder.scheduled("0 2 * * *", "Europe/Paris", at);
  const first = readStatus(real, tmp.path)!;
  assertEquals(first.lastPass, null);
  assertEquals(first.schedule, {
    cron: "0 2 * * *",
    zone: "Europe/Paris",
    nextRun: "2026-12-07T02:00:00.000Z",
  });
  recorder.record(summary({ copied: 1 }));
  assertEquals(readStatus(real, tmp.path)!.schedule?.nextRun, "2026-12-07T02:00:00.000Z");
});
