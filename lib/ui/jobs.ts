/**
 * The backups a dashboard shows: one per job of a config file, or the one
 * `--src`/`--dest` pair. A backup in a bucket (`s3://...`) is shown from the
 * folder that holds its journal on this machine: the cache folder its daemon
 * keeps (lib/cli/remote.ts), or, for `backup ui`, a private copy pulled from
 * the bucket (lib/ui/remote_journals.ts).
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { absolute } from "../base/paths.ts";
import { loadConfig, selectJobs } from "../cli/config_load.ts";
import { parseRunArgs } from "../cli/run_args.ts";
import { isRemoteDest, remoteCacheDir } from "../cli/remote.ts";

/** Where a backup in a bucket is. */
export interface RemoteJob {
  /** The destination as given (`s3://BUCKET/PREFIX`). */
  url: string;
  /** The cache folder a daemon of this machine keeps for it (its lock and status file). */
  cacheDir: string;
}

/** One backup on the dashboard. */
export interface UiJob {
  /** Its name (the config's job name, or `backup` for a single folder). */
  name: string;
  /** Absolute source folder, when known (`backup ui --dest` knows it from the journal only). */
  source: string | null;
  /**
   * Absolute folder holding the backup's journal (`.backup-state/journal`): the destination
   * root, or for a bucket the folder that stands for it on this machine.
   */
  dest: string;
  /** Seconds between full passes, when known. */
  interval: number | null;
  /** Set for a backup in a bucket. */
  remote?: RemoteJob;
}

/** The name of the job of a single-folder daemon. */
export const SINGLE_JOB = "backup";

/** The destination of a job: a folder (made absolute), or a bucket read through its cache folder. */
function destOf(dest: string, cwd: string): Pick<UiJob, "dest" | "remote"> {
  if (!isRemoteDest(dest)) return { dest: absolute(dest, cwd) };
  const cacheDir = remoteCacheDir(dest);
  return { dest: cacheDir, remote: { url: dest, cacheDir } };
}

/** Where the status file and the lock of `job` are: its destination, or its cache folder. */
export function statusDir(job: UiJob): string {
  return job.remote?.cacheDir ?? job.dest;
}

/** The destination as people know it: the folder, or the bucket's URL. */
export function shownDest(job: UiJob): string {
  return job.remote?.url ?? job.dest;
}

/**
 * The job of `backup --src S --dest D` (already parsed run options).
 *
 * @throws UsageError for a bad bucket URL.
 */
export function singleJob(source: string, dest: string, interval: number | null): UiJob[] {
  return [{ name: SINGLE_JOB, source, ...destOf(dest, "/"), interval }];
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
    return {
      name: job.name,
      source: absolute(run.src, cwd),
      ...destOf(run.dest, cwd),
      interval: run.interval,
    };
  });
}
