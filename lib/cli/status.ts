/**
 * `backup status --dest B [--json]`: is a daemon running, what did its last
 * pass do, how big is the journal, what failed lately. Read-only: it probes
 * the lock without keeping it, and reads the journal without repairing it.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { EXIT, JournalCorruptError, RootError, UsageError } from "../base/errors.ts";
import { absolute } from "../base/paths.ts";
import { probeLock } from "../dest/reserved.ts";
import { ReservedFolder } from "../dest/reserved_folder.ts";
import { formatBytes } from "../base/units.ts";
import { readStatus, type ScheduleStatus, type StatusData } from "../report/status.ts";
import { journalUsage } from "../journal/compact.ts";
import { OpJoiner, type OpRow } from "../journal/history.ts";
import { intentUnsafeReason, isRefusalClose } from "../journal/record_check.ts";
import { readJournal, type ReadSummary } from "../journal/reader.ts";
import { journalDir } from "../base/layout.ts";
import { flag, type OptionTable, parseStrict, refuseRepeated, str } from "./args.ts";
import { columns, localOf, pathText, plural, rowJson } from "./format.ts";
import { BUSY_PREFIX } from "../engine/busy.ts";
import { verifyStatusText } from "../report/verify_status.ts";

/** Help text of `backup status`. */
export const HELP = `backup status: what the backup of a destination is doing

Usage:
  backup status --dest DIR [--json]
  backup status --config FILE [--job NAME]... [--json]

Says whether a daemon is running on DIR (and its pid), what its last pass did
and when, the totals since it started, the journal's size, the operations left
unfinished, and the latest failures. Only reads: it works while a daemon runs.
--json prints one JSON object. With --verify-every, the "verify:" line (JSON
"verify") says how far the rolling verification's round is, and when the last
full round finished with how many mismatches. With --config, the status of
every enabled job (or of the --job names), each under a "== job NAME" line
(with --json, one object per job with a "job" field; a job that never ran has
"backedUp": false).

Exit codes: 0 ok, 2 bad usage or no backup in DIR, 3 journal corrupt.
`;

/** Parsed `status` arguments. */
export interface StatusOptions {
  /** Destination root as given. */
  dest: string;
  /** One JSON object. */
  json: boolean;
  /** How the destination is shown, when not as `dest` (a bucket's URL for its local stand-in). */
  shown?: string;
}

const OPTIONS: OptionTable = { dest: { type: "string" }, json: { type: "boolean" } };

/**
 * Parses `backup status ...` arguments (after the word `status`).
 *
 * @throws UsageError on a bad flag.
 */
export function parseStatusArgs(argv: string[]): StatusOptions {
  if (argv.some((a) => a === "--job" || a.startsWith("--job="))) {
    throw new UsageError(
      "--job needs --config FILE: backup status --config FILE --job NAME; see `backup status --help`",
    );
  }
  refuseRepeated(argv, OPTIONS, "backup status");
  const p = parseStrict(argv, OPTIONS, "backup status");
  const dest = str(p, "dest");
  if (!dest) throw new UsageError("missing --dest DIR; see `backup status --help`");
  return { dest, json: flag(p, "json") };
}

/** What the status command needs. */
export interface StatusDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory. */
  cwd: string;
  /** Prints one line to stdout. */
  out: (line: string) => void;
}

/**
 * The `--schedule` of the daemon that wrote the status file, or null: its next run only while
 * that daemon runs (a stopped daemon runs nothing).
 */
function scheduleOf(status: StatusData | null, live: boolean): ScheduleStatus | null {
  const s = status?.schedule;
  if (!s) return null;
  return { ...s, nextRun: live ? s.nextRun : null };
}

/** Failures kept for the report. */
const RECENT = 5;

/**
 * Runs `status`. Returns the exit code (3 when the journal is corrupt).
 *
 * @throws UsageError when DIR holds no backup.
 */
export function runStatus(opts: StatusOptions, deps: StatusDeps): number {
  const dest = absolute(opts.dest, deps.cwd);
  // DEST/.backup is read through its pin, never through a symlink planted in it (issue 12).
  let reserved: ReservedFolder;
  try {
    reserved = ReservedFolder.openExisting(deps.fs, dest);
  } catch (err) {
    if (err instanceof RootError) throw err;
    throw new UsageError(`no backup in "${opts.dest}" (no ${journalDir(dest)}); has it run yet?`);
  }
  try {
    return statusPinned(opts, { ...deps, fs: reserved.fs }, dest, opts.shown ?? dest);
  } finally {
    reserved.close();
  }
}

/** {@link runStatus} with `deps.fs` reaching `dest/.backup` through its pin. */
function statusPinned(
  opts: StatusOptions,
  deps: StatusDeps,
  dest: string,
  shown: string,
): number {
  const { fs } = deps;
  const dir = journalDir(dest);
  try {
    fs.lstat(dir);
  } catch {
    throw new UsageError(`no backup in "${opts.dest}" (no ${dir}); has it run yet?`);
  }
  const lock = probeLock(fs, dest);
  const status = readStatus(fs, dest);
  const usage = journalUsage(fs, dir);

  let summary: ReadSummary | null = null;
  let corrupt: string | null = null;
  const unfinished = new Set<number>();
  /** Intents replay refuses (a path that could lead outside the destination), not closed yet. */
  const refused = new Set<number>();
  const recent: OpRow[] = [];
  const keep = (row: OpRow) => {
    // A busy file's try (still being written, tried again) is not a failure.
    if (row.outcome !== "failed" || row.error?.startsWith(BUSY_PREFIX)) return;
    recent.push(row);
    if (recent.length > RECENT) recent.shift();
  };
  let joiner = new OpJoiner(keep);
  try {
    summary = readJournal(fs, dir, {
      repair: false,
      onPending: (i) => {
        unfinished.add(i.seq);
        joiner.pending(i);
      },
      onReset: () => {
        unfinished.clear();
        refused.clear();
        joiner = new OpJoiner(keep);
      },
      onRecord: (rec) => {
        // A refused intent is never applied: it is not waiting to be, whatever the journal says.
        if (rec.type === "intent") (intentUnsafeReason(rec) ? refused : unfinished).add(rec.seq);
        else if (rec.type === "done" || rec.type === "failed") {
          unfinished.delete(rec.ref);
          if (isRefusalClose(rec)) refused.delete(rec.ref);
        }
        joiner.record(rec);
      },
    });
  } catch (err) {
    if (!(err instanceof JournalCorruptError)) throw err;
    corrupt = err.message;
  }
  joiner.finish();

  const running = lock.held;
  const daemon = running
    ? {
      running: true,
      pid: lock.pid,
      startedAt: status?.pid === lock.pid ? status.startedAt : null,
    }
    : { running: false, pid: null, lastPid: status?.pid ?? lock.pid, startedAt: null };
  if (opts.json) {
    deps.out(JSON.stringify({
      dest: shown,
      source: status?.source ?? summary?.source ?? null,
      ...daemon,
      lastPass: status?.lastPass ?? null,
      schedule: scheduleOf(status, running && status?.pid === lock.pid),
      verify: status?.verify ?? null,
      totals: status?.totals ?? null,
      statusUpdatedAt: status?.updatedAt ?? null,
      journal: {
        bytes: usage.totalBytes,
        segments: usage.segments,
        checkpoint: summary?.checkpoint ?? null,
        records: summary?.records ?? null,
        lastSeq: summary?.lastSeq ?? null,
        lastTs: summary?.lastTs ?? null,
        tornTail: summary?.tornTail ?? null,
        corrupt,
      },
      unfinished: unfinished.size,
      refused: refused.size,
      recentFailures: recent.map((r) => JSON.parse(rowJson(r))),
    }));
    return corrupt ? EXIT.JOURNAL_CORRUPT : EXIT.OK;
  }

  const line = (label: string, text: string) => deps.out(columns([label, text], [11]));
  deps.out(`backup status of ${shown}`);
  if (running) {
    line(
      "daemon:",
      `running${lock.pid !== null ? ` (pid ${lock.pid})` : ""}${
        daemon.startedAt ? `, since ${localOf(daemon.startedAt)}` : ""
      }`,
    );
  } else {
    line(
      "daemon:",
      `not running${
        status
          ? ` (last: pid ${status.pid}, ${localOf(status.startedAt)} to ${
            localOf(status.updatedAt)
          })`
          : ""
      }`,
    );
  }
  const source = status?.source ?? summary?.source;
  if (source) line("source:", source);
  const schedule = scheduleOf(status, running && status?.pid === lock.pid);
  if (schedule) {
    const zone = schedule.zone ? ` (${schedule.zone})` : "";
    line(
      "next run:",
      schedule.nextRun === null
        ? `none (schedule "${schedule.cron}"${zone}${running ? "" : "; the daemon is not running"})`
        : `${localOf(schedule.nextRun)} (schedule "${schedule.cron}"${zone})`,
    );
  }
  if (status?.verify) {
    line("verify:", verifyStatusText(status.verify, localOf, running && status.pid === lock.pid));
  }
  const lp = status?.lastPass;
  if (lp) {
    const n = (k: string) => (typeof lp[k] === "number" ? lp[k] as number : 0);
    line(
      "last pass:",
      `${localOf(lp.endedAt)} (pass ${lp.pass}, ${lp.trigger}, ${
        (lp.durationMs / 1000).toFixed(2)
      } s): ` +
        (lp.skipped !== null
          ? `skipped: ${lp.skipped}`
          : `${lp.copied} copied (${formatBytes(lp.bytes)}), ${
            n("moved")
          } moved, ${lp.deleted} deleted, ${plural(n("dirs"), "folder")} created, ${
            plural(n("links"), "symlink")
          } created, ${n("meta")} updated, ${plural(lp.failed, "error")}` +
            (n("busy") > 0 ? `, ${n("busy")} busy (still being written, tried again)` : "") +
            (n("held") > 0
              ? `; ${
                plural(n("held"), "deletion")
              } HELD by the mass-delete guard (to apply them: \`backup confirm --dest ${shown}\` while the daemon runs, or run once with --confirm-deletes)`
              : "")),
    );
    const t = status!.totals;
    line(
      "totals:",
      `${plural(status!.passes, "pass")} since ${localOf(status!.startedAt)}: ${t.copied} copied (${
        formatBytes(t.bytes)
      }), ${t.deleted} deleted, ${plural(t.failed, "error")}`,
    );
  } else {
    line(
      "last pass:",
      summary?.lastTs ? `unknown (last journal record ${localOf(summary.lastTs)})` : "none yet",
    );
  }
  const cp = summary?.checkpoint;
  line(
    "journal:",
    `${formatBytes(usage.totalBytes)} in ${plural(usage.segments, "segment")}${
      cp ? ` + checkpoint (seq ${cp.seq}, ${localOf(cp.ts)})` : ""
    }` +
      (summary
        ? `, ${plural(summary.records, "record")}, last seq ${summary.lastSeq}${
          summary.lastTs ? ` at ${localOf(summary.lastTs)}` : ""
        }`
        : ""),
  );
  if (corrupt) {
    line("", `CORRUPT: ${corrupt}`);
    line(
      "",
      "a start refuses this journal (exit 3); `backup --src SRC --dest DEST --rebuild-journal` " +
        "sets it aside and rebuilds the state",
    );
  }
  if (summary?.tornTail) {
    line(
      "",
      `torn tail at ${summary.tornTail.segment} byte ${summary.tornTail.offset}${
        running
          ? " (probably a write in progress)"
          : corrupt
          ? ""
          : " (the next start truncates it)"
      }`,
    );
  }
  line(
    "unfinished:",
    `${plural(unfinished.size, "operation")}${
      unfinished.size === 0
        ? ""
        : running
        ? " (being applied)"
        : corrupt
        ? " before the corruption (re-checked once the journal is rebuilt)"
        : " (the next start, or `backup journal replay`, re-checks them)"
    }`,
  );
  if (refused.size > 0) {
    line(
      "refused:",
      `${plural(refused.size, "unsafe record")} (paths that could lead outside the destination), ` +
        "never applied; `backup journal verify` lists them",
    );
  }
  if (recent.length === 0) {
    line("failures:", "none in the journal");
  } else {
    line("failures:", `latest ${recent.length} (see \`backup journal show --failed\`):`);
    for (const r of recent) line("", `${localOf(r.ts)}  ${r.op}  ${pathText(r)}`);
  }
  return corrupt ? EXIT.JOURNAL_CORRUPT : EXIT.OK;
}
