/**
 * `--dest s3://BUCKET/PREFIX` and `--dest azure://CONTAINER/PREFIX`: what the
 * commands do differently for a destination in a bucket (or container).
 *
 * The mirror and the journal are in the bucket (lib/dest/object_dest.ts,
 * lib/dest/object_journal.ts, over the store of lib/dest/s3_store.ts or
 * lib/dest/azure_store.ts). What must stay local (the flock that keeps two
 * daemons of one machine apart, the log, the status file, the settings, the
 * local copy of the journal the journal code appends to) lives in a cache
 * folder, `$BACKUP_CACHE_DIR` (default `$XDG_CACHE_HOME/backup` or
 * `~/.cache/backup`) + `/s3/BUCKET/PREFIX` (or `/azure/CONTAINER/PREFIX`), which then plays the part of
 * `--dest` for the rest of the program. It can be deleted at any time: the
 * next start rebuilds it from the bucket.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { isNotFound } from "../base/fs.ts";
import { RootError, UsageError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import { journalDir, RESERVED_DIR, reservedDir } from "../base/layout.ts";
import type { Logger } from "../base/logger.ts";
import { isRemoteDest, parseRemoteUrl, type RemoteUrl } from "../dest/object_url.ts";
import { s3Problem } from "../dest/s3_client.ts";
import { azureProblem } from "../dest/azure_client.ts";
import type { ObjectStore } from "../dest/object_store.ts";
import type { ObjectDestination } from "../dest/object_dest.ts";
import type { MirroredJournalFs } from "../dest/object_journal.ts";
import type { Lease } from "../dest/object_lease.ts";
import { replacePrivate } from "../dest/reserved.ts";

/**
 * The SDK side of `url`'s store, loaded only for a bucket: an SDK reads environment variables
 * when it is loaded, and a local backup has `--allow-env=BACKUP_DEBUG` only. Literal
 * specifiers, so that `deno compile` embeds them like static imports.
 */
const sdk = (url: RemoteUrl) =>
  url.scheme === "azure" ? import("../dest/azure_remote.ts") : import("../dest/s3_remote.ts");

/** The store-independent side (mirror, journal, lease), loaded with the SDK. */
const generic = () => import("../dest/object_remote.ts");

/** Why the bucket or container cannot be used, in one line, or null. */
function remoteProblem(err: unknown, url: RemoteUrl): string | null {
  return url.scheme === "azure" ? azureProblem(err, url) : s3Problem(err, url);
}

export { isRemoteDest };

/** A remote destination, opened and checked. */
export interface Remote {
  /** The parsed URL. */
  url: RemoteUrl;
  /** The bucket's or container's store. */
  store: ObjectStore;
  /** The mirror in the bucket. */
  destination: ObjectDestination;
  /** The local cache folder that stands for `--dest` (absolute). */
  cacheDir: string;
}

/** The cache root: `$BACKUP_CACHE_DIR`, else `$XDG_CACHE_HOME/backup`, else `~/.cache/backup`. */
export function cacheRoot(): string {
  const own = Deno.env.get("BACKUP_CACHE_DIR");
  if (own) return own;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "backup");
  const home = Deno.env.get("HOME");
  if (!home) {
    throw new UsageError(
      "no cache folder for the remote destination: set BACKUP_CACHE_DIR (or HOME) to a folder the backup may write",
    );
  }
  return join(join(home, ".cache"), "backup");
}

/** The cache folder of `url` under `root`. */
export function cacheDirOf(root: string, url: RemoteUrl): string {
  const prefix = url.prefix === "" ? "_" : encodeURIComponent(url.prefix.slice(0, -1));
  return [root, url.scheme, url.bucket, prefix].join("/");
}

/**
 * Checks that the bucket answers and may be used, in one line with the fix
 * when it does not (exit 2): wrong credentials, no such bucket, no answer.
 * With `mustBeBackup`, a prefix that holds objects but no journal is refused
 * unless `adopt` (mirroring would delete them).
 *
 * @throws RootError
 */
export async function checkBucket(
  url: RemoteUrl,
  options: { adopt?: boolean; mustBeBackup?: boolean } = {},
): Promise<void> {
  const { probeBucket } = await sdk(url);
  try {
    const { objects, isBackup } = await probeBucket(url);
    if (options.mustBeBackup && !isBackup) {
      throw new RootError(
        `${url.url} holds no backup (no ${RESERVED_DIR}/ journal under the prefix); check the bucket and prefix`,
      );
    }
    if (!options.adopt && !isBackup && objects > 0) {
      throw new RootError(
        `${url.url} is not empty and was never a backup (no ${RESERVED_DIR}/ under the prefix); pick an empty prefix, or pass --adopt-dest to make it a mirror (what is not in the source is deleted)`,
      );
    }
  } catch (err) {
    if (err instanceof RootError) throw err;
    const problem = remoteProblem(err, url);
    if (problem !== null) throw new RootError(problem, { cause: err });
    throw err;
  }
}

/**
 * Opens `--dest s3://...` (or `azure://...`): parses it, checks the bucket, makes the store and
 * the destination, and creates the cache folder's parent.
 *
 * @throws UsageError (a bad URL), RootError (the bucket cannot be used)
 */
export async function openRemote(
  fs: FileSystem,
  dest: string,
  options: {
    adopt?: boolean;
    mustBeBackup?: boolean;
    compress?: "zstd" | "gzip";
    publishAtSync?: boolean;
  } = {},
): Promise<Remote> {
  const url = parseRemoteUrl(dest);
  await checkBucket(url, options);
  const { makeStore } = await sdk(url);
  const { ObjectDestination } = await generic();
  const store = makeStore(url);
  const cacheDir = cacheDirOf(cacheRoot(), url);
  fs.mkdir(cacheDir, { mode: 0o700, recursive: true });
  const destination = new ObjectDestination(store, url, {
    ...(options.compress ? { compress: options.compress } : {}),
    publishAtSync: options.publishAtSync ?? false,
  });
  try {
    destination.importKnown(new TextDecoder().decode(fs.readFile(knownFile(cacheDir))));
  } catch { /* no cache yet: every object is read once by HEAD */ }
  return { url, store, destination, cacheDir };
}

/** The cache file of the objects' entries (see ObjectDestination.exportKnown). */
function knownFile(cacheDir: string): string {
  return join(reservedDir(cacheDir), "objects.json");
}

/** This cache folder's machine id (made once, random). */
export function machineId(fs: FileSystem, cacheDir: string): string {
  const path = join(reservedDir(cacheDir), "machine-id");
  try {
    return new TextDecoder().decode(fs.readFile(path)).trim();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const id = crypto.randomUUID();
  const handle = fs.openSync(path, { write: true, createNew: true, mode: 0o600 });
  try {
    handle.writeAllSync(new TextEncoder().encode(`${id}\n`));
  } finally {
    handle.close();
  }
  return id;
}

/** A remote destination ready for the reconciler: the journal pulled, the lease taken. */
export interface RemoteStarted {
  /** The file-system port with the journal mirrored to the bucket. */
  fs: MirroredJournalFs;
  /** The lease; release it at the end. */
  lease: Lease;
}

/**
 * With the cache folder's flock held: takes the bucket's lease, rebuilds the
 * local journal from the bucket, and wraps `fs` so that every journal sync is
 * durable in the bucket.
 *
 * @throws LockedError when another daemon holds the lease
 */
export async function startRemote(
  remote: Remote,
  fs: FileSystem,
  options: { signal?: AbortSignal; log?: Logger },
): Promise<RemoteStarted> {
  const { sweepAbandonedUploads, acquireLease, MirroredJournalFs, pullJournal } = await generic();
  const lease = await acquireLease(remote.store, remote.url, {
    machine: machineId(fs, remote.cacheDir),
    pid: Deno.pid,
    alive: (pid) => {
      try {
        fs.lstat(`/proc/${pid}`);
        return true;
      } catch {
        return false;
      }
    },
  });
  try {
    const { aborted, kept } = await sweepAbandonedUploads(remote.store, remote.url);
    remote.destination.adoptUploads(kept);
    if (aborted > 0 || kept.length > 0) {
      options.log?.info(
        "OFFSITE: {count} abandoned multipart upload(s) aborted, {kept} kept to resume",
        { count: aborted, kept: kept.length },
      );
    }
    const dir = journalDir(remote.cacheDir);
    const pulled = await pullJournal(fs, remote.store, remote.url, dir);
    options.log?.info("OFFSITE JOURNAL: {objects} objects ({bytes} bytes) read from {url}", {
      objects: pulled.objects,
      bytes: pulled.bytes,
      url: remote.url.url,
    });
    const mirrored = new MirroredJournalFs(fs, remote.store, remote.url, {
      dir,
      pushed: pulled.pushed,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return {
      fs: mirrored,
      lease: {
        release: async () => {
          const dropped = await remote.destination.dropAbandoned();
          if (dropped > 0) {
            options.log?.info("OFFSITE: {count} abandoned upload(s) no copy resumed, aborted", {
              count: dropped,
            });
          }
          try {
            replacePrivate(fs, knownFile(remote.cacheDir), remote.destination.exportKnown());
          } catch (err) {
            options.log?.warn("OFFSITE: the object cache was not saved ({reason})", {
              reason: err instanceof Error ? err.message : String(err),
            });
          }
          await lease.release();
        },
      },
    };
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** A remote backup's journal, read into a private folder for a command that only reads. */
export interface RemoteReading {
  /** The remote destination. */
  remote: Remote;
  /** A folder holding `.backup/journal/` as the bucket has it: pass it as the destination. */
  place: string;
  /** The last part of the prefix (or the bucket): the name of the backup's root. */
  name: string;
  /** Removes the private folder. */
  cleanup(): void;
}

/**
 * Reads the journal of `s3://...` (or `azure://...`) into a fresh folder under the cache, so that
 * `restore` (and the other commands that only read) work on a machine that
 * never ran the backup, without touching a running daemon's cache.
 *
 * @throws UsageError, RootError (the bucket cannot be used or holds no backup)
 */
export async function readRemote(
  fs: FileSystem,
  dest: string,
  options: { mustBeBackup?: boolean } = {},
): Promise<RemoteReading> {
  const remote = await openRemote(fs, dest, {
    adopt: true,
    mustBeBackup: options.mustBeBackup ?? true,
  });
  const place = `${remote.cacheDir}.read-${crypto.randomUUID().slice(0, 8)}`;
  const cleanup = () => {
    try {
      fs.remove(place, { recursive: true });
    } catch { /* best effort */ }
  };
  try {
    fs.mkdir(join(place, RESERVED_DIR), { mode: 0o700, recursive: true });
    const { pullJournal } = await generic();
    await pullJournal(fs, remote.store, remote.url, journalDir(place));
  } catch (err) {
    cleanup();
    throw err;
  }
  const name = remote.url.prefix.slice(0, -1).split("/").at(-1) || remote.url.bucket;
  return { remote, place, name, cleanup };
}

/** The `--dest` value in `args` (`--dest X` or `--dest=X`), or null. */
function destArg(args: string[]): { index: number; value: string; inline: boolean } | null {
  for (const [i, a] of args.entries()) {
    if (a === "--dest" && i + 1 < args.length) {
      return { index: i + 1, value: args[i + 1]!, inline: false };
    }
    if (a.startsWith("--dest=")) return { index: i, value: a.slice(7), inline: true };
  }
  return null;
}

/**
 * Runs a command that only reads the journal (`status`, `journal show|why|verify`) on a
 * remote backup: the journal is read from the bucket into a private folder, which the command
 * is given as `--dest`. Other `--dest` values pass through. `journal replay|compact` write the
 * journal and are refused for a remote destination (a daemon's start replays and compacts it).
 *
 * @throws UsageError, RootError
 */
export async function withRemoteDest<T>(
  fs: FileSystem,
  args: string[],
  run: (args: string[]) => Promise<T>,
): Promise<T> {
  const dest = destArg(args);
  if (dest === null || !isRemoteDest(dest.value)) return await run(args);
  if (args[0] === "replay" || args[0] === "compact") {
    throw new UsageError(
      `journal ${
        args[0]
      } --dest ${dest.value}: not for a bucket; start the backup (its start replays the journal, and it compacts it between passes)`,
    );
  }
  const reading = await readRemote(fs, dest.value);
  try {
    const copy = [...args];
    copy[dest.index] = dest.inline ? `--dest=${reading.place}` : reading.place;
    return await run(copy);
  } finally {
    reading.cleanup();
  }
}

/** True when `args` has a `--dest` naming a bucket. */
export function remoteDestIn(args: string[]): boolean {
  const dest = destArg(args);
  return dest !== null && isRemoteDest(dest.value);
}

// ---- for the dashboard (lib/ui/): where a remote backup's local files are, and closing it ----

/**
 * The cache folder that stands for a remote `dest` on this machine: where a daemon started here
 * keeps its lock, status file and the journal's local copy.
 *
 * @throws UsageError (a bad URL, no cache folder)
 */
export function remoteCacheDir(dest: string): string {
  return cacheDirOf(cacheRoot(), parseRemoteUrl(dest));
}

/** Releases what an opened remote holds (its client's connections). */
export function closeRemote(remote: Remote): void {
  remote.store.close();
}
