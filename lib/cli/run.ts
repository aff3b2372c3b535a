/**
 * `backup --src A --dest B [--interval S] [--once]`: the daemon.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { ReconcilerLogs } from "../engine/reconciler.ts";
import { describeError, EXIT, RootError, UsageError } from "../base/errors.ts";
import { absolute, join, parentOf } from "../base/paths.ts";
import { LOG_FILE, MARKER_NAME, RESERVED_DIR, reservedDir } from "../base/layout.ts";
import { checkRoots, logFileProblem, type Roots } from "../engine/guard.ts";
import { establishIdentity } from "../engine/source_guard.ts";
import { destinationVeto, establishDestination } from "../engine/dest_guard.ts";
import { checkDestination, missingParent, missingParentMessage } from "./dest_check.ts";
import { type DaemonOptions, runDaemon } from "../daemon/daemon.ts";
import type { Schedule } from "../daemon/schedule.ts";
import { localTime } from "../report/log.ts";
import { Watcher } from "../daemon/watch.ts";
import { Reconciler } from "../engine/reconciler.ts";
import { acquireLock, type Lock } from "../dest/reserved.ts";
import { ReservedFolder } from "../dest/reserved_folder.ts";
import { DestinationPin } from "../dest/root_pin.ts";
import { StatusRecorder } from "../report/status.ts";
import type { RunOptions } from "./run_args.ts";
import { readExcludeFrom } from "../engine/excludes.ts";
import { runDryRun } from "./dry_run.ts";
import { saveSettings } from "./settings.ts";
import { MODE_MASK } from "../engine/plan.ts";
import type { RunProgress } from "../report/progress_report.ts";
import { HookRunner } from "../daemon/hooks.ts";
import { sourceOpenFallbackReason } from "../base/source_open.ts";
import { RollingVerifier, type VerifyProgress } from "../engine/verify_rolling.ts";
import { isRemoteDest, openRemote, type Remote, startRemote } from "./remote.ts";
import type { Lease } from "../dest/object_lease.ts";
import { chunkOpsFromEnv } from "../engine/chunked_walk.ts";

/** Help text of the daemon command. */
export const HELP = `backup: keep a folder's mirror up to date, crash-safely

Usage:
  backup --src DIR --dest DIR [--interval SECONDS] [--once] [options]
  backup --src DIR [--dest DIR] --dry-run [--json] [--exclude PATTERN]...
  backup --config FILE [--job NAME]... [flags that override the file]
  backup config check FILE | backup config convert OLD.json
  backup                   (on a terminal: asks for the two folders)
  backup journal show|why|verify|replay|compact --dest DIR ...
  backup status --dest DIR | --config FILE [--job NAME]... [--json]
  backup confirm --dest DIR | --config FILE --job NAME
                           (apply the deletions a running daemon holds)
  backup restore --dest DIR PATH [--at TIME] --to DIR
  backup verify --dest DIR [--sample PERCENT] [--json] [--repair]
                [--src DIR | --config FILE --job NAME]
  backup ui --dest DIR | --config FILE       (the dashboard, read-only)
  backup --help | --version

Makes a full copy of --src into --dest, then keeps it a mirror: changes seen
by a file watcher show up within a second, and every --interval seconds a full
pass brings --dest in line with --src whatever the watcher missed: new,
changed, moved and deleted files and folders, permissions, modification times
and symlinks. Renames in --src are renames in --dest, not copies. Every
decision is written to a journal in DEST/.backup-state/ (.backup/ in a backup
made before 2026-12) before it is applied, so a crash or kill -9 resumes
where it stopped without copying everything again. --dest may also be a
bucket, s3://BUCKET/PREFIX, or an Azure Blob container,
azure://CONTAINER/PREFIX, with the journal kept there (README "Off-site").

Options:
  --config FILE      run the jobs of a config file (JSON with comments: a
                     "jobs" list of name, source, destination and options);
                     flags given too override every job; SIGHUP re-reads it.
                     See README "Several folders: the config file"
  --job NAME         with --config: run only this job (repeatable)
  --src DIR          folder to back up (must exist)
  --dest DIR         mirror to keep (created if missing, but not its parent:
                     an unmounted disk is refused; must not be inside --src)
  --interval SECS    seconds between full reconcile passes (default 60; > 0,
                     at most 2147483): the next starts SECS after the last
                     ended, or 20x the last pass's duration if longer, so a
                     change the watcher missed is in --dest at most
                     max(SECS, 20 x T) + 2 x T later (T: one full pass)
  --dest-sweep N     a full pass lists the folders of a local --dest whose
                     mtime moved, the rest taken from the journal, plus one
                     slice: every folder is listed once in N full passes
                     (default 10; 1 lists all of --dest every full pass). So
                     a file deleted, added or renamed in --dest behind the
                     backup's back is put right by the next full pass, one
                     altered in place (or a folder's mtime set back) within
                     N full passes: N x (max(SECS, 20 x T) + T) + T, --once
                     runs included (the slice is kept in --dest)
  --once             do one full pass and exit (for cron and scripts)
  --schedule 'CRON'  full passes at set times instead of every --interval:
                     five fields (minute hour day month weekday), such as
                     '0 2 * * *' (02:00 every night); a sixth, leading field
                     is seconds. With the watcher on, a full pass also runs at
                     start; with --no-watch, the first one waits for its time
  --schedule-tz ZONE read --schedule in this time zone (such as Europe/Paris;
                     default: the machine's local time)
  --no-watch         no live updates: only the interval passes (Deno.watchFs off)
  --dry-run          print the plan of one full pass (copy, delete, move, mkdir,
                     symlink, meta, with sizes) and exit 0; changes nothing, not
                     even the journal, the lock or the log; --dest may be left out
  --json             one JSON event per line on stdout for scripts: start,
                     pass-start, progress (each second of a pass over 1 s), op
                     (failures; every operation with --verbose), pass (its
                     summary), warning, error, stop (the exit code); the human
                     log goes to stderr. With --dry-run: one JSON object per
                     planned operation, then a summary
  --exclude PATTERN  leave out what matches (gitignore syntax, relative to
                     --src; repeatable). A .backupignore file in any source
                     folder adds rules relative to that folder, as .gitignore
                     does; command-line rules take precedence
  --exclude-from FILE
                     read exclude patterns from FILE (one a line, # comments)
  --delete-excluded  delete excluded entries from --dest (by default a copy
                     made before it was excluded is kept)
  --journal-max-mb N compact the journal (checkpoint, drop old segments)
                     between passes once it passes N MiB (default 64); at
                     64 or less also once the log is 1.5 times the
                     checkpoint and over 8 MiB (docs/journal.md)
  --new-source       the source moved to another disk on purpose: record its
                     new device and marker (the source guard's reset)
  --adopt-dest       mirror into a --dest that is not empty and not a backup
                     of this source (its other files are deleted)
  --max-delete N     hold a pass deleting more than N entries (default 100)...
  --max-delete-percent P
                     ...and more than P% of the backup (default 50)
  --confirm-deletes  apply a deletion the guard holds (run once with it; while
                     a daemon runs: backup confirm --dest DIR). The guard
                     counts the deletions of the last hour that the source
                     has not brought back with each pass's own
  --keep-setuid      carry setuid and setgid bits over (off by default)
  --keep-versions RULE
                     versioned trash: a file overwritten or deleted in --dest
                     is moved to DEST/.backup-state/versions/ (name + time)
                     instead of being lost; RULE keeps versions younger than
                     an age (30d, 12h, 2w, 90m) or the newest N of each file
                     (10).
                     \`backup restore\` brings files back as they were
  --verify-every PERIOD
                     re-read and hash the whole backup once per PERIOD (30d,
                     12h, 90m) in small slices between passes, comparing with
                     the journal and the source (as \`backup verify\`);
                     mismatches are errors and fire --on-error
  --compress CODEC   with --dest s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX:
                     store each file's object compressed (zstd or gzip; see
                     docs/offsite.md)
  --rebuild-journal  set a corrupt journal aside and rebuild the state by a
                     full reconcile (matching files are hashed, not copied)
  --on-pass CMD      after each pass, run CMD through sh -c with the pass
                     summary as JSON on its standard input (see
                     docs/operations.md); never delays or stops the backup
  --on-error CMD     likewise after a pass with failed operations, held
                     deletions, or skipped (source guard), or that failed
  --hook-timeout SECS
                     kill a hook still running after SECS (default 60; at
                     most 2147483)
  --log-file FILE    log file (default DEST/.backup-state/backup.log); not in
                     the source, nor in the destination outside that folder
  --error-log FILE   a second log file that gets warnings and errors only
  --log-json         write the log file as JSON lines
  --quiet            console: errors only (no progress)
  --verbose          console: every file operation too (no progress bar)
  --ui [[HOST:]PORT] serve the dashboard in a browser while the daemon runs
                     (default 127.0.0.1:8577; the address is printed): live
                     progress, history, journal, versions and restore, held
                     deletions. Any address but loopback needs --ui-token
  --ui-token TOKEN / --ui-token-file FILE
                     the dashboard's token (16+ letters, digits, - or _; the
                     file readable by you only)
  -h, --help         show this help
  -V, --version      show the version

Progress: a pass that runs over a second shows a bar on a terminal (stderr):
files, bytes, rate, ETA. Without a terminal, a pass that runs over 10 s logs a
PROGRESS line every 10 s (console and log file). The log file gets these lines
in every mode.

Exit codes: 0 done (or stopped by Ctrl+C/SIGTERM), 1 internal error, 2 bad
usage, config file or roots, 3 journal corrupt, 4 a disk failed (journal
fsync, full, read-only; restart to replay), 5 destination locked by another
backup, 6 --once finished with problems (failed files, held deletions, a
skipped pass, names that are not valid UTF-8), 7 backup verify found files
whose content is not what the journal recorded. With --config: the code of
the first job that failed.
`;

/** What {@link runBackup} needs from its caller. */
export interface RunDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory, for relative paths. */
  cwd: string;
  /** Loggers. */
  logs: ReconcilerLogs;
  /** Stops the daemon after the current batch. */
  signal: AbortSignal;
  /** Sets up logging once the destination is known (log file path). */
  startLogging: (logFile: string) => Promise<void>;
  /** Prints one line of command output (`--dry-run`). */
  out: (line: string) => void;
  /** The job's name, in config file mode (hooks get it as `job` and `BACKUP_JOB`). */
  job?: string;
  /** Progress display and `--json` events (none: neither). */
  progress?: RunProgress;
}

/**
 * The exclude patterns of the command line: `--exclude-from` files first
 * (relative to the current folder), then `--exclude` patterns.
 *
 * @throws UsageError naming an `--exclude-from` file that cannot be read.
 */
export function excludePatterns(opts: RunOptions, deps: RunDeps): string[] {
  const fromFiles = opts.excludeFrom.flatMap((f) =>
    readExcludeFrom(deps.fs, absolute(f, deps.cwd))
  );
  return [...fromFiles, ...opts.exclude];
}

/**
 * The patterns for each pass when `--exclude-from` files are given: read afresh, so an edited
 * file applies from the next pass on (a change is logged and recorded for `journal replay`). A
 * file that cannot be read any more leaves the last rules in force, with one warning.
 */
function rereadExcludes(
  opts: RunOptions,
  deps: RunDeps,
  first: string[],
  save: (patterns: readonly string[]) => void,
): () => readonly string[] {
  let current = first;
  let problem = "";
  return () => {
    try {
      const next = excludePatterns(opts, deps);
      problem = "";
      if (next.join("\n") !== current.join("\n")) {
        current = next;
        save(current);
        deps.logs.daemon.info("EXCLUDES CHANGED: {count} rule(s) now, read from {files}", {
          count: current.length,
          files: opts.excludeFrom.join(", "),
        });
      }
    } catch (err) {
      const reason = describeError(err);
      if (reason !== problem) {
        deps.logs.daemon.warn("EXCLUDES: {reason}; the last rules stay in force", { reason });
      }
      problem = reason;
    }
    return current;
  };
}

/**
 * Checks that the folder of a `--log-file` exists, before the destination is created.
 *
 * @throws UsageError naming the file when its folder is missing or not a folder.
 */
function checkLogFolder(fs: FileSystem, file: string, flag = "--log-file"): void {
  const folder = parentOf(file) || "/";
  let ok = false;
  try {
    ok = fs.lstat(fs.realPath(folder)).kind === "dir";
  } catch { /* missing or unreadable: refused below */ }
  if (!ok) {
    throw new UsageError(
      `cannot open the log file "${file}": its folder ${folder} does not exist; create it or pick another ${flag}`,
    );
  }
}

/**
 * Creates the destination and its reserved folder, checks and pins the folder (a real folder
 * owned by the running user, see lib/dest/reserved_folder.ts). A folder that cannot be created
 * there (a path in `/proc`, a parent without write permission) is a bad `--dest`, said in one
 * line; a full or read-only disk stays a disk condition (exit 4).
 *
 * @throws RootError naming the destination or its reserved folder; the disk errors as they are.
 */
function createDestination(fs: FileSystem, dest: string, given: string): ReservedFolder {
  const missing = missingParent(fs, dest);
  if (missing !== null) throw new RootError(missingParentMessage(given, missing));
  try {
    return ReservedFolder.open(fs, dest);
  } catch (err) {
    if (err instanceof RootError) throw err;
    const reason = describeError(err);
    if (reason === "no space left on device" || reason === "read-only file system") throw err;
    throw new RootError(
      `cannot create the destination "${given}"${given === dest ? "" : ` (${dest})`} or its ` +
        `${RESERVED_DIR}/ folder: ${reason}; pick another --dest`,
      { cause: err },
    );
  }
}

/**
 * Runs the daemon (or one pass). Returns the exit code.
 *
 * @throws RootError, LockedError, JournalCorruptError, JournalIoError: main maps them.
 */
export async function runBackup(opts: RunOptions, deps: RunDeps): Promise<number> {
  const excludes = excludePatterns(opts, deps);
  if (opts.dryRun) return await runDryRun(opts, { ...deps, excludes });
  // Off-site (issue 16): the bucket holds the mirror and the journal; a local cache folder
  // stands for --dest (lock, log, status, the journal's local copy); see lib/cli/remote.ts.
  const remote = isRemoteDest(opts.dest)
    ? await openRemote(deps.fs, opts.dest, {
      adopt: opts.adoptDest,
      ...(opts.compress ? { compress: opts.compress } : {}),
      // Uploads side by side, unless a version must be moved away first (lib/dest/object_dest.ts).
      publishAtSync: opts.keepVersions === null,
    })
    : null;
  const roots = checkRoots(deps.fs, opts.src, remote?.cacheDir ?? opts.dest, deps.cwd);
  if (!opts.adoptDest && !remote) checkDestination(deps.fs, roots.dest, roots.source);
  for (const [name, given] of [["--log-file", opts.logFile], ["--error-log", opts.errorLog]]) {
    if (!given) continue;
    const file = absolute(given, deps.cwd);
    const problem = logFileProblem(deps.fs, file, roots);
    if (problem) throw new UsageError(`${name} "${given}": ${problem}; put it elsewhere`);
    // The reserved folder is made below; any other folder must exist.
    if (parentOf(file) !== reservedDir(roots.dest)) checkLogFolder(deps.fs, file, name!);
  }
  if (opts.errorLog) {
    const log = opts.logFile
      ? absolute(opts.logFile, deps.cwd)
      : join(reservedDir(roots.dest), LOG_FILE);
    if (absolute(opts.errorLog, deps.cwd) === log) {
      throw new UsageError(
        `--error-log "${opts.errorLog}" is the log file itself; pick another file for the errors`,
      );
    }
  }
  // Creating the destination comes after every check passed. The lock comes before anything
  // is written in it: a second start must not touch a running backup's log, identity or settings.
  // From here on, files in DEST/.backup are reached through the pinned folder, never through
  // a symlink planted in it (reserved.fs; every other path passes through to deps.fs).
  const reserved = createDestination(deps.fs, roots.dest, opts.dest);
  const held: { lease?: Lease } = {};
  try {
    const pin = DestinationPin.take(deps.fs, roots.dest);
    const pinned = { ...deps, fs: reserved.fs };
    const lock = acquireLock(reserved.fs, roots.dest);
    let rec: Reconciler;
    try {
      rec = await startLocked(opts, pinned, { roots, lock, excludes, pin, remote, held });
    } catch (err) {
      lock.release(); // idempotent: a failed Reconciler.start has released it already
      throw err;
    }
    return await runStarted(opts, pinned, roots, rec);
  } finally {
    await held.lease?.release();
    reserved.close();
  }
}

/** Logging, identity, settings and the reconciler, with the destination's lock held. */
async function startLocked(
  opts: RunOptions,
  deps: RunDeps,
  held: {
    roots: Roots;
    lock: Lock;
    excludes: string[];
    pin: DestinationPin;
    remote?: Remote | null;
    held?: { lease?: Lease };
  },
): Promise<Reconciler> {
  const { roots, lock, excludes, pin } = held;
  const { logs } = deps;
  await deps.startLogging(opts.logFile ?? join(reservedDir(roots.dest), LOG_FILE));
  logs.daemon.info("BACKUP STARTED: {source} -> {dest}, {when}{once}", {
    source: roots.source,
    dest: roots.dest,
    when: opts.schedule ? `at "${opts.schedule.text}"` : `every ${opts.interval} s`,
    once: opts.once ? " (one pass)" : "",
  });
  const fallback = sourceOpenFallbackReason();
  if (fallback !== null) {
    logs.daemon.warn(
      "NATIVE CALLS OFF ({reason}): source files are checked with lstat, then opened without blocking; a symlink swapped in between is followed (the copy then refuses it by its inode)",
      { reason: fallback },
    );
  }
  deps.progress?.started({
    source: roots.source,
    dest: roots.dest,
    once: opts.once,
    interval: opts.interval,
    ...(opts.schedule ? { schedule: opts.schedule.text } : {}),
  });
  const guard = establishIdentity(deps.fs, roots.source, roots.dest, {
    reset: opts.newSource || opts.adoptDest,
  });
  if (guard.fresh) {
    logs.daemon.info("SOURCE GUARD: recorded {source} (device {dev}){marker}", {
      source: roots.source,
      dev: guard.identity.dev,
      marker: guard.identity.marker ? ` and its marker ${MARKER_NAME}` : "",
    });
  }
  const destGuard = establishDestination(deps.fs, roots.dest, { reset: opts.adoptDest });
  if (destGuard.fresh) {
    logs.daemon.info("DESTINATION GUARD: recorded {dest} (device {dev})", {
      dest: roots.dest,
      dev: destGuard.identity.dev,
    });
  }
  // A destination on another disk than its backup was made on pauses every pass, as the
  // root pin pauses one that changes while the daemon runs.
  const guardedPin = {
    check: () => pin.check() ?? destinationVeto(deps.fs, roots.dest, destGuard.identity),
  };
  // What `journal replay` needs to make the pass this daemon would make.
  const save = (patterns: readonly string[]) =>
    saveSettings(deps.fs, roots.dest, {
      excludes: [...patterns],
      deleteExcluded: opts.deleteExcluded,
      modeMask: opts.keepSetuid ? 0o7777 : MODE_MASK,
      deleteLimits: opts.deleteLimits,
      keepVersions: opts.keepVersions,
    });
  save(excludes);
  if (guard.markerProblem) {
    logs.daemon.warn(
      "SOURCE GUARD: cannot write the marker {name} into the source ({reason}); only its device and emptiness are checked",
      { name: MARKER_NAME, reason: guard.markerProblem },
    );
  }
  const remote = held.remote
    ? await startRemote(held.remote, deps.fs, { signal: deps.signal, log: logs.daemon })
    : null;
  if (remote && held.held) held.held.lease = remote.lease;
  return await Reconciler.start(remote?.fs ?? deps.fs, {
    ...(held.remote ? { destination: held.remote.destination } : {}),
    source: roots.source,
    dest: roots.dest,
    logs,
    signal: deps.signal,
    rebuildJournal: opts.rebuildJournal,
    identity: guard.identity,
    deleteLimits: opts.deleteLimits,
    confirmDeletes: opts.confirmDeletes,
    ...(opts.keepSetuid ? { modeMask: 0o7777 } : {}),
    journalMaxBytes: opts.journalMaxBytes,
    busyMaxDelayMs: opts.interval * 1000,
    ...(opts.destSweep !== undefined ? { destSweep: opts.destSweep } : {}),
    chunkOps: chunkOpsFromEnv(), // BACKUP_CHUNK_OPS, a test knob (lib/engine/chunked_walk.ts)
    excludes: opts.excludeFrom.length === 0 ? excludes : rereadExcludes(opts, deps, excludes, save),
    deleteExcluded: opts.deleteExcluded,
    ...(deps.progress ? { progress: deps.progress } : {}),
    ...(opts.keepVersions ? { keepVersions: opts.keepVersions } : {}),
    lock,
    pin: guardedPin,
  });
}

/** `--schedule`: the daemon's schedule, and the next run logged and shown in `backup status`. */
function scheduleOptions(
  schedule: Schedule,
  status: StatusRecorder,
  logs: ReconcilerLogs,
): Pick<DaemonOptions, "schedule" | "onNextFull"> {
  return {
    schedule,
    onNextFull: (at) => {
      status.scheduled(schedule.text, schedule.zone, at);
      logs.daemon.info("SCHEDULE {cron}{zone}: next full pass at {at}", {
        cron: schedule.text,
        zone: schedule.zone ? ` (${schedule.zone})` : "",
        at: Number.isFinite(at) ? localTime(at) : "never",
      });
    },
  };
}

/**
 * `--verify-every`: the rolling verification between passes; each mismatch is an error in the
 * log and fires `--on-error`. Undefined when off (or with `--once`).
 */
function rollingVerifier(
  opts: RunOptions,
  deps: RunDeps,
  roots: Roots,
  rec: Reconciler,
  hooks: HookRunner | undefined,
  status?: StatusRecorder,
): RollingVerifier | undefined {
  if (opts.verifyEveryMs === undefined || opts.once) return undefined;
  const { logs } = deps;
  logs.daemon.info("VERIFYING the whole backup by content every {period}", {
    period: `${opts.verifyEveryMs / 1000} s`,
  });
  return new RollingVerifier({
    periodMs: opts.verifyEveryMs,
    fs: deps.fs,
    dest: roots.dest,
    destination: rec.destination,
    source: roots.source,
    entries: () => rec.state.entries,
    log: logs.daemon,
    distrust: (paths) => rec.distrust(paths),
    ...(status ? { onProgress: (p: VerifyProgress) => status.verifying(p) } : {}),
    onMismatch: (findings) => {
      for (const f of findings) {
        logs.daemon.error(
          "VERIFY MISMATCH: {path}: {problem}, the {wrong} is wrong; expected {expected}, found {found} - {detail}",
          { ...f, found: f.found ?? "-" },
        );
      }
      hooks?.afterVerify(
        `verification found ${findings.length} mismatched files: ${
          findings.slice(0, 5).map((f) => f.path).join(", ")
        }${findings.length > 5 ? ", ..." : ""}`,
        findings,
      );
    },
  });
}

/** Runs the passes of a started reconciler until done or stopped; closes it. Returns the exit code. */
async function runStarted(
  opts: RunOptions,
  deps: RunDeps,
  roots: Roots,
  rec: Reconciler,
): Promise<number> {
  const { logs } = deps;
  let code: number = EXIT.OK;
  // Hooks run off the pass loop; at the end the running one is waited for (up to its timeout).
  const hooks = HookRunner.from(opts.hooks, {
    source: roots.source,
    dest: roots.dest,
    ...(deps.job !== undefined ? { job: deps.job } : {}),
    log: logs.daemon,
    detail: logs.op,
  });
  const watcher = opts.once || !opts.watch
    ? undefined
    : new Watcher(deps.fs, roots.source, { log: logs.daemon });
  try {
    const status = new StatusRecorder(deps.fs, roots.dest, { source: roots.source });
    if (watcher) {
      watcher.start();
      logs.daemon.info(
        "WATCHING {source} for live changes (hints; {full})",
        {
          source: roots.source,
          full: opts.schedule
            ? `full passes at "${opts.schedule.text}"`
            : `every ${opts.interval} s a full pass`,
        },
      );
    }
    // Names the scan had to skip (not valid UTF-8) in the last pass: files not backed up.
    let skippedNames = 0;
    const between = rollingVerifier(opts, deps, roots, rec, hooks, status);
    const totals = await runDaemon(rec, {
      intervalMs: opts.interval * 1000,
      once: opts.once,
      signal: deps.signal,
      log: logs.daemon,
      onPass: (s) => {
        skippedNames = s.badNames;
        status.record(s);
        hooks?.afterPass(s);
      },
      onPassError: (err) => hooks?.afterError(err),
      ...(watcher ? { watcher } : {}),
      ...(opts.schedule ? scheduleOptions(opts.schedule, status, logs) : {}),
      ...(between ? { between } : {}),
    });
    const partial = totals.lastFailed > 0 || totals.lastSkipped !== null || skippedNames > 0;
    if (opts.once && partial) code = EXIT.PARTIAL;
  } finally {
    try {
      await watcher?.close();
      await rec.close();
    } finally {
      await hooks?.close();
    }
  }
  logs.daemon.info("BACKUP STOPPED: {dest}{why}", {
    dest: roots.dest,
    why: deps.signal.aborted ? " (signal)" : "",
  });
  return code;
}
