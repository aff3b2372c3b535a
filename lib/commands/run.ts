/**
 * `backup --src A --dest B [--interval S] [--once]`: the daemon.
 *
 * @module
 */

import type { FileSystem } from "../fs.ts";
import type { ReconcilerLogs } from "../reconciler.ts";
import { EXIT, UsageError } from "../errors.ts";
import { join } from "../paths.ts";
import { reservedDir } from "../../journal/segments.ts";
import { checkRoots } from "../guard.ts";
import { runDaemon } from "../daemon.ts";
import { Watcher } from "../watch.ts";
import { Reconciler } from "../reconciler.ts";
import { LOG_FILE, prepareReserved } from "../reserved.ts";
import { StatusRecorder } from "../status.ts";
import { DEFAULT_JOURNAL_MAX_BYTES } from "../../journal/compact.ts";
import { flag, type OptionTable, parseStrict, str } from "./args.ts";

/** Help text of the daemon command. */
export const HELP = `backup: keep a folder's mirror up to date, crash-safely

Usage:
  backup --src DIR --dest DIR [--interval SECONDS] [--once] [options]
  backup journal show|why|verify|replay|compact --dest DIR ...
  backup status --dest DIR [--json]
  backup --help | --version

Makes a full copy of --src into --dest, then keeps it a mirror: changes seen
by a file watcher show up within a second, and every --interval seconds a full
pass brings --dest in line with --src whatever the watcher missed: new,
changed, moved and deleted files and folders, permissions, modification times
and symlinks. Renames in --src are renames in --dest, not copies. Every
decision is written to a journal in DEST/.backup/ before it is applied, so a
crash or kill -9 resumes where it stopped without copying everything again.

Options:
  --src DIR          folder to back up (must exist)
  --dest DIR         mirror to keep (created if missing; must not be inside --src)
  --interval SECS    seconds between full reconcile passes (default 60; > 0)
  --once             do one full pass and exit (for cron and scripts)
  --no-watch         no live updates: only the interval passes (Deno.watchFs off)
  --journal-max-mb N compact the journal (checkpoint, drop old segments)
                     between passes once it passes N MiB (default 64)
  --rebuild-journal  set a corrupt journal aside and rebuild the state by a
                     full reconcile (matching files are hashed, not copied)
  --log-file FILE    log file (default DEST/.backup/backup.log)
  --log-json         write the log file as JSON lines
  --quiet            console: errors only
  --verbose          console: every file operation too
  -h, --help         show this help
  -V, --version      show the version

Exit codes: 0 done (or stopped by Ctrl+C/SIGTERM), 1 internal error, 2 bad
usage or roots, 3 journal corrupt, 4 journal I/O failure (restart to replay),
5 destination locked by another backup, 6 --once finished with errors.
`;

/** Options of the daemon command. */
export interface RunOptions {
  /** Source folder as given. */
  src: string;
  /** Destination folder as given. */
  dest: string;
  /** Seconds between passes. */
  interval: number;
  /** One pass, then exit. */
  once: boolean;
  /** Watch the source for live changes (hints between interval passes). */
  watch: boolean;
  /** Set the journal aside and rebuild the state from a full reconcile. */
  rebuildJournal: boolean;
  /** Journal size (bytes) past which it is compacted between passes. */
  journalMaxBytes: number;
  /** Log file path, or undefined for the default. */
  logFile: string | undefined;
  /** JSON-lines log file. */
  logJson: boolean;
  /** Console verbosity. */
  console: "normal" | "quiet" | "verbose";
}

const OPTIONS: OptionTable = {
  src: { type: "string" },
  dest: { type: "string" },
  interval: { type: "string" },
  once: { type: "boolean" },
  "no-watch": { type: "boolean" },
  "rebuild-journal": { type: "boolean" },
  "journal-max-mb": { type: "string" },
  "log-file": { type: "string" },
  "log-json": { type: "boolean" },
  quiet: { type: "boolean" },
  verbose: { type: "boolean" },
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

/** Default seconds between passes. */
export const DEFAULT_INTERVAL = 60;

/**
 * Parses the daemon's flags (without `--help`/`--version`, which main handles).
 *
 * @throws UsageError for a missing, unknown or bad flag.
 */
export function parseRunArgs(argv: string[]): RunOptions {
  const p = parseStrict(argv, OPTIONS, "backup");
  const src = str(p, "src");
  const dest = str(p, "dest");
  if (p.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${p.positionals[0]}"; see \`backup --help\``);
  }
  if (!src) throw new UsageError("missing --src DIR: the folder to back up; see `backup --help`");
  if (!dest) throw new UsageError("missing --dest DIR: where the mirror goes; see `backup --help`");
  const raw = str(p, "interval");
  const interval = raw === undefined ? DEFAULT_INTERVAL : Number(raw);
  if (raw !== undefined && (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(interval > 0))) {
    throw new UsageError(`--interval must be a number of seconds above 0, not "${raw}"`);
  }
  if (flag(p, "quiet") && flag(p, "verbose")) {
    throw new UsageError("--quiet and --verbose cannot be used together");
  }
  return {
    src,
    dest,
    interval,
    once: flag(p, "once"),
    watch: !flag(p, "no-watch"),
    rebuildJournal: flag(p, "rebuild-journal"),
    journalMaxBytes: parseJournalMaxMb(str(p, "journal-max-mb")),
    logFile: str(p, "log-file"),
    logJson: flag(p, "log-json"),
    console: flag(p, "quiet") ? "quiet" : flag(p, "verbose") ? "verbose" : "normal",
  };
}

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
}

/**
 * Runs the daemon (or one pass). Returns the exit code.
 *
 * @throws RootError, LockedError, JournalCorruptError, JournalIoError: main maps them.
 */
export async function runBackup(opts: RunOptions, deps: RunDeps): Promise<number> {
  const roots = checkRoots(deps.fs, opts.src, opts.dest, deps.cwd);
  const { logs } = deps;
  // Creating the destination comes after every check passed.
  prepareReserved(deps.fs, roots.dest);
  await deps.startLogging(opts.logFile ?? join(reservedDir(roots.dest), LOG_FILE));
  logs.daemon.info("BACKUP STARTED: {source} -> {dest}, every {interval} s{once}", {
    source: roots.source,
    dest: roots.dest,
    interval: opts.interval,
    once: opts.once ? " (one pass)" : "",
  });
  const rec = await Reconciler.start(deps.fs, {
    source: roots.source,
    dest: roots.dest,
    logs,
    signal: deps.signal,
    rebuildJournal: opts.rebuildJournal,
    journalMaxBytes: opts.journalMaxBytes,
  });
  let code: number = EXIT.OK;
  const watcher = opts.once || !opts.watch
    ? undefined
    : new Watcher(deps.fs, roots.source, { log: logs.daemon });
  try {
    const status = new StatusRecorder(deps.fs, roots.dest, { source: roots.source });
    if (watcher) {
      watcher.start();
      logs.daemon.info(
        "WATCHING {source} for live changes (hints; every {interval} s a full pass)",
        {
          source: roots.source,
          interval: opts.interval,
        },
      );
    }
    const totals = await runDaemon(rec, {
      intervalMs: opts.interval * 1000,
      once: opts.once,
      signal: deps.signal,
      log: logs.daemon,
      onPass: (s) => status.record(s),
      ...(watcher ? { watcher } : {}),
    });
    if (opts.once && (totals.lastFailed > 0 || totals.lastSkipped !== null)) code = EXIT.PARTIAL;
  } finally {
    await watcher?.close();
    await rec.close();
  }
  logs.daemon.info("BACKUP STOPPED: {dest}{why}", {
    dest: roots.dest,
    why: deps.signal.aborted ? " (signal)" : "",
  });
  return code;
}
