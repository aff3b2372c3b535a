/**
 * Black-box tests of bad input (issue 12, point 7): each gets a one-line error and its
 * documented exit code, never a crash (`internal error`, exit 1), a hang or a nonsense answer.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes, assertMatch } from "../testing/assert.ts";
import { put, runCli, tempDir } from "../testing/helpers.ts";
import { DenoFileSystem } from "../lib/base/fs.ts";
import { journalDir } from "../lib/base/layout.ts";
import { readJournal } from "../lib/journal/reader.ts";
import { frameLine } from "../lib/journal/record.ts";

/** Asserts a one-line error on stderr, with no stack trace and no "internal error". */
function assertOneLineError(stderr: string, includes: string): void {
  const lines = stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert(lines[0]!.startsWith("backup: "), stderr);
  assert(!lines[0]!.includes("internal error"), stderr);
  assertIncludes(lines[0]!, includes);
}

/** A source with one file, backed up once. */
async function backedUp(root: string): Promise<{ src: string; dest: string }> {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  put(`${src}/a.txt`, "a");
  const run = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(run.code, 0, run.stderr);
  return { src, dest };
}

/**
 * Appends hand-written records to the journal's last segment, each framed with a valid
 * checksum (as someone who owns the destination can): `fields` of each get the next seq.
 */
function appendByHand(dest: string, records: Record<string, unknown>[]): void {
  const dir = journalDir(dest);
  const summary = readJournal(new DenoFileSystem(), dir, { repair: false });
  let seq = summary.lastSeq;
  const text = records.map((fields) =>
    frameLine({ seq: ++seq, ts: new Date().toISOString(), ...fields })
  ).join("");
  Deno.writeTextFileSync(`${dir}/${summary.segments.at(-1)!}`, text, { append: true });
}

const COPY = {
  type: "intent",
  op: "copy",
  path: "a.txt",
  kind: "file",
  size: 1,
  mtime: 0,
  mode: 0o644,
  ino: 1,
  reason: "scan",
};

Deno.test('bad input: a journal record with a valid checksum and size:"big" is corruption everywhere (exit 3), never a crash', async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  appendByHand(dest, [{ ...COPY, size: "big" }, { type: "done", ref: 0 }]);
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(verify.code, 3, verify.stdout + verify.stderr);
  assertIncludes(verify.stdout, `journal CORRUPT`);
  assertIncludes(verify.stdout, `"size" is "big", not a whole number of at least 0`);
  for (
    const args of [
      ["journal", "show", "--dest", dest],
      ["journal", "why", "--dest", dest, "a.txt"],
      ["restore", "--dest", dest, "a.txt", "--to", `${t.path}/out`],
      ["--src", src, "--dest", dest, "--once"],
    ]
  ) {
    const run = await runCli(args);
    assertEquals(run.code, 3, `${args.join(" ")}: ${run.stderr}`);
    assertOneLineError(run.stderr, "is corrupt at byte");
  }
  const status = await runCli(["status", "--dest", dest]);
  assertEquals(status.code, 3, status.stdout + status.stderr);
  assertIncludes(status.stdout, "CORRUPT");
});

Deno.test("bad input: a record with a wrong field is corruption even as the last line (never truncated as a torn tail)", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  appendByHand(dest, [{ type: "failed", ref: 1, error: 42 }]);
  const before = Deno.readTextFileSync(`${journalDir(dest)}/00000001.jsonl`);
  const run = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(run.code, 3, run.stderr);
  assertIncludes(run.stderr, `"error" is 42, not a string`);
  assertEquals(Deno.readTextFileSync(`${journalDir(dest)}/00000001.jsonl`), before, "unchanged");
});

Deno.test("bad input: an intent whose version holds '..' is flagged by verify, refused, shown as refused, not unfinished", async () => {
  await using t = await tempDir();
  const { dest } = await backedUp(t.path);
  appendByHand(dest, [{ ...COPY, version: "../../../escaped~20261122T143015.123Z" }]);
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  assertIncludes(verify.stdout, "UNSAFE records: 1");
  assertIncludes(
    verify.stdout,
    `(version "../../../escaped~20261122T143015.123Z": bad segment "..")`,
  );
  const status = await runCli(["status", "--dest", dest]);
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /\nunfinished: +0 operations\n/);
  assertMatch(status.stdout, /\nrefused: +1 unsafe record \(paths that could lead outside/);
  const json = JSON.parse((await runCli(["status", "--dest", dest, "--json"])).stdout);
  assertEquals([json.unfinished, json.refused], [0, 1]);
  const show = await runCli(["journal", "show", "--dest", dest, "--failed"]);
  assertEquals(show.code, 0, show.stderr);
  assertIncludes(show.stdout, "REFUSED");
  const escaped = [...Deno.readDirSync(t.path)].map((entry) => entry.name);
  assertEquals(escaped.includes("escaped~20261122T143015.123Z"), false);
});

Deno.test("bad input: a config file nested 100,000 levels deep is exit 2 with a message, not a stack overflow", async () => {
  await using t = await tempDir();
  const file = `${t.path}/deep.json`;
  Deno.writeTextFileSync(file, `{ "jobs": ${"[".repeat(100_000)}${"]".repeat(100_000)} }`);
  const check = await runCli(["config", "check", file]);
  assertEquals(check.code, 2, check.stdout + check.stderr);
  assertIncludes(check.stdout, "nested more than 64 levels deep");
  const run = await runCli(["--config", file, "--once"]);
  assertEquals(run.code, 2, run.stderr);
  assertOneLineError(run.stderr, "nested more than 64 levels deep");
});

Deno.test("bad input: config check of 2,000 jobs is linear (a hang guard: well under 15 s)", async () => {
  await using t = await tempDir();
  const jobs = Array.from({ length: 2000 }, (_, i) => ({
    name: `job${i}`,
    source: `${t.path}/sources/s${i}`,
    destination: `${t.path}/backups/d${i}`,
  }));
  const file = `${t.path}/many.json`;
  Deno.writeTextFileSync(file, JSON.stringify({ jobs }, null, 2));
  const started = performance.now();
  const check = await runCli(["config", "check", file]);
  const ms = performance.now() - started;
  assertEquals(check.code, 0, check.stdout.slice(-500));
  assertIncludes(check.stdout, "is valid: 2000 jobs, 2000 enabled");
  assert(ms < 15_000, `took ${ms.toFixed(0)} ms`);
});

Deno.test("bad input: a destination or restore output that cannot take files (/proc/self) is exit 2, one line", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  // Deno itself refuses /proc/self without --allow-all; with it, the program must say what is wrong.
  const all = { perms: ["--allow-all"] };
  const backup = await runCli(["--src", src, "--dest", "/proc/self/x", "--once"], all);
  assertEquals(backup.code, 2, backup.stderr);
  assertOneLineError(backup.stderr, `cannot create the destination "/proc/self/x"`);
  const restore = await runCli(["restore", "--dest", dest, "a.txt", "--to", "/proc/self"], all);
  assertEquals(restore.code, 2, restore.stderr);
  assertOneLineError(restore.stderr, `cannot write into --to "/proc/self"`);
});

Deno.test("bad input: a time out of range (--at 1000000000000d) is exit 2, never NaN-NaN-NaN", async () => {
  await using t = await tempDir();
  const { dest } = await backedUp(t.path);
  for (
    const args of [
      ["restore", "--dest", dest, "a.txt", "--at", "1000000000000d", "--to", `${t.path}/out`],
      ["journal", "show", "--dest", dest, "--since", "1000000000000d"],
      ["journal", "show", "--dest", dest, "--until", "99999-01-01"],
    ]
  ) {
    const run = await runCli(args);
    assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert(!run.stderr.includes("NaN"), run.stderr);
    assertOneLineError(run.stderr, "");
  }
  const restore = await runCli([
    "restore",
    "--dest",
    dest,
    "a.txt",
    "--at",
    "1000000000000d",
    "--to",
    `${t.path}/out`,
  ]);
  assertIncludes(restore.stderr, `--at "1000000000000d" is out of range`);
});

Deno.test("bad input: a refused record is reported at one start and closed in the journal, not at every start", async () => {
  await using t = await tempDir();
  const { src, dest } = await backedUp(t.path);
  appendByHand(dest, [{ ...COPY, path: "../outside.txt" }]);
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertIncludes(first.stderr, "JOURNAL RECORD REFUSED");
  const second = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(second.code, 0, second.stderr);
  assertEquals(second.stderr.includes("JOURNAL RECORD REFUSED"), false, second.stderr);
  const json = JSON.parse((await runCli(["status", "--dest", dest, "--json"])).stdout);
  assertEquals(json.unfinished, 0);
  const verify = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});
