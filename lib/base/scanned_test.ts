/** sameAsScanned: size, mtime and inode must each agree. */

import { assertEquals } from "../../testing/assert.ts";
import { sameAsScanned } from "./scanned.ts";

Deno.test("sameAsScanned is true only when size, mtime and inode all agree", () => {
  const scanned = { size: 10, mtimeMs: 1_700_000_000_000.5, ino: 42 };
  assertEquals(sameAsScanned({ ...scanned }, scanned), true);
  assertEquals(sameAsScanned({ ...scanned, size: 11 }, scanned), false);
  assertEquals(sameAsScanned({ ...scanned, mtimeMs: 1_700_000_000_000 }, scanned), false);
  assertEquals(sameAsScanned({ ...scanned, ino: 43 }, scanned), false);
});
