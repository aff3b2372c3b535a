/**
 * `backup ui --dest DIR | --config FILE [--job NAME]... [--ui [HOST:]PORT]`:
 * the dashboard read-only, from the journals and status files alone, while a
 * daemon runs or not. It has no actions (no confirm, no restore); a daemon's
 * own `--ui` has them. A backup in a bucket (`--dest s3://...`, or a job whose
 * destination is one) is shown from its journal read from the bucket
 * (lib/ui/remote_journals.ts).
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { absolute } from "../base/paths.ts";
import type { Logger } from "../base/logger.ts";
import { readIdentity } from "../engine/source_guard.ts";
import { journalDir } from "../base/layout.ts";
import { replayJournal } from "../journal/replay.ts";
import { findJournal } from "../cli/journal_common.ts";
import { flag, parseStrict, str, strs } from "../cli/args.ts";
import { isRemoteDest } from "../cli/remote.ts";
import { configJobs, SINGLE_JOB, singleJob, type UiJob } from "./jobs.ts";
import { RemoteJournals } from "./remote_journals.ts";
import { extractUiArgs, resolveToken } from "./ui_args.ts";
import { parseListen } from "./listen.ts";
import { startUi } from "./server.ts";

/** Help text of `backup ui`. */
export const HELP = `backup ui: the dashboard in a browser, read-only, from the journals

Usage:
  backup ui --dest DIR [--ui [HOST:]PORT] [--ui-token TOKEN | --ui-token-file FILE]
  backup ui --dest s3://BUCKET/PREFIX [...]
  backup ui --config FILE [--job NAME]... [--ui [HOST:]PORT] [...]

Serves the dashboard (overview, history, journal, versions, problems) of one
backup or of every job of a config file, from what is on disk: the journal
and the status file. It changes nothing and has no actions; run the daemon
with --ui for live progress, restores and confirming held deletions.
A backup in a bucket is shown from its journal in the bucket, read again
every few seconds while a page is open; its status and history are those a
daemon on this machine keeps (none when it runs elsewhere), and it has no
free space to show.

Options:
  --dest DIR         the backup to show (a folder, or s3://BUCKET/PREFIX)
  --config FILE      show every job of this config file (or those of --job)
  --ui [HOST:]PORT   where to listen (default 127.0.0.1:8577). An address
                     other than loopback needs a token
  --ui-token TOKEN   the token a browser must give (?token=TOKEN once)
  --ui-token-file FILE   the same, read from a file that only you can read (0600)

Stop it with Ctrl+C.
`;

/** What `backup ui` needs. */
export interface UiCommandDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current folder. */
  cwd: string;
  /** Prints a line for the user (the address). */
  err: (line: string) => void;
  /** Where the server logs. */
  log: Logger;
  /** Stops the server. */
  signal: AbortSignal;
}

/**
 * Runs `backup ui` (arguments after the word `ui`) until the signal.
 *
 * @throws UsageError for bad arguments or a destination that holds no backup.
 */
export async function runUiCommand(argv: string[], deps: UiCommandDeps): Promise<number> {
  const { ui, rest } = extractUiArgs(argv);
  const p = parseStrict(rest, {
    dest: { type: "string" },
    config: { type: "string" },
    job: { type: "string", multiple: true },
    help: { type: "boolean" },
  }, "backup ui");
  const dest = str(p, "dest");
  const config = str(p, "config");
  if ((dest === undefined) === (config === undefined)) {
    throw new UsageError(
      "give --dest DIR (one backup) or --config FILE (its jobs); see `backup ui --help`",
    );
  }
  if (flag(p, "help")) return EXIT.OK;
  let jobs: UiJob[];
  if (config !== undefined) {
    jobs = configJobs(deps.fs, config, deps.cwd, strs(p, "job"));
  } else if (isRemoteDest(dest!)) {
    if (strs(p, "job").length > 0) throw new UsageError("--job goes with --config");
    jobs = singleJob("", dest!, null);
    jobs[0]!.source = null; // from the journal, once it is read (below)
  } else {
    if (strs(p, "job").length > 0) throw new UsageError("--job goes with --config");
    const place = findJournal(deps.fs, dest!, deps.cwd);
    jobs = [{
      name: SINGLE_JOB,
      source: readIdentity(deps.fs, place.dest)?.source ?? null,
      dest: absolute(place.dest, deps.cwd),
      interval: null,
    }];
  }
  const listen = ui.listen ?? parseListen("");
  const token = resolveToken({ ...ui, listen }, deps.fs, deps.cwd);
  const journals = new RemoteJournals(deps.fs);
  try {
    await journals.open(jobs);
    for (const job of jobs) job.source ??= journalSource(deps.fs, job.dest);
    const server = await startUi({
      jobs,
      listen,
      token,
      fs: deps.fs,
      readOnly: true,
      log: deps.log,
      signal: deps.signal,
      ...(jobs.some((j) => j.remote) ? { refresh: () => journals.refresh() } : {}),
    });
    deps.err(`backup: dashboard (read-only) at ${server.url}`);
    await server.finished;
  } finally {
    journals.close();
  }
  return EXIT.OK;
}

/** The source folder the journal in `dest` records last (null when it cannot tell). */
function journalSource(fs: FileSystem, dest: string): string | null {
  try {
    return replayJournal(fs, journalDir(dest), { repair: false }).summary.source;
  } catch {
    return null;
  }
}
