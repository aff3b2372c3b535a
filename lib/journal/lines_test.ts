import { assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { readLines } from "./lines.ts";

const fs = new DenoFileSystem();

async function linesOf(content: string, chunk: number) {
  const t = await tempDir();
  try {
    Deno.writeTextFileSync(`${t.path}/f`, content);
    const h = fs.openSync(`${t.path}/f`);
    try {
      const out = [];
      // A line's bytes are only valid until the next one is read: decode at once.
      for (const l of readLines(h, chunk)) {
        out.push({
          offset: l.offset,
          text: new TextDecoder().decode(l.bytes),
          complete: l.complete,
        });
      }
      return out;
    } finally {
      h.close();
    }
  } finally {
    await t.cleanup();
  }
}

Deno.test("readLines() gives every line with its offset, whatever the chunk size", async () => {
  const content = "alpha\n\nbeta gamma delta\nz\n" + "x".repeat(100) + "\n";
  const expected = [
    { offset: 0, text: "alpha", complete: true },
    { offset: 6, text: "", complete: true },
    { offset: 7, text: "beta gamma delta", complete: true },
    { offset: 24, text: "z", complete: true },
    { offset: 26, text: "x".repeat(100), complete: true },
  ];
  for (const chunk of [1, 2, 3, 7, 16, 64, 1 << 20]) {
    assertEquals(await linesOf(content, chunk), expected, `chunk ${chunk}`);
  }
});

Deno.test("readLines() reports a last line without its newline as incomplete", async () => {
  for (const chunk of [1, 4, 1024]) {
    assertEquals(await linesOf("one\ntwo", chunk), [
      { offset: 0, text: "one", complete: true },
      { offset: 4, text: "two", complete: false },
    ]);
  }
  assertEquals(await linesOf("", 8), []);
});

Deno.test("readLines() searches only the bytes it holds, not the rest of its buffer", async () => {
  const searched: number[] = [];
  const indexOf = Uint8Array.prototype.indexOf;
  Uint8Array.prototype.indexOf = function (this: Uint8Array, ...args) {
    searched.push(this.length);
    return indexOf.apply(this, args);
  };
  try {
    // A 1 MiB buffer for 24 bytes: each search is over what was read, never the stale rest.
    const lines = await linesOf("one\ntwo\n" + "x".repeat(16), 1 << 20);
    assertEquals(lines.map((l) => l.text), ["one", "two", "x".repeat(16)]);
  } finally {
    Uint8Array.prototype.indexOf = indexOf;
  }
  assertEquals(searched.length > 0, true);
  assertEquals(searched.filter((n) => n > 24), []);
});
