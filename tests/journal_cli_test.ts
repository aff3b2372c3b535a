/**
 * Black-box tests of `backup journal show|why|verify|replay|compact` and
 * `backup status`, on journals made by real runs (creates, an update, a
 * delete, an injected failure, moves appended with the real writer, a crash).
 *
 * Long on purpose (about 900 lines): the journal commands read the same
 * journals made by real runs, built once here for all of them.
 */

import { getLogger } from "@logtape/logtape";
import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import {
  assertMirror,
  journalShow,
  jsonLines,
  leftoverTemps,
  put,
  runCli,
  snapshot,
  startDaemon,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";
import { DenoFileSystem } from "../lib/base/fs.ts";
import { FaultyFileSystem } from "../testing/fault_fs.ts";
import { localTime } from "../lib/report/log.ts";
import { Reconciler } from "../lib/engine/reconciler.ts";
import { readJournal } from "../lib/journal/reader.ts";
import { journalDir, RESERVED_DIR } from "../lib/base/layout.ts";
import { JournalWriter } from "../lib/journal/writer.ts";
import type { Unstamped } from "../lib/journal/record.ts";

const fs = new DenoFileSystem();
const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

/** Asserts a one-line error on stderr, with no stack trace. */
function assertOneLineError(stderr: string, includes: string): void {
  const lines = stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert(lines[0]!.startsWith("backup: "), stderr);
  assertIncludes(lines[0]!, includes);
  assert(!/\bat .*:\d+:\d+/.test(stderr), `stack trace in:\n${stderr}`);
}

async function once(src: string, dest: string, extra: string[] = []): Promise<string> {
  const r = await runCli(["--src", src, "--dest", dest, "--once", ...extra]);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout + r.stderr;
}

/** Every file of the journal folder, with its bytes (to prove nothing changed). */
function journalBytes(dest: string): Map<string, string> {
  const out = new Map<string, string>();
  const dir = journalDir(dest);
  for (const e of Deno.readDirSync(dir)) {
    out.set(e.name, new TextDecoder().decode(Deno.readFileSync(`${dir}/${e.name}`)));
  }
  return out;
}

/**
 * A destination whose journal tells a story, all by real runs: docs/a.txt,
 * docs/b.txt, keep.txt and gone.txt created; docs/a.txt updated and gone.txt
 * deleted; bad.txt failed (unreadable: injected, so that it fails as root too).
 */
async function history(root: string): Promise<{ src: string; dest: string }> {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  put(`${src}/docs/a.txt`, "alpha");
  put(`${src}/docs/b.txt`, "beta");
  put(`${src}/keep.txt`, "keep");
  put(`${src}/gone.txt`, "gone");
  age(src); // out of the racy window: no re-hash records, the same story every time
  await once(src, dest);
  put(`${src}/docs/a.txt`, "alpha, changed");
  Deno.removeSync(`${src}/gone.txt`);
  age(src);
  const later = new Date(HOUR_AGO.getTime() + 60_000);
  Deno.utimeSync(`${src}/docs/a.txt`, later, later);
  await once(src, dest);
  put(`${src}/bad.txt`, "bad");
  for (const p of [`${src}/bad.txt`, src]) Deno.utimeSync(p, HOUR_AGO, HOUR_AGO);
  const faulty = new FaultyFileSystem(fs, [{
    point: "open",
    path: `${src}/bad.txt`,
    error: () => new Deno.errors.PermissionDenied("permission denied"),
  }]);
  const rec = await Reconciler.start(faulty, { source: src, dest, logs });
  try {
    assertEquals((await rec.pass()).failed, 1);
  } finally {
    await rec.close();
  }
  return { src, dest };
}

/** Appends records to a destination's journal with the real writer (as a future watcher would). */
async function append(dest: string, batches: Unstamped[][], complete = true): Promise<void> {
  const dir = journalDir(dest);
  const s = readJournal(fs, dir);
  const w = await JournalWriter.open(fs, dir, {
    source: s.source!,
    lastSeq: s.lastSeq,
    lastSegment: { name: s.segments.at(-1)!, bytes: s.lastSegmentBytes },
  });
  try {
    for (const batch of batches) {
      const intents = await w.append(batch);
      if (complete) await w.append(intents.map((r) => ({ type: "done", ref: r.seq })));
    }
  } finally {
    await w.close();
  }
}

/** One hour before the tests started: out of the racy window, and the same on every call. */
const HOUR_AGO = new Date(Date.now() - 3600_000);

/** Sets every entry below `root` (and `root`) to {@link HOUR_AGO}, so no pass sees them as racy. */
function age(root: string): void {
  for (const path of [...snapshot(root, []).keys()].reverse()) {
    Deno.utimeSync(`${root}/${path}`, HOUR_AGO, HOUR_AGO);
  }
  Deno.utimeSync(root, HOUR_AGO, HOUR_AGO);
}

function move(from: string, to: string, kind: "file" | "dir" = "file"): Unstamped {
  return { type: "intent", op: "move", from, path: to, kind, reason: "watch" };
}

Deno.test("journal show: every operation of real runs, aligned columns, local times", async () => {
  const t = await tempDir();
  try {
    const { dest } = await history(t.path);
    const r = await runCli(["journal", "show", "--dest", dest]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    const header = lines[0]!;
    assert(header.startsWith("TIME "), header);
    const rows = lines.slice(1);
    const json = jsonLines((await runCli(["journal", "show", "--dest", dest, "--json"])).stdout);
    assertEquals(rows.length, json.length);
    const col = (name: string) => header.indexOf(name);
    rows.forEach((line, i) => {
      const j = json[i]!;
      assertEquals(line.slice(0, 19), localTime(Date.parse(String(j.ts))), line);
      assertEquals(line.slice(col("SEQ")).split(" ")[0], String(j.seq), line);
      assertEquals(line.slice(col("OP")).split(" ")[0], j.op, line);
      assert(line.slice(col("PATH")).startsWith(String(j.from ?? j.path)), line);
    });
    const find = (path: string, op: string) =>
      json.filter((j) => j.path === path && j.op === op).map((j) => j.outcome);
    assertEquals(find("docs/a.txt", "copy"), ["done", "done"]);
    assertEquals(find("gone.txt", "delete"), ["done"]);
    assertEquals(find("bad.txt", "copy"), ["failed"]);
    assertIncludes(r.stdout, "FAILED");
    assertIncludes(r.stdout, "bad.txt  (permission denied)");
    assert(json.every((j) => j.type === "op" && j.reason === "scan"));
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal show: --path, --op, --failed, --since, --until, --limit filter; bad values exit 2", async () => {
  const t = await tempDir();
  try {
    const { dest } = await history(t.path);
    const show = async (...args: string[]) => {
      const r = await runCli(["journal", "show", "--dest", dest, "--json", ...args]);
      assertEquals(r.code, 0, r.stderr);
      return jsonLines(r.stdout);
    };
    const all = await show();
    const paths = (rows: Record<string, unknown>[]) => rows.map((j) => `${j.op} ${j.path}`);
    assertEquals(paths(await show("--path", "docs/a.txt", "--op", "copy")), [
      "copy docs/a.txt",
      "copy docs/a.txt",
    ]);
    assert((await show("--path", "docs/a.txt")).every((j) => j.path === "docs/a.txt"));
    assert((await show("--path", "./docs/")).every((j) => String(j.path).startsWith("docs")));
    assertEquals(paths(await show("--op", "delete")), ["delete gone.txt"]);
    assertEquals(
      (await show("--op", "delete,mkdir")).length,
      (await show("--op", "delete", "--op", "mkdir")).length,
    );
    assertEquals(paths(await show("--failed")), ["copy bad.txt"]);
    const seqs = all.map((j) => Number(j.seq));
    const limited = await show("--limit", "2");
    assertEquals(limited.map((j) => j.seq), seqs.slice(-2), "the newest 2, oldest first");
    assertEquals(await show("--since", "1m", "--until", "now"), all);
    assertEquals(await show("--since", new Date(Date.now() + 3600_000).toISOString()), []);
    assertEquals(await show("--until", "2000-01-01"), []);
    const human = await runCli(["journal", "show", "--dest", dest, "--until", "2000-01-01"]);
    assertEquals(human.stdout.trim(), "no operations match");
    for (
      const [args, words] of [
        [["--op", "rename"], "--op"],
        [["--since", "yesterday"], "--since"],
        [["--limit", "0"], "--limit"],
        [["--bogus"], "--bogus"],
        [["stray"], "stray"],
      ] as [string[], string][]
    ) {
      const r = await runCli(["journal", "show", "--dest", dest, ...args]);
      assertEquals(r.code, 2, args.join(" "));
      assertOneLineError(r.stderr, words);
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal why: the life of a path through updates, folder and file moves (both ways) and its delete", async () => {
  const t = await tempDir();
  try {
    const { dest } = await history(t.path);
    // Moves appended with the real writer: the folder, then the file out of it.
    await append(dest, [[move("docs", "archive/docs", "dir")], [
      move("archive/docs/a.txt", "final/a.txt"),
    ]]);
    const forward = await runCli(["journal", "why", "--dest", dest, "docs/a.txt"]);
    assertEquals(forward.code, 0, forward.stderr);
    const out = forward.stdout;
    assertIncludes(out, "docs/a.txt: created (found by a scan)");
    assertIncludes(out, "docs/a.txt: content updated (found by a scan)");
    assertIncludes(out, "docs -> archive/docs: folder docs moved to archive/docs");
    assertIncludes(out, "archive/docs/a.txt -> final/a.txt: moved to final/a.txt");
    assertIncludes(out, "now: in the backup as final/a.txt");
    assert(!out.includes("docs/b.txt"), "only this path's life");
    assert(/[0-9a-f]{12} {2}docs\/a\.txt: created/.test(out), "the hash is shown");

    // Asked by its last name, the same life shows, backwards through both moves.
    const back = await runCli(["journal", "why", "--dest", dest, "final/a.txt", "--json"]);
    const rows = jsonLines(back.stdout);
    const ops = rows.filter((r) => r.type === "op").map((r) => `${r.op} ${r.from ?? ""}${r.path}`);
    assertEquals(ops, [
      "copy docs/a.txt",
      "copy docs/a.txt",
      "move docsarchive/docs",
      "move archive/docs/a.txtfinal/a.txt",
    ]);
    const now = rows.at(-1)!;
    assertEquals(now.type, "now");
    assertEquals(now.names, ["final/a.txt"]);

    // Then it is deleted: why says what deleted it, when, and why.
    await append(dest, [[{
      type: "intent",
      op: "delete",
      path: "final/a.txt",
      kind: "file",
      reason: "scan",
    }]]);
    const gone = await runCli(["journal", "why", "--dest", dest, "docs/a.txt"]);
    assertIncludes(gone.stdout, "final/a.txt: deleted: no longer in the source (found by a scan)");
    assert(
      /now: not in the backup; deleted on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(seq \d+\)/.test(
        gone.stdout,
      ),
      gone.stdout,
    );

    const failed = await runCli(["journal", "why", "--dest", dest, `${dest}/bad.txt`]);
    assertIncludes(failed.stdout, "FAILED");
    assertIncludes(failed.stdout, "not applied: permission denied; retried by the next pass");
    const deleted = await runCli(["journal", "why", "--dest", dest, "gone.txt"]);
    assertIncludes(deleted.stdout, "gone.txt: deleted: no longer in the source");
    const never = await runCli(["journal", "why", "--dest", dest, "never.txt"]);
    assertEquals(never.code, 0);
    assertIncludes(never.stdout, "no decision about never.txt in the journal");
    const bad = await runCli(["journal", "why", "--dest", dest]);
    assertEquals(bad.code, 2);
    assertOneLineError(bad.stderr, "missing PATH");
    const outside = await runCli(["journal", "why", "--dest", dest, "../x"]);
    assertEquals(outside.code, 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal verify: sound, torn tail, corruption with segment/offset/seq, unsafe records; it changes nothing", async () => {
  const t = await tempDir();
  try {
    const { dest } = await history(t.path);
    const ok = await runCli(["journal", "verify", "--dest", dest, "--json"]);
    assertEquals(ok.code, 0);
    const report = JSON.parse(ok.stdout);
    assertEquals([report.ok, report.tornTail, report.unfinished, report.unsafe], [
      true,
      null,
      0,
      0,
    ]);
    const seg = `${journalDir(dest)}/00000001.jsonl`;

    Deno.writeTextFileSync(seg, '{"seq":999,"ts":"2026-', { append: true });
    let before = journalBytes(dest);
    const torn = await runCli(["journal", "verify", "--dest", dest]);
    assertEquals(torn.code, 0);
    assertIncludes(torn.stdout, "torn tail (recoverable): 00000001.jsonl at byte");
    assertEquals(journalBytes(dest), before, "verify must not truncate");

    const bytes = Deno.readFileSync(seg);
    bytes[300]! ^= 0x20;
    Deno.writeFileSync(seg, bytes);
    before = journalBytes(dest);
    const bad = await runCli(["journal", "verify", "--dest", dest, "--json"]);
    assertEquals(bad.code, 3);
    const err = JSON.parse(bad.stdout);
    assertEquals([err.ok, err.segment], [false, "00000001.jsonl"]);
    assert(err.offset <= 300 && err.offset > 0 && err.lastSeq > 0, bad.stdout);
    const human = await runCli(["journal", "verify", "--dest", dest]);
    assertIncludes(
      human.stdout,
      `journal CORRUPT: journal segment 00000001.jsonl is corrupt at byte ${err.offset} (after seq ${err.lastSeq})`,
    );
    assertEquals(journalBytes(dest), before);
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal replay --dry-run after a crash prints the unfinished operations and the plan and changes nothing; replay does them", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/a.txt`, "a");
    put(`${src}/keep.txt`, "keep");
    put(`${src}/late.txt`, "late");
    age(src);
    Deno.renameSync(`${src}/late.txt`, `${t.path}/late.txt`);
    await once(src, dest);
    // A crash right after an intent was made durable: its copy never ran.
    Deno.renameSync(`${t.path}/late.txt`, `${src}/late.txt`);
    age(src);
    const st = Deno.statSync(`${src}/late.txt`);
    await append(dest, [[{
      type: "intent",
      op: "copy",
      path: "late.txt",
      kind: "file",
      size: st.size,
      mtime: st.mtime!.getTime(),
      mode: st.mode! & 0o7777,
      ino: st.ino!,
      reason: "scan",
    }, { type: "intent", op: "delete", path: "keep.txt", kind: "file", reason: "scan" }]], false);
    put(`${dest}/${RESERVED_DIR}/staging/.backup-tmp-0123456789abcdef`, "half a copy");
    const before = snapshot(dest, []);

    const dry = await runCli(["journal", "replay", "--dest", dest, "--dry-run"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertIncludes(dry.stdout, "dry run: nothing is changed");
    assertIncludes(dry.stdout, "close 2 unfinished operations");
    assert(/copy +unfinished +scan .*late\.txt/.test(dry.stdout), dry.stdout);
    assert(/delete +unfinished +scan .*keep\.txt/.test(dry.stdout), dry.stdout);
    assertIncludes(
      dry.stdout,
      `remove 1 leftover temp file: ${RESERVED_DIR}/staging/.backup-tmp-0123456789abcdef`,
    );
    assert(/\n {2}copy +late\.txt +4 B/.test(dry.stdout), dry.stdout);
    assert(!/\n {2}delete/.test(dry.stdout), "keep.txt is still in the source: nothing to delete");
    const json = jsonLines(
      (await runCli(["journal", "replay", "--dest", dest, "--dry-run", "--json"])).stdout,
    );
    assertEquals(json.filter((j) => j.type === "unfinished").map((j) => j.path), [
      "late.txt",
      "keep.txt",
    ]);
    // keep.txt's delete was interrupted: whether it ran is in doubt, so the replay's pass
    // checks it by hash and records it (`meta`), and its dry run says so.
    const dryPlan = json.filter((j) => j.type === "plan").map((j) => `${j.op} ${j.path}`);
    assertEquals(dryPlan, ["meta keep.txt", "copy late.txt"]);
    assertEquals(json.at(-1)!.type, "summary");
    assertEquals(snapshot(dest, []), before, "a dry run changes nothing, not even the journal");

    const r = await runCli(["journal", "replay", "--dest", dest]);
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(r.stdout, "replayed: 2 unfinished operations closed and re-checked");
    assertIncludes(r.stdout, "pass: 1 copied");
    assertMirror(src, dest);
    assertEquals(leftoverTemps(dest), []);
    const rows = jsonLines((await runCli(["journal", "show", "--dest", dest, "--json"])).stdout);
    assertEquals(
      rows.filter((j) => j.outcome === "interrupted").map((j) => j.path),
      ["late.txt", "keep.txt"],
    );
    assertEquals(rows.at(-1)!.reason, "replay");
    assertEquals(
      rows.filter((j) => j.reason === "replay").map((j) => `${j.op} ${j.path}`),
      dryPlan,
      "the replay did what its dry run planned",
    );
    const v = JSON.parse((await runCli(["journal", "verify", "--dest", dest, "--json"])).stdout);
    assertEquals(v.unfinished, 0);
    const status = await runCli(["status", "--dest", dest]);
    assertIncludes(status.stdout, "(pass 1, replay,");
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal replay finishes the copy a kill -9 interrupted", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    const block = new Uint8Array(256 * 1024).fill(7);
    for (let i = 0; i < 120; i++) put(`${src}/d${i % 6}/f${i}.bin`, block);
    age(src); // not racy: after the replay, the plan is empty
    const d = startDaemon(["--src", src, "--dest", dest, "--interval", "60"]);
    try {
      // Kill it once some copies are journaled, while the initial copy is still going.
      await waitFor(() => {
        try {
          return readJournal(fs, journalDir(dest)).records > 20;
        } catch {
          return false;
        }
      }, { what: "some journaled copies", intervalMs: 5 });
    } finally {
      await d.stop("SIGKILL");
    }
    const verify = await runCli(["journal", "verify", "--dest", dest]);
    assertEquals(verify.code, 0, verify.stdout);
    const r = await runCli(["journal", "replay", "--dest", dest]);
    assertEquals(r.code, 0, r.stderr + r.stdout);
    assertMirror(src, dest);
    assertEquals(leftoverTemps(dest), []);
    const again = await runCli(["journal", "replay", "--dest", dest, "--dry-run", "--json"]);
    const summary = jsonLines(again.stdout).at(-1)!;
    assertEquals([summary.unfinished, summary.operations], [0, 0]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal compact: checkpoint, old segments gone; show, why, verify, replay and the daemon go on from it", async () => {
  const t = await tempDir();
  try {
    const { src, dest } = await history(t.path);
    const before = readJournal(fs, journalDir(dest));
    const r = await runCli(["journal", "compact", "--dest", dest]);
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(
      r.stdout,
      `compacted: checkpoint checkpoint-${String(before.lastSeq).padStart(12, "0")}.jsonl`,
    );
    const names = [...journalBytes(dest).keys()].sort().reverse();
    assertEquals(names, [
      `checkpoint-${String(before.lastSeq).padStart(12, "0")}.jsonl`,
      "00000002.jsonl",
    ]);
    const cpFile = `${journalDir(dest)}/${names[0]}`;
    assertEquals(Deno.statSync(cpFile).mode! & 0o777, 0o600);
    for (const line of Deno.readTextFileSync(cpFile).trimEnd().split("\n")) {
      assert(/,"crc":"[0-9a-f]{8}"\}$/.test(line), line);
    }

    const show = jsonLines((await runCli(["journal", "show", "--dest", dest, "--json"])).stdout);
    assertEquals(show[0]!.type, "checkpoint");
    assertEquals(show[0]!.seq, before.lastSeq);
    const why = await runCli(["journal", "why", "--dest", dest, "docs/a.txt"]);
    assertIncludes(why.stdout, "then docs/a.txt was in the backup: file, 14 B");
    const v = await runCli(["journal", "verify", "--dest", dest]);
    assertEquals(v.code, 0);
    assertIncludes(v.stdout, `after checkpoint ${names[0]}`);
    // Nothing is copied again after a compaction: the state came back whole.
    Deno.removeSync(`${src}/bad.txt`);
    const out = await once(src, dest);
    assertIncludes(out, "PASS 1 (scan): 0 copied");
    assertMirror(src, dest);
    assertEquals((await runCli(["journal", "verify", "--dest", dest])).code, 0);
  } finally {
    await t.cleanup();
  }
});

Deno.test("the daemon compacts by itself: the journal stays bounded over a long run with churn", async () => {
  const t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (let i = 0; i < 30; i++) put(`${src}/f${i}.txt`, `file ${i}`);
  const limit = 16 * 1024;
  const d = startDaemon([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "0.05",
    "--journal-max-mb",
    String(limit / 1024 / 1024),
  ]);
  let max = 0;
  try {
    await waitFor(() => d.output().includes("PASS 1"), { what: "first pass" });
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 8; i++) {
        put(`${src}/f${(round * 8 + i) % 30}.txt`, `round ${round} file ${i}`);
      }
      put(`${src}/tmp-${round}.txt`, "short-lived");
      if (round > 0) Deno.removeSync(`${src}/tmp-${round - 1}.txt`);
      await waitFor(() => Deno.readTextFileSync(`${dest}/tmp-${round}.txt`) === "short-lived", {
        what: `round ${round}`,
      });
      let total = 0;
      for (const e of Deno.readDirSync(journalDir(dest))) {
        try {
          total += Deno.statSync(`${journalDir(dest)}/${e.name}`).size;
        } catch (err) {
          if (!(err instanceof Deno.errors.NotFound)) throw err; // compacted away meanwhile
        }
      }
      max = Math.max(max, total);
    }
    // The last round's other files may still be waiting out a busy-file retry (a file written
    // during its copy is retried a second later): the mirror is checked once the daemon caught up.
    await waitFor(() => treeDiff(snapshot(src), snapshot(dest)).length === 0, {
      timeoutMs: 30_000,
      what: "the mirror after the last round",
    });
  } finally {
    assertEquals(await d.stop("SIGTERM"), 0, d.output());
  }
  try {
    const s = readJournal(fs, journalDir(dest));
    const written = s.lastSeq * 150; // at least ~150 bytes a record
    assert(written > 6 * limit, `churn wrote ~${written} bytes of records`);
    // Bounded: the limit, plus one checkpoint (30 files) and one pass of records.
    assert(max < limit * 3, `journal reached ${max} bytes with a ${limit}-byte limit`);
    assert(s.checkpoint !== null);
    const log = Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/backup.log`);
    assertIncludes(log, "JOURNAL COMPACTED: checkpoint at seq");
    assertMirror(src, dest);
    assertEquals((await runCli(["journal", "verify", "--dest", dest])).code, 0);
    assertIncludes(await once(src, dest), "PASS 1 (scan): 0 copied");
  } finally {
    await t.cleanup();
  }
});

Deno.test("status and the read-only commands work while a daemon runs; compact and replay are refused; a kill -9 lock is taken over", async () => {
  const t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a.txt`, "a");
  const d = startDaemon(["--src", src, "--dest", dest, "--interval", "60"]);
  try {
    await waitFor(() => d.output().includes("PASS 1"), { what: "first pass" });
    await waitFor(() => Deno.statSync(`${dest}/${RESERVED_DIR}/status.json`).isFile, {
      what: "status file",
    });
    const lockFile = `${dest}/${RESERVED_DIR}/lock`;
    const lockBefore = Deno.statSync(lockFile);
    const journal = journalBytes(dest);

    const status = await runCli(["status", "--dest", dest]);
    assertEquals(status.code, 0, status.stderr);
    assertIncludes(status.stdout, `daemon:      running (pid ${d.child.pid}), since `);
    assertIncludes(status.stdout, "last pass:   ");
    assertIncludes(status.stdout, "1 copied");
    assertIncludes(status.stdout, "unfinished:  0 operations");
    const sj = JSON.parse((await runCli(["status", "--dest", dest, "--json"])).stdout);
    assertEquals([sj.running, sj.pid, sj.lastPass.copied, sj.journal.lastSeq > 0], [
      true,
      d.child.pid,
      1,
      true,
    ]);
    for (
      const args of [
        ["journal", "show", "--dest", dest],
        ["journal", "why", "--dest", dest, "a.txt"],
        ["journal", "verify", "--dest", dest],
        ["journal", "replay", "--dest", dest, "--dry-run"],
      ]
    ) {
      const r = await runCli(args);
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assertIncludes(
      (await runCli(["journal", "verify", "--dest", dest])).stdout,
      `a daemon is running (pid ${d.child.pid})`,
    );
    for (const action of ["compact", "replay"]) {
      const r = await runCli(["journal", action, "--dest", dest]);
      assertEquals(r.code, 5, r.stderr);
      assertOneLineError(r.stderr, `is being backed up by process ${d.child.pid}`);
    }
    const lockAfter = Deno.statSync(lockFile);
    assertEquals([lockAfter.mtime, lockAfter.size], [lockBefore.mtime, lockBefore.size]);
    assertEquals(Deno.readTextFileSync(lockFile).trim(), String(d.child.pid));
    assertEquals(journalBytes(dest), journal, "read-only commands wrote nothing");
  } finally {
    await d.stop("SIGKILL");
  }
  try {
    // The kernel dropped the flock with the process: the stale lock is taken over.
    const after = await runCli(["status", "--dest", dest]);
    assertIncludes(after.stdout, "daemon:      not running (last: pid");
    put(`${src}/b.txt`, "b");
    await once(src, dest);
    assertMirror(src, dest);
    assert(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/lock`).trim() !== String(d.child.pid));
  } finally {
    await t.cleanup();
  }
});

Deno.test("read-only commands never repair a torn tail; a corrupt journal still shows what precedes the damage", async () => {
  const t = await tempDir();
  try {
    const { dest } = await history(t.path);
    const seg = `${journalDir(dest)}/00000001.jsonl`;
    Deno.writeTextFileSync(seg, '{"seq":77,"ts":"2026-11-22T', { append: true });
    const before = snapshot(dest, []);
    for (
      const args of [
        ["journal", "show", "--dest", dest],
        ["journal", "why", "--dest", dest, "docs/a.txt"],
        ["journal", "verify", "--dest", dest],
        ["journal", "replay", "--dest", dest, "--dry-run"],
        ["status", "--dest", dest],
      ]
    ) {
      const r = await runCli(args);
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    }
    assertIncludes(
      (await runCli(["status", "--dest", dest])).stdout,
      "torn tail at 00000001.jsonl",
    );
    assertEquals(snapshot(dest, []), before);

    // Corruption in the middle: show prints what comes before it, then the one-line error.
    const text = Deno.readTextFileSync(seg);
    const lines = text.split("\n");
    const mid = Math.floor(lines.length / 2);
    lines[mid] = lines[mid]!.replace('"seq":', '"seq" :');
    Deno.writeTextFileSync(seg, lines.join("\n"));
    const show = await runCli(["journal", "show", "--dest", dest]);
    assertEquals(show.code, 3);
    assertOneLineError(show.stderr, "is corrupt at byte");
    assert(show.stdout.split("\n").length > 2, "the rows before the damage are shown");
    const status = await runCli(["status", "--dest", dest]);
    assertEquals(status.code, 3);
    assertIncludes(status.stdout, "CORRUPT: journal segment 00000001.jsonl");
  } finally {
    await t.cleanup();
  }
});

Deno.test("replay never writes outside the destination: a tampered journal with .., absolute, NUL and a symlinked folder", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    const outside = `${t.path}/outside`;
    put(`${src}/a.txt`, "a");
    put(`${outside}/canary.txt`, "canary");
    put(`${outside}/sub/deep.txt`, "deep");
    await once(src, dest);
    Deno.symlinkSync(outside, `${dest}/link`);
    const outsideBefore = snapshot(outside, []);
    const file = (path: string): Unstamped => ({
      type: "intent",
      op: "copy",
      path,
      kind: "file",
      size: 6,
      mtime: 0,
      mode: 0o644,
      ino: 1,
      reason: "scan",
    });
    const del = (path: string): Unstamped => ({
      type: "intent",
      op: "delete",
      path,
      kind: "file",
      reason: "scan",
    });
    await append(dest, [
      [
        del("../outside/canary.txt"),
        file(`${outside}/canary.txt`),
        del("a\0b"),
        file("x/../../outside/canary.txt"),
      ],
      [move("../outside", "stolen", "dir"), move("a.txt", "/tmp/escaped")],
      [file("link/canary.txt"), {
        type: "intent",
        op: "mkdir",
        path: "link/sub",
        kind: "dir",
        mode: 0o755,
        reason: "scan",
      }],
    ]);
    await append(dest, [[del("link/canary.txt"), del("link/sub/deep.txt")]], false);

    const v = await runCli(["journal", "verify", "--dest", dest]);
    assertEquals(v.code, 0);
    assertIncludes(v.stdout, "UNSAFE records: 6");
    assertIncludes(v.stdout, '"../outside/canary.txt" (bad segment "..")');
    assertIncludes(v.stdout, "(absolute)");
    assertIncludes(v.stdout, "(contains NUL)");
    const dry = await runCli(["journal", "replay", "--dest", dest, "--dry-run"]);
    assertIncludes(dry.stdout, "refuse record seq");
    assertEquals(snapshot(outside, []), outsideBefore);

    const r = await runCli(["journal", "replay", "--dest", dest]);
    assert(r.code === 0 || r.code === 6, `${r.code}: ${r.stderr}`);
    assertIncludes(r.stderr, "JOURNAL RECORD REFUSED");
    assertEquals(snapshot(outside, []), outsideBefore, "nothing outside the destination changed");
    assertEquals(Deno.readTextFileSync(`${outside}/canary.txt`), "canary");
    for (const p of [`${t.path}/stolen`, `${dest}/stolen`, "/tmp/escaped"]) {
      assertEquals(snapshot(t.path, []).has(p.slice(t.path.length + 1)), false, p);
    }
    // The daemon converges to the mirror: the symlink is removed, never followed.
    await once(src, dest);
    assertMirror(src, dest);
    assertEquals(snapshot(outside, []), outsideBefore);
  } finally {
    await t.cleanup();
  }
});

Deno.test("help and usage: backup --help, journal --help, status --help; bad sub-commands exit 2", async () => {
  const help = await runCli(["--help"]);
  for (
    const words of [
      "journal show|why|verify|replay|compact",
      "backup status --dest DIR",
      "--journal-max-mb",
    ]
  ) {
    assertIncludes(help.stdout, words);
  }
  const jhelp = await runCli(["journal", "--help"]);
  assertEquals(jhelp.code, 0);
  for (
    const words of [
      "show",
      "why",
      "verify",
      "replay",
      "compact",
      "--dry-run",
      "--failed",
      "--limit",
    ]
  ) {
    assertIncludes(jhelp.stdout, words);
  }
  const shelp = await runCli(["status", "--help"]);
  assertEquals(shelp.code, 0);
  assertIncludes(shelp.stdout, "backup status --dest DIR [--json]");
  const t = await tempDir();
  try {
    for (
      const [args, words] of [
        [["journal", "frobnicate", "--dest", t.path], "unknown journal command"],
        [["journal", "show"], "missing --dest"],
        [["journal", "show", "--dest", t.path], "no journal in"],
        [["status", "--dest", t.path], "no backup in"],
        [["status"], "missing --dest"],
        [["journal", "compact", "--dest", t.path, "--dry-run"], "--dry-run"],
      ] as [string[], string][]
    ) {
      const r = await runCli(args);
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assertOneLineError(r.stderr, words);
    }
    assertEquals(snapshot(t.path, []).size, 0, "nothing was created");
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal why follows moves the daemon itself made (folder renamed, then a file out of it)", async () => {
  const t = await tempDir();
  try {
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    put(`${src}/docs/a.txt`, "alpha");
    put(`${src}/docs/b.txt`, "beta");
    await once(src, dest);
    Deno.mkdirSync(`${src}/archive`);
    Deno.renameSync(`${src}/docs`, `${src}/archive/docs`);
    await once(src, dest);
    Deno.renameSync(`${src}/archive/docs/a.txt`, `${src}/final.txt`);
    await once(src, dest);
    assertMirror(src, dest);
    const moves = jsonLines(
      (await runCli(["journal", "show", "--dest", dest, "--op", "move", "--json"])).stdout,
    );
    assertEquals(moves.map((m) => `${m.from} -> ${m.path} ${m.outcome}`), [
      "docs -> archive/docs done",
      "archive/docs/a.txt -> final.txt done",
    ]);
    for (const asked of ["docs/a.txt", "archive/docs/a.txt", "final.txt"]) {
      const r = await runCli(["journal", "why", "--dest", dest, asked]);
      assertEquals(r.code, 0, r.stderr);
      assertIncludes(r.stdout, "docs/a.txt: created (found by a scan)");
      assertIncludes(r.stdout, "docs -> archive/docs: folder docs moved to archive/docs");
      assertIncludes(r.stdout, "archive/docs/a.txt -> final.txt: moved");
      assertIncludes(r.stdout, "now: in the backup as final.txt");
      assert(!r.stdout.includes("b.txt"), r.stdout);
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("journal replay makes the daemon's pass: its recorded excludes and limits, and the source guard", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a.txt`, "a");
  put(`${src}/b.txt`, "b");
  const first = await runCli(["--src", src, "--dest", dest, "--once", "--exclude", "*.tmp"]);
  assertEquals(first.code, 0, first.stderr);
  put(`${src}/new.tmp`, "excluded by the daemon");
  put(`${src}/new.txt`, "n");
  const replay = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(replay.code, 0, replay.stderr);
  assertEquals([...snapshot(dest).keys()].sort(), ["a.txt", "b.txt", "new.txt"]);

  // The wrong disk (no marker, nothing in it) at the source's path: replay deletes nothing.
  Deno.removeSync(src, { recursive: true });
  Deno.mkdirSync(src);
  const plan = await runCli(["journal", "replay", "--dest", dest, "--dry-run"]);
  assertEquals(plan.code, 0, plan.stderr);
  assertIncludes(plan.stdout, "the source guard would stop it");
  const guarded = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(guarded.code, 6, guarded.stdout + guarded.stderr);
  assertIncludes(guarded.stderr, "SOURCE GUARD");
  assertEquals([...snapshot(dest).keys()].sort(), ["a.txt", "b.txt", "new.txt"]);
});

Deno.test("journal replay keeps versions as the daemon does, and says (exit 6) when deletions are held", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (const n of ["doc", "gone", "c", "d", "e"]) put(`${src}/${n}.txt`, `${n} first`);
  const limits = ["--max-delete", "2", "--max-delete-percent", "10"];
  const first = await runCli([
    "--src",
    src,
    "--dest",
    dest,
    "--once",
    "--keep-versions",
    "10",
    ...limits,
  ]);
  assertEquals(first.code, 0, first.stderr);
  put(`${src}/doc.txt`, "doc changed");
  Deno.removeSync(`${src}/gone.txt`);
  const replay = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(replay.code, 0, replay.stdout + replay.stderr);
  const versions = [...Deno.readDirSync(`${dest}/${RESERVED_DIR}/versions`)].map((e) => e.name)
    .sort();
  assertEquals(versions.map((v) => v.replace(/~.*/, "")), ["doc.txt", "gone.txt"]);
  // Three deletions at once pass the recorded limits: the dry run says so, the replay holds them.
  for (const n of ["c", "d", "e"]) Deno.removeSync(`${src}/${n}.txt`);
  const plan = await runCli(["journal", "replay", "--dest", dest, "--dry-run"]);
  assertIncludes(plan.stdout, "note: the mass-delete guard would hold these 3 deletions");
  const held = await runCli(["journal", "replay", "--dest", dest]);
  assertEquals(held.code, 6, held.stdout + held.stderr);
  assertIncludes(held.stdout, "3 deletions held");
  assert(snapshot(dest).has("c.txt"), "nothing was deleted");
});

Deno.test("journal show and why list the passes whose deletions the mass-delete guard held", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (const n of ["a", "b", "c", "d", "e"]) put(`${src}/${n}.txt`, n);
  const limits = ["--max-delete", "2", "--max-delete-percent", "10"];
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once", ...limits])).code, 0);
  for (const n of ["a", "b", "c"]) Deno.removeSync(`${src}/${n}.txt`);
  const held = await runCli(["--src", src, "--dest", dest, "--once", ...limits]);
  assertEquals(held.code, 6, held.stderr);

  const show = await runCli(["journal", "show", "--dest", dest]);
  assertEquals(show.code, 0, show.stderr);
  assert(
    /held +HELD +3 deletions held \(of 5 entries; nothing deleted\): a\.txt, b\.txt, c\.txt; apply them with --confirm-deletes/
      .test(show.stdout),
    show.stdout,
  );
  const lines = await journalShow(dest, "--op", "held");
  assertEquals(lines.map((l) => [l.type, l.count, l.tracked]), [["held", 3, 5]]);
  assertEquals(await journalShow(dest, "--path", "d.txt", "--op", "held"), []);

  const why = await runCli(["journal", "why", "--dest", dest, "b.txt"]);
  assertEquals(why.code, 0, why.stderr);
  assertIncludes(why.stdout, "b.txt: its deletion was held by the mass-delete guard");
  assertIncludes(why.stdout, "now: in the backup as b.txt");
});

Deno.test("journal show and why list the confirmation `backup confirm` gave a running daemon", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  for (const n of ["a", "b", "c", "d", "e"]) put(`${src}/${n}.txt`, n);
  const flags = [
    "--interval",
    "1",
    "--no-watch",
    "--max-delete",
    "2",
    "--max-delete-percent",
    "10",
  ];
  const daemon = startDaemon(["--src", src, "--dest", dest, ...flags]);
  try {
    await waitFor(() => snapshot(dest).has("e.txt"), { timeoutMs: 30_000, what: "the first copy" });
    for (const n of ["a", "b", "c"]) Deno.removeSync(`${src}/${n}.txt`);
    await waitFor(() => daemon.output().includes("MASS DELETE HELD"), { what: "a hold" });
    const confirm = await runCli(["confirm", "--dest", dest]);
    assertEquals(confirm.code, 0, confirm.stderr);
    await waitFor(() => !snapshot(dest).has("c.txt"), { timeoutMs: 20_000, what: "the deletions" });
  } finally {
    assertEquals(await daemon.stop(), 0);
  }

  const sample = ["a.txt", "b.txt", "c.txt"];
  const show = await runCli(["journal", "show", "--dest", dest]);
  assertEquals(show.code, 0, show.stderr);
  assert(
    /confirmed +CONFIRMED +3 held deletions confirmed \(held at seq \d+\): a\.txt, b\.txt, c\.txt; applied by this pass/
      .test(show.stdout),
    show.stdout,
  );
  const lines = show.stdout.trim().split("\n");
  const at = lines.findIndex((l) => l.includes("CONFIRMED"));
  assert(at > lines.findIndex((l) => l.includes("HELD")), "after the hold");
  assert(lines.slice(at).some((l) => /delete +done.*b\.txt/.test(l)), "before the deletions");

  const json = await journalShow(dest, "--op", "confirmed");
  assertEquals(json.map((l) => [l.type, l.count, l.sample]), [["confirmed", 3, sample]]);
  assertEquals(await journalShow(dest, "--path", "d.txt", "--op", "confirmed"), []);

  const why = await runCli(["journal", "why", "--dest", dest, "b.txt"]);
  assertEquals(why.code, 0, why.stderr);
  assertIncludes(why.stdout, "b.txt: its held deletion was confirmed (backup confirm)");
  assertIncludes(why.stdout, "now: not in the backup");
  const whyJson = await runCli(["journal", "why", "--dest", dest, "b.txt", "--json"]);
  const confirmedJson = whyJson.stdout.trim().split("\n").map((l) => JSON.parse(l))
    .filter((l) => l.type === "confirmed");
  assertEquals(confirmedJson.map((l) => [l.count, l.sample]), [[3, sample]]);
  const untouched = await runCli(["journal", "why", "--dest", dest, "d.txt"]);
  assert(!untouched.stdout.includes("confirmed"), untouched.stdout);
});
