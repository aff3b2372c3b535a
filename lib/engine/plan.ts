/**
 * The planner: a pure diff of (source, state map, destination) into an
 * ordered list of operations. No I/O happens here.
 *
 * Order: deletes (deepest first), folder creations (shallowest first), files
 * and symlinks, then folder metadata (deepest first, so a folder's mtime is set
 * after everything inside it changed). Renames run after the deletes and folder
 * creations they do not touch; a new folder a rename lands in, where another
 * rename moved away from, is created between the two.
 *
 * Where only a content hash can tell (the quick check says "changed" but the
 * size is equal, or an unknown destination file looks like the source), the
 * planner emits `verify`; the reconciler hashes and calls {@link resolveVerify}.
 *
 * @module
 */

import type { Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { depth, isAtOrBelow, parentOf, someAbove } from "../base/paths.ts";
import { beforeRenames, detectMoves, type Move, orderMoves, originOf, position } from "./moves.ts";
import { entriesWithin, narrowed } from "./scope_entries.ts";

/** One planned operation. `src` is the source entry the destination must end up matching. */
export type PlanOp =
  | { op: "delete"; path: string; kind: Entry["kind"] }
  | { op: "mkdir"; path: string; src: Entry }
  | { op: "copy"; path: string; src: Entry }
  | { op: "symlink"; path: string; src: Entry }
  | {
    op: "meta";
    path: string;
    src: Entry;
    hash?: string;
    /** Only records that a racy file was re-checked and found unchanged: no update to report. */
    recheck?: true;
  }
  | {
    op: "verify";
    path: string;
    src: Entry;
    /** Hash the destination file too (the state does not vouch for it). */
    hashDest: boolean;
    /** The state entry the plan compared with (after its moves). */
    state: StateEntry | undefined;
  }
  | { op: "move"; path: string; from: string; src: Entry };

/** Options for {@link plan}. */
export interface PlanOptions {
  /**
   * True for destination paths that must not be deleted because the source
   * could not be read there (unreadable folder, unopenable name) or excludes
   * them (kept). Asked for the path both where the entry is and, when a folder
   * move of this pass carried it, where it was. Default: none.
   */
  protect?: (rel: string, kind: Entry["kind"]) => boolean;
  /** Only plan paths for which this is true (a watched subtree). Default: all. */
  within?: (rel: string) => boolean;
  /** Moves confirmed by content hash, `[from, to]` (a copy followed by a delete). */
  moves?: [string, string][];
  /** False refuses a move (one that failed before); default allows all. */
  allowMove?: (from: string, to: string) => boolean;
  /** What the source holds at a path the scan left out (see `DetectOptions.probe`). */
  probe?: (rel: string) => Entry | null;
}

/** Copy only the permission bits the backup carries over (no setuid/setgid unless asked). */
export const MODE_MASK = 0o1777;

function sameFile(a: { size: number; mtimeMs: number; mode: number }, b: Entry): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && (a.mode & MODE_MASK) ===
      (b.mode & MODE_MASK);
}

/** True when the source entry is what the state says was copied (quick check, no hashing). */
export function sourceMatchesState(s: Entry, t: StateEntry): boolean {
  if (s.kind !== t.kind) return false;
  switch (s.kind) {
    case "file":
      return !t.racy && sameFile(t, s) && s.ino === t.ino;
    case "symlink":
      return s.target === t.target && s.mtimeMs === t.mtimeMs;
    case "dir":
      return (s.mode & MODE_MASK) === (t.mode & MODE_MASK) && s.mtimeMs === t.mtimeMs;
    default:
      return false;
  }
}

/** True when the destination entry is still what the state says it holds. */
export function destMatchesState(d: Entry, t: StateEntry): boolean {
  if (d.kind !== t.kind) return false;
  switch (d.kind) {
    case "file":
      return sameFile(t, d);
    case "symlink":
      return d.target === t.target;
    case "dir":
      return true;
    default:
      return false;
  }
}

function planFile(
  path: string,
  s: Entry,
  t: StateEntry | undefined,
  d: Entry | undefined,
): PlanOp | null {
  if (!d || d.kind !== "file") return { op: "copy", path, src: s };
  if (t && t.kind === "file") {
    const dOk = destMatchesState(d, t);
    if (sourceMatchesState(s, t)) {
      if (dOk) return null;
      // Someone changed the destination copy. Only the mode drifted: fix it; else restore.
      if (d.size === t.size && d.mtimeMs === t.mtimeMs && t.hash !== undefined) {
        return { op: "meta", path, src: s, hash: t.hash };
      }
      return { op: "copy", path, src: s };
    }
    if (s.size === t.size) return { op: "verify", path, src: s, hashDest: !dOk, state: t };
  }
  if (d.size === s.size && d.mtimeMs === s.mtimeMs) {
    return { op: "verify", path, src: s, hashDest: true, state: t };
  }

  return { op: "copy", path, src: s };
}

function planSymlink(
  path: string,
  s: Entry,
  t: StateEntry | undefined,
  d: Entry | undefined,
): PlanOp | null {
  if (!d || d.kind !== "symlink" || d.target !== s.target) return { op: "symlink", path, src: s };
  if (t && sourceMatchesState(s, t) && d.mtimeMs === s.mtimeMs) return null;
  return { op: "meta", path, src: s };
}

/**
 * Diffs the source against the state map and the destination.
 *
 * @param source entries of the source tree, by relative path
 * @param state what the journal says the destination holds
 * @param dest entries of the destination tree (reserved folder and temp files excluded)
 */
export function plan(
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  dest: ReadonlyMap<string, Entry>,
  options: PlanOptions = {},
): PlanOp[] {
  const protectAt = options.protect ?? (() => false);
  const within = options.within ?? (() => true);
  const moves = detectMoves(source, state, dest, {
    within,
    allow: options.allowMove ?? (() => true),
    extra: options.moves ?? [],
    ...(options.probe ? { probe: options.probe } : {}),
  });
  const original = { state, dest };
  if (moves.length > 0) {
    // Plan the rest as if the renames were done: the moved entries sit at their new paths.
    // The rest reads the state only at paths in scope: a watcher pass re-roots those and what
    // the moves carry, not the whole state.
    state = reroot(narrowed(state, within, moves.map((m) => m.origin)), moves);
    dest = reroot(dest, moves);
  }
  const deletes: PlanOp[] = [];
  const mkdirs: PlanOp[] = [];
  const files: PlanOp[] = [];
  const touched = new Set<string>();
  for (const m of moves) {
    // The folder it left may itself move: its metadata is set where it ends up.
    touched.add(position(parentOf(m.origin), moves));
    touched.add(parentOf(m.to));
  }

  // Protected where it is now, or where it was before a folder move of this pass carried it.
  const protect = (path: string, kind: Entry["kind"]) =>
    protectAt(path, kind) || (moves.length > 0 && protectAt(originOf(path, moves), kind));
  const remove = (path: string, kind: Entry["kind"]) => {
    deletes.push({ op: "delete", path, kind });
    touched.add(parentOf(path));
  };

  // A folder the source now holds as a file or symlink goes with all it holds, kept or not:
  // otherwise the source's entry could never take its place.
  const replaced = new Set<string>();
  for (const [path, d] of dest) {
    const s = source.get(path);
    if (d.kind === "dir" && s && s.kind !== "dir" && s.kind !== "other") replaced.add(path);
  }
  for (const [path, d] of dest) {
    if (!within(path)) continue;
    const s = source.get(path);
    if (s?.kind === "other") continue;
    if (!s) {
      if (
        !protect(path, d.kind) || (replaced.size > 0 && someAbove(path, (p) => replaced.has(p)))
      ) remove(path, d.kind);
    } else if ((d.kind === "dir") !== (s.kind === "dir")) {
      remove(path, d.kind);
    }
  }
  for (const [path, t] of entriesWithin(state, within)) {
    if (!dest.has(path) && !source.has(path) && !protect(path, t.kind)) {
      remove(path, t.kind);
    }
  }

  const dirs: string[] = [];
  for (const [path, s] of source) {
    if (!within(path)) continue;
    const t = state.get(path);
    const d = dest.get(path);
    let op: PlanOp | null = null;
    switch (s.kind) {
      case "dir":
        dirs.push(path);
        if (!d || d.kind !== "dir") op = { op: "mkdir", path, src: s };
        break;
      case "file":
        op = planFile(path, s, t, d);
        break;
      case "symlink":
        op = planSymlink(path, s, t, d);
        break;
      default:
        break;
    }
    if (!op) continue;
    (op.op === "mkdir" ? mkdirs : files).push(op);
    // A verify may become a copy (a rename in the folder), so it counts as touching it.
    if (op.op !== "meta") touched.add(parentOf(path));
  }

  const dirMetas: PlanOp[] = [];
  for (const path of dirs) {
    const s = source.get(path)!;
    const d = dest.get(path);
    const t = state.get(path);
    const stale = !d || d.kind !== "dir" || d.mtimeMs !== s.mtimeMs ||
      (d.mode & MODE_MASK) !== (s.mode & MODE_MASK) || !t || !sourceMatchesState(s, t);
    if (stale || touched.has(path)) dirMetas.push({ op: "meta", path, src: s });
  }

  deletes.sort((a, b) => depth(b.path) - depth(a.path) || cmp(a.path, b.path));
  mkdirs.sort((a, b) => depth(a.path) - depth(b.path) || cmp(a.path, b.path));
  files.sort((a, b) => cmp(a.path, b.path));
  dirMetas.sort((a, b) => depth(b.path) - depth(a.path) || cmp(a.path, b.path));
  if (moves.length === 0) return [...deletes, ...mkdirs, ...files, ...dirMetas];

  // Deletes and folder creations inside a moved entry or where one moves away
  // from, and deletes of folders a move empties, wait until the renames are done.
  const late = (op: PlanOp) =>
    moves.some((m) =>
      isAtOrBelow(op.path, m.to) || isAtOrBelow(op.path, m.origin) ||
      (op.op === "delete" && isAtOrBelow(m.origin, op.path))
    );
  let ordered: Move[];
  try {
    ordered = orderMoves(moves);
  } catch {
    // No safe order for these renames: plan copies instead.
    return plan(source, original.state, original.dest, { ...options, allowMove: () => false });
  }
  const early = {
    deletes: deletes.filter((op) => !late(op)),
    mkdirs: mkdirs.filter((op) => !late(op)),
  };
  const steps = withFolders(ordered, mkdirs.filter(late), original.dest, early);
  if (typeof steps === "string") {
    // A rename whose folder cannot be in place when it runs: that one is a copy instead.
    const refused = steps;
    const allow = options.allowMove ?? (() => true);
    return plan(source, original.state, original.dest, {
      ...options,
      allowMove: (from, to) => allow(from, to) && moveKey(from, to) !== refused,
      moves: (options.moves ?? []).filter(([from, to]) => moveKey(from, to) !== refused),
    });
  }
  return [
    ...early.deletes,
    ...early.mkdirs,
    ...steps.ops,
    ...deletes.filter(late),
    ...steps.mkdirs,
    ...files,
    ...dirMetas,
  ];
}

function moveKey(origin: string, to: string): string {
  return `${origin}\0${to}`;
}

/**
 * The renames in their order, each preceded by the creation of the new folders its target
 * needs and that are not there yet (`mv p p2; mkdir p; mv p2/x p/x`: `p` is created after the
 * rename that vacated it, before `x` is renamed into it). Follows the destination through the
 * renames: an entry is at a path when it was there before the pass (and not deleted first) and
 * the renames so far brought it there, or a folder creation made it. Returns the first move
 * (as `origin\0to`) whose folder cannot be there: no creation planned for it, or its path still
 * taken. Else the steps, and the folder creations left for after the renames.
 */
function withFolders(
  ordered: Move[],
  lateMkdirs: PlanOp[],
  dest: ReadonlyMap<string, Entry>,
  early: { deletes: PlanOp[]; mkdirs: PlanOp[] },
): { ops: PlanOp[]; mkdirs: PlanOp[] } | string {
  const renames: { from: string; path: string }[] = [];
  const deleted = new Set(early.deletes.map((op) => op.path));
  // Created before the renames, and by definition of `late` never carried by one.
  const earlyMade = new Set(early.mkdirs.map((op) => op.path));
  // Created between the renames (few): followed through the renames after them.
  const made: { path: string; after: number }[] = [];
  const forward = (p: string, from: number): string => {
    let at = p;
    for (let j = from; j < renames.length; j++) {
      const r = renames[j]!;
      if (isAtOrBelow(at, r.from)) at = r.path + at.slice(r.from.length);
    }
    return at;
  };
  const exists = (x: string): boolean => {
    if (x === "") return true;
    const was = beforeRenames(x, renames);
    if (
      dest.has(was) && !someAbove(was, (p) => deleted.has(p), true) && forward(was, 0) === x
    ) return true;
    return earlyMade.has(x) || made.some((m) => forward(m.path, m.after) === x);
  };
  const pendingMkdirs = new Map(lateMkdirs.map((op) => [op.path, op]));
  const ops: PlanOp[] = [];
  for (const m of ordered) {
    const needed: PlanOp[] = [];
    for (let p = parentOf(m.to); !exists(p); p = parentOf(p)) {
      const mk = pendingMkdirs.get(p);
      if (mk) {
        needed.push(mk);
        continue;
      }
      // Not where a rename moves from or to: there before the pass (a partial pass lists
      // only its folders) or created before the renames, as detectMoves made sure.
      if (!ordered.some((o) => isAtOrBelow(p, o.to) || isAtOrBelow(p, o.origin))) break;
      return moveKey(m.origin, m.to);
    }
    for (const mk of needed.reverse()) {
      pendingMkdirs.delete(mk.path);
      made.push({ path: mk.path, after: renames.length });
      ops.push(mk);
    }
    ops.push({ op: "move", path: m.to, from: m.from, src: m.src });
    renames.push({ from: m.from, path: m.to });
  }
  return { ops, mkdirs: lateMkdirs.filter((op) => pendingMkdirs.has(op.path)) };
}

/** A copy of `map` as it is once every move is done (all at once, as after the pass). */
function reroot<T>(map: ReadonlyMap<string, T>, moves: Move[]): Map<string, T> {
  const out = new Map<string, T>();
  const moved: [string, T][] = [];
  for (const [path, v] of map) {
    const to = position(path, moves);
    if (to === path) out.set(path, v);
    else moved.push([to, v]);
  }
  for (const [to, v] of moved) out.set(to, v);
  return out;
}
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Turns a `verify` into its real operation once hashes are known.
 *
 * @param srcHash hash of the source file
 * @param destHash hash of the destination file, or `null` when it was not hashed
 * @returns `meta` (content already right: fix metadata and record the hash;
 *   `recheck` when only a racy entry's re-check is recorded), `copy`, or `null`
 *   (nothing to do)
 */
export function resolveVerify(
  v: Extract<PlanOp, { op: "verify" }>,
  t: StateEntry | undefined,
  srcHash: string,
  destHash: string | null,
): PlanOp | null {
  const { path, src } = v;
  const stateVouches = destHash === null && t?.kind === "file" && t.hash === srcHash;
  if (stateVouches || destHash === srcHash) {
    const unchanged = t?.kind === "file" && t.hash === srcHash && t.ino === src.ino &&
      sameFile(t, src) && destHash === null;
    if (unchanged && !t.racy) return null;
    // A racy entry found unchanged is recorded (the state stays a fold of the journal), not updated.
    if (unchanged) return { op: "meta", path, src, hash: srcHash, recheck: true };
    return { op: "meta", path, src, hash: srcHash };
  }
  return { op: "copy", path, src };
}
