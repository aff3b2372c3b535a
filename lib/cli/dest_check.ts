/**
 * The checks of `--dest` that come before anything is created, shared by
 * the run and `--dry-run` (which says the run would be refused, and why).
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { RootError } from "../base/errors.ts";
import { join, parentOf } from "../base/paths.ts";
import { IDENTITY_FILE, MARKER_NAME, reservedDir, reservedName } from "../base/layout.ts";
import { missingBackupVeto } from "../engine/dest_guard.ts";
import { plural } from "./format.ts";

/**
 * Refuses a destination that holds files but was never a backup (no journal),
 * or that is the backup of another source: mirroring would delete its files.
 *
 * @throws RootError naming the folder and the flag that overrides.
 */
export function checkDestination(fs: FileSystem, dest: string, source: string): void {
  let names: string[];
  try {
    names = fs.readDir(dest);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    names = [];
  }
  const reserved = reservedName(dest);
  const unmounted = missingBackupVeto(fs, source, dest, names.includes(reserved));
  if (unmounted !== null) throw new RootError(unmounted);
  let recorded: string | null = null;
  try {
    const id = JSON.parse(
      new TextDecoder().decode(fs.readFile(join(reservedDir(dest), IDENTITY_FILE))),
    );
    recorded = typeof id.source === "string" ? id.source : null;
  } catch { /* no identity yet */ }
  if (recorded !== null && recorded !== source) {
    throw new RootError(
      `"${dest}" is the backup of "${recorded}", not of "${source}"; pick another --dest, ` +
        `or pass --adopt-dest to make it a mirror of "${source}" (what is not in it is deleted)`,
    );
  }
  const isBackup = names.includes(reserved);
  const content = names.filter((n) => n !== reserved && n !== MARKER_NAME);
  if (!isBackup && content.length > 0) {
    throw new RootError(
      `"${dest}" is not empty and was never a backup (${
        plural(content.length, "entry")
      }, no ${reserved}/ folder); ` +
        `pick an empty --dest, or pass --adopt-dest to make it a mirror (what is not in the source is deleted)`,
    );
  }
}

/**
 * The parent of a destination that does not exist yet, when that parent is missing too (or
 * not a folder); null when the destination exists or can be created as one folder. Only the
 * last component is ever created, as rsync does: `mkdir -p` under an unmounted disk's mount
 * point would fill the disk the system runs on.
 */
export function missingParent(fs: FileSystem, dest: string): string | null {
  try {
    fs.lstat(dest);
    return null; // exists: checked as a folder by checkRoots
  } catch (err) {
    if (!isNotFound(err)) return null; // the creation says what is wrong
  }
  const parent = parentOf(dest) || "/";
  try {
    if (fs.lstat(fs.realPath(parent)).kind === "dir") return null;
  } catch { /* missing: said below */ }
  return parent;
}

/** The one-line refusal of a destination whose parent folder is missing. */
export function missingParentMessage(given: string, parent: string): string {
  return `cannot create the destination "${given}": its parent folder ${parent} does not exist ` +
    `(is the disk mounted?); only the last folder of --dest is created: create the parent ` +
    `first (mkdir -p ${parent}) or pick another --dest`;
}
