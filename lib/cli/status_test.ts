import { assert, assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { emptySummary } from "../engine/summary.ts";
import { journalDir, segmentName } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { StatusRecorder } from "../report/status.ts";
import { parseStatusArgs, runStatus } from "./status.ts";

const real = new DenoFileSystem();

/** A destination whose journal holds one copy done, one failed and one unfinished. */
async function backedUp(dest: string): Promise<void> {
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/data/src" });
  const intent = (path: string) => ({
    type: "intent" as const,
    op: "copy" as const,
    path,
    kind: "file" as const,
    size: 1,
    mtime: 1,
    mode: 0o644,
    ino: 1,
    reason: "scan" as const,
  });
  const [ok, bad] = await w.append([intent("ok.txt"), intent("bad.txt"), intent("open.txt")]);
  await w.append([
    { type: "done", ref: ok!.seq },
    { type: "failed", ref: bad!.seq, error: "permission denied" },
  ]);
  await w.close();
}

/** Runs `status` and collects what it prints. */
function status(dest: string, json: boolean, cwd = "/") {
  const lines: string[] = [];
  const code = runStatus({ dest, json }, { fs: real, cwd, out: (l) => lines.push(l) });
  return { code, lines };
}

Deno.test("parseStatusArgs needs --dest and takes --json", () => {
  assertEquals(parseStatusArgs(["--dest", "b"]), { dest: "b", json: false });
  assertEquals(parseStatusArgs(["--dest", "b", "--json"]), { dest: "b", json: true });
  assertThrows(() => parseStatusArgs([]), UsageError, "missing --dest DIR");
  assertThrows(() => parseStatusArgs(["--dest", "b", "--verbose"]), UsageError);
});

Deno.test("runStatus refuses a folder that holds no backup", async () => {
  await using tmp = await tempDir();
  assertThrows(() => status("plain", false, tmp.path), UsageError, `no backup in "plain"`);
});

Deno.test("runStatus --json tells the daemon is not running, the journal, the unfinished and the failures", async () => {
  await using tmp = await tempDir();
  await backedUp(tmp.path);
  const { code, lines } = status(tmp.path, true);
  assertEquals([code, lines.length], [EXIT.OK, 1]);
  const report = JSON.parse(lines[0]!);
  assertEquals(report.dest, tmp.path);
  assertEquals(report.source, "/data/src", "from the journal when no status file says");
  assertEquals([report.running, report.pid, report.lastPass, report.totals], [
    false,
    null,
    null,
    null,
  ]);
  assertEquals(report.journal.records, 6, "header, three intents, two outcomes");
  assertEquals(report.journal.lastSeq, 6);
  assertEquals(report.journal.segments, 1);
  assertEquals(
    report.journal.bytes,
    Deno.statSync(`${journalDir(tmp.path)}/${segmentName(1)}`).size,
  );
  assertEquals([report.journal.corrupt, report.journal.tornTail], [null, null]);
  assertEquals(report.unfinished, 1);
  assertEquals(report.recentFailures.length, 1);
  assertEquals([report.recentFailures[0].path, report.recentFailures[0].error], [
    "bad.txt",
    "permission denied",
  ]);
});

Deno.test("runStatus reports the last pass and the totals of the status file", async () => {
  await using tmp = await tempDir();
  await backedUp(tmp.path);
  const recorder = new StatusRecorder(real, tmp.path, { source: "/data/src", pid: 1234 });
  recorder.record({ ...emptySummary(1, "scan"), copied: 2, bytes: 2048, held: 150 });
  const json = JSON.parse(status(tmp.path, true).lines[0]!);
  assertEquals([json.running, json.lastPid], [false, 1234]);
  assertEquals([json.lastPass.copied, json.totals.copied, json.totals.bytes], [2, 2, 2048]);
  const text = status(tmp.path, false).lines.join("\n");
  assertIncludes(text, `backup status of ${tmp.path}`);
  assertIncludes(text, "daemon:      not running (last: pid 1234, ");
  assertIncludes(text, "source:      /data/src");
  assertIncludes(text, "2 copied (2.0 kB)");
  assertIncludes(text, "150 deletions HELD by the mass-delete guard");
  assertIncludes(text, "totals:      1 pass since ");
  assertIncludes(text, "unfinished:  1 operation (the next start, or `backup journal replay`");
  assertIncludes(text, "failures:    latest 1 (see `backup journal show --failed`):");
  assertIncludes(text, "copy  bad.txt  (permission denied)");
});

Deno.test("runStatus exits 3 for a corrupt journal and says so, read-only", async () => {
  await using tmp = await tempDir();
  await backedUp(tmp.path);
  const segment = `${journalDir(tmp.path)}/${segmentName(1)}`;
  const damaged = Deno.readTextFileSync(segment).replace('"path":"bad.txt"', '"path":"BAD.txt"');
  Deno.writeTextFileSync(segment, damaged);
  const json = status(tmp.path, true);
  assertEquals(json.code, EXIT.JOURNAL_CORRUPT);
  assert(typeof JSON.parse(json.lines[0]!).journal.corrupt === "string");
  const text = status(tmp.path, false);
  assertEquals(text.code, EXIT.JOURNAL_CORRUPT);
  assertIncludes(text.lines.join("\n"), "CORRUPT: ");
  assertEquals(Deno.readTextFileSync(segment), damaged, "nothing repaired");
});

Deno.test("runStatus counts busy files apart from errors, and does not list their tries as failures", async () => {
  await using tmp = await tempDir();
  const w = await JournalWriter.open(real, journalDir(tmp.path), { source: "/data/src" });
  const [busy] = await w.append([{
    type: "intent",
    op: "copy",
    path: "big.bin",
    kind: "file",
    size: 1,
    mtime: 1,
    mode: 0o644,
    ino: 1,
    reason: "watch",
  }]);
  await w.append([{
    type: "failed",
    ref: busy!.seq,
    error: "busy: changed while it was being copied; tried again in 1 s",
  }]);
  await w.close();
  const recorder = new StatusRecorder(real, tmp.path, { source: "/data/src", pid: 1234 });
  recorder.record({ ...emptySummary(1, "watch"), busy: 1 });
  const json = JSON.parse(status(tmp.path, true).lines[0]!);
  assertEquals([json.lastPass.busy, json.lastPass.failed, json.totals.failed], [1, 0, 0]);
  const text = status(tmp.path, false).lines.join("\n");
  assertIncludes(text, "0 errors, 1 busy (still being written, tried again)");
  assertIncludes(text, "failures:    none in the journal");
});
