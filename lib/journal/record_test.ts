import { assert, assertEquals } from "../../testing/assert.ts";
import { decodeRecord, encodeRecord, isFailure, type JournalRecord } from "./record.ts";

const intent: JournalRecord = {
  seq: 7,
  ts: "2026-11-22T10:00:00.000Z",
  type: "intent",
  op: "copy",
  path: "docs/ä \n😀.txt",
  kind: "file",
  size: 3,
  mtime: 1,
  mode: 0o644,
  ino: 9,
  reason: "scan",
};

Deno.test("encodeRecord() writes one JSON line that jq could read, ending with its checksum", () => {
  const line = encodeRecord(intent);
  assert(line.endsWith("}\n"));
  assertEquals(line.split("\n").length, 2, "exactly one line, even with a newline in the path");
  const parsed = JSON.parse(line);
  assert(/^[0-9a-f]{8}$/.test(parsed.crc));
  assertEquals(parsed.path, intent.path);
});

Deno.test("decodeRecord() round-trips what encodeRecord() wrote", () => {
  const back = decodeRecord(encodeRecord(intent).trimEnd());
  assert(!isFailure(back));
  assertEquals(back, intent);
});

Deno.test("decodeRecord() rejects every single flipped byte", () => {
  const line = encodeRecord(intent).trimEnd();
  for (let i = 0; i < line.length; i++) {
    const flipped = line.slice(0, i) + String.fromCharCode(line.charCodeAt(i) ^ 0x01) +
      line.slice(i + 1);
    assert(isFailure(decodeRecord(flipped)), `flip at ${i} went unnoticed`);
  }
});

Deno.test("decodeRecord() rejects truncated lines and lines without checksum", () => {
  const line = encodeRecord(intent).trimEnd();
  for (let cut = 0; cut < line.length; cut += 7) {
    assert(isFailure(decodeRecord(line.slice(0, cut))), `cut at ${cut}`);
  }
  assert(isFailure(decodeRecord(JSON.stringify(intent))));
});
