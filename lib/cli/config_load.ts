/**
 * Loading a config file for a command: read it, parse it (`config.ts`) with
 * every job's values checked by the daemon's own argument parser, refuse what
 * the daemon would refuse for good about each job's folders, and pick the
 * jobs to run. Shared by `--config` (`jobs.ts`), `status --config` and
 * `config check`.
 *
 * @module
 */

import { exists, type FileSystem } from "../base/fs.ts";
import { describeError, RootError, UsageError } from "../base/errors.ts";
import { absolute, isAtOrBelow } from "../base/paths.ts";
import { checkRoots, logFileProblem } from "../engine/guard.ts";
import { type BackupConfig, type ConfigJob, parseConfig } from "./config.ts";
import { parseRunArgs } from "./run_args.ts";

/**
 * Reads and validates a config file: syntax, keys, types and every job's
 * values (through the daemon's own argument parser, with `overrides`).
 *
 * @throws ConfigError listing every problem; UsageError when it cannot be read.
 */
export function loadConfig(
  fs: FileSystem,
  file: string,
  cwd: string,
  overrides: string[] = [],
): BackupConfig {
  const path = absolute(file, cwd);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(fs.readFile(path));
  } catch (err) {
    throw new UsageError(
      `cannot read the config file "${path}": ${describeError(err)}; check the path`,
      { cause: err },
    );
  }
  // The folders of every job that parsed are checked even when others did not, so that one
  // `config check` lists every problem of the file.
  return parseConfig(text, path, (argv) => parseRunArgs([...argv, ...overrides]), (config) => {
    const problems = config.jobs.flatMap((job) => {
      const problem = rootProblem(fs, job);
      return problem === null ? [] : [`${path}: job "${job.name}": ${problem}`];
    });
    for (const key of ["file", "errorFile"] as const) {
      const log = config.log[key];
      for (const job of log === undefined ? [] : config.jobs) {
        const problem = logFileProblem(fs, log!, { source: job.source, dest: job.destination });
        if (problem) {
          problems.push(
            `${path}: log: "${key}" ${log} is refused for job "${job.name}": ${problem}`,
          );
        }
      }
    }
    return problems;
  });
}

/**
 * What the daemon would refuse for good about a job's folders, in the file's words, or null:
 * the same checks as at start-up (after resolving symlinks) when the source exists, by the
 * paths' text when it does not exist yet (the job waits for it). Refused when the file is
 * loaded, so a destination inside its source stops `backup --config` with exit 2 instead of
 * failing and retrying forever.
 */
function rootProblem(fs: FileSystem, job: ConfigJob): string | null {
  let sourceExists: boolean;
  try {
    sourceExists = exists(fs, job.source);
  } catch {
    // Cannot tell (no permission on a folder above it, an unreadable mount): judged by the
    // paths' text, as a source not there yet. Refusing the whole file would stop every other
    // job; the daemon checks the real folders again when the job starts, and retries it.
    sourceExists = false;
  }
  if (sourceExists) {
    try {
      checkRoots(fs, job.source, job.destination, "/");
      return null;
    } catch (err) {
      if (err instanceof RootError) return asConfigKeys(err.message);
      throw err;
    }
  }
  const [s, d] = [job.source.slice(1), job.destination.slice(1)];
  if (s === d) return `"source" and "destination" are the same folder; pick another "destination"`;
  if (isAtOrBelow(d, s)) return `"destination" is inside "source"; pick one outside the source`;
  if (isAtOrBelow(s, d)) return `"source" is inside "destination"; pick one outside it`;
  return null;
}

/**
 * The jobs to run: those named by `--job` (an unknown name is an error), or
 * every enabled job.
 *
 * @throws UsageError naming an unknown job, or when no job is enabled.
 */
export function selectJobs(config: BackupConfig, only: string[]): ConfigJob[] {
  for (const name of only) {
    if (!config.jobs.some((j) => j.name === name)) {
      throw new UsageError(
        `${config.path} has no job "${name}" (jobs: ${config.jobs.map((j) => j.name).join(", ")})`,
      );
    }
  }
  const jobs = only.length > 0
    ? config.jobs.filter((j) => only.includes(j.name))
    : config.jobs.filter((j) => j.enabled);
  if (jobs.length === 0 && config.legacy) {
    throw new UsageError(
      `${config.path}: "run_enabled" is not "Y", so every folder is switched off, as the checksum ` +
        `script did nothing then; set it to "Y", or run one with --job NAME`,
    );
  }
  if (jobs.length === 0) {
    throw new UsageError(`${config.path}: every job is switched off ("enabled": false)`);
  }
  return jobs;
}

/**
 * A daemon message for a config file: it names the keys `source`/`destination`/`excludeFrom`/
 * `destSweep`, not the flags (whole flags only: `--dest-sweep` is not `--dest` and "-sweep").
 */
export function asConfigKeys(message: string): string {
  return message.replace(/--(src|dest|exclude-from|dest-sweep)(?![\w-])/g, (_, flag: string) => {
    const key = { src: "source", dest: "destination", "exclude-from": "excludeFrom" }[flag];
    return `"${key ?? "destSweep"}"`;
  });
}
