import { assert, assertEquals } from "../../testing/assert.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import {
  byteRate,
  doneShare,
  etaMs,
  formatBar,
  formatClock,
  formatCount,
  formatDuration,
  formatLine,
  formatPair,
  planTotals,
  type ProgressView,
  TerminalBar,
  Throttle,
} from "./progress.ts";

const GB = 1_000_000_000;

/** A pass copying 5,000 files of 4 GB in all, 42 % of the way at 20 s. */
function view(over: Partial<ProgressView> = {}): ProgressView {
  return {
    pass: 1,
    ops: 5000,
    opsDone: 1234,
    files: 5000,
    filesDone: 1234,
    bytes: 4 * GB,
    bytesDone: 1.7 * GB,
    failed: 0,
    elapsedMs: 20_000,
    ...over,
  };
}

Deno.test("progress: counts, byte pairs and times read as people write them", () => {
  assertEquals(formatCount(0), "0");
  assertEquals(formatCount(1234), "1,234");
  assertEquals(formatCount(1_234_567), "1,234,567");
  assertEquals(formatPair(1.2 * GB, 4 * GB), "1.2/4.0 GB");
  assertEquals(formatPair(512_000, 4 * GB), "512.0 kB/4.0 GB");
  assertEquals(formatPair(5 * GB, 4 * GB), "4.0/4.0 GB", "never more done than the total");
  assertEquals(formatClock(42_000), "0:42");
  assertEquals(formatClock(725_000), "12:05");
  assertEquals(formatClock(3_723_000), "1:02:03");
  assertEquals(formatDuration(42_400), "42 s");
  assertEquals(formatDuration(185_000), "3 min 5 s");
  assertEquals(formatDuration(7_800_000), "2 h 10 min");
});

Deno.test("progress: planTotals counts operations, copies and the bytes to copy", () => {
  const file = { kind: "file" as const, size: 0, mtimeMs: 0, mode: 0o644, ino: 1 };
  const ops = [
    { op: "mkdir", path: "d", src: { ...file, kind: "dir" } },
    { op: "copy", path: "d/a", src: { ...file, size: 100 } },
    { op: "copy", path: "d/b", src: { ...file, size: 23 } },
    { op: "delete", path: "old", kind: "file" },
  ] as unknown as FileOp[];
  assertEquals(planTotals(ops), { ops: 4, files: 2, bytes: 123 });
  assertEquals(planTotals([]), { ops: 0, files: 0, bytes: 0 });
});

Deno.test("progress: the share done weighs bytes and operations; rate and ETA follow from it", () => {
  assertEquals(doneShare(view({ ops: 0, files: 0, bytes: 0, opsDone: 0, bytesDone: 0 })), 1);
  // Bytes only: half the bytes of one big file is half the work.
  const big = view({
    ops: 1,
    opsDone: 0,
    files: 1,
    filesDone: 0,
    bytes: 10 * GB,
    bytesDone: 5 * GB,
  });
  assert(Math.abs(doneShare(big) - 0.5) < 0.001, String(doneShare(big)));
  assertEquals(byteRate(big), 5 * GB / 20);
  assert(Math.abs(etaMs(big)! - 20_000) < 50, String(etaMs(big)));
  // Many empty files: the operations are the work.
  const small = view({ bytes: 0, bytesDone: 0, opsDone: 2500 });
  assertEquals(doneShare(small), 0.5);
  assertEquals(etaMs(small), 20_000);
  // Not known before a second has passed, or while nothing is done.
  assertEquals(etaMs(view({ elapsedMs: 500 })), null);
  assertEquals(byteRate(view({ elapsedMs: 500 })), null);
  assertEquals(etaMs(view({ opsDone: 0, filesDone: 0, bytesDone: 0 })), null);
  assertEquals(etaMs(view({ opsDone: 5000, bytesDone: 4 * GB })), 0);
});

Deno.test("progress: the bar shows share, files, bytes, rate and ETA, and fits the terminal", () => {
  const line = formatBar(view(), 100);
  assert(
    /^\[=+> +\] +\d+% {2}1,234\/5,000 files {2}1\.7\/4\.0 GB {2}85\.0 MB\/s {2}ETA 0:\d\d$/.test(
      line,
    ),
    line,
  );
  assert(line.length <= 99, `leaves the last column free: ${line.length}`);
  assertEquals(
    formatBar(view({ opsDone: 5000, filesDone: 5000, bytesDone: 4 * GB })).slice(0, 2),
    "[=",
  );
  assert(formatBar(view({ opsDone: 5000, filesDone: 5000, bytesDone: 4 * GB })).includes("100%"));
  // Narrow: the bar goes first, then the text is cut; it never wraps.
  const narrow = formatBar(view(), 50);
  assert(!narrow.startsWith("["), narrow);
  assert(narrow.length <= 49, narrow);
  // No copies: operations are counted instead of files; no bytes, no rate.
  const moves = formatBar(view({ files: 0, filesDone: 0, bytes: 0, bytesDone: 0 }), 100);
  assert(moves.includes("1,234/5,000 ops  ETA"), moves);
  assert(!moves.includes("/s"), moves);
  assert(formatBar(view({ failed: 3 }), 120).endsWith("  3 failed"));
  assert(formatBar(view({ elapsedMs: 200 }), 100).includes("ETA ?"));
});

Deno.test("progress: the periodic line names the pass and gives the ETA in words", () => {
  assertEquals(
    formatLine(view({ bytesDone: 1.7 * GB, elapsedMs: 20_000 })),
    `PROGRESS: pass 1: 1,234/5,000 files, 1.7/4.0 GB, 85.0 MB/s, ETA ${
      formatDuration(etaMs(view())!)
    }`,
  );
});

Deno.test("progress: Throttle waits for its delay, then lets one update through per interval", () => {
  const t = new Throttle(200, 1000);
  assertEquals(t.due(0), false, "nothing is due before the first reset");
  t.reset(10_000);
  assertEquals(t.due(10_999), false, "a pass shorter than the delay shows nothing");
  assertEquals(t.due(11_000), true);
  assertEquals(t.due(11_100), false);
  assertEquals(t.due(11_199), false);
  assertEquals(t.due(11_200), true);
  assertEquals(t.due(15_000), true, "a late call is due at once");
  assertEquals(t.due(15_100), false);
  t.stop();
  assertEquals(t.due(99_999), false, "stopped: nothing until the next pass");
});

Deno.test("progress: TerminalBar redraws in place, pads over longer text, clears around log lines", () => {
  let screen = "";
  const bar = new TerminalBar((text) => screen += text);
  bar.draw("[==>  ] 10%");
  bar.draw("[===> ] 5%");
  assertEquals(screen, "\r[==>  ] 10%\r[===> ] 5% ");
  screen = "";
  bar.around(() => screen += "a log line\n");
  assertEquals(screen, `\r${" ".repeat(10)}\ra log line\n\r[===> ] 5%`);
  assertEquals(bar.shown, "[===> ] 5%");
  screen = "";
  bar.clear();
  bar.clear();
  assertEquals(screen, `\r${" ".repeat(10)}\r`, "cleared once");
  screen = "";
  bar.around(() => screen += "no bar shown\n");
  assertEquals(screen, "no bar shown\n", "nothing drawn back when no bar was shown");
});
