/**
 * `backup verify --dest B [--sample P] [--json] [--repair] [--src A | --config F --job N]`:
 * re-reads the files of the mirror, hashes them and compares them with the
 * hashes the journal recorded (and with the source where it still has the
 * same size and mtime); `--repair` recopies the damaged ones from the source
 * through a reconcile pass, journaled like any copy. See lib/engine/verify.ts.
 *
 * @module
 */

import type { State } from "../journal/state.ts";
import { describeError, EXIT, LockedError, RootError, UsageError } from "../base/errors.ts";
import { absolute, join, parentOf, showPath } from "../base/paths.ts";
import { createHasher } from "../base/hash.ts";
import { formatBytes } from "../base/units.ts";
import { journalDir, LOG_FILE, reservedDir } from "../base/layout.ts";
import { replayJournal } from "../journal/replay.ts";
import { acquireLock, prepareReserved, probeLock } from "../dest/reserved.ts";
import { closeLocal, LocalDestination } from "../dest/local.ts";
import type { Destination } from "../dest/destination.ts";
import { isRemoteDest, openRemote, readRemote, startRemote } from "./remote.ts";
import type { Lease } from "../dest/object_lease.ts";
import { checkRoots } from "../engine/guard.ts";
import { Reconciler } from "../engine/reconciler.ts";
import { filesToVerify, type Finding, isVerifiable, Verifier } from "../engine/verify.ts";
import { StatusRecorder } from "../report/status.ts";
import { flag, type OptionTable, parseStrict, str, strs } from "./args.ts";
import { plural } from "./format.ts";
import { findJournal, type JournalDeps } from "./journal_common.ts";
import { loadSettings, startAsSaved } from "./settings.ts";
import { loadConfig, selectJobs } from "./config_load.ts";

/** Help text of `backup verify`. */
export const HELP = `backup verify: check the backup by content

Usage:
  backup verify --dest DIR [--sample PERCENT] [--json] [--repair]
                [--src DIR | --config FILE --job NAME]

Re-reads every file of the backup in DIR (or a random --sample of them),
hashes it (xxh128) and compares it with the hash the journal recorded when it
was copied. Where the source still has the file with the same size and mtime,
the source is hashed too, which tells which side is wrong: a damaged backup
(a flipped bit, a failed sector, an edit that kept size and mtime), or a source
that changed keeping its size and mtime (no pass can see that). Each mismatch
is listed with the expected and found hashes, then a summary. Only reads, and
works while a daemon runs (without --repair).

Options:
  --dest DIR        the backup (the mirror with its .backup/ folder), or
                    s3://BUCKET/PREFIX
  --src DIR         the source to compare with (default: the one the journal
                    names; a missing source means the backup is checked alone)
  --config FILE --job NAME
                    take the source and the backup from a job of a config file
  --sample PERCENT  check a random PERCENT of the files (above 0, at most 100)
  --json            one JSON object a line: "mismatch" lines, then "summary"
  --repair          recopy the damaged files from the source, through a
                    reconcile pass over their folders (journaled like any
                    copy; other changes in those folders are backed up too).
                    Needs the destination's lock (a bucket's lease): stop a
                    running daemon first, on any machine.
                    Files whose source changed or is damaged too are listed as
                    not repaired.

Exit codes: 0 every file matches (or every damaged file was repaired), 2 bad
usage or no backup in DIR, 3 journal corrupt, 5 --repair while a daemon runs
on DIR, 6 stopped by Ctrl+C/SIGTERM before every file was checked, 7
mismatches found (or left after --repair).
`;

/** Parsed `verify` arguments. */
export interface VerifyCommandOptions {
  /** Destination root as given (null: from the config job). */
  dest: string | null;
  /** Source root as given, or null. */
  src: string | null;
  /** Config file and job, or null. */
  config: { file: string; job: string } | null;
  /** Share of the files checked, in percent (100: all). */
  sample: number;
  /** JSON lines. */
  json: boolean;
  /** Recopy damaged files. */
  repair: boolean;
}

const OPTIONS: OptionTable = {
  dest: { type: "string" },
  src: { type: "string" },
  config: { type: "string" },
  job: { type: "string", multiple: true },
  sample: { type: "string" },
  json: { type: "boolean" },
  repair: { type: "boolean" },
};

/**
 * Parses `--sample PERCENT`: a number above 0, at most 100.
 *
 * @throws UsageError naming the flag.
 */
export function parseSample(raw: string | undefined): number {
  if (raw === undefined) return 100;
  const n = Number(raw.replace(/%$/, ""));
  if (!/^\s*\d*\.?\d+%?\s*$/.test(raw) || !(n > 0) || n > 100) {
    throw new UsageError(`--sample must be a percentage above 0 and at most 100, not "${raw}"`);
  }
  return n;
}

/**
 * Parses `backup verify ...` arguments (after the word `verify`).
 *
 * @throws UsageError on a bad, missing or conflicting flag.
 */
export function parseVerifyArgs(argv: string[]): VerifyCommandOptions {
  const p = parseStrict(argv, OPTIONS, "backup verify");
  const config = str(p, "config");
  const jobs = strs(p, "job");
  if (config !== undefined && jobs.length !== 1) {
    throw new UsageError(
      "--config needs exactly one --job NAME: the job whose backup to verify; see `backup verify --help`",
    );
  }
  if (config === undefined && jobs.length > 0) {
    throw new UsageError("--job needs --config FILE; see `backup verify --help`");
  }
  const src = str(p, "src");
  if (config !== undefined && src !== undefined) {
    throw new UsageError("give --src or --config, not both; see `backup verify --help`");
  }
  const dest = str(p, "dest");
  if (dest === undefined && config === undefined) {
    throw new UsageError("missing --dest DIR: the backup to verify; see `backup verify --help`");
  }
  return {
    dest: dest ?? null,
    src: src ?? null,
    config: config !== undefined ? { file: config, job: jobs[0]! } : null,
    sample: parseSample(str(p, "sample")),
    json: flag(p, "json"),
    repair: flag(p, "repair"),
  };
}

/** What a run found. */
interface Outcome {
  /** Files checked. */
  files: number;
  /** Files the state holds that could be checked. */
  total: number;
  /** Bytes read from the destination. */
  bytes: number;
  /** Mismatches. */
  findings: Finding[];
}

/** The destination and source a run uses. */
interface Place {
  dest: string;
  dir: string;
  source: string | null;
  /** Why the source is not compared, or null. */
  noSource: string | null;
}

/**
 * The source to compare with: `--src` (or the config job's), else the one the journal names.
 * A source named by the journal that is gone leaves the backup checked alone.
 *
 * @throws UsageError when a source given on the command line is not a folder.
 */
function resolveSource(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  recorded: string | null,
): { source: string | null; noSource: string | null } {
  const source = opts.src !== null ? absolute(opts.src, deps.cwd) : recorded;
  if (source === null) return { source: null, noSource: "the journal names no source" };
  let problem: string | null = null;
  try {
    if (deps.fs.lstat(source).kind !== "dir") problem = "not a folder";
  } catch (err) {
    problem = describeError(err);
  }
  if (problem === null) return { source, noSource: null };
  if (opts.src !== null) {
    throw new UsageError(`--src "${opts.src}": ${problem}; give the folder the backup is of`);
  }
  return { source: null, noSource: `the source ${source}: ${problem}` };
}

/** The job's destination and source, from `--config FILE --job NAME`. */
function fromConfig(opts: VerifyCommandOptions, deps: JournalDeps): VerifyCommandOptions {
  if (opts.config === null) return opts;
  const config = loadConfig(deps.fs, opts.config.file, deps.cwd);
  const [job] = selectJobs(config, [opts.config.job]);
  if (opts.dest !== null && absolute(opts.dest, deps.cwd) !== job!.destination) {
    throw new UsageError(
      `--dest ${opts.dest} is not the destination of job "${job!.name}" (${
        job!.destination
      }); leave --dest out`,
    );
  }
  return { ...opts, dest: job!.destination, src: job!.source };
}

/**
 * Runs `verify`. Returns the exit code: 0 all match, 7 mismatches found (or
 * left after `--repair`).
 *
 * @throws UsageError (no backup in DIR), LockedError (`--repair` while a
 *   daemon runs), JournalCorruptError, JournalIoError.
 */
export async function runVerifyCommand(
  given: VerifyCommandOptions,
  deps: JournalDeps,
): Promise<number> {
  const opts = fromConfig(given, deps);
  if (isRemoteDest(opts.dest!)) {
    // A bucket (issue 16): --repair works in the cache folder that stands for it, with the
    // lease held, as a daemon would; a read-only run reads its journal into a private folder.
    if (opts.repair) return await repair(opts, deps, await startRemoteRepair(opts, deps));
    const reading = await readRemote(deps.fs, opts.dest!);
    try {
      return await verifyReadOnly(
        opts,
        deps,
        reading.place,
        reading.remote.destination,
        opts.dest!,
      );
    } finally {
      reading.cleanup();
    }
  }
  const { dest, dir } = findJournal(deps.fs, opts.dest!, deps.cwd);
  if (opts.repair) return await repair(opts, deps, await startLocalRepair(opts, deps, dest, dir));
  return await verifyReadOnly(opts, deps, dest, null, null);
}

/**
 * Verifies without changing anything: `destination` given (a bucket's, shown as `shown`), or
 * the folder `destArg`'s.
 */
async function verifyReadOnly(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  destArg: string,
  remote: Destination | null,
  shown: string | null,
): Promise<number> {
  const { dest, dir } = findJournal(deps.fs, destArg, deps.cwd);
  const look = replayJournal(deps.fs, dir, { repair: false });
  const place = {
    dest: shown ?? dest,
    dir,
    ...resolveSource(opts, deps, look.summary.source),
  };
  const destination = remote ?? new LocalDestination(deps.fs, dest);
  try {
    const outcome = await verifyState(opts, deps, place, destination, look.state);
    // A bucket's daemon runs elsewhere, or in a cache folder of its own: not probed.
    const lock = remote === null ? probeLock(deps.fs, dest) : { held: false, pid: null };
    if (lock.held && outcome.findings.length > 0) {
      // A running daemon may have copied a file after the journal was read: what changed since
      // is checked again against the journal as it is now.
      outcome.findings = await recheck(outcome.findings, deps, place, destination, dir);
    }
    report(opts, deps, place, outcome, lock.held ? lock.pid ?? 0 : null);
    return exitOf(outcome.findings.length, deps.signal);
  } finally {
    closeLocal(destination);
  }
}

/** Checks the files of `state` (or a sample); prints nothing. */
async function verifyState(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  place: Place,
  destination: Destination,
  state: State,
): Promise<Outcome> {
  const busy = new Set([...state.pending.values()].map((intent) => intent.path));
  const total = filesToVerify(state.entries, { busy }).length;
  const files = filesToVerify(state.entries, { busy, percent: opts.sample });
  const verifier = new Verifier({
    fs: deps.fs,
    destination,
    source: place.source,
    hasher: await createHasher(),
  });
  const outcome: Outcome = { files: 0, total, bytes: 0, findings: [] };
  for (const [path, entry] of files) {
    if (deps.signal.aborted) break;
    const checked = await verifier.check(path, entry);
    outcome.files++;
    outcome.bytes += checked.bytes;
    if (checked.finding) outcome.findings.push(checked.finding);
  }
  return outcome;
}

/** Re-checks findings whose journal entry changed since it was read (a daemon runs). */
async function recheck(
  findings: Finding[],
  deps: JournalDeps,
  place: Place,
  destination: Destination,
  dir: string,
): Promise<Finding[]> {
  const now = replayJournal(deps.fs, dir, { repair: false }).state;
  const busy = new Set([...now.pending.values()].map((intent) => intent.path));
  const verifier = new Verifier({
    fs: deps.fs,
    destination,
    source: place.source,
    hasher: await createHasher(),
  });
  const kept: Finding[] = [];
  for (const finding of findings) {
    const entry = now.entries.get(finding.path);
    if (busy.has(finding.path) || !entry || !isVerifiable(entry)) continue;
    if (entry.hash === finding.expected && finding.problem !== "changed") {
      kept.push(finding);
      continue;
    }
    const checked = await verifier.check(finding.path, entry);
    if (checked.finding) kept.push(checked.finding);
  }
  return kept;
}

/** The exit code: 7 with mismatches left, else 6 when a signal stopped the run early, else 0. */
function exitOf(left: number, signal: AbortSignal): number {
  return left > 0 ? EXIT.MISMATCH : signal.aborted ? EXIT.PARTIAL : EXIT.OK;
}

/** Words for the source comparison of a finding. */
function sourceWords(f: Finding): string {
  switch (f.source) {
    case "same":
      return "source holds the copied content";
    case "differs":
      return `source differs (${f.sourceHash})`;
    case "changed":
      return "source changed since the copy";
    case "missing":
      return "not in the source";
    case "unreadable":
      return "source unreadable";
    case "not-compared":
      return "source not compared";
  }
}

/** Prints the findings (and the repair's outcome) and the summary. */
function report(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  place: Place,
  outcome: Outcome,
  runningPid: number | null,
  repaired?: { repaired: string[]; notRepaired: Finding[]; note: string | null },
): void {
  const { out } = deps;
  const left = repaired ? repaired.notRepaired : outcome.findings;
  const inDest = outcome.findings.filter((f) => f.wrong !== "source").length;
  const inSource = outcome.findings.length - inDest;
  if (opts.json) {
    for (const f of outcome.findings) out(JSON.stringify({ type: "mismatch", ...f }));
    if (repaired) {
      for (const path of repaired.repaired) out(JSON.stringify({ type: "repaired", path }));
      for (const f of repaired.notRepaired) {
        out(JSON.stringify({ type: "notRepaired", path: f.path, reason: f.detail }));
      }
    }
    out(JSON.stringify({
      type: "summary",
      dest: place.dest,
      source: place.source,
      noSource: place.noSource,
      sample: opts.sample,
      files: outcome.files,
      total: outcome.total,
      bytes: outcome.bytes,
      mismatches: outcome.findings.length,
      destination: inDest,
      sourceSide: inSource,
      repaired: repaired ? repaired.repaired.length : null,
      notRepaired: repaired ? repaired.notRepaired.length : null,
      note: repaired?.note ?? null,
      ok: left.length === 0 && !deps.signal.aborted,
      stopped: deps.signal.aborted,
      running: runningPid === null ? null : { pid: runningPid || null },
    }));
    return;
  }
  for (const f of outcome.findings) {
    out(`MISMATCH ${showPath(f.path)}: ${f.problem}, the ${f.wrong} is wrong`);
    out(`  expected ${f.expected}, found ${f.found ?? "-"}; ${sourceWords(f)}`);
    out(`  ${f.detail}`);
  }
  if (repaired) {
    for (const path of repaired.repaired) out(`REPAIRED ${showPath(path)}`);
    for (const f of repaired.notRepaired) {
      out(`NOT REPAIRED ${showPath(f.path)}: ${f.detail}`);
    }
  }
  const sampled = opts.sample < 100 ? ` (a ${opts.sample}% sample of ${outcome.total})` : "";
  const against = place.source !== null
    ? `the journal and the source ${place.source}`
    : `the journal (${place.noSource})`;
  out(
    `verified ${plural(outcome.files, "file")}${sampled}, ${
      formatBytes(outcome.bytes)
    } read, in ${place.dest} against ${against}: ` +
      (outcome.findings.length === 0
        ? "all match"
        : `${outcome.findings.length} ${
          outcome.findings.length === 1 ? "mismatch" : "mismatches"
        } (${inDest} in the backup, ${inSource} in the source)`) +
      (repaired
        ? `; ${repaired.repaired.length} repaired, ${repaired.notRepaired.length} not repaired`
        : ""),
  );
  if (repaired?.note) out(`note: ${repaired.note}`);
  if (deps.signal.aborted) {
    out(`stopped by a signal after ${plural(outcome.files, "file")}: the rest was not checked`);
  }
  if (runningPid !== null) {
    out(
      `a daemon is running${
        runningPid ? ` (pid ${runningPid})` : ""
      }: files it copied meanwhile were checked again`,
    );
  }
}

/** A `--repair` ready to run: the lock (and a bucket's lease) held, the reconciler started. */
interface RepairStarted {
  /** The reconciler, whose state is verified and whose pass recopies. */
  rec: Reconciler;
  /** Where, for the report. */
  place: Place;
  /** The local folder of the reserved files (status.json): the destination, or a bucket's cache. */
  root: string;
  /** Closes the reconciler (releasing the lock) and a bucket's lease. */
  close(): Promise<void>;
  /** A caveat shown when a recopy pass runs, or null. */
  note: string | null;
}

/** The words of a refused `--repair`: who holds the backup, then the way out. */
function refusedWhileRunning(err: LockedError, where: string, shown: string): LockedError {
  const who = err.message.replace(/; stop (it first|that backup).*$/, "").replace(where, shown);
  return new LockedError(
    `${who}: --repair needs the backup to itself; stop the daemon and run it again ` +
      "(verify without --repair works while it runs)",
    { cause: err },
  );
}

/** The source to repair from: `--src`, else the one the journal in `dir` names. */
function repairSource(opts: VerifyCommandOptions, deps: JournalDeps, dir: string, shown: string) {
  const look = replayJournal(deps.fs, dir, { repair: false });
  const source = opts.src !== null ? absolute(opts.src, deps.cwd) : look.summary.source;
  if (source === null) {
    throw new UsageError(
      `the journal in ${shown} names no source: give --src DIR, the folder to repair from`,
    );
  }
  return source;
}

/** {@link checkRoots}, its refusal worded for a repair. */
function repairRoots(deps: JournalDeps, source: string, dest: string) {
  try {
    return checkRoots(deps.fs, source, dest, deps.cwd);
  } catch (err) {
    if (!(err instanceof RootError)) throw err;
    throw new RootError(`cannot repair from the source ${source}: ${err.message}`, { cause: err });
  }
}

/** `--repair` of a local backup: its lock taken, a reconciler started as the daemon ran. */
async function startLocalRepair(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  dest: string,
  dir: string,
): Promise<RepairStarted> {
  const roots = repairRoots(deps, repairSource(opts, deps, dir, dest), dest);
  prepareReserved(deps.fs, roots.dest);
  let lock;
  try {
    lock = acquireLock(deps.fs, roots.dest);
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    throw refusedWhileRunning(err, roots.dest, roots.dest);
  }
  let rec: Reconciler;
  try {
    await deps.startLogging(join(reservedDir(roots.dest), LOG_FILE));
    deps.logs.daemon.info("VERIFY --repair: {source} -> {dest}", { ...roots });
    rec = await startAsSaved(deps.fs, roots, { logs: deps.logs, signal: deps.signal, lock });
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    rec,
    place: { dest: roots.dest, dir, source: roots.source, noSource: null },
    root: roots.dest,
    close: () => rec.close(),
    note: null,
  };
}

/**
 * `--repair` of a bucket: as a daemon's start (lib/cli/run.ts), the cache folder that stands
 * for it locked, the bucket's lease taken, its journal pulled and mirrored back at every sync;
 * the reconciler writes through the bucket's Destination.
 */
async function startRemoteRepair(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
): Promise<RepairStarted> {
  const url = opts.dest!;
  const remote = await openRemote(deps.fs, url, { adopt: true, mustBeBackup: true });
  const cache = remote.cacheDir;
  prepareReserved(deps.fs, cache);
  let lock;
  try {
    lock = acquireLock(deps.fs, cache);
  } catch (err) {
    if (!(err instanceof LockedError)) throw err;
    throw refusedWhileRunning(err, cache, url);
  }
  let lease: Lease | null = null;
  try {
    await deps.startLogging(join(reservedDir(cache), LOG_FILE));
    let started;
    try {
      started = await startRemote(remote, deps.fs, { signal: deps.signal, log: deps.logs.daemon });
    } catch (err) {
      if (!(err instanceof LockedError)) throw err;
      throw refusedWhileRunning(err, url, url);
    }
    lease = started.lease;
    const roots = repairRoots(deps, repairSource(opts, deps, journalDir(cache), url), cache);
    deps.logs.daemon.info("VERIFY --repair: {source} -> {dest}", {
      source: roots.source,
      dest: url,
    });
    const rec = await startAsSaved(started.fs, roots, {
      logs: deps.logs,
      signal: deps.signal,
      lock,
      destination: remote.destination,
    });
    const held = lease;
    // The pass settings are kept in the cache folder of the machine that runs the daemon.
    const note = loadSettings(deps.fs, cache).recorded ? null : (
      "this machine never ran this backup, so its --exclude rules are not known here: files they " +
      "left out in the folders repaired were backed up too (run --repair where the daemon runs " +
      "to avoid that)"
    );
    return {
      rec,
      place: { dest: url, dir: journalDir(cache), source: roots.source, noSource: null },
      root: cache,
      note,
      close: async () => {
        try {
          await rec.close();
        } finally {
          await held.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    await lease?.release();
    throw err;
  }
}

/**
 * `--repair`, once started: verifies against the reconciler's state, distrusts
 * the damaged files whose source still holds the copied content and runs one
 * pass over their folders, which checks them by hash and recopies them; then
 * checks them again. Everything goes through the reconciler's Destination, so
 * a bucket is repaired as a folder is.
 */
async function repair(
  opts: VerifyCommandOptions,
  deps: JournalDeps,
  started: RepairStarted,
): Promise<number> {
  const { rec, place } = started;
  const destination = rec.destination;
  try {
    const outcome = await verifyState(opts, deps, place, destination, rec.state);
    const fixable = outcome.findings.filter((f) => f.repairable);
    const repaired: string[] = [];
    const notRepaired = outcome.findings.filter((f) => !f.repairable);
    let note: string | null = null;
    if (fixable.length > 0 && !deps.signal.aborted) {
      rec.distrust(fixable.map((f) => f.path));
      if (started.note !== null) {
        deps.logs.daemon.warn("VERIFY --repair: {note}", { note: started.note });
        note = started.note;
      }
      const pass = await rec.pass("scan", { dirs: new Set(fixable.map((f) => parentOf(f.path))) });
      new StatusRecorder(deps.fs, started.root, { source: place.source! }).record(pass);
      const verifier = new Verifier({
        fs: deps.fs,
        destination,
        source: place.source,
        hasher: await createHasher(),
      });
      for (const f of fixable) {
        const entry = rec.state.entries.get(f.path);
        const again = entry && isVerifiable(entry) ? await verifier.check(f.path, entry) : null;
        if (again !== null && again.finding === null && entry!.hash === f.expected) {
          repaired.push(f.path);
          deps.logs.daemon.info("VERIFY REPAIRED: {path}", { path: f.path });
        } else {
          notRepaired.push({
            ...f,
            detail: again?.finding?.detail ?? "the recopy did not restore the recorded content " +
                "(see the log)",
          });
        }
      }
    }
    for (const f of notRepaired) {
      deps.logs.daemon.warn("VERIFY MISMATCH NOT REPAIRED: {path}: {detail}", {
        path: f.path,
        detail: f.detail,
      });
    }
    report(opts, deps, place, outcome, null, { repaired, notRepaired, note });
    return exitOf(notRepaired.length, deps.signal);
  } finally {
    await started.close();
  }
}
