/**
 * The full pass as a diff walk (issue 14): each folder's listing is compared
 * in place with the state's entries for that folder, and only the folders
 * that differ (*dirty*) are kept and planned; a *clean* folder leaves nothing
 * behind.
 *
 * A folder is clean when its source listing holds exactly the names the state
 * holds in it, each with the state's kind, inode, mtime, permission bits, size
 * (files, not racy) and target (symlinks); no entry of it was unreadable; and
 * its destination entries (listed by the rolling sweep, or taken from the
 * state) are what the state says, with the metadata the planner checks
 * (a file's size, mtime and mode; a symlink's target and mtime; a folder's
 * mtime and mode). For such a folder `plan()` emits nothing: every entry is
 * in source, state and destination alike, so no move starts or ends there.
 *
 * The plan's scope is then the dirty folders (each with its own entry,
 * which its parent's listing holds) and, whole, the subtrees of the folders a
 * dirty folder holds that are new or replaced in the source (not the state's
 * folder of that inode: a folder move's new place, whose entries the state
 * knows elsewhere, and `mv p p2; mkdir p`) or that the source no longer holds
 * as a folder (their entries are deleted or moved). A move changes both
 * listings, so both its ends are in the scope.
 *
 * @module
 */

import type { Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { parentOf, someAbove } from "../base/paths.ts";
import { MODE_MASK } from "./plan.ts";
import { entriesWithin, scopeTest } from "./scope_entries.ts";

/** The state's fields {@link sourceSame} reads: a state entry, or one read in place ({@link PackedView}). */
export type SameFields = Pick<StateEntry, "kind" | "size" | "mtimeMs" | "mode" | "ino"> & {
  readonly target?: string | undefined;
  readonly racy?: boolean | undefined;
};

/** The source entry is the state's, as every check of the planner sees it (and its inode). */
export function sourceSame(s: Entry, t: SameFields): boolean {
  if (s.kind !== t.kind || s.ino !== t.ino || s.mtimeMs !== t.mtimeMs) return false;
  if ((s.mode & MODE_MASK) !== (t.mode & MODE_MASK)) return false;
  switch (s.kind) {
    case "file":
      return s.size === t.size && !t.racy;
    case "symlink":
      return s.target === t.target;
    case "dir":
      return true;
    default:
      return false;
  }
}

/** The destination entry is what the state says, for each check the planner makes of it. */
export function destSame(d: Entry, t: SameFields): boolean {
  if (d.kind !== t.kind) return false;
  switch (d.kind) {
    case "file":
      return d.size === t.size && d.mtimeMs === t.mtimeMs &&
        (d.mode & MODE_MASK) === (t.mode & MODE_MASK);
    case "symlink":
      return d.target === t.target && d.mtimeMs === t.mtimeMs;
    case "dir":
      return d.mtimeMs === t.mtimeMs && (d.mode & MODE_MASK) === (t.mode & MODE_MASK);
    default:
      return false;
  }
}

/** What the diff walk keeps for the plan. */
export interface DirtyScope {
  /** The test of the plan's scope (from {@link scopeTest}: its folders are known). */
  within: (rel: string) => boolean;
  /** The dirty folders (listed alone). */
  shallow: ReadonlySet<string>;
  /** The subtrees planned whole. */
  deep: string[];
}

/**
 * Sorts folders into clean and dirty while a full pass walks them: the
 * source folder by folder ({@link DirtyFolders.source}), then the
 * destination's listed folders and trusted folders' child folders (the
 * rolling sweep). Keeps the dirty folders' source entries and every source
 * folder's own entry.
 */
export class DirtyFolders {
  readonly #state: ReadonlyMap<string, StateEntry>;
  /** The kept source entries: the dirty folders' listings, and every folder's own entry. */
  readonly src: Map<string, Entry> = new PackedEntries<Entry>();
  /** Every source folder (its entry), the root excepted. */
  readonly dirs: Map<string, Entry> = new Map();
  /** Source entries seen (kept or not), for the source guard. */
  seen = 0;
  readonly #dirty = new Set<string>();
  /** Folders whose listing was dropped (clean on the source side). */
  readonly #dropped = new Set<string>();
  readonly #deep = new Set<string>();
  /** Source folders below a deep one: kept without a comparison. */
  readonly #keepAll = new Set<string>();

  /** Sorts against `state` (packed: each folder's entries read through its slot list). */
  constructor(state: ReadonlyMap<string, StateEntry>) {
    this.#state = state;
  }

  /**
   * A source folder's listing (its direct children after the excludes);
   * `flawed` when an entry of it could not be read. True when it is dirty
   * (its entries are kept in {@link src}).
   */
  source(dir: string, entries: readonly [string, Entry][], flawed: boolean): boolean {
    this.seen += entries.length;
    for (const [rel, s] of entries) {
      if (s.kind !== "dir") continue;
      this.dirs.set(rel, s);
      this.src.set(rel, s);
    }
    let clean: boolean;
    if (this.#keepAll.has(dir)) {
      for (const [rel, s] of entries) if (s.kind === "dir") this.#keepAll.add(rel);
      clean = false;
    } else if (!flawed && this.#cleanInPlace(dir, entries)) clean = true;
    else clean = this.#sourceClean(dir, entries) && !flawed;
    if (clean) {
      this.#dropped.add(dir);
      return false;
    }
    this.#dirty.add(dir);
    for (const [rel, s] of entries) if (s.kind !== "dir") this.src.set(rel, s);
    return true;
  }

  /** The state's entries directly in folder `dir` (read through its slot list when packed). */
  *#stateChildren(dir: string): Generator<[string, StateEntry]> {
    for (const entry of entriesWithin(this.#state, scopeTest(new Set([dir]), []))) {
      if (entry[0] !== dir && parentOf(entry[0]) === dir) yield entry;
    }
  }

  /**
   * The common case of {@link #sourceClean}, read in place: true when the packed state holds
   * exactly the listing's names in `dir` (its special files aside, which the state never holds),
   * each {@link sourceSame}. Nothing is made per entry.
   * Then `#sourceClean` would say clean and note nothing (every folder listed is the state's
   * folder of that inode, and every folder of the state's is listed); false says only "compare
   * the slow way".
   */
  #cleanInPlace(dir: string, entries: readonly [string, Entry][]): boolean {
    const state = this.#state;
    if (!(state instanceof PackedEntries) || dir === "") return false;
    let unknown = 0;
    for (const [rel, s] of entries) {
      const t = state.peek(rel);
      if (t !== undefined && sourceSame(s, t)) continue;
      // A FIFO, socket or device the state does not hold: the plan makes nothing of it (never
      // copied, nothing deleted in its place), so it does not make its folder dirty at every pass.
      if (t === undefined && s.kind === "other") unknown++;
      else return false;
    }
    return state.countIn(dir) === entries.length - unknown;
  }

  /** Compares a listing with the state's entries of its folder; notes deep subtrees. */
  #sourceClean(dir: string, entries: readonly [string, Entry][]): boolean {
    const listed = new Map<string, Entry>(entries);
    const stateDirs = new Map<string, number>();
    let known = 0;
    let clean = true;
    for (const [rel, t] of this.#stateChildren(dir)) {
      known++;
      const s = listed.get(rel);
      if (t.kind === "dir") {
        if (s?.kind === "dir") stateDirs.set(rel, t.ino);
        else this.#deep.add(rel); // gone, or no folder any more: what it held goes
      }
      if (clean && (s === undefined || !sourceSame(s, t))) clean = false;
    }
    for (const [rel, s] of entries) {
      if (s.kind === "dir" && stateDirs.get(rel) !== s.ino) {
        this.#deep.add(rel); // new here, or another folder than the state's
        this.#keepAll.add(rel);
      }
    }
    return clean && known === entries.length;
  }

  /**
   * A destination folder the sweep listed (its direct children): dirty when
   * they are not the state's; folders in it the source lacks are planned whole.
   */
  destListed(dir: string, entries: Iterable<[string, Entry]>): void {
    const listed = new Map<string, Entry>();
    for (const [rel, d] of entries) {
      listed.set(rel, d);
      if (d.kind === "dir" && !this.dirs.has(rel)) this.#deep.add(rel); // the source lacks it
    }
    if (this.#destCleanInPlace(dir, listed)) return;
    let known = 0;
    let clean = true;
    for (const [rel, t] of this.#stateChildren(dir)) {
      known++;
      const d = listed.get(rel);
      if (d !== undefined && destSame(d, t)) continue;
      clean = false;
      // A source folder the destination lost (or holds as no folder): all of it is made again.
      if (d?.kind !== "dir" && this.dirs.has(rel)) this.#deep.add(rel);
    }
    if (!clean || known !== listed.size) this.#dirty.add(dir);
  }

  /**
   * The common case of {@link destListed}, read in place: true when the packed state holds
   * exactly the listed names in `dir`, each {@link destSame} (the folder is then clean, and
   * no folder of it is lost); false says only "compare the slow way".
   */
  #destCleanInPlace(dir: string, listed: ReadonlyMap<string, Entry>): boolean {
    const state = this.#state;
    if (!(state instanceof PackedEntries) || dir === "") return false;
    if (state.countIn(dir) !== listed.size) return false;
    for (const [rel, d] of listed) {
      const t = state.peek(rel);
      if (t === undefined || !destSame(d, t)) return false;
    }
    return true;
  }

  /** A folder of a trusted destination folder, as `statx`ed: its parent is dirty when it is not the state's. */
  destFolder(rel: string, d: Entry, t: StateEntry): void {
    if (!destSame(d, t)) this.#dirty.add(parentOf(rel));
  }

  /**
   * Whether a listed destination folder's files are needed: it is dirty, or in a subtree
   * planned whole (one the source walk found; those the destination's listings add hold no
   * folder listed alone: the sweep lists them whole, or they are not in the destination).
   */
  keepsListing(dir: string): boolean {
    return this.#dirty.has(dir) || someAbove(dir, (p) => this.#deep.has(p), true);
  }

  /** Whether a folder is dirty so far (a trusted one's entries are then taken from the state). */
  isDirty(dir: string): boolean {
    return this.#dirty.has(dir);
  }

  /**
   * Folders dirty only on the destination's side, or in a subtree planned whole
   * that the destination lost: their source listing was dropped and must be
   * read again (and given to {@link keep}).
   */
  relist(): string[] {
    const isDeep = (p: string) => this.#deep.has(p);
    return [...this.#dropped].filter((dir) => this.#dirty.has(dir) || someAbove(dir, isDeep, true));
  }

  /** A dirty folder's source listing read again ({@link relist}): kept. */
  keep(entries: Iterable<[string, Entry]>): void {
    for (const [rel, s] of entries) this.src.set(rel, s);
  }

  /**
   * The plan's scope. Call once the source and the destination are in. A folder
   * of the state's entries that the state holds as no folder (a folder's delete
   * done while one inside it was recorded as failed) is planned whole: no
   * listing reaches those entries, and the whole plan forgets or deletes them.
   */
  scope(): DirtyScope {
    const state = this.#state;
    if (state instanceof PackedEntries) {
      for (const folder of state.folders()) {
        if (state.get(folder)?.kind !== "dir") this.#deep.add(folder);
      }
    }
    const isDeep = (p: string) => this.#deep.has(p);
    const deep = [...this.#deep].filter((d) => !someAbove(d, isDeep));
    const shallow = new Set([...this.#dirty].filter((d) => !someAbove(d, isDeep, true)));
    return { within: scopeTest(shallow, deep), shallow, deep };
  }
}
