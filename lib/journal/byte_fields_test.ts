import { assert, assertEquals } from "../../testing/assert.ts";
import { bytesAt, checksumHolds, CRC_TAIL, hashAt, numberEnd, numberValue } from "./byte_fields.ts";
import { frameLine } from "./record.ts";

const encoder = new TextEncoder();
const b = (s: string) => encoder.encode(s);

Deno.test("bytesAt finds a word at an offset, never past the end", () => {
  assert(bytesAt(b('x,"k":1'), 1, b(',"k":')));
  assert(!bytesAt(b('x,"k":1'), 2, b(',"k":')));
  assert(!bytesAt(b(',"k"'), 0, b(',"k":')));
  assert(bytesAt(b("abc"), 3, b("")));
});

Deno.test("numberEnd takes 1 to 15 digits without a leading zero, a sign only when signed", () => {
  assertEquals(numberEnd(b("123,"), 0), 3);
  assertEquals(numberEnd(b("0}"), 0), 1);
  assertEquals(numberEnd(b("012"), 0), -1);
  assertEquals(numberEnd(b(","), 0), -1);
  assertEquals(numberEnd(b("9".repeat(15)), 0), 15);
  assertEquals(numberEnd(b("9".repeat(16)), 0), -1);
  assertEquals(numberEnd(b("-5"), 0), -1);
  assertEquals(numberEnd(b("-5"), 0, true), 2);
  assertEquals(numberEnd(b("-"), 0, true), -1);
  assertEquals(numberEnd(b("-05"), 0, true), -1);
  assertEquals(numberEnd(b('"x":42'), 4), 6);
});

Deno.test("numberValue reads what numberEnd found", () => {
  for (
    const [text, signed, want] of [["0", false, 0], ["907", false, 907], [
      "-31",
      true,
      -31,
    ]] as const
  ) {
    const bytes = b(text);
    assertEquals(numberValue(bytes, 0, numberEnd(bytes, 0, signed)), want);
  }
  assertEquals(numberValue(b("999999999999999"), 0, 15), 999_999_999_999_999);
});

Deno.test("hashAt takes 32 lowercase hex digits and their closing quote", () => {
  const hash = "0123456789abcdef0123456789abcdef";
  assertEquals(hashAt(b(`"${hash}"}`), 1), hash);
  assertEquals(hashAt(b(`${hash}`), 0), null);
  assertEquals(hashAt(b(`${hash.toUpperCase()}"`), 0), null);
  assertEquals(hashAt(b(`${hash.slice(1)}"`), 0), null);
  assertEquals(hashAt(b(`${hash}0"`), 0), null);
});

Deno.test("checksumHolds accepts a framed line at its checksum member, nothing else", () => {
  const line = b(frameLine({ type: "done", seq: 1 }).slice(0, -1));
  const body = line.length - CRC_TAIL;
  assert(checksumHolds(line, body));
  assert(!checksumHolds(line, body - 1));
  const flipped = line.slice();
  flipped[2] = flipped[2]! ^ 1;
  assert(!checksumHolds(flipped, body));
  const upper = b(new TextDecoder().decode(line).toUpperCase());
  assert(!checksumHolds(upper, body));
  assert(!checksumHolds(line.subarray(0, line.length - 1), body));
});
