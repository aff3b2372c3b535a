/**
 * `backup status --config FILE [--job NAME]... [--json]`: the status of
 * every job of a config file, one after the other.
 *
 * @module
 */

import { EXIT, UsageError } from "../base/errors.ts";
import { flag, parseStrict, str, strs } from "./args.ts";
import { loadConfig, selectJobs } from "./config_load.ts";
import { runStatus, type StatusDeps } from "./status.ts";
import { runRemoteStatus } from "./status_remote.ts";
import { isRemoteDest } from "../dest/s3_client.ts";

/** Parsed `status --config` arguments. */
export interface JobsStatusOptions {
  /** The config file, as given. */
  config: string;
  /** Only these jobs (default: the enabled ones). */
  only: string[];
  /** One JSON object per job. */
  json: boolean;
}

/**
 * Parses `status --config FILE [--job NAME]... [--json]`.
 *
 * @throws UsageError for a bad flag, or `--dest` beside `--config`.
 */
export function parseJobsStatusArgs(argv: string[]): JobsStatusOptions {
  const p = parseStrict(argv, {
    config: { type: "string" },
    job: { type: "string", multiple: true },
    json: { type: "boolean" },
    dest: { type: "string" },
  }, "backup status");
  if (str(p, "dest") !== undefined) {
    throw new UsageError("--dest cannot be used with --config; pick jobs with --job NAME");
  }
  const config = str(p, "config");
  if (!config) throw new UsageError("--config needs a file: backup status --config backup.jsonc");
  return { config, only: strs(p, "job"), json: flag(p, "json") };
}

/**
 * Prints each job's status (a job that never ran says so). Returns 3 when a
 * job's journal is corrupt, else 0.
 *
 * @throws ConfigError / UsageError for a bad file or an unknown job.
 */
export async function runJobsStatus(opts: JobsStatusOptions, deps: StatusDeps): Promise<number> {
  const config = loadConfig(deps.fs, opts.config, deps.cwd);
  let code: number = EXIT.OK;
  for (const job of selectJobs(config, opts.only)) {
    const out = opts.json
      ? (line: string) => deps.out(JSON.stringify({ job: job.name, ...JSON.parse(line) }))
      : deps.out;
    if (!opts.json) deps.out(`== job ${job.name}: ${job.source} -> ${job.destination}`);
    try {
      const one = { dest: job.destination, json: opts.json };
      const c = isRemoteDest(job.destination)
        ? await runRemoteStatus(one, { ...deps, out })
        : runStatus(one, { ...deps, out });
      if (c !== EXIT.OK) code = c;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      out(opts.json ? JSON.stringify({ backedUp: false, reason: err.message }) : err.message);
    }
  }
  return code;
}
