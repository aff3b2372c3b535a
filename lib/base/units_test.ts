import { assertEquals } from "../../testing/assert.ts";
import { formatBytes, plural } from "./units.ts";

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

Deno.test("plural puts the noun in the right number", () => {
  assertEquals(
    [
      plural(1, "pass"),
      plural(2, "pass"),
      plural(0, "entry"),
      plural(1, "entry"),
      plural(2, "key"),
      plural(3, "record"),
      plural(1, "job"),
      plural(2, "metadata update"),
      plural(2, "child", "children"),
    ],
    [
      "1 pass",
      "2 passes",
      "0 entries",
      "1 entry",
      "2 keys",
      "3 records",
      "1 job",
      "2 metadata updates",
      "2 children",
    ],
  );
});
