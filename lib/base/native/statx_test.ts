/**
 * parseStatx on crafted `struct statx` buffers: 64-bit fields past 2^32 and
 * times before 1970 read without BigInt, and makedev's cache gives the same
 * device as a fresh composition.
 */

import { assertEquals } from "../../../testing/assert.ts";
import { makedev, parseStatx } from "./statx.ts";

function statxBuffer(fields: { size: bigint; ino: bigint; mtimeS: bigint; nanos: number }) {
  const buffer = new Uint8Array(256);
  const view = new DataView(buffer.buffer);
  view.setUint16(28, 0o100644, true); // a regular file, rw-r--r--
  view.setBigUint64(32, fields.ino, true);
  view.setBigUint64(40, fields.size, true);
  view.setBigUint64(48, 9n, true);
  view.setBigInt64(96, fields.mtimeS, true); // ctime
  view.setBigInt64(112, fields.mtimeS, true);
  view.setUint32(120, fields.nanos, true);
  view.setUint32(136, 259, true);
  view.setUint32(140, 3, true);
  return buffer;
}

Deno.test("parseStatx reads sizes and inodes past 2^32 and times before 1970 exactly", () => {
  const info = parseStatx(
    statxBuffer({
      size: 5n * 2n ** 32n + 7n,
      ino: 2n ** 40n + 1n,
      mtimeS: -2n,
      nanos: 500_000_000,
    }),
  );
  assertEquals(info.size, 5 * 2 ** 32 + 7);
  assertEquals(info.ino, 2 ** 40 + 1);
  assertEquals(info.mtimeMs, -2000 + 500);
  assertEquals(info.ctimeMs, -2000);
  assertEquals([info.kind, info.mode, info.blocks], ["file", 0o644, 9]);
  const late = parseStatx(statxBuffer({ size: 1n, ino: 1n, mtimeS: 2n ** 33n, nanos: 1_999_999 }));
  assertEquals(late.mtimeMs, 2 ** 33 * 1000 + 1);
});

Deno.test("makedev composes as glibc does, cached or not", () => {
  const first = makedev(259, 3);
  assertEquals(makedev(8, 1), (8 << 8) | 1);
  assertEquals(makedev(259, 3), first);
  assertEquals(first, Number((259n << 8n) | 3n));
  assertEquals(
    makedev(0x1234, 0x56789),
    Number((0x234n << 8n) | (0x1000n << 32n) | (0x56700n << 12n) | 0x89n),
  );
});
