/**
 * The destination guard: a backup must never be written onto the wrong disk.
 * At the first backup the destination root's device is recorded in the
 * reserved folder (`destination.json`, beside the source guard's
 * `source.json`). A later start whose destination is on another device (a
 * copy of the backup, another disk mounted there) pauses every pass until
 * the operator says it is meant (`--adopt-dest`); a start into a destination
 * that holds no backup although the source's marker says it was backed up
 * there (the disk is not mounted, and the bare mount point would get a fresh
 * full copy) is refused. Within one run, lib/dest/root_pin.ts pauses a pass
 * whose destination root or reserved folder changed or vanished.
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { join } from "../base/paths.ts";
import { DEST_IDENTITY_FILE, MARKER_NAME, reservedDir } from "../base/layout.ts";
import { replacePrivate } from "../dest/reserved.ts";

/** What the reserved folder remembers about the disk it was made on. */
export interface DestinationIdentity {
  /** Format version. */
  v: 1;
  /** Absolute destination root. */
  dest: string;
  /** Device number of the destination root at the first backup. */
  dev: number;
  /** When it was recorded (ISO 8601). */
  created: string;
}

/** Outcome of {@link establishDestination}. */
export interface EstablishedDestination {
  /** The identity in force. */
  identity: DestinationIdentity;
  /** True when it was recorded just now (first backup, a backup older than the guard, or reset). */
  fresh: boolean;
}

/**
 * The reserved folder's record of its destination, or null when there is
 * none (or it is damaged: it is then recorded afresh).
 *
 * @throws Deno.errors.* when it exists but cannot be read.
 */
export function readDestinationIdentity(fs: FileSystem, dest: string): DestinationIdentity | null {
  try {
    const text = new TextDecoder().decode(fs.readFile(join(reservedDir(dest), DEST_IDENTITY_FILE)));
    const identity = JSON.parse(text) as DestinationIdentity;
    if (identity.v === 1 && typeof identity.dev === "number") return identity;
  } catch (err) {
    if (!isNotFound(err) && !(err instanceof SyntaxError)) throw err;
  }
  return null;
}

/**
 * Reads the record of the destination's device, or records it (first
 * backup, or `reset`: the operator moved the backup on purpose).
 *
 * @throws Deno.errors.* when it cannot be read or written.
 */
export function establishDestination(
  fs: FileSystem,
  dest: string,
  options: { reset?: boolean } = {},
): EstablishedDestination {
  if (!options.reset) {
    const identity = readDestinationIdentity(fs, dest);
    if (identity) return { identity, fresh: false };
  }
  const identity: DestinationIdentity = {
    v: 1,
    dest,
    dev: fs.lstat(fs.realPath(dest)).dev,
    created: new Date().toISOString(),
  };
  replacePrivate(
    fs,
    join(reservedDir(dest), DEST_IDENTITY_FILE),
    JSON.stringify(identity, null, 2) + "\n",
  );
  return { identity, fresh: true };
}

/**
 * Why the destination is not on the disk its backup was made on, or null
 * when it is (or cannot be checked: the root pin says why then).
 */
export function destinationVeto(
  fs: FileSystem,
  dest: string,
  identity: DestinationIdentity,
): string | null {
  let dev: number;
  try {
    dev = fs.lstat(fs.realPath(dest)).dev;
  } catch {
    return null;
  }
  if (dev === identity.dev) return null;
  return `${dest} is on device ${dev}, but its backup was made on device ${identity.dev}: ` +
    `is another disk mounted there, or is this a copy of the backup? If the backup was moved ` +
    `here on purpose, start again with --adopt-dest`;
}

/**
 * The destination the source's marker names as its first backup, or null
 * (no marker, or one without a destination). The marker's text is written
 * by lib/engine/source_guard.ts: `... backed up by backup (ID), first into DEST.`
 */
export function markedDestination(fs: FileSystem, source: string): string | null {
  let text: string;
  try {
    text = new TextDecoder().decode(fs.readFile(join(source, MARKER_NAME)));
  } catch {
    return null;
  }
  return /\), first into (\/.*)\.\n/.exec(text)?.[1] ?? null;
}

/**
 * Why a destination that holds no backup must not get a fresh full copy, or
 * null: the source's marker says the source was backed up into it, so its
 * disk is probably not mounted (the backup would fill the mount point's disk).
 *
 * @param holdsBackup whether the destination has a reserved folder
 */
export function missingBackupVeto(
  fs: FileSystem,
  source: string,
  dest: string,
  holdsBackup: boolean,
): string | null {
  if (holdsBackup || markedDestination(fs, source) !== dest) return null;
  return `"${dest}" holds no backup, but ${join(source, MARKER_NAME)} says ${source} was backed ` +
    `up into it: is its disk mounted? To start a new backup there on purpose, pass --adopt-dest`;
}
