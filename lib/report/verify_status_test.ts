import { assertEquals } from "../../testing/assert.ts";
import type { VerifyProgress } from "../engine/verify_rolling.ts";
import { periodText, roundPercent, verifyStatusText } from "./verify_status.ts";

const DAY = 86_400_000;
const time = (iso: string) => iso.slice(0, 16).replace("T", " ");

Deno.test("periodText: the largest unit that divides the period", () => {
  assertEquals(periodText(30 * DAY), "30d");
  assertEquals(periodText(36 * 3_600_000), "36h");
  assertEquals(periodText(90_000), "90s");
  assertEquals(periodText(2_000), "2s");
  assertEquals(periodText(120_000), "2m");
});

Deno.test("verifyStatusText: a round under way, then between rounds", () => {
  const during: VerifyProgress = {
    periodMs: 30 * DAY,
    round: {
      startedAt: "2026-12-01T10:00:00.000Z",
      dueAt: "2026-12-31T10:00:00.000Z",
      files: 256,
      totalFiles: 300,
      bytes: 2_560,
      totalBytes: 6_000,
      mismatches: 1,
    },
    nextRoundAt: null,
    lastRound: null,
  };
  assertEquals(roundPercent(during.round!), 42);
  assertEquals(
    verifyStatusText(during, time, true),
    "every 30d; round 42% done (256 of 300 files, 2.6 kB of 6.0 kB), started 2026-12-01 10:00, " +
      "due by 2026-12-31 10:00, 1 mismatch so far; no full round finished yet",
  );
  const between: VerifyProgress = {
    periodMs: 30 * DAY,
    round: null,
    nextRoundAt: "2026-12-31T10:00:00.000Z",
    lastRound: { endedAt: "2026-12-30T09:00:00.000Z", files: 300, bytes: 500, mismatches: 0 },
  };
  assertEquals(
    verifyStatusText(between, time, true),
    "every 30d; next round 2026-12-31 10:00; last full round finished 2026-12-30 09:00 " +
      "(300 files, 500 B, 0 mismatches)",
  );
  assertEquals(
    verifyStatusText(between, time, false),
    "every 30d; last full round finished 2026-12-30 09:00 (300 files, 500 B, 0 mismatches) " +
      "(the daemon is not running)",
  );
});
