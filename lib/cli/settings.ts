/**
 * The settings a backup ran with that change what a pass does (exclude
 * rules, `--delete-excluded`, setuid bits, mass-delete limits), kept in
 * `DEST/.backup/settings.json` at every start. `backup journal replay` reads
 * them so that its pass is the pass the daemon would have made: it neither
 * copies what the daemon excluded nor deletes more than it would have.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { DEFAULT_DELETE_LIMITS, type DeleteLimits } from "../engine/guard.ts";
import { join } from "../base/paths.ts";
import { replacePrivate } from "../dest/reserved.ts";
import { reservedDir, SETTINGS_FILE } from "../base/layout.ts";
import { type KeepRule, parseKeepVersions } from "../engine/versions.ts";
import { Reconciler, type ReconcilerLogs } from "../engine/reconciler.ts";
import { establishIdentity } from "../engine/source_guard.ts";
import type { Lock } from "../dest/reserved.ts";
import type { Destination } from "../dest/destination.ts";

/** What a pass depends on besides the trees and the journal. */
export interface PassSettings {
  /** Command-line exclude patterns (with `--exclude-from` files read), in order. */
  excludes: string[];
  /** Excluded entries are deleted from the destination. */
  deleteExcluded: boolean;
  /** Mode bits carried over (0o1777, or 0o7777 with `--keep-setuid`). */
  modeMask: number;
  /** Mass-delete guard limits. */
  deleteLimits: DeleteLimits;
  /** `--keep-versions` rule: replaced and deleted files are kept as versions (null: off). */
  keepVersions: KeepRule | null;
}

/** The settings of a backup that never recorded any (an older version): the defaults. */
export const DEFAULT_SETTINGS: PassSettings = {
  excludes: [],
  deleteExcluded: false,
  modeMask: 0o1777,
  deleteLimits: DEFAULT_DELETE_LIMITS,
  keepVersions: null,
};

/**
 * Records the settings of this start.
 *
 * @throws Deno.errors.* when the file cannot be written.
 */
export function saveSettings(fs: FileSystem, dest: string, settings: PassSettings): void {
  const data = {
    v: 1,
    saved: new Date().toISOString(),
    ...settings,
    keepVersions: settings.keepVersions?.text ?? null, // the rule as the user wrote it
  };
  replacePrivate(fs, join(reservedDir(dest), SETTINGS_FILE), JSON.stringify(data, null, 2) + "\n");
}

/** A recorded `--keep-versions` text as a rule; null when absent (older files) or unreadable. */
function keepRule(text: unknown): KeepRule | null {
  if (typeof text !== "string") return null;
  try {
    return parseKeepVersions(text);
  } catch {
    return null;
  }
}

/** The settings last recorded in `dest`, or the defaults when none (or unreadable ones) are. */
export function loadSettings(fs: FileSystem, dest: string): PassSettings & { recorded: boolean } {
  try {
    const o = JSON.parse(
      new TextDecoder().decode(fs.readFile(join(reservedDir(dest), SETTINGS_FILE))),
    );
    const limits = o.deleteLimits;
    if (
      o.v === 1 && Array.isArray(o.excludes) && o.excludes.every((p: unknown) =>
        typeof p === "string"
      ) &&
      typeof o.deleteExcluded === "boolean" && typeof o.modeMask === "number" &&
      typeof limits?.maxCount === "number" && typeof limits?.maxShare === "number"
    ) {
      return {
        recorded: true,
        excludes: o.excludes,
        deleteExcluded: o.deleteExcluded,
        modeMask: o.modeMask,
        deleteLimits: { maxCount: limits.maxCount, maxShare: limits.maxShare },
        keepVersions: keepRule(o.keepVersions),
      };
    }
  } catch { /* none yet, or damaged: the defaults are the safe side */ }
  return { recorded: false, ...DEFAULT_SETTINGS };
}

/**
 * Starts a reconciler of `source` -> `dest` as the daemon last ran it: the saved excludes,
 * limits and versions rule ({@link loadSettings}), and the source guard's identity. Used by the
 * commands that make a pass of their own (`journal replay`, `verify --repair`). `destination`:
 * a remote one (a bucket's), whose journal `fs` mirrors; default the local folder `dest`.
 */
export async function startAsSaved(
  fs: FileSystem,
  roots: { source: string; dest: string },
  options: { logs: ReconcilerLogs; signal: AbortSignal; lock: Lock; destination?: Destination },
): Promise<Reconciler> {
  const settings = loadSettings(fs, roots.dest);
  const guard = establishIdentity(fs, roots.source, roots.dest);
  return await Reconciler.start(fs, {
    source: roots.source,
    dest: roots.dest,
    logs: options.logs,
    signal: options.signal,
    identity: guard.identity,
    excludes: settings.excludes,
    deleteExcluded: settings.deleteExcluded,
    modeMask: settings.modeMask,
    deleteLimits: settings.deleteLimits,
    ...(settings.keepVersions ? { keepVersions: settings.keepVersions } : {}),
    lock: options.lock,
    ...(options.destination ? { destination: options.destination } : {}),
  });
}
