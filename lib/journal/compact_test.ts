import {
  assert,
  assertEquals,
  assertIncludes,
  assertRejects,
  assertThrows,
} from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { JournalCorruptError, JournalIoError } from "../base/errors.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import type { State } from "./state.ts";
import { JournalWriter } from "./writer.ts";
import { replayJournal } from "./replay.ts";
import { listJournalFiles, readJournal } from "./reader.ts";
import { compactIfNeeded, compactJournal, journalUsage, needsCompaction } from "./compact.ts";
import { CheckpointDamage, readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { checkpointName, RESERVED_DIR } from "../base/layout.ts";
import { frameLine, type Unstamped } from "./record.ts";

const fs = new DenoFileSystem();

/** Appends `n` files' copy intents and completions (every third a delete of an earlier one). */
async function churn(w: JournalWriter, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const intents: Unstamped[] = [{
      type: "intent",
      op: "copy",
      path: `d${i % 7}/f${i}.txt`,
      kind: "file",
      size: i,
      mtime: 1_000 + i,
      mode: 0o644,
      ino: i,
      reason: "scan",
    }];
    if (i % 3 === 0 && i > 3) {
      intents.push({
        type: "intent",
        op: "delete",
        path: `d${(i - 3) % 7}/f${i - 3}.txt`,
        kind: "file",
        reason: "scan",
      });
    }
    const written = await w.append(intents);
    await w.append(written.map((r) => ({ type: "done", ref: r.seq, hash: `h${r.seq}` })));
  }
  await w.sync();
}

function plain(state: State) {
  return {
    entries: [...state.entries].sort(([a], [b]) => a.localeCompare(b)),
    pending: [...state.pending.keys()],
    lastSeq: state.lastSeq,
  };
}

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const t = await tempDir();
  try {
    await fn(`${t.path}/journal`);
  } finally {
    await t.cleanup();
  }
}

async function reopen(
  dir: string,
  segmentBytes?: number,
): Promise<{ w: JournalWriter; state: State }> {
  const r = replayJournal(fs, dir, { repair: false });
  const last = r.summary.segments.at(-1);
  const w = await JournalWriter.open(fs, dir, {
    source: "/src",
    lastSeq: r.summary.lastSeq,
    lastSegment: last ? { name: last, bytes: r.summary.lastSegmentBytes } : null,
    ...(segmentBytes ? { segmentBytes } : {}),
  });
  return { w, state: r.state };
}

Deno.test("compactJournal() checkpoints, drops older segments, and replay gives the same state", async () => {
  await withDir(async (dir) => {
    const w0 = await JournalWriter.open(fs, dir, { source: "/src", segmentBytes: 4096 });
    await churn(w0, 0, 200);
    await w0.close();
    assert(listJournalFiles(fs, dir).segments.length > 3);
    const before = replayJournal(fs, dir, { repair: false }).state;

    const { w, state } = await reopen(dir, 4096);
    const r = await compactJournal(fs, dir, w, state, { source: "/src" });
    const files = listJournalFiles(fs, dir);
    assertEquals(files.checkpoints, [r.checkpoint.name]);
    assertEquals(files.segments.length, 1, "only the segment started at the checkpoint is left");
    assert(r.bytesAfter < r.bytesBefore, `${r.bytesAfter} < ${r.bytesBefore}`);
    assertEquals(r.checkpoint.seq, before.lastSeq);

    const after = replayJournal(fs, dir, { repair: false });
    assertEquals(plain(after.state).entries, plain(before).entries);
    assertEquals(after.summary.checkpoint?.name, r.checkpoint.name);
    assertEquals(after.summary.lastSeq, before.lastSeq + 1, "the new segment's header follows");

    // The sequence goes on from the checkpoint: more records replay on top of it.
    await churn(w, 200, 30);
    await w.close();
    const more = replayJournal(fs, dir, { repair: false });
    assertEquals(more.summary.records, more.summary.lastSeq - r.checkpoint.seq);
    assertEquals(more.summary.segments.length > 1, true, "small segments rotate after it too");
    const { w: w2 } = await reopen(dir);
    await churn(w2, 230, 1);
    await w2.close();
    assertEquals(replayJournal(fs, dir).state.entries.has("d6/f230.txt"), true);
  });
});

Deno.test("compaction keeps unfinished intents in the checkpoint", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src" });
    await churn(w, 0, 5);
    await w.append([{
      type: "intent",
      op: "delete",
      path: "d1/f1.txt",
      kind: "file",
      reason: "scan",
    }]);
    await w.close();
    const { w: w2, state } = await reopen(dir);
    assertEquals(state.pending.size, 1);
    await compactJournal(fs, dir, w2, state, { source: "/src" });
    await w2.close();
    const r = replayJournal(fs, dir, { repair: false });
    assertEquals([...r.state.pending.values()].map((i) => i.path), ["d1/f1.txt"]);
    assertEquals(r.summary.checkpoint?.pending, 1);
  });
});

Deno.test("a crash at any step of a compaction leaves a journal that replays to the same state", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src", segmentBytes: 2048 });
    await churn(w, 0, 60);
    await w.close();
    const expected = plain(replayJournal(fs, dir, { repair: false }).state).entries;

    // Step 1 done (a new segment), crash before the checkpoint.
    let { w: w1, state } = await reopen(dir, 2048);
    const seq = w1.lastSeq;
    const next = await w1.rotate();
    await w1.close();
    assertEquals(plain(replayJournal(fs, dir, { repair: false }).state).entries, expected);

    // Step 2 done (checkpoint renamed in), crash before the deletes: old files are stale.
    await writeCheckpoint(fs, dir, state, { seq, next, source: "/src" });
    const r = replayJournal(fs, dir, { repair: false });
    assertEquals(plain(r.state).entries, expected);
    assert(r.summary.stale.length > 0, "old segments are reported as stale");
    assertEquals(r.summary.segments.length, 1);

    // A later compaction removes them.
    ({ w: w1, state } = await reopen(dir));
    const c = await compactJournal(fs, dir, w1, state, { source: "/src" });
    await w1.close();
    assert(c.removed.length >= r.summary.stale.length + 1);
    assertEquals(replayJournal(fs, dir, { repair: false }).summary.stale, []);
    assertEquals(plain(replayJournal(fs, dir).state).entries, expected);

    // A checkpoint temp file left by a crash mid-write is ignored, then removed.
    Deno.writeTextFileSync(`${dir}/${checkpointName(9999)}.tmp`, "half");
    assertEquals(plain(replayJournal(fs, dir, { repair: false }).state).entries, expected);
    ({ w: w1, state } = await reopen(dir));
    const c2 = await compactJournal(fs, dir, w1, state, { source: "/src" });
    await w1.close();
    assert(c2.removed.includes(`${checkpointName(9999)}.tmp`));
  });
});

Deno.test("a damaged newest checkpoint: older start used while its segments remain, corruption once they are gone", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src" });
    await churn(w, 0, 30);
    await w.close();
    const expected = plain(replayJournal(fs, dir, { repair: false }).state).entries;
    const { w: w1, state } = await reopen(dir);
    const seq = w1.lastSeq;
    const next = await w1.rotate();
    await w1.close();
    const cp = await writeCheckpoint(fs, dir, state, { seq, next, source: "/src" });
    const path = `${dir}/${cp.name}`;
    const bytes = Deno.readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    Deno.writeFileSync(path, bytes);

    let resets = 0;
    const r = replayJournal(fs, dir, { repair: false });
    readJournal(fs, dir, { onReset: () => resets++ });
    assertEquals(plain(r.state).entries, expected, "segment 1 is still there: replay from it");
    assertEquals(r.summary.damaged.map((d) => d.name), [cp.name]);
    assertEquals(r.summary.checkpoint, null);
    assertEquals(resets, 1);

    Deno.removeSync(`${dir}/00000001.jsonl`);
    const err = assertThrows(
      () => replayJournal(fs, dir, { repair: false }),
      JournalCorruptError,
      "checkpoint damaged",
    );
    assertEquals(err.segment, cp.name);
  });
});

Deno.test("a journal whose first segments are missing is corrupt", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src", segmentBytes: 1024 });
    await churn(w, 0, 30);
    await w.close();
    Deno.removeSync(`${dir}/00000001.jsonl`);
    assertThrows(() => readJournal(fs, dir), JournalCorruptError, "first segments are missing");
  });
});

Deno.test("readCheckpoint() refuses flipped bytes, truncation, a missing trailer and a newer version", async () => {
  await withDir(async (dir) => {
    Deno.mkdirSync(dir);
    const state: State = { entries: new Map(), pending: new Map(), lastSeq: 7 };
    for (let i = 0; i < 20; i++) {
      state.entries.set(`f${i}`, {
        kind: "file",
        size: i,
        mtimeMs: i,
        mode: 0o644,
        ino: i,
        hash: `h${i}`,
      });
    }
    const cp = await writeCheckpoint(fs, dir, state, { seq: 7, next: 2, source: "/src" });
    const path = `${dir}/${cp.name}`;
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
    const good = Deno.readFileSync(path);
    const read = (bytes: Uint8Array) => {
      Deno.writeFileSync(path, bytes);
      const h = fs.openSync(path);
      try {
        const got = new Map<string, unknown>();
        const info = readCheckpoint(h, cp.name, { onEntry: (p, e) => got.set(p, e) });
        return { info, got };
      } finally {
        h.close();
      }
    };
    const ok = read(good);
    assertEquals(ok.info.entries, 20);
    assertEquals(ok.got, state.entries);
    for (let i = 0; i < good.length; i += 37) {
      const bad = good.slice();
      bad[i]! ^= 0x04;
      assertThrows(() => read(bad), CheckpointDamage);
    }
    assertThrows(() => read(good.subarray(0, good.length - 5)), CheckpointDamage, "incomplete");
    const lines = new TextDecoder().decode(good).split("\n");
    assertThrows(
      () => read(new TextEncoder().encode(lines.slice(0, -2).join("\n") + "\n")),
      CheckpointDamage,
      "no trailer",
    );
    const newer = frameLine({ type: "checkpoint", v: 99, seq: 7, ts: "", source: "/s", next: 2 }) +
      frameLine({ type: "end", entries: 0, pending: 0 });
    assertThrows(() => read(new TextEncoder().encode(newer)), CheckpointDamage, "upgrade it");
  });
});

Deno.test("checkpoint entries with unsafe paths are refused on replay", async () => {
  await withDir((dir) => {
    Deno.mkdirSync(dir);
    const entry = { kind: "file", size: 1, mtime: 1, mode: 0o644, ino: 1 };
    const text = frameLine({ type: "checkpoint", v: 1, seq: 3, ts: "", source: "/src", next: 1 }) +
      ["ok.txt", "../escape", "/abs", "a/../../b", "nul\0x", `${RESERVED_DIR}/lock`]
        .map((path) => frameLine({ type: "entry", path, ...entry })).join("") +
      frameLine({ type: "end", entries: 6, pending: 0 });
    Deno.writeTextFileSync(`${dir}/${checkpointName(3)}`, text);
    const r = replayJournal(fs, dir, { repair: false });
    assertEquals([...r.state.entries.keys()], ["ok.txt"]);
    assertEquals(r.refused.length, 5);
    assertEquals(r.state.lastSeq, 3);
  });
});

Deno.test("a reader keeps one consistent view while a compaction replaces the files under it", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src", segmentBytes: 2048 });
    await churn(w, 0, 40);
    await w.close();
    const expected = plain(replayJournal(fs, dir, { repair: false }).state).entries;
    // Copies of the journal as it is, and compacted.
    const orig = `${dir}-orig`;
    const other = `${dir}-compacted`;
    for (const copy of [orig, other]) {
      Deno.mkdirSync(copy);
      for (const e of Deno.readDirSync(dir)) {
        Deno.copyFileSync(`${dir}/${e.name}`, `${copy}/${e.name}`);
      }
    }
    const { w: w2, state } = await reopen(other);
    await compactJournal(fs, other, w2, state, { source: "/src" });
    await w2.close();
    const fill = (from: string) => {
      for (const e of Deno.readDirSync(dir)) Deno.removeSync(`${dir}/${e.name}`);
      for (const e of Deno.readDirSync(from)) {
        Deno.copyFileSync(`${from}/${e.name}`, `${dir}/${e.name}`);
      }
    };

    // 1. Files deleted after the reader opened them are still read whole.
    let opened = 0;
    const count = [...Deno.readDirSync(dir)].length;
    const deleting: FileSystem = Object.create(fs);
    deleting.openSync = (path, o) => {
      const h = fs.openSync(path, o);
      if (++opened === count) fill(other);
      return h;
    };
    const r1 = replayJournal(deleting, dir, { repair: false });
    assertEquals(plain(r1.state).entries, expected);
    assertEquals(r1.summary.checkpoint, null, "it read the files it had opened");

    // 2. Files replaced between listing and opening: the reader lists again.
    fill(orig);
    let swapped = false;
    const swapping: FileSystem = Object.create(fs);
    swapping.openSync = (path, o) => {
      if (!swapped && path.startsWith(dir + "/")) {
        swapped = true;
        fill(other);
      }
      return fs.openSync(path, o);
    };
    const r2 = replayJournal(swapping, dir, { repair: false });
    assert(swapped);
    assertEquals(plain(r2.state).entries, expected);
    assert(r2.summary.checkpoint !== null, "it read the compacted journal");
  });
});

Deno.test("needsCompaction() waits for the log to pass both the limit and the checkpoint's size", () => {
  const u = {
    segments: 2,
    logBytes: 1000,
    checkpoint: "c",
    checkpointBytes: 500,
    totalBytes: 1500,
  };
  assertEquals(needsCompaction(u, 900), true);
  assertEquals(needsCompaction(u, 1000), false);
  assertEquals(needsCompaction({ ...u, checkpointBytes: 5000 }, 900), false);
});

Deno.test("journalUsage() counts only the segments after the checkpoint as the log", async () => {
  await withDir(async (dir) => {
    const w = await JournalWriter.open(fs, dir, { source: "/src", segmentBytes: 1024 });
    await churn(w, 0, 30);
    await w.close();
    const u0 = journalUsage(fs, dir);
    assertEquals(u0.logBytes, u0.totalBytes);
    const { w: w1, state } = await reopen(dir, 1024);
    await compactJournal(fs, dir, w1, state, { source: "/src" });
    await w1.close();
    const u1 = journalUsage(fs, dir);
    assert(u1.checkpoint !== null);
    assertEquals(u1.totalBytes, u1.logBytes + u1.checkpointBytes);
    assertIncludes(u1.checkpoint!, "checkpoint-");
  });
});

Deno.test("compaction faults: a failed checkpoint write changes nothing; a failed fsync is fatal", async () => {
  await withDir(async (dir) => {
    const w0 = await JournalWriter.open(fs, dir, { source: "/src" });
    await churn(w0, 0, 20);
    await w0.close();
    const expected = plain(replayJournal(fs, dir, { repair: false }).state).entries;
    const quietLog = { info() {}, warn() {}, error() {} } as unknown as Parameters<
      typeof compactIfNeeded
    >[4]["log"];

    // Disk full while writing the checkpoint: logged, temp file removed, journal intact.
    const full = new FaultyFileSystem(fs, [{
      point: "write",
      path: ".tmp",
      error: () => new Error("No space left on device (os error 28)"),
    }]);
    const r1 = replayJournal(full, dir, { repair: false });
    const w1 = await JournalWriter.open(full, dir, {
      source: "/src",
      lastSeq: r1.summary.lastSeq,
      lastSegment: { name: r1.summary.segments.at(-1)!, bytes: r1.summary.lastSegmentBytes },
    });
    const res = await compactIfNeeded(full, dir, w1, r1.state, {
      source: "/src",
      maxBytes: 1,
      log: quietLog,
    });
    assertEquals(res, null);
    assert(!w1.poisoned);
    await w1.close();
    assertEquals(listJournalFiles(fs, dir).checkpoints, []);
    assert(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp")), "temp file removed");
    assertEquals(plain(replayJournal(fs, dir, { repair: false }).state).entries, expected);

    // fsync of the checkpoint fails: fatal (fsyncgate), and still nothing lost.
    const bad = new FaultyFileSystem(fs, [{
      point: "sync",
      path: ".tmp",
      error: () => new Error("Input/output error (os error 5)"),
    }]);
    const r2 = replayJournal(bad, dir, { repair: false });
    const w2 = await JournalWriter.open(bad, dir, {
      source: "/src",
      lastSeq: r2.summary.lastSeq,
      lastSegment: { name: r2.summary.segments.at(-1)!, bytes: r2.summary.lastSegmentBytes },
    });
    const err = await assertRejects(
      () => compactIfNeeded(bad, dir, w2, r2.state, { source: "/src", maxBytes: 1, log: quietLog }),
      JournalIoError,
    );
    assert(err.fatal);
    await w2.close();
    assertEquals(plain(replayJournal(fs, dir).state).entries, expected);
  });
});
