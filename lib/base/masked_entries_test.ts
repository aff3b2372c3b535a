import fc from "fast-check";
import { assertEquals } from "../../testing/assert.ts";
import { MaskedEntries } from "./masked_entries.ts";
import { PackedEntries, type PackedShape } from "./packed_entries.ts";

const entry = (i: number): PackedShape => ({
  kind: "file",
  size: i,
  mtimeMs: i,
  mode: 0o644,
  ino: i,
});

Deno.test("MaskedEntries reads as a copy of the map without the hidden keys, in order", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.constantFrom<string>("a", "b", "a/x", "a/y", "b/z", "c/d/e", "c/d", "c"), {
        minLength: 0,
      }),
      fc.array(fc.nat(7)),
      (paths, hide) => {
        const packed = new PackedEntries<PackedShape>();
        paths.forEach((p, i) => packed.set(p, entry(i)));
        const hidden = new Set(hide.filter((i) => i < paths.length).map((i) => paths[i]!));
        const view = new MaskedEntries(packed, hidden);
        const copy = new Map([...packed].filter(([p]) => !hidden.has(p)));
        assertEquals(view.size, copy.size);
        assertEquals([...view], [...copy]);
        assertEquals([...view.keys()], [...copy.keys()]);
        assertEquals([...view.values()], [...copy.values()]);
        const seen: string[] = [];
        view.forEach((_e, key, map) => {
          seen.push(key);
          assertEquals(map, view);
        });
        assertEquals(seen, [...copy.keys()]);
        for (const p of [...paths, "missing"]) {
          assertEquals(view.has(p), copy.has(p), p);
          assertEquals(view.get(p), copy.get(p), p);
        }
      },
    ),
  );
});
