/**
 * What a pass looks at: both trees scanned whole (a full pass), or only the
 * folders a watcher named (a partial pass), with the pass's exclude rules.
 * Reads only.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { StateEntry } from "../journal/state.ts";
import { describeError } from "../base/errors.ts";
import { depth, isAtOrBelow, join, parentOf } from "../base/paths.ts";
import { emptyScan, type Entry, type ScanOptions, type ScanResult, scanTree } from "./scan.ts";
import { destScan, type PassExcludes } from "./excludes.ts";

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
}

/** The trees a pass scans. */
export interface ScanRoots {
  /** File system port. */
  fs: FileSystem;
  /** Absolute source root. */
  source: string;
  /** Absolute destination root; null when there is none yet (scanned as empty). */
  dest: string | null;
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
 * scanned (null) or why not, before the destination is looked at.
 */
export function scanWhole(
  roots: ScanRoots,
  excludes: PassExcludes,
  sourceScanned?: (failure: string | null) => void,
): ScopeOutcome {
  const { fs, source, dest } = roots;
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
  if (dest === null) {
    return { status: "scanned", scope: { src, dst: emptyScan(), within: undefined, excludes } };
  }
  try {
    const dst = scanTree(fs, dest, destScan(excludes));
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

/**
 * Scans the named folders (each with its direct children) and, whole, the
 * subtree of any child folder that is new (its inode is not the state's) or
 * that the source no longer has as a folder. When either root is not a
 * folder, falls back to {@link scanWhole}, which reports it.
 */
export function scanFolders(
  roots: ScanRoots,
  folders: ReadonlySet<string>,
  excludes: PassExcludes,
  state: ReadonlyMap<string, StateEntry>,
  sourceScanned?: (failure: string | null) => void,
): ScopeOutcome {
  const { fs, source, dest } = roots;
  try {
    if (fs.lstat(source).kind !== "dir") throw new Error("the source is not a folder");
    if (dest === null || fs.lstat(dest).kind !== "dir") throw new Error("destination is gone");
  } catch {
    return scanWhole(roots, excludes, sourceScanned); // reports and skips with the usual messages
  }
  const src = emptyScan();
  const dst = emptyScan();
  const shallow = new Set<string>();
  const deep: string[] = [];
  const scanInto = (root: string, into: ScanResult, options: ScanOptions): boolean => {
    const skip = root === source ? { skip: excludes.sourceSkip } : destScan(excludes);
    try {
      mergeScan(into, scanTree(fs, root, { ...options, ...skip }));
      return true;
    } catch {
      return false; // gone or unreadable: its parent's listing shows it
    }
  };
  const entryAt = (root: string, rel: string): Entry | null => {
    try {
      const info = fs.lstat(join(root, rel));
      return {
        kind: info.kind,
        size: info.size,
        mtimeMs: info.mtimeMs,
        mode: info.mode,
        ino: info.ino,
      };
    } catch {
      return null;
    }
  };
  for (const folder of [...folders].sort((a, b) => depth(a) - depth(b))) {
    if (folder !== "" && deep.some((subtree) => isAtOrBelow(folder, subtree))) continue;
    const inSource = folder === "" ? null : entryAt(source, folder);
    if (folder !== "" && inSource?.kind !== "dir") continue;
    if (excludes.rules.excluded(folder, "dir")) continue; // hints for excluded folders are ignored
    if (!scanInto(source, src, { under: folder, shallow: true })) continue;
    shallow.add(folder);
    if (inSource) src.entries.set(folder, inSource);
    const inDest = folder === "" ? null : entryAt(dest, folder);
    if (inDest) dst.entries.set(folder, inDest);
    if (folder === "" || inDest?.kind === "dir") {
      scanInto(dest, dst, { under: folder, shallow: true, destination: true });
    }
    for (const [rel, entry] of src.entries) {
      if (parentOf(rel) !== folder || rel === folder || entry.kind !== "dir") continue;
      const known = state.get(rel);
      if (!known || known.kind !== "dir" || known.ino !== entry.ino) deep.push(rel);
    }
    for (const [rel, entry] of dst.entries) {
      if (parentOf(rel) !== folder || rel === folder || entry.kind !== "dir") continue;
      if (src.entries.get(rel)?.kind !== "dir") deep.push(rel);
    }
  }
  for (const subtree of deep) {
    if (src.entries.get(subtree)?.kind === "dir") scanInto(source, src, { under: subtree });
    if (dst.entries.get(subtree)?.kind === "dir") {
      scanInto(dest, dst, { under: subtree, destination: true });
    }
  }
  const within = (rel: string) =>
    shallow.has(parentOf(rel)) || shallow.has(rel) ||
    deep.some((subtree) => isAtOrBelow(rel, subtree));
  return { status: "scanned", scope: { src, dst, within, excludes } };
}
