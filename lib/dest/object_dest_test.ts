import { assertEquals } from "../../testing/assert.ts";
import { entryOfMeta, metaOf } from "./object_dest.ts";

Deno.test("an entry survives its object metadata (file, symlink, folder)", () => {
  const file = { kind: "file" as const, mode: 0o640, mtimeMs: 1234567, size: 5, ino: 0 };
  assertEquals(entryOfMeta(metaOf(file, "abc"), 5, undefined, false), file);
  const link = {
    kind: "symlink" as const,
    mode: 0o777,
    mtimeMs: 9,
    size: 0,
    ino: 0,
    target: "../a b/%c",
  };
  assertEquals(entryOfMeta(metaOf(link), 0, undefined, false), link);
  const dir = { kind: "dir" as const, mode: 0o750, mtimeMs: 7, size: 0, ino: 0 };
  assertEquals(entryOfMeta(metaOf(dir), 0, undefined, true), dir);
});

Deno.test("an object the backup did not write is a plain 0644 file with its own time", () => {
  const at = new Date(5000);
  assertEquals(entryOfMeta(undefined, 3, at, false), {
    kind: "file",
    size: 3,
    mtimeMs: 5000,
    mode: 0o644,
    ino: 0,
  });
});
