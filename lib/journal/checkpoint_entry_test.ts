import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { LEGACY_RESERVED_DIR, RESERVED_DIR } from "../base/layout.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { unsafeReason } from "../base/paths.ts";
import { readEntryLine } from "./checkpoint_entry.ts";
import { CheckpointDamage, checkpointEntryLine, writeCheckpoint } from "./checkpoint.ts";
import { endLine, headerLine, readCheckpointAt } from "../../testing/checkpoint_fixture.ts";
import { type IntentRecord, unframeLine } from "./record.ts";
import { emptyState, type StateEntry } from "./state.ts";

const real = new DenoFileSystem();
const encoder = new TextEncoder();

/** An entry line as `writeCheckpoint` writes it. */
const entryLine = checkpointEntryLine;

/** What the general reader makes of a line: the entry of a sound, safe line, else null. */
function generalRead(line: string): { path: string; entry: StateEntry } | null {
  const u = unframeLine(line);
  if (!u.ok) return null;
  const o = u.value;
  if (o.type !== "entry" || typeof o.path !== "string" || unsafeReason(o.path) !== null) {
    return null;
  }
  const entry: StateEntry = {
    kind: o.kind as StateEntry["kind"],
    size: o.size as number,
    mtimeMs: o.mtime as number,
    mode: o.mode as number,
    ino: o.ino as number,
  };
  if (typeof o.hash === "string") entry.hash = o.hash;
  if (typeof o.target === "string") entry.target = o.target;
  if (o.racy === true) entry.racy = true;
  return { path: o.path, entry };
}

/** Reads `text` as a checkpoint; entries, refusals, or the damage. */
function readAll(text: string | Uint8Array, path: string) {
  const entries: [string, StateEntry][] = [];
  const refused: string[] = [];
  const info = readCheckpointAt(path, {
    onEntry: (p, e) => entries.push([p, e]),
    onRefused: (p, why) => refused.push(`${p}: ${why}`),
  }, text);
  return { info, entries, refused };
}

const header = headerLine();
const file: StateEntry = { kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino: 3 };

const name = fc.oneof(
  { arbitrary: fc.constantFrom("docs", "a.txt", "x-1", "é"), weight: 6 },
  fc.constantFrom("a", "b.txt", ".", "..", "", ".hidden", "é", "名前", "x y", "caf\udce9"),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 4 }),
);
const entryArb: fc.Arbitrary<StateEntry> = fc.record({
  kind: fc.constantFrom("file", "dir", "symlink", "other"),
  size: fc.oneof({ arbitrary: fc.nat(), weight: 4 }, fc.integer(), fc.double()),
  mtimeMs: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 2_000_000_000_000 }), weight: 4 },
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constant(-0),
  ),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  ino: fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(2 ** 60)),
  hash: fc.oneof(
    { arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/), weight: 4 },
    fc.stringMatching(/^[0-9a-fA-F]{30,34}$/),
    fc.string({ maxLength: 3 }),
  ),
  target: fc.string({ maxLength: 5 }),
  racy: fc.constant(true),
}, { requiredKeys: ["kind", "size", "mtimeMs", "mode", "ino"] });

Deno.test("readEntryLine reads a line as the general reader does, or hands it back", () => {
  let fast = 0;
  fc.assert(
    fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), entryArb, (names, entry) => {
      const line = entryLine(names.join("/"), entry).slice(0, -1);
      const got = readEntryLine(encoder.encode(line));
      if (got === null) return;
      fast++;
      assertEquals(got, generalRead(line), line);
    }),
    { numRuns: 3000 },
  );
  assert(fast > 300, `only ${fast} lines took the fast way`);
});

Deno.test("readEntryLine takes the writer's common lines, and hands back every unsafe path", () => {
  const hash = "0123456789abcdef0123456789abcdef";
  for (
    const [path, e] of [
      ["docs/a.txt", { ...file, hash }],
      ["é/名前 x", { ...file, mtimeMs: -5, hash, racy: true }],
      ["link", { ...file, kind: "symlink", target: "../outside/is/fine/for/a/target" }],
      ["a.b/..c/...", { ...file, kind: "dir", size: 0, ino: 999_999_999_999_999 }],
    ] as [string, StateEntry][]
  ) {
    const line = entryLine(path, e).slice(0, -1);
    assertEquals(readEntryLine(encoder.encode(line)), { path, entry: e }, line);
  }
  for (
    const path of [
      "../up",
      "a/../b",
      "a/..",
      "./a",
      "a/./b",
      "a//b",
      "a/",
      "/abs",
      "",
      `${RESERVED_DIR}/lock`,
      RESERVED_DIR,
      `${LEGACY_RESERVED_DIR}/journal`,
      "nul\0x",
      "new\nline",
      "lone\udc80",
    ]
  ) {
    const line = entryLine(path, file).slice(0, -1);
    assertEquals(readEntryLine(encoder.encode(line)), null, JSON.stringify(path));
  }
});

Deno.test("readCheckpoint refuses the same unsafe entries as before, and keeps the safe ones in order", async () => {
  await using tmp = await tempDir();
  const paths = ["ok", "../up", "a//b", `${RESERVED_DIR}/x`, ".hidden/ok", "é/ok", "/abs", "z"];
  const text = header + paths.map((p) => entryLine(p, file)).join("") + endLine(paths.length);
  const read = readAll(text, `${tmp.path}/c`);
  assertEquals(read.entries.map(([p]) => p), ["ok", ".hidden/ok", "é/ok", "z"]);
  assertEquals(read.refused, [
    '../up: bad segment ".."',
    'a//b: bad segment ""',
    `${RESERVED_DIR}/x: inside the reserved folder`,
    "/abs: absolute",
  ]);
});

Deno.test("readCheckpoint finds a changed byte anywhere in an entry line and names that line's offset", async () => {
  await using tmp = await tempDir();
  const state = emptyState();
  state.entries.set("docs/a.txt", { ...file, hash: "0123456789abcdef0123456789abcdef" });
  state.entries.set("é/b", { ...file, racy: true, hash: "ffffffffffffffffffffffffffffffff" });
  state.entries.set("link", { ...file, kind: "symlink", target: "docs" });
  const info = await writeCheckpoint(real, tmp.path, state, { seq: 7, next: 2, source: "/s" });
  const good = Deno.readFileSync(`${tmp.path}/${info.name}`);
  const path = `${tmp.path}/damaged`;
  const firstEntry = good.indexOf(0x0a) + 1;
  const trailer = good.lastIndexOf(0x0a, good.length - 2) + 1;
  let checked = 0;
  for (let at = firstEntry; at < trailer; at++) {
    if (good[at] === 0x0a) continue;
    for (const flip of [0x01, 0x20, 0x80]) {
      const bad = good.slice();
      bad[at]! ^= flip;
      const err = assertThrows(() => readAll(bad, path), CheckpointDamage);
      assertEquals(err.offset, good.lastIndexOf(0x0a, at) + 1, `byte ${at} ^ ${flip}`);
      checked++;
    }
  }
  assert(checked > 300);
});

Deno.test("readCheckpoint refuses a path of invalid UTF-8 whose checksum was made over its bytes", async () => {
  await using tmp = await tempDir();
  // The checksum of the bytes as they are: the general reader decodes them to U+FFFD and fails.
  const { crc32 } = await import("node:zlib");
  const body = new Uint8Array([
    ...encoder.encode('{"type":"entry","path":"caf'),
    0xe9,
    ...encoder.encode('","kind":"file","size":1,"mtime":2,"mode":420,"ino":3}'),
  ]);
  const crc = (crc32(body) >>> 0).toString(16).padStart(8, "0");
  const line = new Uint8Array([
    ...body.subarray(0, -1),
    ...encoder.encode(`,"crc":"${crc}"}`),
  ]);
  assertEquals(readEntryLine(line), null);
  const text = new Uint8Array([
    ...encoder.encode(header),
    ...line,
    0x0a,
    ...encoder.encode(endLine(1)),
  ]);
  const err = assertThrows(() => readAll(text, `${tmp.path}/c`), CheckpointDamage);
  assertEquals(err.message, "checksum mismatch");
});

Deno.test("a checkpoint written before the fast reader (checked-in fixture, format 1) loads the same", async () => {
  await using tmp = await tempDir();
  const fixture = Deno.readFileSync(
    new URL("./testdata/checkpoint-000000000042.jsonl", import.meta.url),
  );
  const read = readAll(fixture, `${tmp.path}/checkpoint-000000000042.jsonl`);
  const hash = "59171d5b43dc04e3138d64038da726b8";
  assertEquals(read.entries, [
    ["docs", { kind: "dir", size: 0, mtimeMs: 1795324528346, mode: 0o755, ino: 10 }],
    ["docs/a.txt", { kind: "file", size: 14, mtimeMs: 1795324533346, mode: 0o644, ino: 11, hash }],
    ["docs/racy.txt", {
      kind: "file",
      size: 1,
      mtimeMs: 1795324533999.5,
      mode: 0o600,
      ino: 12,
      hash: "0123456789ABCDEF0123456789abcdef",
      racy: true,
    }],
    ["link", {
      kind: "symlink",
      size: 10,
      mtimeMs: 3000,
      mode: 0o777,
      ino: 13,
      target: "docs/a.txt",
    }],
    ["caf\udce9.txt", {
      kind: "file",
      size: 0,
      mtimeMs: -5,
      mode: 0o644,
      ino: 9007199254740991,
      hash: "e3b0c44298fc1c149afbf4c8996fb924",
    }],
    ['unicode é 名前\n/"q\\', { kind: "dir", size: 0, mtimeMs: 0, mode: 0o700, ino: 14 }],
    ['unicode é 名前\n/"q\\/x', { kind: "other", size: 0, mtimeMs: 0, mode: 0o644, ino: 15 }],
    ["docs/b.txt", { kind: "file", size: 3, mtimeMs: 4000, mode: 0o644, ino: 16, hash: "" }],
  ]);
  assertEquals(read.refused, []);
  assertEquals([read.info.seq, read.info.next, read.info.entries, read.info.pending], [
    42,
    5,
    8,
    2,
  ]);
  assertEquals(read.info.bytes, fixture.length);
  // And its pending intents, through the reader's other callback.
  const pending: IntentRecord[] = [];
  readCheckpointAt(`${tmp.path}/checkpoint-000000000042.jsonl`, {
    onPending: (i) => pending.push(i),
  });
  assertEquals(pending.map((i) => [i.seq, i.op, i.path]), [[40, "copy", "docs/new.txt"], [
    41,
    "move",
    "papers",
  ]]);
});

Deno.test("a header's entry count is handed out once, bounded by what the file can hold", async () => {
  await using tmp = await tempDir();
  const counts: number[] = [];
  const read = (text: string) =>
    readCheckpointAt(`${tmp.path}/c`, { onCount: (n) => counts.push(n) }, text);
  const headerOf = (entries: unknown) => headerLine({ entries });
  read(headerOf(2) + entryLine("a", file) + entryLine("b", file) + endLine(2));
  read(headerOf(1e12) + entryLine("a", file) + endLine(1)); // a lie: bounded by the file's size
  read(headerOf("3") + endLine(0)); // not a count: ignored
  read(header + endLine(0)); // a header from before the count
  assertEquals(counts.length, 2);
  assertEquals(counts[0], 2);
  assert(counts[1]! <= 10, `the bound: ${counts[1]}`);
  const state = emptyState();
  state.entries.set("a", file);
  const info = await writeCheckpoint(real, tmp.path, state, { seq: 3, next: 2, source: "/s" });
  const first = Deno.readTextFileSync(`${tmp.path}/${info.name}`).split("\n")[0]!;
  assertEquals(unframeLine(first).ok && unframeLine(first), {
    ok: true,
    value: {
      type: "checkpoint",
      v: 1,
      seq: 3,
      ts: info.ts,
      source: "/s",
      next: 2,
      entries: 1,
    },
  });
});
