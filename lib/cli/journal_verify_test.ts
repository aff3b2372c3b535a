import { capturingDeps } from "../../testing/journal_deps.ts";
import { copyIntent } from "../../testing/records.ts";
import { assert, assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { acquireLock } from "../dest/reserved.ts";
import type { Unstamped } from "../journal/record.ts";
import { journalDir, segmentName } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { runVerify } from "./journal_verify.ts";

const real = new DenoFileSystem();

const copy = copyIntent;

/** Writes a journal into `dest` holding `records` after its header. */
async function journal(dest: string, records: Unstamped[]): Promise<string> {
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/s" });
  if (records.length > 0) await w.append(records);
  await w.close();
  return `${journalDir(dest)}/${segmentName(1)}`;
}

function verify(dest: string, json = false): { code: number; lines: string[] } {
  const lines: string[] = [];
  const deps = capturingDeps(lines);
  return { code: runVerify({ action: "verify", dest, json }, deps), lines };
}

Deno.test("runVerify says a sound journal is OK, with its counts", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path, [copy("a"), { type: "done", ref: 2 }]);
  assertEquals(verify(tmp.path), {
    code: EXIT.OK,
    lines: ["journal OK: 3 records in 1 segment, last seq 3"],
  });
  const json = JSON.parse(verify(tmp.path, true).lines[0]!);
  assertEquals([json.ok, json.records, json.lastSeq, json.unfinished, json.unsafe, json.running], [
    true,
    3,
    3,
    0,
    0,
    null,
  ]);
});

Deno.test("runVerify refuses a folder without a journal", async () => {
  await using tmp = await tempDir();
  assertThrows(() => verify(tmp.path), UsageError, "no journal in");
});

Deno.test("runVerify reports unfinished operations and a torn tail, and changes nothing", async () => {
  await using tmp = await tempDir();
  const segment = await journal(tmp.path, [copy("a"), copy("b"), { type: "done", ref: 2 }]);
  const whole = Deno.statSync(segment).size;
  Deno.writeTextFileSync(segment, '{"seq":5,"type":"do', { append: true });
  const { code, lines } = verify(tmp.path);
  assertEquals(code, EXIT.OK);
  assertEquals(lines[0], "journal OK: 4 records in 1 segment, last seq 4");
  assertEquals(
    lines[1],
    `torn tail (recoverable): ${
      segmentName(1)
    } at byte ${whole}, 19 bytes (incomplete last line); the next start truncates it`,
  );
  assertEquals(
    lines[2],
    "unfinished operations: 1 (the next start, or `backup journal replay`, re-checks them)",
  );
  assertEquals(Deno.statSync(segment).size, whole + 19, "the torn tail is left for the next start");
});

Deno.test("runVerify lists records whose paths could lead outside the destination", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path, [copy("../../etc/passwd"), copy("fine")]);
  const { code, lines } = verify(tmp.path);
  assertEquals(code, EXIT.OK);
  assertEquals(lines.slice(2), [
    "UNSAFE records: 1 with paths that could lead outside the destination; replay refuses them:",
    '  seq 2: "../../etc/passwd" (bad segment "..")',
  ]);
  assertEquals(
    lines[1],
    "unfinished operations: 1 (the next start, or `backup journal replay`, re-checks them)",
  );
});

Deno.test("runVerify exits 3 for damage in the middle, and says how to rebuild", async () => {
  await using tmp = await tempDir();
  const segment = await journal(tmp.path, [copy("a"), copy("b"), copy("c")]);
  Deno.writeTextFileSync(
    segment,
    Deno.readTextFileSync(segment).replace('"path":"b"', '"path":"x"'),
  );
  const { code, lines } = verify(tmp.path);
  assertEquals(code, EXIT.JOURNAL_CORRUPT);
  assertIncludes(lines[0]!, "journal CORRUPT: ");
  assertIncludes(lines[1]!, "--rebuild-journal");
  const json = JSON.parse(verify(tmp.path, true).lines[0]!);
  assertEquals([json.ok, json.segment, json.lastSeq], [false, segmentName(1), 2]);
  assert(typeof json.error === "string" && typeof json.offset === "number");
});

Deno.test("runVerify notes a running daemon, whose lock it only probes", async () => {
  await using tmp = await tempDir();
  await journal(tmp.path, [copy("a")]);
  const lock = acquireLock(real, tmp.path);
  try {
    const { lines } = verify(tmp.path);
    assertEquals(lines.at(-1), `a daemon is running (pid ${Deno.pid})`);
    assertIncludes(lines.join("\n"), "(the running daemon is applying them)");
    assertEquals(JSON.parse(verify(tmp.path, true).lines[0]!).running, { pid: Deno.pid });
  } finally {
    lock.release();
  }
});
