/**
 * The daemon command's flags: what `backup --src A --dest B ...` may say, and
 * its parsing into {@link RunOptions}. Pure (no file access), so the daemon
 * (`run.ts`), `--dry-run` (`dry_run.ts`), `--config` (`jobs.ts`) and
 * `config check` share it without importing one another.
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { DEFAULT_DELETE_LIMITS, type DeleteLimits } from "../engine/guard.ts";
import { type HookCommands, hookCommands } from "../daemon/hooks.ts";
import { type KeepRule, parseKeepVersions } from "../engine/versions.ts";
import { DEFAULT_JOURNAL_MAX_BYTES } from "../journal/compact.ts";
import { MAX_TIMER_SECONDS } from "../base/timing.ts";
import { parseSchedule, type Schedule } from "../daemon/schedule.ts";
import { parseVerifyEvery } from "../engine/verify_rolling.ts";
import {
  flag,
  type OptionTable,
  type Parsed,
  parseStrict,
  refuseRepeated,
  str,
  strs,
} from "./args.ts";

/** Options of the daemon command. */
export interface RunOptions {
  /** Source folder as given. */
  src: string;
  /** Destination folder as given (may be empty with `dryRun` only). */
  dest: string;
  /** Print the plan of one full pass and change nothing. */
  dryRun: boolean;
  /** JSON lines on stdout: the plan with `dryRun`, else events (see lib/report/events.ts). */
  json: boolean;
  /** `--exclude` patterns, in order. */
  exclude: string[];
  /** `--exclude-from` files, as given. */
  excludeFrom: string[];
  /** Delete excluded entries from the destination. */
  deleteExcluded: boolean;
  /** Seconds between passes. */
  interval: number;
  /** One pass, then exit. */
  once: boolean;
  /** Watch the source for live changes (hints between interval passes). */
  watch: boolean;
  /** Set the journal aside and rebuild the state from a full reconcile. */
  rebuildJournal: boolean;
  /** Re-record the source's identity (device, marker): a deliberate change of source disk. */
  newSource: boolean;
  /** Mirror into a non-empty destination that is not a backup of this source. */
  adoptDest: boolean;
  /** Apply a mass deletion the guard would hold. */
  confirmDeletes: boolean;
  /** Carry setuid and setgid bits over. */
  keepSetuid: boolean;
  /** Mass-delete guard limits. */
  deleteLimits: DeleteLimits;
  /** Journal size (bytes) past which it is compacted between passes. */
  journalMaxBytes: number;
  /** `--on-pass`/`--on-error` commands and their timeout. */
  hooks: HookCommands;
  /** Log file path, or undefined for the default. */
  logFile: string | undefined;
  /** JSON-lines log file. */
  logJson: boolean;
  /** Console verbosity. */
  console: "normal" | "quiet" | "verbose";
  /** `--keep-versions`: versioned trash and its pruning rule; null when off. */
  keepVersions: KeepRule | null;
  /** `--schedule` (with `--schedule-tz`): full passes at these times instead of every interval; null when off. */
  schedule?: Schedule | null;
  /** `--error-log`: a second log file that gets warnings and errors only. */
  errorLog?: string | undefined;
  /** `--verify-every`: the period of the rolling verification (ms); absent when off. */
  verifyEveryMs?: number;
  /** `--compress CODEC`: objects compressed in a bucket (issue 16); absent: stored plain. */
  compress?: "zstd" | "gzip";
  /** `--dest-sweep N`: full passes to list the whole destination once (issue 14); absent: default. */
  destSweep?: number;
}

/** The daemon's flags, in `node:util` parseArgs form. */
export const OPTIONS: OptionTable = {
  src: { type: "string" },
  dest: { type: "string" },
  interval: { type: "string" },
  compress: { type: "string" },
  once: { type: "boolean" },
  "no-watch": { type: "boolean" },
  "rebuild-journal": { type: "boolean" },
  "new-source": { type: "boolean" },
  "adopt-dest": { type: "boolean" },
  "confirm-deletes": { type: "boolean" },
  "keep-setuid": { type: "boolean" },
  "max-delete": { type: "string" },
  "max-delete-percent": { type: "string" },
  "journal-max-mb": { type: "string" },
  "log-file": { type: "string" },
  "log-json": { type: "boolean" },
  quiet: { type: "boolean" },
  verbose: { type: "boolean" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  exclude: { type: "string", multiple: true },
  "exclude-from": { type: "string", multiple: true },
  "delete-excluded": { type: "boolean" },
  "on-pass": { type: "string" },
  "on-error": { type: "string" },
  "hook-timeout": { type: "string" },
  "keep-versions": { type: "string" },
  // Issue 15 (the seed scripts' users): passes at set times, an errors-only log.
  schedule: { type: "string" },
  "schedule-tz": { type: "string" },
  "error-log": { type: "string" },
  "verify-every": { type: "string" },
  // Issue 14: the rolling sweep of the destination (lib/engine/dest_sweep.ts).
  "dest-sweep": { type: "string" },
};

/**
 * Parses `--journal-max-mb` (MiB, above 0; fractions allowed) into bytes.
 *
 * @throws UsageError when it is not a number above 0.
 */
export function parseJournalMaxMb(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_JOURNAL_MAX_BYTES;
  const mb = Number(raw);
  if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(mb > 0)) {
    throw new UsageError(`--journal-max-mb must be a number of MiB above 0, not "${raw}"`);
  }
  return Math.max(1, Math.round(mb * 1024 * 1024));
}

/** Parses a whole number flag (at most `max`), or returns the default. */
function whole(raw: string | undefined, name: string, fallback: number, max = Infinity): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n > max) {
    throw new UsageError(
      `${name} must be a whole number${max < Infinity ? ` from 0 to ${max}` : ""}, not "${raw}"`,
    );
  }
  return n;
}

/** Default seconds between passes. */
export const DEFAULT_INTERVAL = 60;

/**
 * Parses the daemon's flags (without `--help`/`--version`, which main handles).
 * With `commandLine` (what a person typed), a one-value flag given twice is
 * refused; a config job's argv repeats them on purpose (flags given beside
 * `--config` come last and override).
 *
 * @throws UsageError for a missing, unknown, repeated or bad flag.
 */
export function parseRunArgs(
  argv: string[],
  options: { commandLine?: boolean } = {},
): RunOptions {
  if (argv.some((a) => a === "--job" || a.startsWith("--job="))) {
    throw new UsageError(
      "--job needs --config FILE: it picks jobs of a config file; see `backup --help`",
    );
  }
  if (options.commandLine) refuseRepeated(argv, OPTIONS, "backup");
  const p = parseStrict(argv, OPTIONS, "backup");
  const src = str(p, "src");
  const dest = str(p, "dest");
  if (p.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${p.positionals[0]}"; see \`backup --help\``);
  }
  if (!src) throw new UsageError("missing --src DIR: the folder to back up; see `backup --help`");
  const dryRun = flag(p, "dry-run");
  if (!dest && !dryRun) {
    throw new UsageError("missing --dest DIR: where the mirror goes; see `backup --help`");
  }
  const raw = str(p, "interval");
  const interval = raw === undefined ? DEFAULT_INTERVAL : Number(raw);
  if (raw !== undefined && (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(interval > 0))) {
    throw new UsageError(`--interval must be a number of seconds above 0, not "${raw}"`);
  }
  if (interval > MAX_TIMER_SECONDS) {
    throw new UsageError(
      `--interval must be at most ${MAX_TIMER_SECONDS} seconds (24 days), not "${raw}"`,
    );
  }
  if (flag(p, "quiet") && flag(p, "verbose")) {
    throw new UsageError("--quiet and --verbose cannot be used together");
  }
  return {
    src,
    dest: dest ?? "",
    dryRun,
    json: flag(p, "json"),
    exclude: strs(p, "exclude"),
    excludeFrom: strs(p, "exclude-from"),
    deleteExcluded: flag(p, "delete-excluded"),
    interval,
    once: flag(p, "once"),
    watch: !flag(p, "no-watch"),
    rebuildJournal: flag(p, "rebuild-journal"),
    newSource: flag(p, "new-source"),
    adoptDest: flag(p, "adopt-dest"),
    confirmDeletes: flag(p, "confirm-deletes"),
    keepSetuid: flag(p, "keep-setuid"),
    deleteLimits: {
      maxCount: whole(str(p, "max-delete"), "--max-delete", DEFAULT_DELETE_LIMITS.maxCount),
      maxShare: whole(str(p, "max-delete-percent"), "--max-delete-percent", 50, 100) / 100,
    },
    journalMaxBytes: parseJournalMaxMb(str(p, "journal-max-mb")),
    hooks: hookCommands({
      onPass: str(p, "on-pass"),
      onError: str(p, "on-error"),
      timeout: str(p, "hook-timeout"),
    }),
    logFile: str(p, "log-file"),
    logJson: flag(p, "log-json"),
    console: flag(p, "quiet") ? "quiet" : flag(p, "verbose") ? "verbose" : "normal",
    keepVersions: keepVersionsArg(str(p, "keep-versions")),
    ...optionalArgs(p),
    ...verifyEveryArg(str(p, "verify-every")),
    ...compressArg(str(p, "compress"), dest ?? ""),
    ...destSweepArg(str(p, "dest-sweep")),
  };
}

/**
 * `--dest-sweep N` (1 or more), as the optional field of {@link RunOptions}.
 *
 * @throws UsageError when it is not a whole number from 1.
 */
function destSweepArg(raw: string | undefined): { destSweep?: number } {
  if (raw === undefined) return {};
  const n = whole(raw, "--dest-sweep", 0, 1_000_000);
  if (n < 1) throw new UsageError(`--dest-sweep must be a whole number from 1, not "${raw}"`);
  return { destSweep: n };
}

/** `--schedule` and `--error-log`, present only when given (older option literals stay valid). */
function optionalArgs(p: Parsed): Pick<RunOptions, "schedule" | "errorLog"> {
  const schedule = scheduleArg(p);
  const errorLog = str(p, "error-log");
  return { ...(schedule ? { schedule } : {}), ...(errorLog !== undefined ? { errorLog } : {}) };
}

/**
 * `--schedule CRON` with `--schedule-tz ZONE`, or null when absent.
 *
 * @throws UsageError for a bad expression or zone, or a zone without a schedule.
 */
function scheduleArg(p: Parsed): Schedule | null {
  const text = str(p, "schedule");
  const zone = str(p, "schedule-tz");
  if (text === undefined) {
    if (zone !== undefined) {
      throw new UsageError("--schedule-tz needs --schedule 'CRON': the times it applies to");
    }
    return null;
  }
  const schedule = parseSchedule(text, zone ?? null);
  // `--once` is one pass now, whatever the schedule: `backup --config FILE --once` runs every job.
  return flag(p, "once") ? null : schedule;
}

/** `--verify-every PERIOD`, as the optional field of {@link RunOptions}. */
function verifyEveryArg(raw: string | undefined): { verifyEveryMs?: number } {
  return raw === undefined ? {} : { verifyEveryMs: parseVerifyEvery(raw) };
}

/**
 * `--compress zstd|gzip`, for a bucket only (a local mirror stays plain files).
 *
 * @throws UsageError for another codec, or a destination that is a folder.
 */
function compressArg(raw: string | undefined, dest: string): { compress?: "zstd" | "gzip" } {
  if (raw === undefined) return {};
  if (raw !== "zstd" && raw !== "gzip") {
    throw new UsageError(`--compress must be zstd or gzip, not "${raw}"`);
  }
  if (!/^(s3|azure):\/\//i.test(dest)) {
    throw new UsageError(
      `--compress is for a bucket (--dest s3://... or azure://...): a mirror in a folder stays plain files; drop --compress`,
    );
  }
  return { compress: raw };
}

/** `--keep-versions RULE`, or null when absent. */
function keepVersionsArg(raw: string | undefined): KeepRule | null {
  return raw === undefined ? null : parseKeepVersions(raw);
}
