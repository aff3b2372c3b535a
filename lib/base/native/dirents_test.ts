import { assertEquals } from "../../../testing/assert.ts";
import { type DirEntry, parseDirents } from "./dirents.ts";
import { decodeName } from "./names.ts";

/** `struct linux_dirent64` records for `names` (8-byte aligned, NUL-padded). */
function records(names: [Uint8Array, number, number][]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const [name, ino, type] of names) {
    const length = Math.ceil((19 + name.length + 1) / 8) * 8;
    const record = new Uint8Array(length);
    const view = new DataView(record.buffer);
    view.setBigUint64(0, BigInt(ino), true);
    view.setUint16(16, length, true);
    view.setUint8(18, type);
    record.set(name, 19);
    parts.push(record);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("parseDirents: names as bytes, text and C string; 64-bit inodes; dots left out", () => {
  const enc = new TextEncoder();
  const odd = Uint8Array.of(0x66, 0xff, 0x20);
  const buffer = records([
    [enc.encode("."), 1, 4],
    [enc.encode(".."), 2, 4],
    [enc.encode("plain.txt"), 2 ** 40 + 7, 8],
    [enc.encode("déjà vu"), 9, 10],
    [odd, 10, 0],
    [enc.encode("x".repeat(200)), 11, 4],
  ]);
  const out: DirEntry[] = [];
  parseDirents(buffer, buffer.length, out);
  assertEquals(out.map((e) => [e.name, e.ino, e.type]), [
    ["plain.txt", 2 ** 40 + 7, "file"],
    ["déjà vu", 9, "symlink"],
    [decodeName(odd), 10, "unknown"],
    ["x".repeat(200), 11, "dir"],
  ]);
  for (const e of out) {
    assertEquals(e.cName!.length, e.bytes.length + 1);
    assertEquals(e.cName![e.bytes.length], 0);
    assertEquals([...e.cName!.subarray(0, e.bytes.length)], [...e.bytes]);
  }
  assertEquals([...out[2]!.bytes], [...odd]);
});
