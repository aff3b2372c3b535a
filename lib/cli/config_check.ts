/**
 * `backup config check FILE`: validates a config file without running it.
 *
 * @module
 */

import { exists, type FileSystem } from "../base/fs.ts";
import { ConfigError, type ConfigJob } from "./config.ts";
import { checkDestination } from "./dest_check.ts";
import { describeError, EXIT, RootError, UsageError } from "../base/errors.ts";
import { parseStrict } from "./args.ts";
import { asConfigKeys, loadConfig } from "./config_load.ts";
import { readExcludeFrom } from "../engine/excludes.ts";
import { parseRunArgs } from "./run_args.ts";
import { plural } from "./format.ts";

/** Help text of `backup config`. */
export const HELP = `backup config check FILE: validate a config file without running it
backup config convert FILE: print the checksum script's backup_config.json as a jobs file

Reads FILE (JSON with comments, see README "Several folders: the config
file"), checks its syntax, every key and value, that no two jobs share or nest
their destinations, that no destination is inside its source (or the other
way round), and that the shared log's folder exists, and prints one line per
job. Sources that do not exist (yet) are warnings: the daemon waits for them.

The checksum script's file (run_enabled, source_dirs, dest_dirs, log_file,
error_log_file, sleep_time) is read as it is: the lists are paired in order
into jobs, sleep_time is the interval, error_log_file gets warnings and
errors only, .stfolder is left out; \`check\` says what each key became and
\`convert\` prints the equivalent jobs file on stdout.

Exit codes: 0 valid, 2 problems (each printed on one line with the line
number, the job and the key).
`;

/** What {@link runConfigCheck} needs. */
export interface ConfigCheckDeps {
  /** File system port (only read). */
  fs: FileSystem;
  /** Current folder, for a relative FILE. */
  cwd: string;
  /** Prints one line. */
  out: (line: string) => void;
}

/**
 * Parses `config check FILE`; returns FILE.
 *
 * @throws UsageError for another sub-command or a missing FILE.
 */
export function parseConfigArgs(argv: string[]): string {
  const p = parseStrict(argv, {}, "backup config", true);
  const [sub, file, extra] = p.positionals;
  if (sub !== "check") {
    throw new UsageError(
      `unknown config command "${
        sub ?? ""
      }"; use \`backup config check FILE\` or \`backup config convert FILE\``,
    );
  }
  if (!file) throw new UsageError("missing FILE: backup config check FILE");
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return file;
}

/**
 * Whether `path` exists, or why that cannot be told (no permission on a folder
 * above it, an I/O error). Such a path is reported as unreadable, not as
 * missing: "cannot tell" is not "not there".
 */
function lookUp(fs: FileSystem, path: string): boolean | string {
  try {
    return exists(fs, path);
  } catch (err) {
    return describeError(err);
  }
}

/** Why the daemon would refuse the `--exclude-from` file at `path` (a FIFO, a device, too big), or null. */
function excludeFromProblem(fs: FileSystem, path: string): string | null {
  try {
    readExcludeFrom(fs, path);
    return null;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

/**
 * Why the job would refuse its destination as it is (files but no journal: the old script's
 * mirror, say; or another source's backup), in the file's words, or null.
 */
function adoptProblem(fs: FileSystem, job: ConfigJob): string | null {
  try {
    checkDestination(fs, job.destination, job.source);
    return null;
  } catch (err) {
    return err instanceof RootError ? asConfigKeys(err.message).replace(/; pick .*$/, "") : null;
  }
}

/** A job's `destSweep`, when the file sets it, as `config check` shows it. */
function sweepText(rounds: number | undefined): string {
  if (rounds === undefined) return "";
  return rounds === 1
    ? ", destination listed whole every full pass"
    : `, destination listed once in ${rounds} full passes`;
}

/** Validates the file; prints each job, or each problem. Returns the exit code. */
export function runConfigCheck(file: string, deps: ConfigCheckDeps): number {
  let config;
  try {
    config = loadConfig(deps.fs, file, deps.cwd);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) deps.out(`error: ${problem}`);
    deps.out(`${plural(err.problems.length, "problem")}; fix them and check again`);
    return EXIT.USAGE;
  }
  const problems: string[] = [];
  if (config.legacy) {
    deps.out(
      `note: ${config.path} is in the checksum script's format; what each of its keys became:`,
    );
    for (const note of config.legacy.notes) deps.out(`note:   ${note}`);
  }
  for (const job of config.jobs) {
    const opts = parseRunArgs(job.argv);
    const rules = opts.exclude.length + opts.excludeFrom.length;
    deps.out(
      `${job.enabled ? "ok " : "off"}  ${job.name}: ${job.source} -> ${job.destination}, ` +
        (opts.schedule
          ? `at "${opts.schedule.text}"${opts.schedule.zone ? ` (${opts.schedule.zone})` : ""}`
          : `every ${opts.interval} s`) +
        `${opts.watch ? "" : ", no watcher"}` +
        (rules > 0 ? `, ${plural(rules, "exclude rule")}` : "") + sweepText(opts.destSweep),
    );
    const source = job.enabled ? lookUp(deps.fs, job.source) : true;
    if (source === false) {
      deps.out(
        `warning: job "${job.name}": source ${job.source} does not exist (the job waits for it)`,
      );
    } else if (source !== true) {
      deps.out(`warning: job "${job.name}": cannot check source ${job.source}: ${source}`);
    }
    const adopt = job.enabled && source === true ? adoptProblem(deps.fs, job) : null;
    if (adopt !== null) {
      deps.out(
        `warning: job "${job.name}": ${adopt}; to make it this job's mirror once: ` +
          `backup --config ${config.path} --job ${job.name} --adopt-dest --once ` +
          `(what the source lacks is deleted from it)`,
      );
    }
    for (const excludeFile of opts.excludeFrom) {
      const found = lookUp(deps.fs, excludeFile);
      if (found === false) {
        deps.out(
          `warning: job "${job.name}": excludeFrom ${excludeFile} does not exist (the job retries until it does)`,
        );
      } else if (found !== true) {
        deps.out(`warning: job "${job.name}": cannot check excludeFrom ${excludeFile}: ${found}`);
      } else {
        const problem = excludeFromProblem(deps.fs, excludeFile);
        if (problem !== null) deps.out(`warning: job "${job.name}": ${asConfigKeys(problem)}`);
      }
    }
  }
  for (const key of ["file", "errorFile"] as const) {
    const file = config.log[key];
    if (file === undefined) continue;
    const logDir = file.slice(0, file.lastIndexOf("/")) || "/";
    const logFolder = lookUp(deps.fs, logDir);
    if (logFolder === false) {
      problems.push(
        `${config.path}: log: the folder of "${key}" ${logDir} does not exist; create it or pick another`,
      );
    } else if (logFolder !== true) {
      problems.push(
        `${config.path}: log: cannot check the folder of "${key}" ${logDir}: ${logFolder}`,
      );
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) deps.out(`error: ${problem}`);
    deps.out(`${plural(problems.length, "problem")}; fix them and check again`);
    return EXIT.USAGE;
  }
  const on = config.jobs.filter((j) => j.enabled).length;
  deps.out(
    `${config.path} is valid: ${plural(config.jobs.length, "job")}, ${on} enabled` +
      (config.log.file ? `; shared log ${config.log.file}` : "") +
      (config.log.errorFile ? `; errors-only log ${config.log.errorFile}` : ""),
  );
  if (config.legacy) {
    deps.out(
      `it runs as it is; \`backup config convert ${config.path}\` prints it as a jobs file, for more options`,
    );
  }
  return EXIT.OK;
}
