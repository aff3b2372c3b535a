/**
 * What the dashboard's pages show, each answer built by the same code as the
 * command that prints it: `status` (the status file and the lock), `journal
 * show` and `journal why` (their `--json` lines), the versions listing of
 * `--keep-versions`, and `restore`.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { isAtOrBelow } from "../base/paths.ts";
import { probeLock } from "../dest/reserved.ts";
import { listVersions } from "../engine/versions.ts";
import { readStatus, type StatusData } from "../report/status.ts";
import { fullPassGap } from "../daemon/daemon.ts";
import { runShow } from "../cli/journal_show.ts";
import { runWhy } from "../cli/journal_why.ts";
import type { JournalDeps, ShownOp } from "../cli/journal_common.ts";
import { localOf, parseTime } from "../cli/format.ts";
import { verifyStatusText } from "../report/verify_status.ts";
import type { LiveHub } from "./hub.ts";
import { shownDest, statusDir, type UiJob } from "./jobs.ts";
import { freeSpace, type Space } from "./free_space.ts";
import { JobDestinations } from "./job_destination.ts";

/** One job on the overview. */
export interface JobOverview {
  /** The job. */
  job: UiJob;
  /** copying, watching, idle, paused, deletions held, failing, stopped, never run, not run here. */
  state: string;
  /** Why, when paused or held (the guard's reason and the fix). */
  reason: string | null;
  /** The status file (null when none). */
  status: StatusData | null;
  /** The running pass's progress event (live mode only). */
  progress: Record<string, unknown> | null;
  /** When the next full pass is due (ISO), when it can be told. */
  nextPass: string | null;
  /** The destination as people know it: the folder, or the bucket's URL. */
  destination: string;
  /** Free space on the destination's file system (null: unknown, or a bucket). */
  space: Space | null;
  /** Why there is no free space to show, when it is not simply unknown (a bucket has none). */
  spaceNote: string | null;
  /** A daemon holds the destination's lock. */
  running: boolean;
  /** Files the last pass found still being written (retried with a growing delay; not errors). */
  busy: number;
  /** `--verify-every`: the rolling verification's line of `backup status`, or null when off. */
  verify: string | null;
}

/** Where the data comes from. */
export interface DataDeps {
  /** File system port (read-only use). */
  fs: FileSystem;
  /** Current folder. */
  cwd: string;
  /** The live hub of this process's jobs (none: `backup ui`, from the files alone). */
  hub?: LiveHub;
  /** The jobs' destinations, for versions (none: each opened and closed per request). */
  destinations?: JobDestinations;
}

/** The overview of one job. */
export async function overview(job: UiJob, deps: DataDeps): Promise<JobOverview> {
  const status = readStatus(deps.fs, statusDir(job));
  let running = false;
  try {
    running = probeLock(deps.fs, statusDir(job)).held;
  } catch { /* no reserved folder yet */ }
  const live = deps.hub?.job(job.name);
  const last = status?.lastPass ?? null;
  let state = status === null ? "never run" : running ? "idle" : "stopped";
  let reason: string | null = null;
  if (status === null && job.remote && !deps.hub) {
    // The status file is kept by the machine that runs the backup, not in the bucket.
    state = "not run here";
    reason = `no backup into ${job.remote.url} ran on this machine: the journal, versions and ` +
      `downloads come from the bucket; the last pass, totals and history are kept by the ` +
      `machine that runs it`;
  }
  if (deps.hub && live) {
    running = live.phase !== "stopped";
    if (live.phase === "stopped") state = "stopped";
    else if (live.phase === "copying") state = "copying";
    else if (live.phase === "starting") state = "starting";
    else state = "watching";
  }
  if (running && state !== "copying" && last) {
    const held = typeof last.held === "number" ? last.held : 0;
    if (held > 0) {
      state = "deletions held";
      reason = `the last pass would have deleted ${held} entries; nothing was deleted. ` +
        `Check the source; if the deletions are wanted, confirm them here or run ` +
        `\`backup confirm --dest ${job.dest}\``;
    } else if (last.skipped !== null) {
      state = "paused";
      reason = last.skipped;
    } else if (last.failed > 0) {
      state = "failing";
      reason = `${last.failed} operation(s) failed in the last pass; see the problems page`;
    }
  }
  let nextPass: string | null = null;
  if (running && status?.schedule) nextPass = status.schedule.nextRun;
  else if (running && last && last.trigger === "scan" && job.interval !== null) {
    // Full passes are paced from the end of the last one (lib/daemon/daemon.ts).
    const gap = fullPassGap(job.interval * 1000, last.durationMs);
    nextPass = new Date(Date.parse(last.endedAt) + gap).toISOString();
  }
  return {
    job,
    state,
    reason,
    status,
    progress: live?.progress ?? null,
    nextPass,
    destination: shownDest(job),
    space: job.remote ? null : await freeSpace(job.dest),
    spaceNote: job.remote ? "n/a (a bucket reports no free space)" : null,
    running,
    busy: typeof last?.busy === "number" ? last.busy : 0,
    verify: status?.verify ? verifyStatusText(status.verify, localOf, running) : null,
  };
}

/** The filters of the journal page (those of `journal show`). */
export interface JournalQuery {
  /** Only this path and below. */
  path: string | null;
  /** Only these operations. */
  ops: ShownOp[];
  /** Only failed, interrupted or refused operations. */
  failed: boolean;
  /** From (a time as `--since` takes it). */
  since: string | null;
  /** To (a time as `--until` takes it). */
  until: string | null;
  /** Page size. */
  limit: number;
}

const SHOWN_OPS: readonly string[] = ["copy", "mkdir", "symlink", "delete", "meta", "move", "held"];

/** Reads a journal query from URL parameters. @throws UsageError for a bad value. */
export function journalQuery(params: URLSearchParams): JournalQuery {
  const ops = (params.get("op") ?? "").split(",").filter((o) => o !== "");
  for (const op of ops) {
    if (!SHOWN_OPS.includes(op)) {
      throw new UsageError(`unknown operation "${op}"`);
    }
  }
  const limit = Number(params.get("limit") ?? "100");
  return {
    path: cleanPath(params.get("path")),
    ops: ops as ShownOp[],
    failed: params.get("failed") === "1" || params.get("failed") === "true",
    since: params.get("since") || null,
    until: params.get("until") || null,
    limit: Number.isSafeInteger(limit) && limit > 0 && limit <= 1000 ? limit : 100,
  };
}

/** A path from a request: relative to the backup, never leaving it. @throws UsageError. */
export function cleanPath(raw: string | null): string | null {
  if (raw === null) return null;
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..") || raw.includes("\0")) {
    throw new UsageError(`path "${raw}" leaves the backup`);
  }
  return parts.length === 0 ? null : parts.join("/");
}

function journalDeps(deps: DataDeps, lines: string[]): JournalDeps {
  const quiet = {
    debug() {},
    info() {},
    warn() {},
    error() {},
  } as unknown as JournalDeps["logs"]["op"];
  return {
    fs: deps.fs,
    cwd: deps.cwd,
    out: (line) => lines.push(line),
    logs: { op: quiet, pass: quiet, daemon: quiet },
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
  };
}

function parsed(lines: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      out.push(JSON.parse(line));
    } catch { /* not a JSON line */ }
  }
  return out;
}

/** The newest `limit` operations that pass the filters, newest first. */
export function journalPage(
  job: UiJob,
  query: JournalQuery,
  deps: DataDeps,
): Record<string, unknown>[] {
  const now = Date.now();
  const lines: string[] = [];
  runShow({
    action: "show",
    dest: job.dest,
    path: query.path,
    since: query.since === null ? null : parseTime(query.since, "since", now),
    until: query.until === null ? null : parseTime(query.until, "until", now),
    ops: query.ops,
    failed: query.failed,
    limit: query.limit,
    json: true,
  }, journalDeps(deps, lines));
  return parsed(lines).filter((r) => r.type !== "checkpoint").reverse();
}

/** `journal why PATH`: the path's life through moves, as JSON objects. */
export function whyPath(job: UiJob, path: string, deps: DataDeps): Record<string, unknown>[] {
  const clean = cleanPath(path);
  if (clean === null) throw new UsageError("give a path inside the backup, like docs/a.txt");
  const lines: string[] = [];
  runWhy({ action: "why", dest: job.dest, path: clean, json: true }, journalDeps(deps, lines));
  return parsed(lines);
}

/** The versions `--keep-versions` kept below `under`, newest first. */
export async function versionsBelow(
  job: UiJob,
  under: string | null,
  deps: DataDeps,
): Promise<{ path: string; at: string; size: number }[]> {
  const held = await (deps.destinations ?? new JobDestinations(deps.fs)).hold(job);
  try {
    const all = await listVersions(held.destination, under ?? "");
    return all.sort((a, b) => b.ms - a.ms || a.path.localeCompare(b.path)).slice(0, 2000).map(
      (v) => ({ path: v.path, at: new Date(v.ms).toISOString(), size: v.size }),
    );
  } finally {
    held.release();
  }
}

/** The problems page: failures, held deletions, guard pauses. */
export function problems(
  job: UiJob,
  deps: DataDeps,
): { failures: Record<string, unknown>[]; held: Record<string, unknown>[]; error: string | null } {
  try {
    const base = { path: null, since: null, until: null, limit: 50 };
    return {
      failures: journalPage(job, { ...base, ops: [], failed: true }, deps),
      held: journalPage(job, { ...base, ops: ["held"], failed: false }, deps),
      error: null,
    };
  } catch (err) {
    if (isNotFound(err)) return { failures: [], held: [], error: null };
    return { failures: [], held: [], error: describeError(err) };
  }
}

/** True when `inner` is `outer` or below it (absolute paths). */
export function isInside(inner: string, outer: string): boolean {
  return isAtOrBelow(inner.replace(/^\/+/, ""), outer.replace(/^\/+/, ""));
}
