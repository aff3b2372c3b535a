/**
 * `backup --config FILE [--job NAME]... [flags]`: every job of a config file
 * in one process, each with its own destination, journal, lock and log file.
 *
 * A job that cannot start (source not mounted, destination locked or on a
 * full disk) is logged and retried; it never stops the other jobs. Only a
 * corrupt journal stops a job for good (it needs `--rebuild-journal`, an
 * operator's decision). SIGHUP re-reads the file: jobs that changed or went
 * away are stopped (after their current batch), new or changed jobs start,
 * unchanged jobs run on undisturbed; a file with errors is refused and the
 * running jobs are kept.
 *
 * @module
 */

import type { LogRecord, Sink } from "@logtape/logtape";
import { EventStream } from "../report/events.ts";
import { ProgressReporter, type RunProgress } from "../report/progress_report.ts";
import { ProgressTee } from "../report/progress_tee.ts";
import type { FileSystem } from "../base/fs.ts";
import type { ReconcilerLogs } from "../engine/reconciler.ts";
import type { BackupConfig, ConfigJob } from "./config.ts";
import { asConfigKeys, loadConfig, selectJobs } from "./config_load.ts";
import { describeError, EXIT, exitFor, JournalCorruptError, UsageError } from "../base/errors.ts";
import { CATEGORY, logger, renderMessage } from "../report/log.ts";
import { JobLogFiles } from "../report/log_jobs.ts";
import { absolute } from "../base/paths.ts";
import { sleep } from "../base/timing.ts";
import { plural } from "../base/units.ts";
import { flag, parseStrict, refuseRepeated, str, strs } from "./args.ts";
import { runBackup } from "./run.ts";
import { OPTIONS, parseRunArgs, type RunOptions } from "./run_args.ts";

/** Options of the config file mode. */
export interface JobsOptions {
  /** The config file, as given. */
  config: string;
  /** `--job` names: run only these (even if switched off in the file). */
  only: string[];
  /** The other flags, re-rendered; they override every job's settings. */
  overrides: string[];
  /** `--log-file`: the shared log file (overrides the file's `log.file`). */
  logFile: string | undefined;
  /** `--log-json` (or the file's `log.json`). */
  logJson: boolean;
  /** `--error-log`: the shared errors-only log (overrides the file's `log.errorFile`). */
  errorLog?: string | undefined;
  /** Console verbosity. */
  console: "normal" | "quiet" | "verbose";
  /** `--dry-run`: print each job's plan, change nothing. */
  dryRun: boolean;
  /** `--json` (with `--dry-run`). */
  json: boolean;
}

/** Flags that act on one destination's history: they need a single `--job`. */
const ONE_JOB_FLAGS = ["rebuild-journal", "new-source", "adopt-dest", "confirm-deletes"];

/** Flags that are global in config mode, not per job. */
const GLOBAL_FLAGS = ["config", "job", "log-file", "log-json", "error-log"];

/**
 * Parses `backup --config FILE ...`.
 *
 * @throws UsageError for `--src`/`--dest` beside `--config`, a flag that
 *   needs one `--job`, or a bad flag.
 */
export function parseJobsArgs(argv: string[]): JobsOptions {
  const options = {
    ...OPTIONS,
    config: { type: "string" as const },
    job: { type: "string" as const, multiple: true },
  };
  refuseRepeated(argv, options, "backup");
  const p = parseStrict(argv, options, "backup");
  if (p.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${p.positionals[0]}"; see \`backup --help\``);
  }
  const config = str(p, "config");
  if (!config) throw new UsageError("--config needs a file: backup --config backup.jsonc");
  for (const name of ["src", "dest"]) {
    if (p.values[name] !== undefined) {
      throw new UsageError(
        `--${name} cannot be used with --config: sources and destinations come from the file; ` +
          `pick jobs with --job NAME`,
      );
    }
  }
  const only = strs(p, "job");
  for (const name of ONE_JOB_FLAGS) {
    if (flag(p, name) && only.length !== 1) {
      throw new UsageError(
        `--${name} acts on one backup: with --config, name it with exactly one --job NAME`,
      );
    }
  }
  if (flag(p, "quiet") && flag(p, "verbose")) {
    throw new UsageError("--quiet and --verbose cannot be used together");
  }
  const overrides: string[] = [];
  for (const [name, value] of Object.entries(p.values)) {
    if (GLOBAL_FLAGS.includes(name) || value === undefined || value === false) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      overrides.push(`--${name}`, ...(v === true ? [] : [String(v)]));
    }
  }
  return {
    config,
    only,
    overrides,
    logFile: str(p, "log-file"),
    logJson: flag(p, "log-json"),
    ...(str(p, "error-log") !== undefined ? { errorLog: str(p, "error-log")! } : {}),
    console: flag(p, "quiet") ? "quiet" : flag(p, "verbose") ? "verbose" : "normal",
    dryRun: flag(p, "dry-run"),
    json: flag(p, "json"),
  };
}

/** What {@link runJobs} needs from its caller. */
export interface JobsDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current folder (for a relative `--config`). */
  cwd: string;
  /** Prints one line of command output (`--dry-run`). */
  out: (line: string) => void;
  /** Stops every job after its current batch. */
  signal: AbortSignal;
  /** (Re)configures logging: console, the shared file, and the per-job files' sink. */
  startLogging: (setup: {
    file?: string;
    errorFile?: string;
    json: boolean;
    jobFiles: Sink;
    onProblem?: (record: LogRecord) => void;
  }) => Promise<void>;
  /** Registers `reload` to be called on SIGHUP; returns the way to unregister it. */
  onReload: (reload: () => void) => () => void;
  /** With `--json`: writes one event line (`flush` false for `op` events). */
  writeEvent?: (line: string, flush: boolean) => void;
  /** With `--ui`: one more listener of each job's passes (the dashboard's). */
  liveProgress?: (job: string) => RunProgress;
}

/** Progress of one job: `PROGRESS:` lines in its log, and its `--json` events when asked for. */
class JobProgress {
  readonly reporter: ProgressReporter;
  readonly events: EventStream | undefined;

  constructor(job: string, opts: JobsOptions, write: JobsDeps["writeEvent"]) {
    this.events = write ? new EventStream(write, { job }) : undefined;
    this.reporter = new ProgressReporter({
      log: logger(CATEGORY.progress, job),
      everyOp: opts.console === "verbose",
      ...(this.events ? { events: this.events } : {}),
    });
  }
}

/** Loggers of one job: the program's categories with the job's name below them. */
export function jobLoggers(job: string): ReconcilerLogs {
  return {
    op: logger(CATEGORY.op, job),
    pass: logger(CATEGORY.pass, job),
    daemon: logger(CATEGORY.daemon, job),
  };
}

/** Seconds between attempts to start a job that failed (its interval, within 5 s..5 min). */
export function retrySeconds(interval: number): number {
  return Math.min(300, Math.max(5, interval));
}

interface Running {
  key: string;
  controller: AbortController;
  done: Promise<number>;
  /** The job has ended (for good: a corrupt journal, or --once); a reload may start it again. */
  ended: boolean;
}

/**
 * Runs the selected jobs until they finish (`--once`) or the signal aborts.
 * Returns 0 when every job ended well, else the exit code of the first job
 * (in file order) that did not.
 *
 * @throws ConfigError / UsageError for a bad file or selection (nothing runs).
 */
export async function runJobs(opts: JobsOptions, deps: JobsDeps): Promise<number> {
  const config = loadConfig(deps.fs, opts.config, deps.cwd, opts.overrides);
  const jobs = selectJobs(config, opts.only);
  if (opts.dryRun) return await dryRunJobs(jobs, opts, deps);
  const files = new JobLogFiles(deps.fs); // its format is set by logging(), below
  const progress = new Map<string, JobProgress>();
  // With --json, a job's warnings and errors are events of that job.
  const onProblem = (r: LogRecord) => {
    const events = progress.get(String(r.category[2]))?.events;
    events?.emit(r.level === "warning" ? "warning" : "error", { message: renderMessage(r) });
  };
  const logging = async (c: BackupConfig) => {
    const file = opts.logFile ? absolute(opts.logFile, deps.cwd) : c.log.file;
    const json = opts.logJson || c.log.json;
    const errorFile = opts.errorLog ? absolute(opts.errorLog, deps.cwd) : c.log.errorFile;
    await deps.startLogging({
      ...(file ? { file } : {}),
      ...(errorFile ? { errorFile } : {}),
      json,
      jobFiles: files.sink,
      ...(deps.writeEvent ? { onProblem } : {}),
    });
    files.useJson(json); // only once the new shared log is open
  };
  await logging(config);
  const log = logger(CATEGORY.daemon);
  log.info("CONFIG {path}: {jobsText}: {names}", {
    path: config.path,
    count: jobs.length,
    jobsText: plural(jobs.length, "job"),
    names: jobs.map((j) => j.name).join(", "),
  });
  const running = new Map<string, Running>();
  const codes = new Map<string, number>();
  const order: string[] = [];
  const start = (job: ConfigJob) => {
    const controller = new AbortController();
    const signal = AbortSignal.any([deps.signal, controller.signal]);
    const runOpts = parseRunArgs([...job.argv, ...opts.overrides]);
    const p = new JobProgress(job.name, opts, deps.writeEvent);
    progress.set(job.name, p);
    codes.delete(job.name);
    const entry: Running = {
      key: JSON.stringify(job.argv),
      controller,
      done: Promise.resolve(EXIT.OK),
      ended: false,
    };
    const reporter = deps.liveProgress
      ? new ProgressTee([p.reporter, deps.liveProgress(job.name)])
      : p.reporter;
    entry.done = superviseJob(job.name, runOpts, { ...deps, signal }, files, reporter).then(
      (code) => {
        entry.ended = true;
        codes.set(job.name, code);
        p.events?.emit("stop", { code });
        return code;
      },
    );
    running.set(job.name, entry);
    if (!order.includes(job.name)) order.push(job.name);
  };
  for (const job of jobs) start(job);

  let wake: () => void = () => {};
  let reloads = 0;
  const unregister = deps.onReload(() => {
    reloads++;
    wake();
  });
  const aborted = new Promise<void>((resolve) => {
    if (deps.signal.aborted) resolve();
    deps.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    while (!deps.signal.aborted) {
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const all = Promise.all([...running.values()].map((r) => r.done));
      const first = await Promise.race([
        all.then(() => "done" as const),
        aborted.then(() => "abort" as const),
        woken.then(() => "reload" as const),
      ]);
      if (first !== "reload") break;
      while (reloads > 0) {
        reloads = 0;
        await reload(opts, deps, running, start, logging).catch((err) => {
          // Whatever went wrong, the daemon and its other jobs go on.
          logger(CATEGORY.daemon).error("CONFIG RELOAD FAILED: {reason}", {
            reason: describeError(err),
          });
        });
        // A job the file no longer has does not decide the exit code.
        for (const name of [...codes.keys()]) if (!running.has(name)) codes.delete(name);
      }
    }
    await Promise.all([...running.values()].map((r) => r.done));
  } finally {
    unregister();
    files.closeAll();
  }
  for (const name of order) {
    const code = codes.get(name) ?? EXIT.OK;
    if (code !== EXIT.OK) return code;
  }
  return EXIT.OK;
}

/** Re-reads the file and brings the running jobs in line with it. */
async function reload(
  opts: JobsOptions,
  deps: JobsDeps,
  running: Map<string, Running>,
  start: (job: ConfigJob) => void,
  logging: (c: BackupConfig) => Promise<void>,
): Promise<void> {
  const log = logger(CATEGORY.daemon);
  let jobs: ConfigJob[];
  let config: BackupConfig;
  try {
    config = loadConfig(deps.fs, opts.config, deps.cwd, opts.overrides);
    jobs = selectJobs(config, opts.only);
  } catch (err) {
    log.error("CONFIG RELOAD REFUSED: {reason}; the running jobs go on unchanged", {
      reason: describeError(err),
    });
    return;
  }
  // The new shared log first: if it cannot be opened, nothing has been stopped yet.
  try {
    await logging(config);
  } catch (err) {
    log.error("CONFIG RELOAD REFUSED: {reason}; the running jobs go on", {
      reason: describeError(err),
    });
    return;
  }
  const wanted = new Map(jobs.map((j) => [j.name, j]));
  const stop: string[] = [];
  for (const [name, r] of running) {
    const job = wanted.get(name);
    // A job that ended (a corrupt journal since rebuilt, say) is started again by a reload.
    if (!job || JSON.stringify(job.argv) !== r.key || r.ended) stop.push(name);
  }
  for (const name of stop) running.get(name)!.controller.abort();
  await Promise.all(stop.map((name) => running.get(name)!.done));
  for (const name of stop) running.delete(name);
  if (deps.signal.aborted) return; // stopping: start nothing new
  let started = 0;
  for (const job of jobs) {
    if (running.has(job.name)) continue;
    start(job);
    started++;
  }
  const changed = stop.filter((name) => wanted.has(name)).length;
  log.info(
    "CONFIG RELOADED {path}: {addedText} started, {changed} restarted (changed, or ended before), {removed} stopped, {kept} unchanged",
    {
      path: config.path,
      added: started - changed,
      addedText: plural(started - changed, "job"),
      changed,
      removed: stop.length - changed,
      kept: jobs.length - started,
    },
  );
}

/**
 * Runs one job; when it cannot start or fails, logs why (once per distinct
 * reason) and tries again every {@link retrySeconds}. Returns its exit code.
 */
async function superviseJob(
  name: string,
  opts: RunOptions,
  deps: Omit<JobsDeps, "startLogging" | "onReload">,
  files: JobLogFiles,
  progress: RunProgress,
): Promise<number> {
  const logs = jobLoggers(name);
  const wait = retrySeconds(opts.interval);
  let last = "";
  try {
    while (true) {
      try {
        return await runBackup(opts, {
          fs: deps.fs,
          cwd: deps.cwd,
          out: deps.out,
          signal: deps.signal,
          logs,
          progress,
          job: name,
          startLogging: (file) => {
            files.open(name, file);
            // It started: a later failure, even the same as before, is news.
            if (last !== "") logs.daemon.info("JOB STARTED after: {last}", { last });
            last = "";
            return Promise.resolve();
          },
        });
      } catch (err) {
        const { code } = exitFor(err);
        const message = asConfigKeys(exitFor(err).message);
        const retry = !opts.once && !deps.signal.aborted && !(err instanceof JournalCorruptError);
        if (message !== last) {
          logs.daemon.error("JOB FAILED: {message}; {next}", {
            message,
            next: retry ? `trying again every ${wait} s` : "the other jobs go on",
          });
        }
        last = message;
        if (!retry) return code;
        files.close(name);
        await sleep(wait * 1000, deps.signal);
        if (deps.signal.aborted) return EXIT.OK;
      }
    }
  } finally {
    files.close(name);
  }
}

/** `--dry-run` with `--config`: each job's plan in turn, labelled. */
async function dryRunJobs(jobs: ConfigJob[], opts: JobsOptions, deps: JobsDeps): Promise<number> {
  let result: number = EXIT.OK;
  for (const job of jobs) {
    const runOpts = parseRunArgs([...job.argv, ...opts.overrides]);
    if (!opts.json) deps.out(`# job ${job.name}`);
    const out = opts.json
      ? (line: string) => deps.out(JSON.stringify({ job: job.name, ...JSON.parse(line) }))
      : deps.out;
    try {
      await runBackup(runOpts, {
        fs: deps.fs,
        cwd: deps.cwd,
        out,
        signal: deps.signal,
        logs: jobLoggers(job.name),
        startLogging: () => Promise.resolve(),
      });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      // One job's missing source does not hide the other jobs' plans.
      deps.out(
        opts.json ? JSON.stringify({ job: job.name, error: err.message }) : `error: ${err.message}`,
      );
      if (result === EXIT.OK) result = EXIT.USAGE;
    }
  }
  return result;
}
