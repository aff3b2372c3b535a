import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import type { Logger } from "./log.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { Reconciler } from "../engine/reconciler.ts";
import { emptySummary } from "../engine/summary.ts";
import { EventStream, summaryJson } from "./events.ts";
import { ProgressReporter } from "./progress_report.ts";

const file = { kind: "file" as const, size: 0, mtimeMs: 0, mode: 0o644, ino: 1 };

/** A plan of `n` copies of 1 MB each. */
function copies(n: number): FileOp[] {
  return Array.from({ length: n }, (_, i) => ({
    op: "copy",
    path: `f${i}`,
    src: { ...file, size: 1_000_000 },
  })) as unknown as FileOp[];
}

/** A reporter on a fake clock, with everything it writes recorded. */
function harness(everyOp = false) {
  let now = 50_000;
  const bar: string[] = [];
  let clears = 0;
  const lines: string[] = [];
  const events: Record<string, unknown>[] = [];
  const flushes: boolean[] = [];
  const log = {
    info: (_msg: string, props: { line: string }) => lines.push(props.line),
  } as unknown as Logger;
  const stream = new EventStream((line, flush) => {
    events.push(JSON.parse(line));
    flushes.push(flush);
  }, { job: "photos", now: () => 1_800_000_000_000 });
  const reporter = new ProgressReporter({
    bar: { draw: (l) => bar.push(l), clear: () => clears++ },
    columns: () => 120,
    log,
    events: stream,
    everyOp,
    now: () => now,
  });
  return {
    reporter,
    bar,
    lines,
    events,
    flushes,
    clears: () => clears,
    advance: (ms: number) => now += ms,
  };
}

Deno.test("progress report: bar after 1 s at most every 200 ms, a log line every 10 s, events every second", () => {
  const h = harness();
  h.reporter.planned(3, "scan", copies(100));
  for (let i = 0; i < 100; i++) {
    h.advance(150); // 15 s in all
    h.reporter.copying(1_000_000);
    h.reporter.applied("copy", `f${i}`, 1_000_000, "ok", null);
  }
  // A tick every 150 ms for 15 s: the bar from 1 s on, never twice within 200 ms (so every 300 ms).
  assert(h.bar.length >= 45 && h.bar.length <= 71, `bar draws: ${h.bar.length}`);
  assert(h.bar[0]!.includes("/100 files"), h.bar[0]!);
  assert(
    /^\[=+>?\] +9\d% {2}9\d\/100 files {2}9\d\.0\/100\.0 MB {2}6\.\d MB\/s {2}ETA 0:0\d$/.test(
      h.bar.at(-1)!,
    ),
    h.bar.at(-1)!,
  );
  assertEquals(h.lines.length, 1, "one PROGRESS line in 15 s (the first at 10 s)");
  assert(
    /^PROGRESS: pass 3: 6\d\/100 files, 6\d\.0\/100\.0 MB, 6\.\d MB\/s, ETA \d s$/.test(
      h.lines[0]!,
    ),
    h.lines[0]!,
  );

  const summary = { ...emptySummary(3, "scan"), copied: 100, bytes: 100_000_000 };
  h.reporter.ended(summary);
  assertEquals(h.clears(), 1, "the bar is cleared at the end of the pass");
  const names = h.events.map((e) => e.event);
  assertEquals(names[0], "pass-start");
  assertEquals(names.at(-1), "pass");
  const progress = h.events.filter((e) => e.event === "progress");
  assert(progress.length >= 13 && progress.length <= 15, `progress events: ${progress.length}`);
  assertEquals(h.events[0], {
    event: "pass-start",
    time: "2027-01-15T08:00:00.000Z",
    job: "photos",
    pass: 3,
    trigger: "scan",
    ops: 100,
    files: 100,
    bytes: 100_000_000,
  });
  const p = progress[0]!;
  for (const k of ["opsDone", "ops", "filesDone", "files", "bytesDone", "bytes", "elapsedMs"]) {
    assertEquals(typeof p[k], "number", k);
  }
  assertEquals(p.job, "photos");
  assertEquals(h.events.at(-1), {
    event: "pass",
    time: "2027-01-15T08:00:00.000Z",
    job: "photos",
    pass: 3,
    summary: summaryJson(summary),
  });
  assertEquals(h.flushes.every((f) => f), true, "pass and progress events are flushed at once");

  // After the pass, nothing more is drawn or logged until the next plan.
  const drawn = h.bar.length;
  h.advance(60_000);
  h.reporter.copying(1);
  assertEquals([h.bar.length, h.lines.length], [drawn, 1]);
});

Deno.test("progress report: a short pass shows nothing but its pass-start and pass events", () => {
  const h = harness();
  h.reporter.planned(1, "watch", copies(3));
  for (let i = 0; i < 3; i++) {
    h.advance(100);
    h.reporter.applied("copy", `f${i}`, 1_000_000, "ok", null);
  }
  h.reporter.ended(emptySummary(1, "watch"));
  assertEquals([h.bar.length, h.lines.length], [0, 0]);
  assertEquals(h.events.map((e) => e.event), ["pass-start", "pass"]);
});

Deno.test("progress report: op events for failures always, for every operation with --verbose", () => {
  for (const everyOp of [false, true]) {
    const h = harness(everyOp);
    h.reporter.planned(1, "scan", copies(3));
    h.reporter.applied("copy", "f0", 1_000_000, "ok", null);
    h.reporter.applied("copy", "f1", 0, "failed", "permission denied");
    h.reporter.applied("delete", "gone", 0, "skipped", "vanished since it was scanned");
    const ops = h.events.filter((e) => e.event === "op").map(({ time: _, ...e }) => e);
    const failed = {
      event: "op",
      job: "photos",
      pass: 1,
      op: "copy",
      path: "f1",
      ok: false,
      bytes: 0,
      reason: "permission denied",
    };
    if (!everyOp) assertEquals(ops, [failed]);
    else {
      assertEquals(ops, [
        { event: "op", job: "photos", pass: 1, op: "copy", path: "f0", ok: true, bytes: 1_000_000 },
        failed,
        {
          event: "op",
          job: "photos",
          pass: 1,
          op: "delete",
          path: "gone",
          ok: false,
          skipped: true,
          reason: "vanished since it was scanned",
        },
      ]);
    }
    assertEquals(h.reporter.view().failed, 1, "a skipped operation is not a failure");
    assertEquals(h.flushes.includes(false), true, "op events are left to the writer's buffer");
  }
});

Deno.test("progress report: the reconciler reports its plan, every byte and operation, and the end", async () => {
  const t = await tempDir();
  const quiet = getLogger(["test-silent"]);
  try {
    const src = `${t.path}/src`;
    put(`${src}/big.bin`, new Uint8Array(3_000_000)); // copied in chunks
    put(`${src}/docs/a.txt`, "aaa");
    put(`${src}/docs/b.txt`, "bb");
    const events: Record<string, unknown>[] = [];
    const reporter = new ProgressReporter({
      events: new EventStream((line) => events.push(JSON.parse(line))),
    });
    const rec = await Reconciler.start(new DenoFileSystem(), {
      source: src,
      dest: `${t.path}/dest`,
      logs: { op: quiet, pass: quiet, daemon: quiet },
      progress: reporter,
      batchSize: 2, // several batches
    });
    try {
      const summary = await rec.pass();
      const v = reporter.view();
      assertEquals([v.files, v.filesDone, summary.copied], [3, 3, 3]);
      assertEquals([v.bytes, v.bytesDone, summary.bytes], [3_000_005, 3_000_005, 3_000_005]);
      assertEquals(v.opsDone, v.ops);
      assertEquals(v.failed, 0);
      assertEquals(events.map((e) => e.event), ["pass-start", "pass"]);
      assertEquals(events[0]!.files, 3);
      assertEquals((events[1]!.summary as Record<string, unknown>).copied, 3);
    } finally {
      await rec.close();
    }
  } finally {
    await t.cleanup();
  }
});
