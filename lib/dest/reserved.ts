/**
 * The destination's reserved folder (`.backup/`): journal, log and lock live
 * there. It is never mirrored, and it is private (0700; files 0600).
 *
 * @module
 */

import type { FileHandle, FileSystem } from "../base/fs.ts";
import { isAlreadyExists, isNotFound, isSymlinkRefused } from "../base/fs.ts";
import { LockedError, RootError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import { LOCK_FILE, reservedDir } from "../base/layout.ts";

// Transitional, for lib/cli/journal_replay.ts (being rewritten elsewhere); remove after the merge.

/**
 * Creates the destination (if missing) and its reserved folder, 0700. A
 * symlink (or anything but a folder) at `.backup` is refused, never followed
 * nor chmodded (a daemon pins the folder first: lib/dest/reserved_folder.ts).
 *
 * @throws RootError naming the folder when it is not a real folder.
 */
export function prepareReserved(fs: FileSystem, dest: string): void {
  fs.mkdir(dest, { recursive: true, mode: 0o700 });
  const dir = reservedDir(dest);
  try {
    fs.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  if (fs.lstat(dir).kind !== "dir") {
    throw new RootError(
      `"${dir}" is not a folder (a symlink?): the backup keeps its journal there and never ` +
        `follows a link in it; remove it (a backup makes a new one) or pick another --dest`,
    );
  }
  fs.chmod(dir, 0o700);
}

/** True for the refusal of a FIFO, device or folder where a regular file was expected (EINVAL). */
function isInvalid(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "EINVAL";
}

/** A held lock. */
export interface Lock {
  /** Releases the lock (closing the file releases the flock). */
  release(): void;
}

/**
 * Takes the destination's lock: an exclusive `flock` on `.backup/lock`, which
 * the kernel drops when the process dies, so a stale lock cannot outlive a
 * crash. The file holds the owner's pid for people.
 *
 * @throws LockedError when another process holds it.
 */
export function acquireLock(fs: FileSystem, dest: string): Lock {
  const path = join(reservedDir(dest), LOCK_FILE);
  let handle: FileHandle;
  try {
    handle = fs.openSync(path, { write: true, create: true, mode: 0o600 });
  } catch (err) {
    if (!isSymlinkRefused(err) && !isInvalid(err)) throw err;
    throw new RootError(
      `"${path}" is a symlink or not a regular file: the backup never writes through one; ` +
        `remove it (a backup makes a new one) and start again`,
      { cause: err },
    );
  }
  let ok = false;
  try {
    if (!handle.tryLock()) {
      let owner = "another process";
      try {
        const pid = new TextDecoder().decode(fs.readFile(path)).trim();
        if (/^\d+$/.test(pid)) owner = `process ${pid}`;
      } catch { /* unreadable: keep the generic words */ }
      throw new LockedError(
        `${dest} is being backed up by ${owner}; stop it first, or pick another destination`,
      );
    }
    fs.chmod(path, 0o600);
    handle.truncate(0);
    handle.writeAllSync(new TextEncoder().encode(`${Deno.pid}\n`));
    ok = true;
  } finally {
    if (!ok) handle.close();
  }
  let held = true;
  return {
    release: () => {
      if (!held) return; // idempotent: a failed start and its caller may both release
      held = false;
      handle.close();
    },
  };
}

/** What {@link probeLock} found. */
export interface LockProbe {
  /** True when a process holds the lock (a daemon is running). */
  held: boolean;
  /** The pid written in the lock file, if any (the holder's when `held`). */
  pid: number | null;
}

/**
 * Tells whether a daemon holds the destination's lock, without taking it for
 * longer than a probe and without writing anything: the lock file is opened
 * read-only, an exclusive `flock` is tried without waiting and released at
 * once. (A daemon starting during those microseconds would be refused.) A
 * missing lock file means nothing runs; it is not created.
 */
export function probeLock(fs: FileSystem, dest: string): LockProbe {
  const path = join(reservedDir(dest), LOCK_FILE);
  let handle: FileHandle;
  try {
    handle = fs.openSync(path);
  } catch (err) {
    if (isNotFound(err)) return { held: false, pid: null };
    throw err;
  }
  let held: boolean;
  try {
    held = !handle.tryLock();
  } finally {
    handle.close();
  }
  let pid: number | null = null;
  try {
    const text = new TextDecoder().decode(fs.readFile(path)).trim();
    if (/^\d+$/.test(text)) pid = Number(text);
  } catch { /* unreadable: no pid */ }
  return { held, pid };
}

const encoder = new TextEncoder();

/** Writes `text` into `path`, private to the owner (0600), truncating what was there. */
export function writePrivate(fs: FileSystem, path: string, text: string): void {
  const h = fs.openSync(path, { write: true, create: true, mode: 0o600 });
  try {
    h.truncate(0);
    h.writeAllSync(encoder.encode(text));
  } finally {
    h.close();
  }
}

/** Replaces `path` with `text` as a whole (a private temp file renamed over it). */
export function replacePrivate(fs: FileSystem, path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writePrivate(fs, tmp, text);
  fs.rename(tmp, path);
}
