// deno-lint-ignore-file no-console
/**
 * Entry point: parse argv, build dependencies, dispatch, map errors to exit
 * codes. The only module that prints to the console directly or exits.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { DenoFileSystem, isBrokenPipe } from "./lib/base/fs.ts";
import { EXIT, exitFor } from "./lib/base/errors.ts";
import { absolute } from "./lib/base/paths.ts";
import {
  CATEGORY,
  closeLogging,
  logger,
  type LogLevel,
  renderMessage,
  setupLogging,
} from "./lib/report/log.ts";
import type { ReconcilerLogs } from "./lib/engine/reconciler.ts";
import { HELP as RUN_HELP, runBackup } from "./lib/cli/run.ts";
import { parseRunArgs, type RunOptions } from "./lib/cli/run_args.ts";
import { EventStream } from "./lib/report/events.ts";
import { TerminalBar } from "./lib/report/progress.ts";
import { ProgressReporter } from "./lib/report/progress_report.ts";
import { HELP as JOURNAL_HELP, parseJournalArgs, runJournal } from "./lib/cli/journal.ts";
import { HELP as STATUS_HELP, parseStatusArgs, runStatus } from "./lib/cli/status.ts";
import { parseJobsArgs, runJobs } from "./lib/cli/jobs.ts";
import { parseJobsStatusArgs, runJobsStatus } from "./lib/cli/status_jobs.ts";
import { runRemoteStatus } from "./lib/cli/status_remote.ts";
import { HELP as CONFIG_HELP, parseConfigArgs, runConfigCheck } from "./lib/cli/config_check.ts";
import { promptRoots, wantsPrompt } from "./lib/cli/prompt.ts";
import { parseConvertArgs, runConfigConvert } from "./lib/cli/config_convert.ts";
import { HELP as RESTORE_HELP, parseRestoreArgs, runRestore } from "./lib/cli/restore.ts";
import { HELP as CONFIRM_HELP, parseConfirmArgs, runConfirm } from "./lib/cli/confirm.ts";
import { HELP as VERIFY_HELP, parseVerifyArgs, runVerifyCommand } from "./lib/cli/verify.ts";
import { isRemoteDest, remoteDestIn, withRemoteDest } from "./lib/cli/remote.ts";
import { extractUiArgs, type UiFlags } from "./lib/ui/ui_args.ts";
import type { DaemonUi } from "./lib/ui/daemon_ui.ts";
import { configJobs, SINGLE_JOB, singleJob, type UiJob } from "./lib/ui/jobs.ts";
import { ProgressTee } from "./lib/report/progress_tee.ts";

/** The program's version, from deno.json. */
export const VERSION: string = denoJson.version;

function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

function loggers(): ReconcilerLogs {
  return {
    op: logger(CATEGORY.op),
    pass: logger(CATEGORY.pass),
    daemon: logger(CATEGORY.daemon),
  };
}

/**
 * Standard output for the commands' `out`, in blocks of 64 kB: one
 * `console.log` per line costs ~3 us, which made `journal show` of a
 * million operations spend most of its time printing. Flushed when full, at
 * the end, and before an error is printed.
 */
const stdout = {
  text: "",
  encoder: new TextEncoder(),
  line(line: string): void {
    this.text += line + "\n";
    if (this.text.length >= 65536) this.flush();
  },
  flush(): void {
    const bytes = this.encoder.encode(this.text);
    this.text = "";
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  },
};

/**
 * The daemon's progress bar (stderr on a terminal) and `--json` events
 * (stdout), once {@link setupProgress} made them: the error path at the
 * bottom clears the bar and ends the event stream.
 */
const ui: { bar?: TerminalBar; events?: EventStream; stdoutGone?: boolean } = {};

function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80; // 0 under some pseudo-terminals
  } catch {
    return 80;
  }
}

/**
 * Chooses the progress display: a bar on stderr when it is a terminal and
 * the console is neither --quiet, --verbose (every operation is its own
 * line) nor --json; `PROGRESS:` lines through the logger otherwise (the log
 * file always gets them); JSON events on stdout with --json. A reader that
 * closes stdout stops the daemon, as `head` stops other commands.
 */
function setupProgress(opts: RunOptions, stop: AbortController): ProgressReporter {
  if (Deno.stderr.isTerminal() && opts.console === "normal" && !opts.json) {
    ui.bar = new TerminalBar((text) => {
      try {
        writeStderr(text);
      } catch { /* the terminal went away: the bar is not worth an error */ }
    });
  }
  if (opts.json) ui.events = new EventStream(jsonWriter(stop));
  return new ProgressReporter({
    log: logger(CATEGORY.progress),
    columns: terminalColumns,
    everyOp: opts.console === "verbose",
    ...(ui.bar ? { bar: ui.bar } : {}),
    ...(ui.events ? { events: ui.events } : {}),
  });
}

/** Writes `--json` event lines to stdout; a reader that went away stops the backup. */
function jsonWriter(stop: AbortController): (line: string, flush: boolean) => void {
  return (line, flush) => {
    if (ui.stdoutGone) return;
    try {
      stdout.line(line);
      if (flush) stdout.flush();
    } catch {
      ui.stdoutGone = true;
      stdout.text = "";
      stop.abort();
    }
  };
}

/** A console log line: to stderr with --json (stdout is for events), around the bar. */
function consoleLine(json: boolean): (line: string, level: LogLevel) => void {
  return (line, level) => {
    const print = () => {
      if (json || level === "warning" || level === "error" || level === "fatal") {
        console.error(line);
      } else {
        console.log(line);
      }
    };
    if (ui.bar) ui.bar.around(print);
    else print();
  };
}

async function main(argv: string[]): Promise<number> {
  let args = argv;
  const fs = new DenoFileSystem();
  const cwd = Deno.cwd();
  const out = (line: string) => stdout.line(line);
  // A bucket's status: this machine's cache folder while its daemon runs here (lib/cli/status_remote.ts).
  if (args[0] === "status" && remoteDestIn(args) && !wantsHelp(args.slice(1))) {
    return await runRemoteStatus(parseStatusArgs(args.slice(1)), { fs, cwd, out });
  }
  // A backup in a bucket (issue 16): its journal is read into a private folder, passed as --dest.
  if ((args[0] === "journal" || args[0] === "status") && remoteDestIn(args)) {
    return await withRemoteDest(fs, args.slice(1), (rest) => main([args[0]!, ...rest]));
  }
  if (args[0] === "restore") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(RESTORE_HELP);
      return EXIT.OK;
    }
    return await runRestore(parseRestoreArgs(rest), { fs, cwd, out });
  }
  if (args[0] === "confirm") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(CONFIRM_HELP);
      return EXIT.OK;
    }
    return runConfirm(parseConfirmArgs(rest, { fs, cwd }), { fs, cwd, out });
  }
  if (args[0] === "verify") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(VERIFY_HELP);
      return EXIT.OK;
    }
    const opts = parseVerifyArgs(rest);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      return await runVerifyCommand(opts, {
        fs,
        cwd,
        out,
        logs: loggers(),
        signal: controller.signal,
        // The report is the command's output; the log file gets the details, stderr the errors.
        startLogging: (file) =>
          setupLogging({ file, console: "quiet", fs, consoleWrite: (line) => console.error(line) }),
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
  }
  if (args[0] === "journal" || args[0] === "status") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(args[0] === "journal" ? JOURNAL_HELP : STATUS_HELP);
      return EXIT.OK;
    }
    if (args[0] === "status") {
      if (rest.some((a) => a === "--config" || a.startsWith("--config="))) {
        return runJobsStatus(parseJobsStatusArgs(rest), { fs, cwd, out });
      }
      return runStatus(parseStatusArgs(rest), { fs, cwd, out });
    }
    const opts = parseJournalArgs(rest);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      return await runJournal(opts, {
        fs,
        cwd,
        out,
        logs: loggers(),
        signal: controller.signal,
        startLogging: (file) => setupLogging({ file, console: "normal", fs }),
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
  }
  if (args[0] === "ui") {
    const rest = args.slice(1);
    // The dashboard (Hono and the page's assets) is loaded only by the commands that serve it.
    const { HELP: UI_HELP, runUiCommand } = await import("./lib/ui/command.ts");
    if (wantsHelp(rest)) {
      console.log(UI_HELP);
      return EXIT.OK;
    }
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      return await runUiCommand(rest, {
        fs,
        cwd,
        err: (line) => console.error(line),
        log: logger(CATEGORY.daemon),
        signal: controller.signal,
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
  }
  if (args[0] === "config") {
    if (wantsHelp(args.slice(1))) {
      console.log(CONFIG_HELP);
      return EXIT.OK;
    }
    if (args[1] === "convert") {
      return runConfigConvert(parseConvertArgs(args.slice(2)), { fs, cwd, out });
    }
    return runConfigCheck(parseConfigArgs(args.slice(1)), { fs, cwd, out });
  }
  if (wantsHelp(args)) {
    console.log(RUN_HELP);
    return EXIT.OK;
  }
  if (args.includes("--version") || args.includes("-V")) {
    console.log(`backup ${VERSION}`);
    return EXIT.OK;
  }
  const { ui: uiFlags, rest: daemonArgs } = extractUiArgs(args);
  args = daemonArgs;
  const controller = new AbortController();
  let firstSignalAt: number | null = null;
  const onSignal = () => {
    // `deno task` forwards the terminal's SIGINT while the terminal sends it too: two signals
    // within SIGNAL_ECHO_MS are one Ctrl+C. A later one is a second Ctrl+C: the journal makes
    // exiting at once safe.
    const now = performance.now();
    if (firstSignalAt !== null) {
      if (now - firstSignalAt < SIGNAL_ECHO_MS) return;
      Deno.exit(130);
    }
    firstSignalAt = now;
    controller.abort();
    armStopDeadline();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  if (args.some((a) => a === "--config" || a.startsWith("--config="))) {
    // From here to the exit, SIGHUP never kills the process (Deno's default action comes back
    // whenever no listener is registered): before the jobs start and after they stop, it is
    // ignored; in between, runJobs' own listener reloads the file.
    Deno.addSignalListener("SIGHUP", () => {});
    const opts = parseJobsArgs(args);
    const dashboard = opts.dryRun ? null : await startDashboard(
      uiFlags,
      () => configJobs(fs, opts.config, cwd, opts.only, opts.overrides),
      fs,
      cwd,
    );
    try {
      return await runJobs(opts, {
        fs,
        cwd,
        out,
        signal: controller.signal,
        startLogging: (setup) =>
          setupLogging({
            ...setup,
            console: opts.console,
            fs,
            consoleWrite: consoleLine(opts.json),
          }),
        ...(opts.json && !opts.dryRun ? { writeEvent: jsonWriter(controller) } : {}),
        onReload: (reload) => {
          Deno.addSignalListener("SIGHUP", reload);
          return () => Deno.removeSignalListener("SIGHUP", reload);
        },
        ...(dashboard ? { liveProgress: (job: string) => dashboard.progressFor(job) } : {}),
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
      await dashboard?.stop();
    }
  }
  // On a terminal with no folders given, the watchdog script's questions (lib/cli/prompt.ts).
  const runArgs = wantsPrompt(args, Deno.stdin.isTerminal())
    ? promptRoots(args, { fs, cwd, ask: (q) => prompt(q), say: (line) => console.error(line) })
    : args;
  const opts = parseRunArgs(runArgs, { commandLine: true });
  // Without a config file there is nothing to reload: SIGHUP (a closed terminal) must not kill the backup.
  const onHangup = () =>
    logger(CATEGORY.daemon).info("SIGHUP: nothing to reload without --config; going on");
  Deno.addSignalListener("SIGHUP", onHangup);
  const reporter = opts.dryRun ? undefined : setupProgress(opts, controller);
  const dashboard = opts.dryRun ? null : await startDashboard(
    uiFlags,
    () =>
      singleJob(
        absolute(opts.src, cwd),
        isRemoteDest(opts.dest) ? opts.dest : absolute(opts.dest, cwd),
        opts.interval,
      ),
    fs,
    cwd,
  );
  const progress = reporter && dashboard
    ? new ProgressTee([reporter, dashboard.progressFor(SINGLE_JOB)])
    : reporter;
  try {
    return await runBackup(opts, {
      fs,
      cwd,
      out,
      signal: controller.signal,
      logs: loggers(),
      ...(progress ? { progress } : {}),
      startLogging: (file) =>
        setupLogging({
          file,
          json: opts.logJson,
          console: opts.console,
          fs,
          consoleWrite: consoleLine(opts.json),
          consoleProgress: !ui.bar,
          ...(opts.errorLog ? { errorFile: absolute(opts.errorLog, cwd) } : {}),
          ...(ui.events ? { onProblem: (r) => problemEvent(r.level, renderMessage(r)) } : {}),
        }),
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await dashboard?.stop();
    // onHangup stays until the exit: without a listener, SIGHUP would kill the process.
  }
}

/** Stop signals this close to the first one are the same stop (a terminal's and `deno task`'s). */
const SIGNAL_ECHO_MS = 1_000;

/**
 * Starts the daemon's dashboard when `--ui` was given (null otherwise) and
 * prints its address on stderr.
 */
async function startDashboard(
  flags: UiFlags,
  jobs: () => UiJob[],
  fs: DenoFileSystem,
  cwd: string,
): Promise<DaemonUi | null> {
  if (flags.listen === null) return null;
  // Loaded only with --ui: a backup without a dashboard does not hold Hono and the page's assets.
  const [{ startDaemonUi }, { confirmHeld }] = await Promise.all([
    import("./lib/ui/daemon_ui.ts"),
    import("./lib/ui/actions.ts"),
  ]);
  const dashboard = await startDaemonUi({ ...flags, listen: flags.listen }, jobs(), {
    fs,
    cwd,
    log: logger(CATEGORY.daemon),
    confirm: (job) => confirmHeld(job, fs),
  });
  console.error(`backup: dashboard at ${dashboard.url}`);
  return dashboard;
}

/**
 * How long a stop signal may take: the current batch, the journal's sync and a running hook
 * normally end well within it. Past it (a hung disk, a thread stuck in the kernel, a hook that
 * takes longer), the process exits as a second Ctrl+C would: the write-ahead journal makes that
 * as safe as a crash, and the next start replays it.
 */
const STOP_DEADLINE_MS = 10_000;

/** Exits with 130 if the process is still running {@link STOP_DEADLINE_MS} after a stop signal. */
function armStopDeadline(): void {
  const timer = setTimeout(() => {
    try {
      writeStderr(
        `backup: still stopping ${
          STOP_DEADLINE_MS / 1000
        } s after the signal (a disk, a thread or a hook is stuck); exiting now: the journal is replayed at the next start\n`,
      );
    } catch { /* stderr gone */ }
    Deno.exit(130);
  }, STOP_DEADLINE_MS);
  Deno.unrefTimer(timer); // the deadline alone never keeps the process alive
}

/** A warning or error log record as a `--json` event. */
function problemEvent(level: LogLevel, message: string): void {
  ui.events?.emit(level === "warning" ? "warning" : "error", { message });
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
    stdout.flush();
  } catch (err) {
    if (isBrokenPipe(err)) {
      code = EXIT.OK; // the reader went away (`... | head`): stop quietly
    } else {
      try {
        stdout.flush();
      } catch { /* stdout gone too */ }
      const { code: c, message } = exitFor(err);
      code = c;
      ui.bar?.clear();
      console.error(`backup: ${message}`);
      ui.events?.emit("error", { message, fatal: true });
      if (Deno.env.get("BACKUP_DEBUG")) console.error(err);
    }
  }
  ui.events?.emit("stop", { code });
  await closeLogging();
  Deno.exit(code);
}
