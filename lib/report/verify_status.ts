/**
 * The words of the rolling verification's progress (`--verify-every`): one
 * line for `backup status` and the dashboard's overview, built from the
 * {@link VerifyProgress} the daemon writes into `status.json`.
 *
 * @module
 */

import type { VerifyProgress } from "../engine/verify_rolling.ts";
import { formatBytes, plural } from "../base/units.ts";

const UNITS: [number, string][] = [[86_400_000, "d"], [3_600_000, "h"], [60_000, "m"]];

/** A period as `--verify-every` takes it: `30d`, `12h`, `90m`, `45s`. */
export function periodText(ms: number): string {
  for (const [size, unit] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/** How far a round is, in whole percent of its bytes (of its files when they hold none). */
export function roundPercent(round: NonNullable<VerifyProgress["round"]>): number {
  const share = round.totalBytes > 0
    ? round.bytes / round.totalBytes
    : round.totalFiles > 0
    ? round.files / round.totalFiles
    : 1;
  return Math.floor(Math.min(1, share) * 100);
}

/**
 * The progress in one line: the round under way (files and bytes verified of its total, when
 * it started and is due, mismatches so far) or the next round's start, then the last full
 * round. `time` shows an ISO time; `live`: a daemon is running (else no next round is shown).
 */
export function verifyStatusText(
  p: VerifyProgress,
  time: (iso: string) => string,
  live: boolean,
): string {
  const parts = [`every ${periodText(p.periodMs)}`];
  const r = p.round;
  if (r !== null) {
    parts.push(
      `round ${roundPercent(r)}% done (${r.files} of ${plural(r.totalFiles, "file")}, ${
        formatBytes(r.bytes)
      } of ${formatBytes(r.totalBytes)}), started ${time(r.startedAt)}, due by ${time(r.dueAt)}, ${
        plural(r.mismatches, "mismatch")
      } so far`,
    );
  } else if (live && p.nextRoundAt !== null) {
    parts.push(`next round ${time(p.nextRoundAt)}`);
  }
  const last = p.lastRound;
  parts.push(
    last === null
      ? "no full round finished yet"
      : `last full round finished ${time(last.endedAt)} (${plural(last.files, "file")}, ${
        formatBytes(last.bytes)
      }, ${plural(last.mismatches, "mismatch")})`,
  );
  return parts.join("; ") + (live ? "" : " (the daemon is not running)");
}
