/**
 * reportOp: the log line and the summary count of one operation per outcome
 * (done, failed, source changed or vanished, plan invalid, not a regular
 * file), and outcomeOf.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import type { Logger } from "../base/logger.ts";
import type { Entry } from "../base/scan.ts";
import { SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { NotRegularFileError } from "../base/special_file.ts";
import type { FileOp } from "./pass_plan.ts";
import { changedCount, emptySummary, type PassSummary } from "./summary.ts";
import { outcomeOf, PlanInvalidError, reportOp } from "./op_report.ts";
import { BusyFiles } from "./busy.ts";

/** A logger that keeps `LEVEL message` lines, the `{name}` placeholders filled in. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Proxy({}, {
    get: (_target, level) => (message: string, props: Record<string, unknown> = {}) => {
      const text = message.replace(/\{(\w+)\}/g, (_, key: string) => String(props[key]));
      lines.push(`${String(level).toUpperCase()} ${text}`);
    },
  }) as Logger;
  return { logger, lines };
}

const file: Entry = { kind: "file", size: 5, mtimeMs: 1, mode: 0o644, ino: 1 };
const dir: Entry = { kind: "dir", size: 0, mtimeMs: 1, mode: 0o755, ino: 2 };
const link: Entry = { kind: "symlink", size: 1, mtimeMs: 1, mode: 0o777, ino: 3, target: "x" };

/** Reports `op` on a fresh summary; returns the summary and the lines logged. */
function report(
  op: FileOp,
  err: unknown = null,
  options: { bytes?: number; before?: Entry } = {},
): { summary: PassSummary; lines: string[] } {
  const { logger, lines } = capture();
  const summary = emptySummary(1, "scan");
  reportOp(logger, summary, op, err, options.bytes, options.before, "scan");
  return { summary, lines };
}

Deno.test("reportOp counts a done copy with its bytes: CREATED when new, UPDATED over a file", () => {
  const created = report({ op: "copy", path: "d/a.txt", src: file }, null, { bytes: 5 });
  assertEquals([created.summary.copied, created.summary.bytes], [1, 5]);
  assertEquals(created.lines, ["INFO FILE CREATED: d/a.txt - SUCCESS (scan)"]);
  const updated = report({ op: "copy", path: "a.txt", src: file }, null, { before: file });
  assertEquals(updated.summary.copied, 1);
  assertEquals(updated.lines, ["INFO FILE UPDATED: a.txt - SUCCESS (scan)"]);
  const overDir = report({ op: "copy", path: "a.txt", src: file }, null, { before: dir });
  assertEquals(
    overDir.lines,
    ["INFO FILE CREATED: a.txt - SUCCESS (scan)"],
    "another kind was there",
  );
});

Deno.test("reportOp counts each other kind of done operation once, under its own count", () => {
  const cases: [FileOp, keyof PassSummary, string][] = [
    [{ op: "delete", path: "gone", kind: "file" }, "deleted", "INFO FILE DELETED: gone"],
    [{ op: "delete", path: "old", kind: "dir" }, "deleted", "INFO FOLDER DELETED: old"],
    [{ op: "mkdir", path: "d", src: dir }, "dirs", "INFO FOLDER CREATED: d"],
    [{ op: "symlink", path: "l", src: link }, "links", "INFO SYMLINK CREATED: l"],
    [{ op: "move", path: "to", from: "from", src: file }, "moved", "INFO FILE MOVED: from -> to"],
    [{ op: "meta", path: "f", src: file }, "meta", "INFO FILE METADATA UPDATED: f"],
  ];
  for (const [op, count, line] of cases) {
    const { summary, lines } = report(op);
    assertEquals(summary[count], 1, `${op.op} ${op.path}`);
    assertEquals(changedCount(summary), 1, `${op.op} ${op.path}: only one count`);
    assertEquals(lines, [`${line} - SUCCESS (scan)`]);
  }
});

Deno.test("reportOp does not count a folder's metadata, and logs it at debug", () => {
  const { summary, lines } = report({ op: "meta", path: "d", src: dir });
  assertEquals(changedCount(summary), 0);
  assertEquals(lines, ["DEBUG FOLDER METADATA UPDATED: d - SUCCESS (scan)"]);
});

Deno.test("reportOp counts a failure and logs it as an error, nothing else counted", () => {
  const { summary, lines } = report(
    { op: "copy", path: "a.txt", src: file },
    new Deno.errors.PermissionDenied("EACCES"),
    { bytes: 5 },
  );
  assertEquals([summary.failed, summary.copied, summary.bytes, summary.retrySoon], [
    1,
    0,
    0,
    false,
  ]);
  assertEquals(lines, ["ERROR FILE CREATED: a.txt - FAILED: permission denied (scan)"]);
});

Deno.test("reportOp: a source that changed during its copy is a failure, warned, and asks for a pass soon in its folder", () => {
  const { summary, lines } = report(
    { op: "copy", path: "d/a.txt", src: file },
    new SourceChangedError("changed during copy"),
  );
  assertEquals([summary.failed, summary.retrySoon], [1, true]);
  assertEquals([...summary.retryDirs], ["d"]);
  assertEquals(lines, ["WARN FILE CREATED: d/a.txt - FAILED: changed during copy (scan)"]);
});

Deno.test("reportOp: a source that vanished is skipped (not failed), logged at debug, its folder looked at again", () => {
  const { summary, lines } = report(
    { op: "copy", path: "d/a.txt", src: file },
    new SourceVanishedError("vanished"),
  );
  assertEquals([summary.failed, summary.copied, summary.retrySoon], [0, 0, true]);
  assertEquals([...summary.retryDirs], ["d"]);
  assertEquals(lines, ["DEBUG FILE CREATED: d/a.txt - SKIPPED: vanished (scan)"]);
});

Deno.test("reportOp: an operation the plan no longer holds is skipped and asks for a pass soon", () => {
  const { summary, lines } = report(
    { op: "delete", path: "x", kind: "file" },
    new PlanInvalidError("an earlier move failed"),
  );
  assertEquals([summary.failed, summary.deleted, summary.retrySoon], [0, 0, true]);
  assertEquals(summary.retryDirs.size, 0);
  assertEquals(lines, ["DEBUG FILE DELETED: x - SKIPPED: an earlier move failed (scan)"]);
});

Deno.test("reportOp: a source that became a FIFO is warned about, not failed, not retried", () => {
  const { summary, lines } = report(
    { op: "copy", path: "d/p", src: file },
    new NotRegularFileError("/src/d/p", "fifo"),
  );
  assertEquals([summary.failed, summary.retrySoon, summary.retryDirs.size], [0, false, 0]);
  assertEquals(lines, [
    'WARN Cannot back up "d/p": it became a FIFO after the scan; skipped (scan)',
  ]);
});

Deno.test("reportOp: a source that became a symlink or folder is warned about and retried soon in its folder", () => {
  for (const found of ["symlink", "directory"] as const) {
    const { summary, lines } = report(
      { op: "copy", path: "d/p", src: file },
      new NotRegularFileError("/src/d/p", found),
    );
    assertEquals([summary.failed, summary.retrySoon], [0, true], found);
    assertEquals([...summary.retryDirs], ["d"]);
    assertEquals(lines.length, 1);
  }
});

Deno.test("reportOp shows a name with control characters quoted", () => {
  const { lines } = report({ op: "mkdir", path: "a\nb", src: dir });
  assertEquals(lines, ['INFO FOLDER CREATED: "a\\nb" - SUCCESS (scan)']);
});

Deno.test("outcomeOf: ok, skipped for what is retried or never read, failed otherwise", () => {
  assertEquals(outcomeOf(null), "ok");
  assertEquals(outcomeOf(new PlanInvalidError("x")), "skipped");
  assertEquals(outcomeOf(new SourceVanishedError("x")), "skipped");
  assertEquals(outcomeOf(new NotRegularFileError("/p", "socket")), "skipped");
  assertEquals(outcomeOf(new SourceChangedError("x")), "failed");
  assertEquals(outcomeOf(new Error("x")), "failed");
});

const copyOp: FileOp = { op: "copy", path: "a.txt", src: file };

Deno.test("reportOp: a busy file counts as busy (not failed), logged once at debug; past the limit it fails", () => {
  const busy = new BusyFiles();
  const first = report(copyOp, busy.found("a.txt", 0));
  assertEquals([first.summary.busy, first.summary.failed], [1, 0]);
  assertEquals(first.lines.length, 1);
  assert(first.lines[0]!.startsWith("DEBUG FILE CREATED: a.txt - BUSY: changed"), first.lines[0]);
  assert(first.summary.retryDirs.has(""));
  const again = report(copyOp, busy.found("a.txt", 1000));
  assertEquals([again.summary.busy, again.lines.length], [1, 0]);
  assertEquals(outcomeOf(busy.found("a.txt", 2000)), "skipped");
  const late = new BusyFiles({ limitMs: 1 });
  late.found("a.txt", 0);
  const over = late.found("a.txt", 5);
  const failed = report(copyOp, over);
  assertEquals([failed.summary.busy, failed.summary.failed], [0, 1]);
  assertEquals(outcomeOf(over), "failed");
});
