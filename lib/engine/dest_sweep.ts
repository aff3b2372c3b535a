/**
 * The destination as a full pass sees it, listed only where it matters: the
 * rolling sweep of issue 14.
 *
 * A folder of the destination whose own mtime is still the one the state
 * recorded for it (the backup sets every folder's mtime to its source's after
 * changing it) has had no entry added, removed or renamed in it since: its
 * entries are taken from the state instead of being listed and `statx`ed one
 * by one. A folder is listed (its direct children, with `statx`) when:
 *
 * - its mtime moved, it is gone, or it is no folder any more (and then its parent too);
 * - it falls in this pass's slice of the rolling sweep: folder `d` is in slice
 *   `fnv1a(d) % rounds`, and the pass of round `r` lists slice `r % rounds`,
 *   so every folder is listed once every `rounds` full passes (a file altered in
 *   place, which moves no folder's mtime, is found then);
 * - it is the root (which also reports the backup's leftover temp files).
 *
 * A folder the state knows that the source no longer holds as a folder is
 * listed whole (with its subtree): its deletion must see what it holds, such
 * as excluded entries that are kept.
 *
 * Reads only.
 *
 * @module
 */

import type { Destination, ListOptions } from "../dest/destination.ts";
import type { StateEntry } from "../journal/state.ts";
import { isNotFound } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { parentOf, someAbove } from "../base/paths.ts";
import { emptyScan, type Entry, type ScanResult } from "../base/scan.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { entriesWithin, scopeTest } from "./scope_entries.ts";

/** Which slice of the rolling sweep a pass lists. */
export interface SweepSlice {
  /** The pass's round (a counter kept across passes and runs). */
  round: number;
  /** Full passes for the sweep to list every folder (at least 2; 1 is a whole listing). */
  rounds: number;
}

/** What a swept listing did, for the pass's summary (and tests). */
export interface SweepCounts {
  /** Folders listed (their entries `statx`ed). */
  listed: number;
  /** Folders whose entries were taken from the state (only the folder itself `statx`ed). */
  trusted: number;
}

/** A swept listing: what a whole listing would give, and what it cost. */
export interface SweptListing {
  /** The destination's entries, as `Destination.list` gives them. */
  scan: ScanResult;
  /** How many folders were listed or trusted. */
  counts: SweepCounts;
}

/**
 * What a full pass's diff walk hears from the sweep (lib/engine/dirty_folders.ts), and
 * which trusted folders' entries it needs: the others are not taken from the state at all.
 */
export interface SweepNarrowing {
  /** A folder listed alone (its direct children): the root, moved folders, the slice. */
  destListed(dir: string, entries: Iterable<[string, Entry]>): void;
  /** A folder in a trusted folder, as `statx`ed, and the state's entry for it. */
  destFolder(rel: string, d: Entry, t: StateEntry): void;
  /** After the two above: whether a trusted folder's entries are needed. */
  isDirty(dir: string): boolean;
  /** Right after {@link destListed}: whether the files of that listing are needed. */
  keepsListing(dir: string): boolean;
}

/** FNV-1a (32 bits) of a path's UTF-16 code units: which slice a folder is in. */
export function sliceOf(path: string, rounds: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % rounds;
}

/** The destination entry the state says a trusted folder holds at a path. */
function entryFromState(t: StateEntry): Entry {
  const entry: Entry = { kind: t.kind, size: t.size, mtimeMs: t.mtimeMs, mode: t.mode, ino: t.ino };
  if (t.target !== undefined) entry.target = t.target;
  return entry;
}

/**
 * Lists the destination for a full pass, folder by folder where its mtime or
 * the sweep asks for it, the rest taken from `state` (see the module's text).
 * `source` is the pass's source scan (only its folders are read). With
 * `narrow`, the listed folders are reported to it, and of the trusted folders
 * only the folders in them and the entries of those it calls dirty are taken.
 *
 * @throws when the root itself cannot be listed (as `Destination.list`).
 */
export async function listSwept(
  destination: Destination,
  options: ListOptions,
  state: ReadonlyMap<string, StateEntry>,
  source: ReadonlyMap<string, Entry>,
  slice: SweepSlice,
  narrow?: SweepNarrowing,
): Promise<SweptListing> {
  const listNow = new Set<string>([""]);
  const deep = new Set<string>();
  const stats = new Map<string, Entry>();
  const dirs: [string, StateEntry][] = [];
  // One push each: a spread of 125,000 or more folders overflows V8's argument limit.
  if (state instanceof PackedEntries) {
    for (const pair of state.entriesOfKind("dir")) dirs.push(pair);
  } else for (const [rel, t] of state) if (t.kind === "dir") dirs.push([rel, t]);
  for (const [rel, t] of dirs) {
    let d: Entry | null;
    try {
      d = await destination.stat(rel);
    } catch {
      d = null;
    }
    if (source.get(rel)?.kind !== "dir") {
      if (d?.kind === "dir") stats.set(rel, d); // its own entry, should its parent be trusted
      else listNow.add(parentOf(rel));
      deep.add(rel);
      continue;
    }
    if (d === null || d.kind !== "dir") {
      listNow.add(parentOf(rel)); // what stands there now, and why this one cannot be trusted
      listNow.add(rel);
      continue;
    }
    stats.set(rel, d);
    if (d.mtimeMs !== t.mtimeMs || sliceOf(rel, slice.rounds) === slice.round % slice.rounds) {
      listNow.add(rel);
    }
  }
  const scan = emptyScan();
  const counts: SweepCounts = { listed: 0, trusted: 0 };
  const underDeep = (rel: string) => deep.size > 0 && someAbove(rel, (p) => deep.has(p), true);
  // `folders`: only the folders of a listing (a clean folder's files are not planned).
  const merge = (from: ScanResult, folders = false) => {
    for (const [rel, entry] of from.entries) {
      if (!folders || entry.kind === "dir") scan.entries.set(rel, entry);
    }
    for (const [rel, reason] of from.unreadable) scan.unreadable.set(rel, reason);
    for (const [dir, count] of from.badNames) scan.badNames.set(dir, count);
    scan.temps.push(...from.temps);
    scan.skipped += from.skipped;
  };
  // A folder listed holding a folder the state does not know as one: listed whole.
  const newFolders = (from: ScanResult, dir: string) => {
    for (const [rel, entry] of from.entries) {
      if (entry.kind === "dir" && rel !== dir && state.get(rel)?.kind !== "dir") deep.add(rel);
    }
  };
  // The root first: a failure there is the whole destination's.
  const root = await destination.list({ ...options, shallow: true });
  narrow?.destListed("", root.entries);
  merge(root);
  newFolders(root, "");
  counts.listed++;
  for (const dir of listNow) {
    if (dir === "" || underDeep(dir)) continue;
    counts.listed++;
    try {
      const listed = await destination.list({ ...options, under: dir, shallow: true });
      narrow?.destListed(dir, listed.entries);
      merge(listed, narrow !== undefined && !narrow.keepsListing(dir));
      newFolders(listed, dir);
    } catch (err) {
      // Gone since: its parent's listing shows it. Else nothing below it may be deleted.
      if (!isNotFound(err)) scan.unreadable.set(dir, describeError(err));
    }
  }
  for (const subtree of deep) {
    if (someAbove(subtree, (p) => deep.has(p))) continue; // listed with the one above it
    try {
      const listed = await destination.list({ ...options, under: subtree });
      counts.listed += 1 + [...listed.entries.values()].filter((e) => e.kind === "dir").length;
      merge(listed);
    } catch (err) {
      if (!isNotFound(err)) scan.unreadable.set(subtree, describeError(err));
    }
  }
  // The trusted folders' entries, as the state has them (the folders themselves as stat'ed).
  const trusted = new Set<string>();
  for (const [rel] of dirs) {
    if (!listNow.has(rel) && stats.has(rel) && !underDeep(rel)) trusted.add(rel);
  }
  counts.trusted = trusted.size;
  if (narrow) {
    takeNarrowed(scan, options, state, dirs, stats, trusted, narrow);
    return { scan, counts };
  }
  for (const [rel, t] of state) {
    const parent = parentOf(rel);
    if (parent === "" || !trusted.has(parent)) continue;
    const entry = t.kind === "dir" ? stats.get(rel) : entryFromState(t);
    if (entry === undefined) continue; // a folder not there: its parent was listed
    if (options.skip?.(rel, entry.kind)) {
      scan.skipped++;
      continue;
    }
    scan.entries.set(rel, entry);
  }
  // A trusted folder whose parent was listed is in its parent's listing; one whose parent is
  // trusted too, just above. The root's children are in the root's listing.
  return { scan, counts };
}

/**
 * The trusted folders' part of a narrowed listing: every folder in them as `statx`ed (told to
 * `narrow`), then the other entries of the dirty ones, from the state through their folders.
 */
function takeNarrowed(
  scan: ScanResult,
  options: ListOptions,
  state: ReadonlyMap<string, StateEntry>,
  dirs: [string, StateEntry][],
  stats: Map<string, Entry>,
  trusted: Set<string>,
  narrow: SweepNarrowing,
): void {
  const take = (rel: string, entry: Entry) => {
    if (options.skip?.(rel, entry.kind)) scan.skipped++;
    else scan.entries.set(rel, entry);
  };
  for (const [rel, t] of dirs) {
    const d = stats.get(rel);
    if (!trusted.has(parentOf(rel)) || parentOf(rel) === "" || d === undefined) continue;
    narrow.destFolder(rel, d, t);
    take(rel, d);
  }
  const needed = new Set([...trusted].filter((dir) => narrow.isDirty(dir)));
  if (needed.size === 0) return;
  for (const [rel, t] of entriesWithin(state, scopeTest(needed, []))) {
    if (t.kind === "dir" || !needed.has(parentOf(rel))) continue;
    take(rel, entryFromState(t));
  }
}
