/**
 * `--schedule 'CRON'`: full passes at set times (standard five-field cron, or six fields with
 * seconds first), through the `croner` package, in the local time zone or in `--schedule-tz`.
 *
 * @module
 */

import { Cron } from "croner";
import { UsageError } from "../base/errors.ts";

/** A parsed schedule: when the next full pass is due. */
export interface Schedule {
  /** The cron expression as given. */
  readonly text: string;
  /** The IANA time zone it is read in, or null for the machine's local time. */
  readonly zone: string | null;
  /** The first run strictly after `after` (ms since the epoch), or null if none is left. */
  next(after: number): number | null;
}

/** A few examples for the error messages. */
const EXAMPLES = `"0 2 * * *" (02:00 every night), "30 */4 * * 1-5" (every 4 hours on weekdays)`;

/**
 * Checks an IANA time zone name (`Europe/Paris`, `UTC`).
 *
 * @throws UsageError naming it.
 */
function checkZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    throw new UsageError(
      `--schedule-tz must be a time zone name such as "Europe/Paris" or "UTC", not "${zone}"`,
    );
  }
}

/**
 * Parses `--schedule` (and `--schedule-tz`, or null for local time). The expression must match
 * at least once in the future.
 *
 * @throws UsageError for a bad expression, a bad zone, or one that never runs.
 */
export function parseSchedule(text: string, zone: string | null = null): Schedule {
  if (zone !== null) checkZone(zone);
  let cron: Cron;
  try {
    cron = new Cron(text.trim(), {
      mode: "5-or-6-parts",
      paused: true,
      ...(zone !== null ? { timezone: zone } : {}),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern: /, "") : String(err);
    throw new UsageError(
      `--schedule must be a cron expression of five fields (minute hour day month weekday), ` +
        `such as ${EXAMPLES}, not "${text}": ${why}`,
      { cause: err },
    );
  }
  const schedule: Schedule = {
    text,
    zone,
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? null,
  };
  if (schedule.next(Date.now()) === null) {
    throw new UsageError(`--schedule "${text}" never runs (no such date); see \`backup --help\``);
  }
  return schedule;
}
