/** names.ts: the reversible, collision-free text form of names that are not UTF-8. */

import { assert, assertEquals, assertThrows } from "../../../testing/assert.ts";
import { decodeName, encodeName, isEscaped, isNameText } from "./names.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

Deno.test("a valid UTF-8 name is its plain text, unescaped", () => {
  for (const name of ["a.txt", "café", "日本語", "emoji 😀", "\uFFFD real replacement char"]) {
    const encoded = new TextEncoder().encode(name);
    assertEquals(decodeName(encoded), name);
    assertEquals(encodeName(name), encoded);
    assert(!isEscaped(name));
  }
});

Deno.test("invalid bytes become U+DC80..U+DCFF and come back byte for byte", () => {
  const cases = [
    bytes(0x66, 0xff), // f\xff
    bytes(0xc3), // truncated sequence
    bytes(0xc0, 0xaf), // overlong /
    bytes(0xed, 0xa0, 0x80), // an encoded surrogate
    bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
    bytes(0xe2, 0x82), // truncated euro
    bytes(0x80, 0x61, 0xf0, 0x9f, 0x98, 0x80, 0xfe), // stray, a, emoji, stray
    bytes(0x63, 0x61, 0x66, 0xe9), // latin-1 café
  ];
  for (const name of cases) {
    const text = decodeName(name);
    assert(isEscaped(text), JSON.stringify(text));
    assertEquals(encodeName(text), name);
    // The journal's JSON keeps it exactly.
    assertEquals(JSON.parse(JSON.stringify({ path: text })).path, text);
    assert(JSON.stringify(text).isWellFormed(), "the escapes are written as \\udcXX in JSON");
  }
  assertEquals(decodeName(bytes(0x66, 0xff)), "f\udcff");
  assertEquals(decodeName(bytes(0x63, 0x61, 0x66, 0xe9)), "caf\udce9");
});

Deno.test("no two byte names share a text form (exhaustive over 1 byte, and 2 with a high first)", () => {
  const seen = new Map<string, string>();
  const add = (name: Uint8Array) => {
    const text = decodeName(name);
    const key = Array.from(name).join(",");
    const other = seen.get(text);
    assert(other === undefined || other === key, `${key} and ${other} collide`);
    seen.set(text, key);
    assertEquals(encodeName(text), name);
  };
  for (let a = 1; a < 256; a++) add(bytes(a));
  for (let a = 0x80; a < 256; a++) {
    for (let b = 1; b < 256; b++) add(bytes(a, b));
  }
});

Deno.test("a lone surrogate no name decodes to is refused", () => {
  assertThrows(() => encodeName("x\ud800"), TypeError);
  assertThrows(() => encodeName("x\udc10"), TypeError);
});

Deno.test("isNameText: plain and escaped names are names; other lone surrogates are not", () => {
  assert(isNameText("a/b.txt") && isNameText("caf\udce9.txt"));
  assert(!isNameText("x\ud800") && !isNameText("x\udc10"));
});
