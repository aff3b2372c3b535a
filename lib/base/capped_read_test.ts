import { assertEquals } from "../../testing/assert.ts";
import { readCapped } from "./capped_read.ts";

/** A reader over `data` handing out at most `piece` bytes a call. */
function readerOf(data: Uint8Array, piece: number) {
  let at = 0;
  return {
    readSync(buf: Uint8Array): number | null {
      if (at >= data.length) return null;
      const count = Math.min(piece, buf.length, data.length - at);
      buf.set(data.subarray(at, at + count));
      at += count;
      return count;
    },
  };
}

Deno.test("readCapped reads a file whole when it fits, whatever its size hint said", () => {
  const data = new Uint8Array(200_000).map((_, i) => i % 251);
  for (const hint of [0, 10, 200_000, 5_000_000]) {
    const got = readCapped(readerOf(data, 7_000), hint, 1 << 20);
    assertEquals([got.bytes.length, got.truncated], [200_000, false], `hint ${hint}`);
    assertEquals(got.bytes, data);
  }
});

Deno.test("readCapped stops at the cap and says the file held more; exactly the cap is not truncated", () => {
  const data = new Uint8Array(300_000).fill(7);
  const capped = readCapped(readerOf(data, 65_536), 0, 100_000);
  assertEquals([capped.bytes.length, capped.truncated], [100_000, true]);
  const exact = readCapped(readerOf(data.subarray(0, 100_000), 65_536), 0, 100_000);
  assertEquals([exact.bytes.length, exact.truncated], [100_000, false]);
});
