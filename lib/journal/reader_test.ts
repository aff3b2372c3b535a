import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { JournalCorruptError } from "../base/errors.ts";
import { readJournal } from "./reader.ts";
import { encodeRecord } from "./record.ts";
import { JournalWriter } from "./writer.ts";
import { replayJournal } from "./replay.ts";

const fs = new DenoFileSystem();

async function writeJournal(dir: string, n: number, segmentBytes?: number): Promise<void> {
  const w = await JournalWriter.open(fs, dir, {
    source: "/src",
    ...(segmentBytes ? { segmentBytes } : {}),
  });
  for (let i = 0; i < n; i++) {
    const [intent] = await w.append([{
      type: "intent",
      op: "mkdir",
      path: `d${i}`,
      kind: "dir",
      mode: 0o755,
      mtime: i,
      reason: "scan",
    }]);
    await w.append([{ type: "done", ref: intent!.seq }]);
  }
  await w.close();
}

async function withJournal(
  n: number,
  fn: (dir: string, seg: string) => void | Promise<void>,
  segmentBytes?: number,
): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/journal`;
    await writeJournal(dir, n, segmentBytes);
    await fn(dir, `${dir}/00000001.jsonl`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("readJournal() reads back every record in order with a clean tail", async () => {
  await withJournal(20, (dir) => {
    const seqs: number[] = [];
    const s = readJournal(fs, dir, { onRecord: (r) => seqs.push(r.seq) });
    assertEquals(s.records, 41);
    assertEquals(seqs, Array.from({ length: 41 }, (_, i) => i + 1));
    assertEquals(s.tornTail, null);
    assertEquals(s.source, "/src");
  });
});

Deno.test("journal files are 0600 and their folder 0700", async () => {
  await withJournal(1, (dir, seg) => {
    assertEquals(Deno.statSync(dir).mode! & 0o777, 0o700);
    assertEquals(Deno.statSync(seg).mode! & 0o777, 0o600);
  });
});

Deno.test("a torn tail at any byte offset of the last record is truncated, and replay keeps what came before", async () => {
  await withJournal(5, (dir, seg) => {
    const full = Deno.readFileSync(seg);
    const lastStart = full.lastIndexOf(10, full.length - 2) + 1;
    for (const cut of [lastStart + 1, lastStart + 10, full.length - 20, full.length - 1]) {
      Deno.writeFileSync(seg, full.subarray(0, cut));
      const verify = readJournal(fs, dir, { repair: false });
      assertEquals(verify.tornTail?.offset, lastStart, `cut ${cut}`);
      assertEquals(Deno.statSync(seg).size, cut, "verify must not change the file");
      const { state, summary } = replayJournal(fs, dir);
      assertEquals(summary.lastSeq, 10);
      assertEquals(Deno.statSync(seg).size, lastStart, "replay truncates the torn tail");
      // The last done (seq 11) was torn away: its intent is pending, the rest applied.
      assertEquals(state.entries.size, 4);
      assertEquals([...state.pending.values()].map((i) => i.path), ["d4"]);
    }
  });
});

Deno.test("garbage appended after the last record (zeros from a power loss) is a torn tail", async () => {
  await withJournal(3, (dir, seg) => {
    const size = Deno.statSync(seg).size;
    const f = Deno.openSync(seg, { append: true });
    f.writeSync(new Uint8Array(4096));
    f.close();
    const s = readJournal(fs, dir, { repair: true });
    assertEquals(s.tornTail?.offset, size);
    assertEquals(Deno.statSync(seg).size, size);
  });
});

Deno.test("a flipped byte in the middle is corruption: refused with segment, offset and seq", async () => {
  await withJournal(10, (dir, seg) => {
    const bytes = Deno.readFileSync(seg);
    const lines = new TextDecoder().decode(bytes).split("\n");
    const offset = lines.slice(0, 5).join("\n").length + 1; // start of line 6 (seq 6)
    bytes[offset + 12]! ^= 0x04;
    Deno.writeFileSync(seg, bytes);
    const err = assertThrows(() => readJournal(fs, dir), JournalCorruptError);
    assertEquals(err.segment, "00000001.jsonl");
    assertEquals(err.offset, offset);
    assertEquals(err.lastSeq, 5);
    assertEquals(Deno.readFileSync(seg), bytes, "nothing is changed");
  });
});

Deno.test("a missing record (sequence gap) is corruption", async () => {
  await withJournal(4, (dir, seg) => {
    const lines = Deno.readTextFileSync(seg).split("\n");
    lines.splice(3, 1);
    Deno.writeTextFileSync(seg, lines.join("\n"));
    assertThrows(() => readJournal(fs, dir), JournalCorruptError, "sequence jumps");
  });
});

Deno.test("a journal from a newer format version is refused with a clear message", async () => {
  await withJournal(1, (dir, seg) => {
    const lines = Deno.readTextFileSync(seg).split("\n");
    const header = JSON.parse(lines[0]!);
    delete header.crc;
    lines[0] = encodeRecord({ ...header, v: 99 }).trimEnd();
    Deno.writeTextFileSync(seg, lines.join("\n"));
    assertThrows(() => readJournal(fs, dir), JournalCorruptError, "upgrade");
  });
});

Deno.test("segments rotate at the size limit and are read back in order", async () => {
  await withJournal(50, (dir) => {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert(names.length > 3, `expected rotation, got ${names}`);
    const s = readJournal(fs, dir);
    assertEquals(s.segments, names);
    assertEquals(s.records, 100 + names.length);
  }, 1500);
});

Deno.test("a torn tail in a segment that is not the last one is corruption", async () => {
  await withJournal(50, (dir) => {
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    const first = `${dir}/${names[0]}`;
    const bytes = Deno.readFileSync(first);
    Deno.writeFileSync(first, bytes.subarray(0, bytes.length - 5));
    assertThrows(() => readJournal(fs, dir), JournalCorruptError);
  }, 1500);
});
