import { assertEquals } from "../../testing/assert.ts";
import { StateEntries, type StateEntry } from "./state_entries.ts";

const HASH = "0123456789abcdef00ff10e0a5c3b7d9";

function sample(): [string, StateEntry][] {
  return [
    ["a", { kind: "dir", size: 0, mtimeMs: 1_704_067_200_000, mode: 0o755, ino: 12 }],
    ["a/f", {
      kind: "file",
      size: 16,
      mtimeMs: 1_704_067_200_123.5,
      mode: 0o644,
      ino: 2 ** 40,
      hash: HASH,
    }],
    ["a/l", { kind: "symlink", size: 3, mtimeMs: 5, mode: 0o777, ino: 7, target: "../x" }],
    ["a/odd", {
      kind: "file",
      size: 1,
      mtimeMs: 6,
      mode: 0o600,
      ino: 8,
      hash: "not-hex",
      racy: true,
    }],
    ["a/racy", { kind: "file", size: 2, mtimeMs: 7, mode: 0o4755, ino: 9, racy: false }],
    ["a/other", { kind: "other", size: 0, mtimeMs: 8, mode: 0, ino: 10 }],
  ];
}

Deno.test("StateEntries: what is set is what is read back, field for field, in insertion order", () => {
  const entries = new StateEntries(sample());
  assertEquals(entries.size, 6);
  assertEquals([...entries], sample());
  assertEquals([...entries.keys()], sample().map(([p]) => p));
  assertEquals([...entries.values()], sample().map(([, e]) => e));
  for (const [path, entry] of sample()) assertEquals(entries.get(path), entry);
  const seen: string[] = [];
  entries.forEach((entry, path) => {
    seen.push(path);
    assertEquals(entry, entries.get(path));
  });
  assertEquals(seen, sample().map(([p]) => p));
  assertEquals(new Map(entries), new Map(sample()));
});

Deno.test("StateEntries: set replaces in place, delete frees a slot that is reused, clear empties", () => {
  const entries = new StateEntries(sample());
  entries.set("a/f", { kind: "file", size: 99, mtimeMs: 1, mode: 0o600, ino: 3 });
  assertEquals(entries.get("a/f"), { kind: "file", size: 99, mtimeMs: 1, mode: 0o600, ino: 3 });
  assertEquals([...entries.keys()][1], "a/f");
  assertEquals(entries.delete("a/l"), true);
  assertEquals(entries.delete("a/l"), false);
  assertEquals(entries.get("a/l"), undefined);
  assertEquals(entries.has("a/l"), false);
  entries.set("b", { kind: "file", size: 1, mtimeMs: 2, mode: 0o644, ino: 4, hash: HASH });
  assertEquals(entries.get("b"), {
    kind: "file",
    size: 1,
    mtimeMs: 2,
    mode: 0o644,
    ino: 4,
    hash: HASH,
  });
  assertEquals(entries.get("a/odd")?.hash, "not-hex");
  assertEquals(entries.size, 6);
  entries.clear();
  assertEquals(entries.size, 0);
  assertEquals([...entries], []);
  entries.set("c", { kind: "dir", size: 0, mtimeMs: 1, mode: 0o700, ino: 1 });
  assertEquals([...entries], [["c", { kind: "dir", size: 0, mtimeMs: 1, mode: 0o700, ino: 1 }]]);
});

Deno.test("StateEntries: an entry read is a copy; changing it changes nothing stored", () => {
  const entries = new StateEntries(sample());
  const got = entries.get("a/f")!;
  got.size = 1;
  assertEquals(entries.get("a/f")?.size, 16);
});

Deno.test("StateEntries: grows past its first block of slots", () => {
  const entries = new StateEntries();
  for (let i = 0; i < 5000; i++) {
    entries.set(`d/${i}`, { kind: "file", size: i, mtimeMs: i * 1000, mode: 0o644, ino: i + 1 });
  }
  for (let i = 0; i < 5000; i += 2) entries.delete(`d/${i}`);
  for (let i = 0; i < 5000; i++) {
    const e = entries.get(`d/${i}`);
    assertEquals(
      e === undefined ? undefined : [e.size, e.mtimeMs, e.ino],
      i % 2 ? [i, i * 1000, i + 1] : undefined,
    );
  }
  assertEquals(entries.size, 2500);
});
