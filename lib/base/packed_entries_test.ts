import { assertEquals } from "../../testing/assert.ts";
import { PackedEntries, type PackedShape } from "./packed_entries.ts";

Deno.test("PackedEntries: a scan's entries (no hash) read back as set, and allocate no hash storage", () => {
  const entries = new PackedEntries<PackedShape>();
  const file: PackedShape = {
    kind: "file",
    size: 3,
    mtimeMs: 1_704_067_200_000,
    mode: 0o644,
    ino: 5,
  };
  const link: PackedShape = {
    kind: "symlink",
    size: 1,
    mtimeMs: 2,
    mode: 0o777,
    ino: 6,
    target: "x",
  };
  entries.set("f", file).set("l", link);
  assertEquals(entries.get("f"), file);
  assertEquals(entries.get("l"), link);
  assertEquals([...entries], [["f", file], ["l", link]]);
  assertEquals(entries.get("f") === entries.get("f"), false); // a fresh copy each time
  const hashed = { ...file, hash: "00112233445566778899aabbccddeeff" };
  entries.set("h", hashed);
  assertEquals(entries.get("h"), hashed);
  assertEquals(entries.get("f"), file);
});
