/**
 * A full pass's scan as a diff walk (issue 14): the source walked folder by
 * folder and each folder's listing compared with the state's entries for it
 * as it is read, the destination listed by the rolling sweep with only the
 * dirty folders' trusted entries taken from the state. What is kept is the
 * dirty folders ({@link DirtyFolders}); the pass plans those, as a watcher
 * pass plans its scope. Reads only.
 *
 * @module
 */

import type { Destination } from "../dest/destination.ts";
import type { StateEntry } from "../journal/state.ts";
import { describeError } from "../base/errors.ts";
import { type ScanResult, scanTree } from "../base/scan.ts";
import { destScan, type PassExcludes } from "./excludes.ts";
import { listSwept, type SweepSlice } from "./dest_sweep.ts";
import { DirtyFolders } from "./dirty_folders.ts";
import type { ScanRoots, ScopeOutcome } from "./pass_scope.ts";

/**
 * Walks the source against `state` and lists `destination` by `slice` of the
 * rolling sweep; the scope's `src` and `dst` hold the dirty folders (and every
 * source folder's own entry), `planWithin` is their scope, `seen` the source
 * entries walked. `sourceScanned` as for `scanWhole`.
 */
export async function scanDirty(
  roots: ScanRoots & { destination: Destination },
  excludes: PassExcludes,
  state: ReadonlyMap<string, StateEntry>,
  slice: SweepSlice,
  sourceScanned?: (failure: string | null) => void,
): Promise<ScopeOutcome> {
  const { fs, source, destination } = roots;
  const folders = new DirtyFolders(state);
  let src: ScanResult;
  try {
    if (fs.lstat(source).kind !== "dir") {
      sourceScanned?.("not a folder");
      return { status: "unavailable", side: "source", reason: "not a folder", error: null };
    }
    src = scanTree(fs, source, {
      skip: excludes.sourceSkip,
      folder: (dir, entries, flawed) => {
        folders.source(dir, entries, flawed);
        return false; // kept (or not) by `folders`
      },
    });
  } catch (err) {
    sourceScanned?.(describeError(err));
    return { status: "unavailable", side: "source", reason: describeError(err), error: err };
  }
  sourceScanned?.(null);
  let swept;
  try {
    swept = await listSwept(destination, destScan(excludes), state, folders.dirs, slice, folders);
  } catch (err) {
    return { status: "unavailable", side: "destination", reason: describeError(err), error: err };
  }
  // Folders dirty on the destination's side only: their source listing, read again.
  for (const dir of folders.relist()) {
    try {
      const again = scanTree(fs, source, { under: dir, shallow: true, skip: excludes.sourceSkip });
      folders.keep(again.entries);
      for (const [rel, reason] of again.unreadable) src.unreadable.set(rel, reason);
      for (const [at, count] of again.badNames) src.badNames.set(at, count);
    } catch (err) {
      // Changed since the walk: nothing below it is deleted; the next pass sees it.
      src.unreadable.set(dir, describeError(err));
    }
  }
  const seen = folders.seen + src.skipped;
  src.entries = folders.src;
  const planWithin = folders.scope().within;
  return {
    status: "scanned",
    scope: {
      src,
      dst: swept.scan,
      within: undefined,
      excludes,
      swept: swept.counts,
      planWithin,
      seen,
    },
  };
}
