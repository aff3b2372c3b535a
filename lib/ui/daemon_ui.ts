/**
 * The dashboard of a running daemon (`backup ... --ui`): a {@link LiveHub}
 * fed by each job's passes, and the server with its actions, for as long as
 * the daemon runs.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import type { RunProgress } from "../report/progress_report.ts";
import { LiveHub } from "./hub.ts";
import { LiveReporter } from "./live_reporter.ts";
import type { UiJob } from "./jobs.ts";
import { type ConfirmAction, startUi } from "./server.ts";
import { resolveToken, type UiFlags } from "./ui_args.ts";

/** A daemon's dashboard. */
export interface DaemonUi {
  /** Its address. */
  url: string;
  /** The listener to give the passes of `job`. */
  progressFor(job: string): RunProgress;
  /** Stops the server. */
  stop(): Promise<void>;
}

/**
 * Starts the dashboard of the daemon's `jobs` at `flags.listen`.
 *
 * @throws UsageError for a bad token; Deno.errors.AddrInUse and the like when the address cannot
 *   be bound.
 */
export async function startDaemonUi(
  flags: UiFlags & { listen: NonNullable<UiFlags["listen"]> },
  jobs: UiJob[],
  deps: { fs: FileSystem; cwd: string; log: Logger; confirm?: ConfirmAction },
): Promise<DaemonUi> {
  const token = resolveToken(flags, deps.fs, deps.cwd);
  const hub = new LiveHub();
  const controller = new AbortController();
  const server = await startUi({
    jobs,
    listen: flags.listen,
    token,
    fs: deps.fs,
    hub,
    readOnly: false,
    log: deps.log,
    signal: controller.signal,
    ...(deps.confirm ? { confirm: deps.confirm } : {}),
  });
  return {
    url: server.url,
    progressFor: (job) => new LiveReporter(hub, job),
    stop: async () => {
      controller.abort();
      await server.finished;
    },
  };
}
