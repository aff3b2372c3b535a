import { assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { parseSchedule } from "./schedule.ts";

Deno.test("parseSchedule: five fields, in a given time zone", () => {
  const s = parseSchedule("0 21 * * *", "Europe/Paris");
  const next = s.next(Date.parse("2026-12-06T19:00:00Z"));
  assertEquals(new Date(next!).toISOString(), "2026-12-06T20:00:00.000Z");
  // Strictly after: at the run time itself, the next one is a day later.
  assertEquals(new Date(s.next(next!)!).toISOString(), "2026-12-07T20:00:00.000Z");
  assertEquals(s.zone, "Europe/Paris");
});

Deno.test("parseSchedule: six fields have seconds first", () => {
  const s = parseSchedule("*/2 * * * * *", "UTC");
  assertEquals(
    new Date(s.next(Date.parse("2026-12-06T19:00:01.500Z"))!).toISOString(),
    "2026-12-06T19:00:02.000Z",
  );
});

Deno.test("parseSchedule: bad expressions, zones and dates are usage errors naming the flag", () => {
  for (
    const [text, zone, want] of [
      ["0 21 * *", null, /--schedule must be a cron expression of five fields/],
      ["61 * * * *", null, /minute/],
      ["0 0 0 21 * * 2030", null, /--schedule/],
      ["0 21 * * *", "Mars/Olympus", /--schedule-tz .*"Mars\/Olympus"/],
      ["0 0 30 2 *", null, /never runs/],
    ] as const
  ) {
    const err = assertThrows(() => parseSchedule(text, zone), UsageError);
    assertMatch(err.message, want, text);
  }
});
