/**
 * `backup status --dest s3://BUCKET/PREFIX`: on the machine whose daemon runs
 * the backup, its cache folder is the backup's local stand-in (lock, status
 * file, the journal the daemon appends to; see lib/cli/remote.ts), so the
 * status is read there, as for a folder: running, pid, last pass, schedule,
 * rolling verification. Elsewhere (or with no daemon running here) the journal
 * is read from the bucket, with the status file this machine's last daemon
 * left, if any.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { join } from "../base/paths.ts";
import { reservedDir, STATUS_FILE } from "../base/layout.ts";
import { parseRemoteUrl } from "../dest/s3_client.ts";
import { probeLock, replacePrivate } from "../dest/reserved.ts";
import { cacheDirOf, cacheRoot, readRemote } from "./remote.ts";
import { runStatus, type StatusDeps, type StatusOptions } from "./status.ts";

/** The cache folder that stands for the bucket URL `dest` on this machine. */
export function remoteCache(dest: string): string {
  return cacheDirOf(cacheRoot(), parseRemoteUrl(dest));
}

/** True when a daemon of this machine holds the cache folder's lock. */
function runningHere(fs: FileSystem, cache: string): boolean {
  try {
    return probeLock(fs, cache).held;
  } catch {
    return false; // no cache folder: never ran here
  }
}

/** Copies the cache's status file into `place` (the bucket's journal read privately), if any. */
function lastStatus(fs: FileSystem, cache: string, place: string): void {
  let text: string;
  try {
    text = new TextDecoder().decode(fs.readFile(join(reservedDir(cache), STATUS_FILE)));
  } catch {
    return; // this machine never ran the daemon
  }
  replacePrivate(fs, join(reservedDir(place), STATUS_FILE), text);
}

/**
 * Runs `status` for a backup in a bucket (`opts.dest` is its URL). Returns the exit code.
 *
 * @throws UsageError, RootError (the bucket cannot be read or holds no backup)
 */
export async function runRemoteStatus(opts: StatusOptions, deps: StatusDeps): Promise<number> {
  const cache = remoteCache(opts.dest);
  if (runningHere(deps.fs, cache)) {
    return runStatus({ ...opts, dest: cache, shown: opts.dest }, deps);
  }
  const reading = await readRemote(deps.fs, opts.dest);
  try {
    lastStatus(deps.fs, cache, reading.place);
    return runStatus({ ...opts, dest: reading.place, shown: opts.dest }, deps);
  } finally {
    reading.cleanup();
  }
}
