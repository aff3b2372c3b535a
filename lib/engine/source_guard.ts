/**
 * The source guard: a mirror must never be emptied because its source was
 * not mounted. At the first backup the source's device is recorded in the
 * destination (`.backup/source.json`) and a marker file is written into the
 * source root (`.backup-source`, as Syncthing's `.stfolder`). Before each
 * pass, a source on another device, without its marker, or suddenly empty
 * while the backup is not, stops the pass: nothing is deleted (nor copied)
 * until it is back, or until the operator resets the guard (`--new-source`).
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { join } from "../base/paths.ts";
import { IDENTITY_FILE, MARKER_NAME, reservedDir } from "../base/layout.ts";
import { replacePrivate, writePrivate } from "../dest/reserved.ts";

/** What the destination remembers about its source. */
export interface SourceIdentity {
  /** Format version. */
  v: 1;
  /** Absolute source root. */
  source: string;
  /** Device number of the source root at the first backup. */
  dev: number;
  /** Id written in the marker file, or null when the source could not be written to. */
  marker: string | null;
  /** When the identity was recorded (ISO 8601). */
  created: string;
}

/** Outcome of {@link establishIdentity}. */
export interface Established {
  /** The identity in force. */
  identity: SourceIdentity;
  /** True when it was recorded just now (first backup or reset). */
  fresh: boolean;
  /** Why no marker could be written, when it could not. */
  markerProblem: string | null;
}

/**
 * The destination's record of its source, or null when there is none (or it
 * is damaged: it is then recorded afresh).
 *
 * @throws Deno.errors.* when it exists but cannot be read.
 */
export function readIdentity(fs: FileSystem, dest: string): SourceIdentity | null {
  try {
    const text = new TextDecoder().decode(fs.readFile(join(reservedDir(dest), IDENTITY_FILE)));
    const identity = JSON.parse(text) as SourceIdentity;
    if (identity.v === 1 && typeof identity.dev === "number") return identity;
  } catch (err) {
    if (!isNotFound(err) && !(err instanceof SyntaxError)) throw err;
  }
  return null;
}

/**
 * Reads the destination's record of its source, or records it (first backup,
 * or `reset`): the source root's device and a marker file in it.
 *
 * @throws Deno.errors.* when the identity cannot be read or written.
 */
export function establishIdentity(
  fs: FileSystem,
  source: string,
  dest: string,
  options: { reset?: boolean } = {},
): Established {
  const file = join(reservedDir(dest), IDENTITY_FILE);
  if (!options.reset) {
    const identity = readIdentity(fs, dest);
    if (identity) return { identity, fresh: false, markerProblem: null };
  }
  // The marker belongs to the source, not to one backup of it: a second destination (rotating
  // disks, a config with two jobs) shares the id already there instead of replacing it, which
  // made the first destination's guard refuse every pass.
  const existing = readMarkerId(fs, source);
  const id = existing ?? crypto.randomUUID();
  let marker: string | null = id;
  let markerProblem: string | null = null;
  if (existing === null) {
    try {
      writePrivate(
        fs,
        join(source, MARKER_NAME),
        `This folder is backed up by backup (${id}), first into ${dest}.\n` +
          `Keep this file: without it the backup stops deleting, in case the wrong disk is mounted.\n`,
      );
    } catch (err) {
      marker = null;
      markerProblem = describeError(err);
    }
  }
  const identity: SourceIdentity = {
    v: 1,
    source,
    dev: fs.lstat(source).dev,
    marker,
    created: new Date().toISOString(),
  };
  replacePrivate(fs, file, JSON.stringify(identity, null, 2) + "\n");
  return { identity, fresh: true, markerProblem };
}

/** The id in the source's marker file, or null when there is none that can be read. */
function readMarkerId(fs: FileSystem, source: string): string | null {
  try {
    const text = new TextDecoder().decode(fs.readFile(join(source, MARKER_NAME)));
    return /\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)/.exec(text)?.[1] ??
      null;
  } catch {
    return null; // missing or unreadable: a new marker is written (or cannot be)
  }
}

/**
 * Checks the source against its recorded identity. Returns why the pass must
 * not run, or null when all is well.
 *
 * @param sourceEntries how many entries the source scan found
 * @param trackedEntries how many entries the state map holds
 */
export function sourceVeto(
  fs: FileSystem,
  source: string,
  identity: SourceIdentity,
  sourceEntries: number,
  trackedEntries: number,
): string | null {
  let dev: number;
  try {
    dev = fs.lstat(source).dev;
  } catch (err) {
    return `the source cannot be read (${describeError(err)})`;
  }
  if (dev !== identity.dev) {
    return `the source is on another device than at the first backup (device ${dev}, was ${identity.dev}): is the right disk mounted?`;
  }
  if (identity.marker !== null) {
    let text = "";
    try {
      text = new TextDecoder().decode(fs.readFile(join(source, MARKER_NAME)));
    } catch { /* missing: refused below */ }
    if (!text.includes(identity.marker)) {
      return `the source has lost its marker file ${MARKER_NAME}: is the right disk mounted?`;
    }
  }
  if (sourceEntries === 0 && trackedEntries > 0) {
    return `the source is empty but its backup holds ${trackedEntries} entries: is the disk mounted?`;
  }
  return null;
}
