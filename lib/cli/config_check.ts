/**
 * `backup config check FILE`: validates a config file without running it.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { ConfigError } from "./config.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { parseStrict } from "./args.ts";
import { loadConfig } from "./jobs.ts";
import { parseRunArgs } from "./run.ts";
import { plural } from "./format.ts";

/** Help text of `backup config`. */
export const HELP = `backup config check FILE: validate a config file without running it

Reads FILE (JSON with comments, see README "Several folders: the config
file"), checks its syntax, every key and value, that no two jobs share or nest
their destinations, that no destination is inside its source (or the other
way round), and that the shared log's folder exists, and prints one line per
job. Sources that do not exist (yet) are warnings: the daemon waits for them.

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
      `unknown config command "${sub ?? ""}"; use \`backup config check FILE\``,
    );
  }
  if (!file) throw new UsageError("missing FILE: backup config check FILE");
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return file;
}

function exists(fs: FileSystem, path: string): boolean {
  try {
    fs.lstat(path);
    return true;
  } catch {
    return false;
  }
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
  for (const job of config.jobs) {
    const opts = parseRunArgs(job.argv);
    const rules = opts.exclude.length + opts.excludeFrom.length;
    deps.out(
      `${job.enabled ? "ok " : "off"}  ${job.name}: ${job.source} -> ${job.destination}, ` +
        `every ${opts.interval} s${opts.watch ? "" : ", no watcher"}` +
        (rules > 0 ? `, ${plural(rules, "exclude rule")}` : ""),
    );
    if (job.enabled && !exists(deps.fs, job.source)) {
      deps.out(
        `warning: job "${job.name}": source ${job.source} does not exist (the job waits for it)`,
      );
    }
    for (const f of opts.excludeFrom.filter((f) => !exists(deps.fs, f))) {
      deps.out(
        `warning: job "${job.name}": excludeFrom ${f} does not exist (the job retries until it does)`,
      );
    }
  }
  const logDir = config.log.file?.slice(0, config.log.file.lastIndexOf("/")) || "/";
  if (config.log.file && !exists(deps.fs, logDir)) {
    problems.push(
      `${config.path}: log: the folder of "file" ${logDir} does not exist; create it or pick another`,
    );
  }
  if (problems.length > 0) {
    for (const problem of problems) deps.out(`error: ${problem}`);
    deps.out(`${plural(problems.length, "problem")}; fix them and check again`);
    return EXIT.USAGE;
  }
  const on = config.jobs.filter((j) => j.enabled).length;
  deps.out(
    `${config.path} is valid: ${plural(config.jobs.length, "job")}, ${on} enabled` +
      (config.log.file ? `; shared log ${config.log.file}` : ""),
  );
  return EXIT.OK;
}
