/**
 * `backup confirm --dest DIR` (or `--config FILE --job NAME`): confirms the
 * deletions the mass-delete guard of a RUNNING daemon holds. It reads the
 * journal (never writes it: the daemon is its only writer), finds the hold in
 * force, and leaves a request naming it (lib/engine/confirm_request.ts); the
 * daemon takes it at its next full pass, journals a `confirmed` record and
 * deletes. Without a running daemon, `--confirm-deletes` on the next run does it.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { HeldRecord } from "../journal/record.ts";
import { EXIT, JournalCorruptError, UsageError } from "../base/errors.ts";
import { absolute, showPath } from "../base/paths.ts";
import { journalDir, reservedDir } from "../base/layout.ts";
import { probeLock } from "../dest/reserved.ts";
import { ReservedFolder } from "../dest/reserved_folder.ts";
import { readJournal } from "../journal/reader.ts";
import { writeConfirmRequest } from "../engine/confirm_request.ts";
import { flag, parseStrict, str, strs } from "./args.ts";
import { loadConfig, selectJobs } from "./config_load.ts";

/** Help text of `backup confirm`. */
export const HELP = `backup confirm: apply the deletions a running backup holds

Usage:
  backup confirm --dest DIR [--json]
  backup confirm --config FILE --job NAME [--json]

When a pass would delete more than --max-delete entries and more than
--max-delete-percent of the backup (counting the deletions of the last hour),
the daemon holds those deletions and logs MASS DELETE HELD. This command tells
the daemon running on DIR that the deletions it holds are wanted: it applies
them at its next full pass (within --interval seconds) and records that in the
journal. Deletions that show up after the hold are judged again.

With no daemon running, run the backup once with --confirm-deletes instead.

Exit codes: 0 the request was left (or nothing is held), 2 bad usage, no backup
in DIR or no daemon running on it, 3 journal corrupt.
`;

/** Parsed `confirm` arguments. */
export interface ConfirmOptions {
  /** Destination as given (or the job's, with `--config`). */
  dest: string;
  /** One JSON object on stdout. */
  json: boolean;
  /** The config file the destination came from (for messages). */
  config?: string;
}

/** What the confirm command needs. */
export interface ConfirmDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory. */
  cwd: string;
  /** Prints one line to stdout. */
  out: (line: string) => void;
}

/**
 * Parses `backup confirm ...` (after the word `confirm`); with `--config`, reads the file to
 * find the job's destination.
 *
 * @throws UsageError on a bad flag, or a missing or unknown job; ConfigError for a bad file.
 */
export function parseConfirmArgs(
  argv: string[],
  deps: { fs: FileSystem; cwd: string },
): ConfirmOptions {
  const p = parseStrict(argv, {
    dest: { type: "string" },
    config: { type: "string" },
    job: { type: "string", multiple: true },
    json: { type: "boolean" },
  }, "backup confirm");
  const dest = str(p, "dest");
  const config = str(p, "config");
  const jobs = strs(p, "job");
  const json = flag(p, "json");
  if (config !== undefined) {
    if (dest !== undefined) {
      throw new UsageError("--dest cannot be used with --config; name the job with --job NAME");
    }
    if (jobs.length !== 1) {
      throw new UsageError(
        `backup confirm --config ${config} needs exactly one --job NAME (the job whose deletions are held)`,
      );
    }
    const [job] = selectJobs(loadConfig(deps.fs, config, deps.cwd), jobs);
    return { dest: job!.destination, json, config };
  }
  if (jobs.length > 0) throw new UsageError("--job goes with --config FILE");
  if (!dest) throw new UsageError("missing --dest DIR; see `backup confirm --help`");
  return { dest, json };
}

/** The hold in force according to the journal: its latest `held` record, unless confirmed since. */
function holdInForce(fs: FileSystem, dest: string): HeldRecord | null {
  let held: HeldRecord | null = null;
  readJournal(fs, journalDir(dest), {
    repair: false,
    onReset: () => {
      held = null;
    },
    onRecord: (record) => {
      if (record.type === "held") held = record;
      else if (record.type === "confirmed") held = null;
    },
  });
  return held;
}

/**
 * Runs `confirm`. Returns the exit code.
 *
 * @throws UsageError when DIR holds no backup or no daemon runs on it.
 */
export function runConfirm(opts: ConfirmOptions, deps: ConfirmDeps): number {
  const { fs } = deps;
  const dest = absolute(opts.dest, deps.cwd);
  const dir = reservedDir(dest);
  let kind: string;
  try {
    kind = fs.lstat(dir).kind;
  } catch {
    throw new UsageError(`no backup in "${opts.dest}" (no ${dir}); has it run yet?`);
  }
  if (kind !== "dir") {
    throw new UsageError(
      `"${dir}" is not a folder (a symlink?): the backup never follows a link there; check --dest`,
    );
  }
  const lock = probeLock(fs, dest);
  if (!lock.held) {
    throw new UsageError(
      `no backup daemon runs on "${opts.dest}": run the backup once with --confirm-deletes to apply held deletions`,
    );
  }
  let held: HeldRecord | null;
  try {
    held = holdInForce(fs, dest);
  } catch (err) {
    if (!(err instanceof JournalCorruptError)) throw err;
    deps.out(`cannot confirm: ${err.message}`);
    return EXIT.JOURNAL_CORRUPT;
  }
  if (held === null) {
    deps.out(
      opts.json
        ? JSON.stringify({ dest, confirmed: null, reason: "no deletions are held" })
        : `nothing to confirm: the backup in ${dest} holds no deletions`,
    );
    return EXIT.OK;
  }
  const h: HeldRecord = held;
  // Written through the pinned reserved folder, as the daemon writes there: a `.backup` swapped
  // for a symlink meanwhile, or one owned by someone else, is refused (exit 2), never followed.
  const reserved = ReservedFolder.open(fs, dest);
  try {
    writeConfirmRequest(reserved.fs, dest, h.seq);
  } finally {
    reserved.close();
  }
  if (opts.json) {
    deps.out(JSON.stringify({
      dest,
      confirmed: { seq: h.seq, count: h.count, tracked: h.tracked, sample: h.sample },
      pid: lock.pid,
    }));
  } else {
    const more = h.count > h.sample.length ? ", ..." : "";
    deps.out(
      `confirmed: the daemon (pid ${lock.pid ?? "?"}) applies the ${h.count} held deletions ` +
        `(held at seq ${h.seq}, of ${h.tracked} entries: ${
          h.sample.slice(0, 5).map(showPath).join(", ")
        }${more}) at its next full pass; its log says MASS DELETE CONFIRMED`,
    );
  }
  return EXIT.OK;
}
