/**
 * The backups a dashboard shows: one per job of a config file, or the one
 * `--src`/`--dest` pair.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { absolute } from "../base/paths.ts";
import { loadConfig, selectJobs } from "../cli/config_load.ts";
import { parseRunArgs } from "../cli/run_args.ts";
import { UsageError } from "../base/errors.ts";
import { isRemoteDest } from "../dest/s3_client.ts";

/**
 * Refuses a backup in a bucket: the dashboard reads a destination's files (status, journal,
 * versions) on this machine.
 *
 * @throws UsageError naming the destination.
 */
function localOnly(name: string, dest: string): void {
  if (isRemoteDest(dest)) {
    throw new UsageError(
      `the dashboard shows backups in folders only, not ${dest} (job ${name}) yet: drop --ui, or use backup status and journal show --dest ${dest}`,
    );
  }
}

/** One backup on the dashboard. */
export interface UiJob {
  /** Its name (the config's job name, or `backup` for a single folder). */
  name: string;
  /** Absolute source folder, when known (`backup ui --dest` knows it from the journal only). */
  source: string | null;
  /** Absolute destination root. */
  dest: string;
  /** Seconds between full passes, when known. */
  interval: number | null;
}

/** The name of the job of a single-folder daemon. */
export const SINGLE_JOB = "backup";

/** The job of `backup --src S --dest D` (already parsed run options). */
export function singleJob(source: string, dest: string, interval: number | null): UiJob[] {
  localOnly(SINGLE_JOB, dest);
  return [{ name: SINGLE_JOB, source, dest, interval }];
}

/**
 * The jobs of a config file (only those named in `only`, when any), with the
 * command-line `overrides` applied as the daemon applies them.
 *
 * @throws ConfigError / UsageError as `--config` does.
 */
export function configJobs(
  fs: FileSystem,
  file: string,
  cwd: string,
  only: string[],
  overrides: string[] = [],
): UiJob[] {
  const config = loadConfig(fs, file, cwd, overrides);
  return selectJobs(config, only).map((job) => {
    const run = parseRunArgs([...job.argv, ...overrides]);
    localOnly(job.name, run.dest);
    return {
      name: job.name,
      source: absolute(run.src, cwd),
      dest: absolute(run.dest, cwd),
      interval: run.interval,
    };
  });
}
