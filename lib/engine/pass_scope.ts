/**
 * What a pass looks at: both trees scanned whole (a full pass), or only the
 * folders a watcher named (a partial pass), with the pass's exclude rules.
 * Reads only.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination, ListOptions } from "../dest/destination.ts";
import type { StateEntry } from "../journal/state.ts";
import { describeError } from "../base/errors.ts";
import { depth, isAtOrBelow, join, parentOf } from "../base/paths.ts";
import { emptyScan, type Entry, entryOf, type ScanResult, scanTree } from "../base/scan.ts";
import { destScan, type PassExcludes } from "./excludes.ts";
import { entriesWithin, scopeTest } from "./scope_entries.ts";
import { listSwept, type SweepCounts, type SweepSlice } from "./dest_sweep.ts";

/** What a pass looks at. */
export interface PassScope {
  /** Source scan (whole, or the pieces of a partial pass). */
  src: ScanResult;
  /** Destination scan, likewise (empty when there is no destination yet). */
  dst: ScanResult;
  /** Paths in scope for a partial pass; undefined for a full one. */
  within: ((rel: string) => boolean) | undefined;
  /** The pass's exclude rules. */
  excludes: PassExcludes;
  /** A full pass that listed the destination by the rolling sweep: what it listed and trusted. */
  swept?: SweepCounts;
  /**
   * A full pass scanned as a diff walk (lib/engine/dirty_walk.ts): `src` and `dst` hold only
   * the dirty folders, and this is the scope to plan them in. Undefined otherwise.
   */
  planWithin?: (rel: string) => boolean;
  /** With `planWithin`: the source entries (and excluded ones) walked, for the source guard. */
  seen?: number;
}

/** A full pass's rolling sweep of the destination (lib/engine/dest_sweep.ts). */
export interface SweepRequest {
  /** The state: the entries of folders whose mtime did not move are taken from it. */
  state: ReadonlyMap<string, StateEntry>;
  /** This pass's slice. */
  slice: SweepSlice;
}

/** The trees a pass scans. */
export interface ScanRoots {
  /** File system port (the source is read through it). */
  fs: FileSystem;
  /** Absolute source root. */
  source: string;
  /** The destination, listed through its own interface; null when there is none yet (scanned as empty). */
  destination: Destination | null;
}

/** Both trees scanned, or why one of them could not be. */
export type ScopeOutcome =
  | { status: "scanned"; scope: PassScope }
  | {
    status: "unavailable";
    /** Which tree could not be scanned. */
    side: "source" | "destination";
    /** Why, for people (`not a folder`, `permission denied`). */
    reason: string;
    /** What the scan threw (null when the root was there but not a folder). */
    error: unknown;
  };

/**
 * Scans both whole trees. `sourceScanned` hears whether the source could be
 * scanned (null) or why not, before the destination is looked at. With
 * `sweep`, the destination's folders whose mtime did not move are taken from
 * the state, except this pass's slice ({@link listSwept}).
 */
export async function scanWhole(
  roots: ScanRoots,
  excludes: PassExcludes,
  sourceScanned?: (failure: string | null) => void,
  sweep?: SweepRequest,
): Promise<ScopeOutcome> {
  const { fs, source, destination } = roots;
  let src: ScanResult;
  try {
    if (fs.lstat(source).kind !== "dir") {
      sourceScanned?.("not a folder");
      return { status: "unavailable", side: "source", reason: "not a folder", error: null };
    }
    src = scanTree(fs, source, { skip: excludes.sourceSkip });
  } catch (err) {
    sourceScanned?.(describeError(err));
    return { status: "unavailable", side: "source", reason: describeError(err), error: err };
  }
  sourceScanned?.(null);
  if (destination === null) {
    return { status: "scanned", scope: { src, dst: emptyScan(), within: undefined, excludes } };
  }
  try {
    if (sweep) {
      const swept = await listSwept(
        destination,
        destScan(excludes),
        sweep.state,
        src.entries,
        sweep.slice,
      );
      const scope = { src, dst: swept.scan, within: undefined, excludes, swept: swept.counts };
      return { status: "scanned", scope };
    }
    const dst = await destination.list(destScan(excludes));
    return { status: "scanned", scope: { src, dst, within: undefined, excludes } };
  } catch (err) {
    return { status: "unavailable", side: "destination", reason: describeError(err), error: err };
  }
}

/** Adds the entries, problems and leftovers of `from` to `into`. */
function mergeScan(into: ScanResult, from: ScanResult): void {
  for (const [rel, entry] of from.entries) into.entries.set(rel, entry);
  for (const [rel, reason] of from.unreadable) into.unreadable.set(rel, reason);
  for (const [dir, count] of from.badNames) into.badNames.set(dir, count);
  into.temps.push(...from.temps);
  into.reservedSkipped ||= from.reservedSkipped;
}

/** What the source holds at `rel` (without following a symlink), or null when it cannot tell. */
function sourceEntryAt(fs: FileSystem, source: string, rel: string): Entry | null {
  try {
    return entryOf(fs.lstat(join(source, rel)));
  } catch {
    return null;
  }
}

/** What the destination holds at `rel`, or null when it cannot tell. */
async function destEntryAt(destination: Destination, rel: string): Promise<Entry | null> {
  try {
    return await destination.stat(rel);
  } catch {
    return null;
  }
}

/**
 * Scans the named folders (each with its direct children) and, whole, the
 * subtree of any child folder that is new (its inode is not the state's) or
 * that the source no longer has as a folder. When either root is not a
 * folder, falls back to {@link scanWhole}, which reports it.
 */
export async function scanFolders(
  roots: ScanRoots,
  folders: ReadonlySet<string>,
  excludes: PassExcludes,
  state: ReadonlyMap<string, StateEntry>,
  sourceScanned?: (failure: string | null) => void,
): Promise<ScopeOutcome> {
  const { fs, source, destination } = roots;
  try {
    if (fs.lstat(source).kind !== "dir") throw new Error("the source is not a folder");
    if (destination === null || (await destination.stat("")).kind !== "dir") {
      throw new Error("destination is gone");
    }
  } catch {
    return await scanWhole(roots, excludes, sourceScanned); // reports and skips with the usual messages
  }
  const src = emptyScan();
  const dst = emptyScan();
  const shallow = new Set<string>();
  const deep: string[] = [];
  // A folder gone or unreadable since: its parent's listing shows it.
  const scanSource = (options: { under: string; shallow?: boolean }): boolean => {
    try {
      mergeScan(src, scanTree(fs, source, { ...options, skip: excludes.sourceSkip }));
      return true;
    } catch {
      return false;
    }
  };
  const listDest = async (options: ListOptions): Promise<void> => {
    try {
      mergeScan(dst, await destination.list({ ...options, ...destScan(excludes) }));
    } catch { /* see scanSource */ }
  };
  for (const folder of [...folders].sort((a, b) => depth(a) - depth(b))) {
    if (folder !== "" && deep.some((subtree) => isAtOrBelow(folder, subtree))) continue;
    const inSource = folder === "" ? null : sourceEntryAt(fs, source, folder);
    if (folder !== "" && inSource?.kind !== "dir") continue;
    if (excludes.rules.excluded(folder, "dir")) continue; // hints for excluded folders are ignored
    if (!scanSource({ under: folder, shallow: true })) continue;
    shallow.add(folder);
    if (inSource) src.entries.set(folder, inSource);
    const inDest = folder === "" ? null : await destEntryAt(destination, folder);
    if (inDest) dst.entries.set(folder, inDest);
    if (folder === "" || inDest?.kind === "dir") await listDest({ under: folder, shallow: true });
    // The folder's entries only (through its list in the packed scans), not all scanned so far.
    const inFolder = scopeTest(new Set([folder]), []);
    for (const [rel, entry] of entriesWithin(src.entries, inFolder)) {
      if (parentOf(rel) !== folder || rel === folder || entry.kind !== "dir") continue;
      const known = state.get(rel);
      if (!known || known.kind !== "dir" || known.ino !== entry.ino) deep.push(rel);
    }
    for (const [rel, entry] of entriesWithin(dst.entries, inFolder)) {
      if (parentOf(rel) !== folder || rel === folder || entry.kind !== "dir") continue;
      if (src.entries.get(rel)?.kind !== "dir") deep.push(rel);
    }
  }
  for (const subtree of deep) {
    if (src.entries.get(subtree)?.kind === "dir") scanSource({ under: subtree });
    if (dst.entries.get(subtree)?.kind === "dir") await listDest({ under: subtree });
  }
  const within = scopeTest(shallow, deep);
  return { status: "scanned", scope: { src, dst, within, excludes } };
}
