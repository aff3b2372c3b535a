import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { JournalIoError } from "../base/errors.ts";
import { JournalWriter } from "./writer.ts";
import { readJournal } from "./reader.ts";

const intent = (path: string) => ({
  type: "intent" as const,
  op: "delete" as const,
  path,
  reason: "scan" as const,
});

Deno.test("JournalWriter rolls back a failed write, so no half record sits before good ones", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fs = new FaultyFileSystem(new DenoFileSystem());
    const w = await JournalWriter.open(fs, root, { source: "/s" });
    await w.append([intent("a")]);
    fs.addRule({
      point: "write",
      nth: 1,
      partialBytes: 17,
      error: () => new Error("No space left on device"),
    });
    const err = await assertRejects(() => w.append([intent("b")]), JournalIoError);
    assert(!err.fatal, "a failed write is not fatal");
    await w.append([intent("c")]);
    await w.close();
    const paths: string[] = [];
    readJournal(fs, root, {
      onRecord: (r) => r.type === "intent" && paths.push(r.path),
    });
    assertEquals(paths, ["a", "c"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("JournalWriter is poisoned by an fsync failure (fsyncgate): nothing more is written", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fs = new FaultyFileSystem(new DenoFileSystem());
    const w = await JournalWriter.open(fs, root, { source: "/s" });
    await w.append([intent("a")]);
    fs.addRule({ point: "sync", nth: 1, error: () => new Error("Input/output error") });
    const err = await assertRejects(() => w.sync(), JournalIoError);
    assert(err.fatal);
    assert(w.poisoned);
    await assertRejects(() => w.append([intent("b")]), JournalIoError);
    await w.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("JournalWriter continues sequence numbers and the last segment after a reopen", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fs = new DenoFileSystem();
    let w = await JournalWriter.open(fs, root, { source: "/s" });
    await w.append([intent("a"), intent("b")]);
    await w.close();
    const s = readJournal(fs, root);
    w = await JournalWriter.open(fs, root, {
      source: "/s",
      lastSeq: s.lastSeq,
      lastSegment: { name: s.segments.at(-1)!, bytes: s.lastSegmentBytes },
    });
    const [c] = await w.append([intent("c")]);
    await w.close();
    assertEquals(c!.seq, 4);
    const again = readJournal(fs, root);
    assertEquals(again.segments.length, 1);
    assertEquals(again.records, 4);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("JournalWriter.rotate() that cannot create the new segment poisons the writer (stop, restart, replay)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/journal`;
    const faulty = new FaultyFileSystem(new DenoFileSystem());
    const w = await JournalWriter.open(faulty, dir, { source: "/src" });
    await w.append([{ type: "intent", op: "mkdir", path: "a", kind: "dir", reason: "scan" }]);
    faulty.addRule({
      point: "open",
      path: "00000002.jsonl",
      error: () => new Error("No space left on device (os error 28)"),
    });
    await assertRejects(() => w.rotate(), JournalIoError, "no space left");
    assert(w.poisoned);
    await assertRejects(() => w.append([{ type: "done", ref: 2 }]), JournalIoError);
    await w.close();
    assertEquals(readJournal(new DenoFileSystem(), dir).lastSeq, 2, "what was appended stays");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
