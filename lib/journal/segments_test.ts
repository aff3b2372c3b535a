import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR } from "../base/paths.ts";
import { checkpointName } from "./checkpoint.ts";
import {
  JOURNAL_DIR,
  journalDir,
  listSegments,
  reservedDir,
  segmentName,
  segmentNumber,
} from "./segments.ts";

const real = new DenoFileSystem();

Deno.test("reservedDir and journalDir place the journal in DEST/.backup/journal", () => {
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

Deno.test("listSegments lists segment files oldest first by number, leaving out everything else", async () => {
  await using tmp = await tempDir();
  for (const n of [10, 2, 1, 100]) put(`${tmp.path}/${segmentName(n)}`, "");
  put(`${tmp.path}/${checkpointName(5)}`, "");
  put(`${tmp.path}/${segmentName(3)}.tmp`, "");
  put(`${tmp.path}/notes.txt`, "");
  Deno.mkdirSync(`${tmp.path}/${segmentName(4)}.d`);
  assertEquals(listSegments(real, tmp.path), [1, 2, 10, 100].map(segmentName));
});

Deno.test("listSegments of a missing folder is empty, of a file an error", async () => {
  await using tmp = await tempDir();
  assertEquals(listSegments(real, `${tmp.path}/missing`), []);
  put(`${tmp.path}/file`, "not a folder");
  assertThrows(() => listSegments(real, `${tmp.path}/file`), Error);
});
