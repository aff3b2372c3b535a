/**
 * Output helpers shared by the journal and status commands: times given on
 * the command line, aligned columns, and the human form of operation rows.
 *
 * @module
 */

import type { OpRow } from "../journal/history.ts";
import type { ConfirmedRecord, HeldRecord } from "../journal/record.ts";
import type { CheckpointInfo } from "../journal/checkpoint.ts";
import { UsageError } from "../base/errors.ts";
import { localTime } from "../report/log.ts";
import { showPath } from "../base/paths.ts";
import { formatBytes } from "../base/units.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a time given on the command line into ms since the epoch:
 * `2026-11-22T10:00`, `2026-11-22 10:00:30` or `2026-11-22` (local time),
 * any ISO 8601 time with a zone (`...Z`, `...+02:00`), `now`, or an age
 * such as `30m`, `2h`, `7d` (that long before `now`).
 *
 * @throws UsageError naming the flag.
 */
export function parseTime(text: string, flagName: string, now: number = Date.now()): number {
  const t = text.trim();
  if (t === "now") return now;
  const age = /^(\d+(?:\.\d+)?)([smhd])$/.exec(t);
  if (age) return inRange(now - Number(age[1]) * UNITS[age[2]!]!, text, flagName);
  let iso = t.replace(" ", "T");
  if (/^\d{4}-\d\d-\d\d$/.test(iso)) iso += "T00:00"; // date only: local midnight, not UTC
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/.test(iso)
    ? Date.parse(iso)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `${flagName} takes a time like 2026-11-22T10:00, "2026-11-22 10:00", 2026-11-22 or an age like 2h, not "${text}"`,
    );
  }
  return inRange(ms, text, flagName);
}

/**
 * `ms` when it is a time with a four-digit year: outside, a date cannot be printed back
 * (`--at 1000000000000d` printed `NaN-NaN-NaN`).
 *
 * @throws UsageError naming the flag.
 */
function inRange(ms: number, text: string, flagName: string): number {
  if (Number.isFinite(ms) && ms >= TIME_RANGE_MS.first && ms <= TIME_RANGE_MS.last) return ms;
  throw new UsageError(
    `${flagName} "${text}" is out of range: give a time between the years 1000 and 9999`,
  );
}

/** The times {@link parseTime} accepts: the years 1000 to 9999 (UTC), the ones printed with four digits. */
const TIME_RANGE_MS = {
  first: Date.parse("1000-01-01T00:00:00Z"),
  last: Date.parse("9999-12-31T23:59:59.999Z"),
} as const;

/** Local time of an ISO timestamp (`2026-11-22 14:32:15`), or the text itself when it does not parse. */
export function localOf(iso: string | undefined): string {
  if (iso === undefined) return "";
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? localTime(ms) : iso;
}

/** Pads cells to the given widths and joins them with two spaces; the last cell is not padded. */
export function columns(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join("  ")
    .trimEnd();
}

/** Column widths of {@link rowHeader} / {@link rowLine}. */
const ROW_WIDTHS = [19, 8, 7, 11, 6, 9];

/** Header line of the operation table. */
export function rowHeader(): string {
  return columns(["TIME", "SEQ", "OP", "OUTCOME", "WHY", "SIZE", "PATH"], ROW_WIDTHS);
}

/** The outcome column: `done`, `FAILED`, `REFUSED`, `interrupted`, `unfinished`. */
export function outcomeText(row: OpRow): string {
  switch (row.outcome) {
    case "done":
      return "done";
    case "failed":
      return "FAILED";
    case "refused":
      return "REFUSED";
    case "interrupted":
      return "interrupted";
    case "pending":
      return "unfinished";
  }
}

/** The path column: `path`, or `from -> path` for a move, then the error if any. */
export function pathText(row: OpRow): string {
  let text = row.from !== undefined
    ? `${showPath(row.from)} -> ${showPath(row.path)}`
    : showPath(row.path);
  if (row.op === "symlink" && row.target !== undefined) text += ` -> ${showPath(row.target)}`;
  if (row.version !== undefined) text += `  [old file kept as version ${showPath(row.version)}]`;
  if (row.error !== undefined) text += `  (${row.error})`;
  return text;
}

/** One aligned line of the operation table. */
export function rowLine(row: OpRow): string {
  const size = row.op === "copy" ? formatBytes(row.bytes ?? row.size ?? 0) : "";
  return columns(
    [localOf(row.ts), String(row.seq), row.op, outcomeText(row), row.reason, size, pathText(row)],
    ROW_WIDTHS,
  );
}

/** The words of a mass-delete hold: how many deletions, of how many entries, a few names. */
export function heldText(held: HeldRecord): string {
  const more = held.count > held.sample.length ? ", ..." : "";
  return `${held.count} deletions held (of ${held.tracked} entries; nothing deleted): ${
    held.sample.map(showPath).join(", ")
  }${more}; apply them with --confirm-deletes (or backup confirm while the daemon runs)`;
}

/** One aligned line of a mass-delete hold, in the operation table. */
export function heldLine(held: HeldRecord): string {
  return columns(
    [localOf(held.ts), String(held.seq), "held", "HELD", "", "", heldText(held)],
    ROW_WIDTHS,
  );
}

/**
 * A `confirmed` record as shown: with the sample of paths of the hold it confirmed (its `ref`),
 * when the journal still holds that `held` record.
 */
export type ConfirmedShown = ConfirmedRecord & { sample?: string[] };

/** The words of a confirmation: how many held deletions, which hold, a few names. */
export function confirmedText(confirmed: ConfirmedShown): string {
  const sample = confirmed.sample ?? [];
  const more = confirmed.count > sample.length && sample.length > 0 ? ", ..." : "";
  const names = sample.length > 0 ? `: ${sample.map(showPath).join(", ")}${more}` : "";
  return `${confirmed.count} held deletions confirmed (held at seq ${confirmed.ref})${names}; ` +
    `applied by this pass`;
}

/**
 * `widths` with the OP column 2 wider and the OUTCOME column 2 narrower: room for `confirmed`
 * beside `CONFIRMED`, the columns after them where they are on every other line.
 */
export function confirmedWidths(widths: readonly number[]): number[] {
  return widths.map((w, i) => (i === 2 ? w + 2 : i === 3 ? w - 2 : w));
}

/** One aligned line of a confirmation (`backup confirm` taken), in the operation table. */
export function confirmedLine(confirmed: ConfirmedShown): string {
  return columns(
    [
      localOf(confirmed.ts),
      String(confirmed.seq),
      "confirmed",
      "CONFIRMED",
      "",
      "",
      confirmedText(confirmed),
    ],
    confirmedWidths(ROW_WIDTHS),
  );
}

/** A row as one JSON line (`type: "op"`). */
export function rowJson(row: OpRow, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: "op", ...row, ...extra });
}

/** A checkpoint as one JSON line (`type: "checkpoint"`). */
export function checkpointJson(cp: CheckpointInfo): string {
  return JSON.stringify({
    type: "checkpoint",
    name: cp.name,
    seq: cp.seq,
    ts: cp.ts,
    entries: cp.entries,
    pending: cp.pending,
  });
}

/**
 * Parses a positive whole number given to `flagName`.
 *
 * @throws UsageError when it is not one.
 */
export function parseCount(text: string, flagName: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flagName} must be a whole number above 0, not "${text}"`);
  }
  return n;
}

/** `1 segment`, `2 segments`, `1 entry`, `2 entries` (see lib/base/units.ts). */
export { plural } from "../base/units.ts";
