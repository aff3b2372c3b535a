import { assertEquals } from "../../testing/assert.ts";
import { formatBytes } from "./units.ts";

Deno.test("formatBytes(): whole bytes below 1000, then one decimal in kB, MB, GB, TB", () => {
  assertEquals(formatBytes(0), "0 B");
  assertEquals(formatBytes(999), "999 B");
  assertEquals(formatBytes(1000), "1.0 kB");
  assertEquals(formatBytes(12_300), "12.3 kB");
  assertEquals(formatBytes(1_250_000), "1.3 MB");
  assertEquals(formatBytes(4_000_000_000), "4.0 GB");
  assertEquals(formatBytes(2.5e12), "2.5 TB");
});

Deno.test("formatBytes(): beyond TB the count stays in TB", () => {
  assertEquals(formatBytes(7e15), "7000.0 TB");
});
