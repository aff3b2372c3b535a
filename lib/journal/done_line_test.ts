import fc from "fast-check";
import { assert, assertEquals } from "../../testing/assert.ts";
import { readDoneLine } from "./done_line.ts";
import { decodeRecord, frameLine, isFailure } from "./record.ts";

const encoder = new TextEncoder();

const doneArb = fc.record({
  seq: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 1e9 }), weight: 4 },
    fc.integer(),
    fc.double(),
  ),
  ts: fc.oneof(
    { arbitrary: fc.constant("2026-12-07T05:37:44.731Z"), weight: 4 },
    fc.string({ maxLength: 4 }),
    fc.string({ unit: "binary", maxLength: 3 }),
  ),
  type: fc.oneof({ arbitrary: fc.constant("done"), weight: 6 }, fc.constantFrom("failed", "Done")),
  ref: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 1e9 }), weight: 4 },
    fc.integer(),
    fc.maxSafeNat(),
  ),
  hash: fc.oneof(
    { arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/), weight: 4 },
    fc.stringMatching(/^[0-9a-fA-F]{31,33}$/),
    fc.constant(5),
  ),
  bytes: fc.oneof({ arbitrary: fc.nat(), weight: 4 }, fc.integer(), fc.double(), fc.maxSafeNat()),
  racy: fc.oneof(fc.constant(true), fc.constant(false), fc.constant(1)),
}, { requiredKeys: [] });

Deno.test("readDoneLine reads a line as decodeRecord does, or hands it back", () => {
  let fast = 0;
  fc.assert(
    fc.property(doneArb, (fields) => {
      const line = frameLine(fields).slice(0, -1);
      const got = readDoneLine(encoder.encode(line));
      if (got === null) return;
      fast++;
      const general = decodeRecord(line);
      assert(!isFailure(general), `${line}: ${JSON.stringify(general)}`);
      assertEquals(got, general, line);
    }),
    { numRuns: 4000 },
  );
  assert(fast > 100, `only ${fast} lines took the fast way`);
});

Deno.test("readDoneLine takes the writer's done records and hands back every changed byte", () => {
  const lines = [
    {
      seq: 258,
      ts: "2026-12-07T05:37:44.731Z",
      type: "done",
      ref: 2,
      hash: "0".repeat(32),
      bytes: 1002,
    },
    { seq: 9, ts: "2026-12-07T05:37:44.731Z", type: "done", ref: 8, racy: true },
    { seq: 1, ts: "", type: "done", ref: 1, bytes: 0, racy: true },
    { seq: 999_999_999_999_999, ts: "x", type: "done", ref: 999_999_999_999_999 },
  ].map((fields) => frameLine(fields).slice(0, -1));
  for (const line of lines) {
    const bytes = encoder.encode(line);
    assertEquals(readDoneLine(bytes), decodeRecord(line), line);
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x20, 0x80]) {
        const bad = bytes.slice();
        bad[i]! ^= flip;
        assertEquals(readDoneLine(bad), null, `${line}: byte ${i} ^ ${flip}`);
      }
    }
  }
  // A seq or ref out of range and a racy false go the general way (which reads or refuses them).
  for (
    const fields of [
      { seq: 0, ts: "", type: "done", ref: 1 },
      { seq: 1, ts: "", type: "done", ref: 0 },
      { seq: 1, ts: "", type: "done", ref: 1, racy: false },
      { seq: 1, ts: "", type: "done", ref: 1, bytes: -1 },
      { seq: 1e16, ts: "", type: "done", ref: 1 },
      { ts: "", seq: 1, type: "done", ref: 1 },
    ]
  ) {
    assertEquals(readDoneLine(encoder.encode(frameLine(fields).slice(0, -1))), null);
  }
});
