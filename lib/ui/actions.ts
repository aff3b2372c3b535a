/**
 * The dashboard's two actions, each the code of its command: restore a path
 * as of a time into a chosen folder (`backup restore`), and confirm the held
 * deletions of a running daemon (`backup confirm`). Downloading one file is
 * a restore into a private temporary folder.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { absolute, join } from "../base/paths.ts";
import { realish } from "../engine/guard.ts";
import { runRestore } from "../cli/restore.ts";
import { runConfirm } from "../cli/confirm.ts";
import type { UiJob } from "./jobs.ts";
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
    { dest: job.dest, path, at: req.at, to, verbose: false },
    { fs, cwd: "/", out: (line) => lines.push(line) },
  );
  return { code, lines };
}

/**
 * The bytes of one file of `job` as of `at`: restored into a private
 * temporary folder (verified against the journal's hash, as a restore is),
 * read, and the folder removed.
 *
 * @throws UsageError when it was not a file then.
 */
export async function downloadFile(
  job: UiJob,
  rawPath: string,
  at: string | null,
  fs: FileSystem,
): Promise<{ name: string; bytes: Uint8Array }> {
  const path = cleanPath(rawPath);
  if (path === null) throw new UsageError("give a file inside the backup to download");
  const temp = Deno.makeTempDirSync({ prefix: "backup-ui-download-" });
  try {
    await runRestore(
      { dest: job.dest, path, at, to: temp, verbose: false },
      { fs, cwd: "/", out: () => {} },
    );
    const name = path.split("/").at(-1)!;
    const file = join(temp, name);
    if (fs.lstat(file).kind !== "file") {
      throw new UsageError(`"${path}" was a folder then: restore it instead of downloading it`);
    }
    return { name, bytes: fs.readFile(file) };
  } finally {
    Deno.removeSync(temp, { recursive: true });
  }
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
