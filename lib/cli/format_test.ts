import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import {
  columns,
  confirmedLine,
  confirmedText,
  heldLine,
  parseCount,
  parseTime,
} from "./format.ts";

Deno.test("parseTime() reads local times, zoned ISO times and ages", () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  assertEquals(parseTime("2026-11-22T10:00", "--since"), new Date(2026, 10, 22, 10, 0).getTime());
  assertEquals(
    parseTime("2026-11-22 10:00:30", "--since"),
    new Date(2026, 10, 22, 10, 0, 30).getTime(),
  );
  assertEquals(parseTime("2026-11-22", "--since"), new Date(2026, 10, 22).getTime());
  assertEquals(parseTime("2026-11-22T10:00:00Z", "--since"), Date.UTC(2026, 10, 22, 10));
  assertEquals(
    parseTime("2026-11-22T10:00:00.500+02:00", "--since"),
    Date.UTC(2026, 10, 22, 8, 0, 0, 500),
  );
  assertEquals(parseTime("2h", "--since", now), now - 2 * 3600_000);
  assertEquals(parseTime("90s", "--since", now), now - 90_000);
  assertEquals(parseTime("7d", "--since", now), now - 7 * 86400_000);
  assertEquals(parseTime("now", "--until", now), now);
  for (const bad of ["yesterday", "2026-13-45", "10:00", "2h30m", "", "-2h"]) {
    assertThrows(() => parseTime(bad, "--since", now), UsageError, "--since");
  }
});

Deno.test("parseTime() refuses times whose year is not four digits (an age of 1000000000000d)", () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  for (const far of ["1000000000000d", "1e400d", "400000d", "99999-01-01", "0999-12-31"]) {
    const err = assertThrows(() => parseTime(far, "--at", now), UsageError);
    assertEquals(err.message.includes("NaN"), false, err.message);
  }
  assertEquals(
    parseTime("200000d", "--at", now),
    now - 200_000 * 86400_000,
    "the year 1479 is fine",
  );
  assertEquals(parseTime("9999-12-31T23:00Z", "--at", now), Date.UTC(9999, 11, 31, 23));
});

Deno.test("parseCount() takes whole numbers above 0 only", () => {
  assertEquals(parseCount("12", "--limit"), 12);
  for (const bad of ["0", "-1", "1.5", "ten", ""]) {
    assertThrows(() => parseCount(bad, "--limit"), UsageError);
  }
});

Deno.test("columns() pads every cell but the last", () => {
  assertEquals(columns(["a", "bb", "c"], [3, 3]), "a    bb   c");
});

Deno.test("confirmedLine(): the confirmation's words, its text column where a hold's is", () => {
  const ts = "2026-11-22T10:00:00.000Z";
  const confirmed = { type: "confirmed" as const, seq: 12, ts, ref: 9, count: 3 };
  assertEquals(
    confirmedText({ ...confirmed, sample: ["a", "b"] }),
    "3 held deletions confirmed (held at seq 9): a, b, ...; applied by this pass",
  );
  assertEquals(
    confirmedText(confirmed),
    "3 held deletions confirmed (held at seq 9); applied by this pass",
    "its hold no longer in the journal",
  );
  const held = heldLine({ type: "held", seq: 9, ts, count: 3, tracked: 5, sample: ["a"] });
  const line = confirmedLine(confirmed);
  assertEquals(line.indexOf("3 held deletions"), held.indexOf("3 deletions held"));
  assertEquals(line.indexOf("CONFIRMED"), held.indexOf("HELD") + 2, "after the wider op");
});
