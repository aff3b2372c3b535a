import { assertEquals } from "../../testing/assert.ts";
import {
  checkpointName,
  JOURNAL_DIR,
  journalDir,
  RESERVED_DIR,
  reservedDir,
  segmentName,
  segmentNumber,
  TEMP_PREFIX,
  tempName,
} from "./layout.ts";

Deno.test("reservedDir and journalDir place the journal in DEST/.backup-state/journal", () => {
  assertEquals(reservedDir("/mnt/usb/docs"), `/mnt/usb/docs/${RESERVED_DIR}`);
  assertEquals(journalDir("/mnt/usb/docs"), `/mnt/usb/docs/${RESERVED_DIR}/${JOURNAL_DIR}`);
  assertEquals(journalDir("/mnt/usb/docs/"), `/mnt/usb/docs/${RESERVED_DIR}/${JOURNAL_DIR}`);
  assertEquals(journalDir("/"), `/${RESERVED_DIR}/${JOURNAL_DIR}`);
});

Deno.test("segmentName pads to 8 digits and segmentNumber reads it back", () => {
  assertEquals(segmentName(1), "00000001.jsonl");
  for (const n of [1, 9, 10, 12_345, 99_999_999]) assertEquals(segmentNumber(segmentName(n)), n);
});

Deno.test("segmentNumber refuses every name that is not exactly a segment", () => {
  for (
    const name of [
      "1.jsonl",
      "0000001.jsonl",
      "000000001.jsonl",
      "00000001.jsonl.tmp",
      "00000001.json",
      "x00000001.jsonl",
      "0000000a.jsonl",
      checkpointName(1),
      "",
    ]
  ) {
    assertEquals(segmentNumber(name), null, name);
  }
});

Deno.test("tempName: the prefix and 16 hex digits, a different name each time (past a refill of the random words)", () => {
  const names = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const name = tempName();
    assertEquals(/^[0-9a-f]{16}$/.test(name.slice(TEMP_PREFIX.length)), true, name);
    assertEquals(name.startsWith(TEMP_PREFIX), true);
    names.add(name);
  }
  assertEquals(names.size, 200);
});
