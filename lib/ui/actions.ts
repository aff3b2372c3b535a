/**
 * The dashboard's two actions, each the code of its command: restore a path
 * as of a time into a chosen folder (`backup restore`), and confirm the held
 * deletions of a running daemon (`backup confirm`). Downloading one file is
 * lib/ui/download.ts.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { absolute } from "../base/paths.ts";
import { realish } from "../engine/guard.ts";
import { runRestore } from "../cli/restore.ts";
import { runConfirm } from "../cli/confirm.ts";
import { shownDest, type UiJob } from "./jobs.ts";
import { cleanPath, isInside } from "./data.ts";

/** What a restore request asks. */
export interface RestoreRequest {
  /** Path inside the backup. */
  path: string;
  /** Time as `--at` takes it (none: now). */
  at: string | null;
  /** Absolute folder to restore into. */
  to: string;
}

/**
 * Restores `req.path` of `job` as of `req.at` into `req.to`, which must be
 * absolute and outside every job's source and destination (real paths).
 * Returns the command's output lines and exit code.
 *
 * @throws UsageError for a bad request, as `backup restore` does.
 */
export async function restoreInto(
  job: UiJob,
  jobs: readonly UiJob[],
  req: RestoreRequest,
  fs: FileSystem,
): Promise<{ code: number; lines: string[] }> {
  const path = cleanPath(req.path);
  if (path === null) throw new UsageError("give a path inside the backup to restore");
  if (!req.to.startsWith("/")) {
    throw new UsageError(`"${req.to}": give an absolute folder to restore into`);
  }
  const to = realish(fs, absolute(req.to, "/"));
  for (const other of jobs) {
    for (const root of [other.source, other.dest]) {
      if (root === null) continue;
      const real = realish(fs, root);
      if (isInside(to, real) || isInside(real, to)) {
        throw new UsageError(
          `"${req.to}" is inside or around ${real} (job ${other.name}); restore into a folder outside every source and destination`,
        );
      }
    }
  }
  const lines: string[] = [];
  const code = await runRestore(
    // A bucket is restored from as `backup restore --dest s3://...` does: its journal read anew.
    { dest: shownDest(job), path, at: req.at, to, verbose: false },
    { fs, cwd: "/", out: (line) => lines.push(line) },
  );
  return { code, lines };
}

/**
 * Confirms the deletions the daemon of `job` holds, as `backup confirm` does
 * (a request the daemon takes at its next full pass). Returns what to tell
 * the user.
 *
 * @throws UsageError when no daemon runs on the destination.
 */
export function confirmHeld(job: UiJob, fs: FileSystem): Promise<string> {
  const lines: string[] = [];
  runConfirm({ dest: job.dest, json: false }, { fs, cwd: "/", out: (line) => lines.push(line) });
  return Promise.resolve(lines.join("\n"));
}
