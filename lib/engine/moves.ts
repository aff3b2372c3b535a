/**
 * Finding renames: a path that vanished from the source and a path that
 * appeared with the same inode (or, confirmed by the reconciler, the same size
 * and content hash) become one `move`, applied as a rename in the destination
 * so that nothing is copied again. Pure functions, no I/O.
 *
 * @module
 */

import type { Kind } from "../base/fs.ts";
import type { Entry } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { depth, isAtOrBelow, parentOf, someAbove } from "../base/paths.ts";
import { parkingName } from "../base/layout.ts";
import { entriesWithin, scopeTest } from "./scope_entries.ts";

/** One rename in the destination. */
export interface Move {
  /** Relative path in the destination when the rename runs (set by {@link orderMoves}). */
  from: string;
  /** Relative path in the destination before any move of this pass. */
  origin: string;
  /** New relative path. */
  to: string;
  /** Kind of the entry moved. */
  kind: Kind;
  /** The source entry now at `to`. */
  src: Entry;
}

/** Options for {@link detectMoves}. */
export interface DetectOptions {
  /** Paths in scope (a partial pass sees only some folders). */
  within: (rel: string) => boolean;
  /** False refuses a pair (a rename that failed before). */
  allow: (from: string, to: string) => boolean;
  /** Pairs `[from, to]` of files already confirmed by hash. */
  extra: [string, string][];
  /**
   * What the source holds at `rel`, looked up on disk (an entry the scan left out, such as an
   * excluded file), or null. Asked only when a folder shares an inode with a vanished one and
   * its scanned entries give no second evidence; default: no lookups.
   */
  probe?: (rel: string) => Entry | null;
}

/** How many of a vanished folder's entries are looked up on disk for evidence, at most. */
const PROBES_PER_FOLDER = 64;

function movable(kind: Kind): boolean {
  return kind === "file" || kind === "dir";
}

/** The state entry at `p` is no longer in the source at `p` (deleted, replaced or moved away). */
function vacated(source: ReadonlyMap<string, Entry>, p: string, t: StateEntry): boolean {
  const s = source.get(p);
  return !s || s.kind !== t.kind || s.ino !== t.ino;
}

/** The destination still holds what the state says is at `p`. */
function destHolds(dest: ReadonlyMap<string, Entry>, p: string, t: StateEntry): boolean {
  const d = dest.get(p);
  if (!d || d.kind !== t.kind) return false;
  return d.kind === "dir" || (d.size === t.size && d.mtimeMs === t.mtimeMs);
}

/** Source paths that hold something the state does not know there. */
function newcomers(
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  within: (rel: string) => boolean,
): [string, Entry][] {
  const out: [string, Entry][] = [];
  for (const [q, s] of source) {
    if (!movable(s.kind) || s.ino === 0 || !within(q)) continue;
    const t = state.get(q);
    if (!t || t.kind !== s.kind || t.ino !== s.ino) out.push([q, s]);
  }
  return out.sort((a, b) => depth(a[0]) - depth(b[0]) || (a[0] < b[0] ? -1 : 1));
}

/** The move carrying `p` along: the folder move (or the move of `p` itself) with the deepest origin above it. */
function carrier(p: string, moves: Move[], except?: Move): Move | null {
  let best: Move | null = null;
  for (const m of moves) {
    if (m === except || !isAtOrBelow(p, m.origin)) continue;
    if (m.kind !== "dir" && m.origin !== p) continue;
    if (!best || m.origin.length > best.origin.length) best = m;
  }
  return best;
}

/** Where the entry at `p` before the pass ends up once all `moves` are done. */
export function position(p: string, moves: Move[]): string {
  const m = carrier(p, moves);
  return m ? m.to + p.slice(m.origin.length) : p;
}

/**
 * Where the entry at `p` was before `renames` ran one after the other, in the order given (a
 * folder's rename carries what is below it). For renames recorded as they run: the intents of
 * a batch, the journal's pending moves.
 */
export function beforeRenames(
  p: string,
  renames: readonly { from: string; path: string }[],
): string {
  let at = p;
  for (let j = renames.length - 1; j >= 0; j--) {
    const r = renames[j]!;
    if (isAtOrBelow(at, r.path)) at = r.from + at.slice(r.path.length);
  }
  return at;
}

/** Where the entry at `q` after all `moves` was before the pass (the inverse of {@link position}). */
export function originOf(q: string, moves: Move[]): string {
  let best: Move | null = null;
  for (const m of moves) {
    if (!isAtOrBelow(q, m.to) || (m.kind !== "dir" && m.to !== q)) continue;
    if (!best || m.to.length > best.to.length) best = m;
  }
  return best ? best.origin + q.slice(best.to.length) : q;
}

/** Which entry (by its path before the pass) ends up at `q` through a folder move, else `q`. */
function arriving(q: string, moves: Move[], except: Move): string {
  let best: Move | null = null;
  for (const m of moves) {
    if (m === except || m.kind !== "dir" || !isAtOrBelow(q, m.to)) continue;
    if (!best || m.to.length > best.to.length) best = m;
  }
  return best ? best.origin + q.slice(best.to.length) : q;
}

/**
 * Pairs vanished state entries with new source entries by inode (folders
 * before the files in them), plus the hash-confirmed pairs in `extra`. A
 * folder is only moved onto a free path, or onto one whose entry moves away
 * too (a swap); a file may replace a file.
 */
export function detectMoves(
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  dest: ReadonlyMap<string, Entry>,
  options: DetectOptions,
): Move[] {
  // Nothing tracked (an initial copy): no entry can have moved, and nothing to sort.
  if (state.size === 0 && options.extra.length === 0) return [];
  const fresh = newcomers(source, state, options.within);
  if (fresh.length === 0 && options.extra.length === 0) return [];
  const byIno = new Map<number, string[]>();
  for (const [p, t] of entriesWithin(state, options.within)) {
    if (!movable(t.kind)) continue;
    if (!vacated(source, p, t) || !destHolds(dest, p, t)) continue;
    const list = byIno.get(t.ino);
    if (list) list.push(p);
    else byIno.set(t.ino, [p]);
  }
  const blocked = new Set<string>();
  const sameFolder = folderEvidence(source, state, fresh, byIno, options.probe);
  for (;;) {
    const moves = pair(fresh, byIno, state, options, blocked, sameFolder);
    returns(moves, source, state, dest, options, blocked, sameFolder);
    const bad = moves.filter((m) => {
      // No move into or out of itself, none out of a folder that arrives (its old
      // entry must leave first, which the checks below cannot see). A move into a
      // folder that arrives by a move is fine: orderMoves runs the folder's first.
      // What is refused here is copied instead: slower, never wrong.
      // A return (origin = to: carried off by its folder's move, renamed back) is neither.
      if (m.origin !== m.to && (isAtOrBelow(m.to, m.origin) || isAtOrBelow(m.origin, m.to))) {
        return true;
      }
      for (const o of moves) {
        if (o === m || o.kind !== "dir") continue;
        if (isAtOrBelow(m.origin, o.to) && m.origin !== o.to) return true;
      }
      // The target's folder must exist when the rename runs: already there (and
      // staying, or arriving by a folder move), created before the renames (so not
      // inside a moved entry, nor where one moves away from), or a new folder of the
      // source that the plan creates between the renames (`mv p p2; mkdir p;
      // mv p2/x p/x`: after the rename that vacates its path; plan() checks it can).
      const parent = parentOf(m.to);
      if (parent !== "") {
        const was = arriving(parent, moves, m);
        const pd = dest.get(was);
        const created = source.get(parent)?.kind === "dir";
        if (pd) {
          if (pd.kind !== "dir") return true;
          if (position(was, moves) !== parent && !created) return true;
        } else if (
          !created &&
          moves.some((o) => isAtOrBelow(parent, o.to) || isAtOrBelow(parent, o.origin))
        ) {
          return true;
        }
      }
      // A folder cannot replace, or be replaced by, an entry that stays.
      const there = arriving(m.to, moves, m);
      const d = dest.get(there);
      if (!d || (d.kind !== "dir" && m.kind !== "dir")) return false;
      return position(there, moves) === m.to && !moves.some((o) => o.origin === there);
    });
    if (bad.length === 0) return moves;
    for (const m of bad) blocked.add(m.to);
  }
}

/** Two entries that are one: same kind and inode, same mtime, and for files the same size. */
function sameEntry(a: { kind: Kind; ino: number; mtimeMs: number; size: number }, b: Entry) {
  return a.kind === b.kind && a.ino === b.ino && a.mtimeMs === b.mtimeMs &&
    (a.kind !== "file" || a.size === b.size);
}

/**
 * Whether the folder at `q` in the source is the one the state has at `p`, beyond the inode
 * they share: a file system reuses a freed inode at once (`rm -r old; mkdir photos`). A
 * rename keeps a folder's mtime, a new folder has the time it was made; a folder whose mtime
 * moved (something was added, removed or renamed in it) must still hold one of its entries: a
 * file of the same inode, size and mtime, or a folder of the same inode that passes this test
 * itself (renames nested in renames). Children are indexed once, for the folders that can pair.
 */
function folderEvidence(
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  fresh: [string, Entry][],
  byIno: Map<number, string[]>,
  probe?: (rel: string) => Entry | null,
): (p: string, q: string) => boolean {
  type Index = {
    was: Map<string, Map<number, [string, StateEntry]>>;
    now: Map<string, [string, Entry][]>;
  };
  let index: Index | null = null;
  const build = (): Index => {
    const was: Index["was"] = new Map();
    const now: Index["now"] = new Map();
    for (const [q, s] of fresh) {
      if (s.kind !== "dir") continue;
      now.set(q, []);
      for (const p of byIno.get(s.ino) ?? []) was.set(p, new Map());
    }
    for (const [path, s] of source) now.get(parentOf(path))?.push([path, s]);
    // Only the vanished folders' entries: through their folders when the state is packed.
    for (const [path, t] of entriesWithin(state, scopeTest(new Set(was.keys()), []))) {
      was.get(parentOf(path))?.set(t.ino, [path, t]);
    }
    return { was, now };
  };
  const known = new Map<string, boolean>();
  const same = (p: string, q: string): boolean => {
    const s = source.get(q);
    const t = state.get(p);
    if (!s || !t || s.kind !== "dir" || t.kind !== "dir" || s.ino !== t.ino) return false;
    if (s.mtimeMs === t.mtimeMs) return true;
    const key = `${p}\0${q}`;
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    known.set(key, false); // no cycles through a pair being decided
    index ??= build();
    const before = index.was.get(p);
    let v = before !== undefined && before.size > 0 &&
      (index.now.get(q) ?? []).some(([qc, sc]) => {
        const prior = before.get(sc.ino);
        if (!prior || prior[1].kind !== sc.kind) return false;
        return sc.kind === "dir" ? same(prior[0], qc) : sameEntry(prior[1], sc);
      });
    if (!v && before && probe) {
      // Entries the scan left out (excluded) still count: one of the old entries, same name.
      let left = PROBES_PER_FOLDER;
      for (const [path, t] of before.values()) {
        if (left-- === 0) break;
        const at = q + path.slice(p.length);
        if (source.has(at)) continue; // scanned, and already no evidence
        const e = probe(at);
        if (e && sameEntry(t, e)) {
          v = true;
          break;
        }
      }
    }
    known.set(key, v);
    return v;
  };
  return same;
}

function pair(
  fresh: [string, Entry][],
  byIno: Map<number, string[]>,
  state: ReadonlyMap<string, StateEntry>,
  options: DetectOptions,
  blocked: Set<string>,
  sameFolder: (p: string, q: string) => boolean,
): Move[] {
  const moves: Move[] = [];
  const used = new Set<string>();
  const targets = new Set<string>();
  for (const [q, s] of fresh) {
    const candidates = byIno.get(s.ino);
    if (!candidates || blocked.has(q)) continue;
    for (const p of candidates) {
      const t = state.get(p)!;
      if (used.has(p) || p === q || t.kind !== s.kind) continue;
      if (s.kind === "file" && (t.size !== s.size || t.mtimeMs !== s.mtimeMs)) continue;
      if (position(p, moves) === q) break; // carried along by its folder's move
      if (s.kind === "dir" && !sameFolder(p, q)) continue; // an inode reused by a new folder
      if (!options.allow(p, q)) continue;
      moves.push({ from: p, origin: p, to: q, kind: s.kind, src: s });
      used.add(p);
      targets.add(q);
      break;
    }
  }
  const freshByPath = options.extra.length > 0 ? new Map(fresh) : null;
  for (const [p, q] of options.extra) {
    const s = options.within(q) ? freshByPath!.get(q) : undefined;
    if (!s || used.has(p) || targets.has(q) || blocked.has(q)) continue;
    moves.push({ from: p, origin: p, to: q, kind: s.kind, src: s });
    used.add(p);
    targets.add(q);
  }
  return moves;
}

/**
 * Adds to `moves` the entries that a folder move carries off although the source still holds
 * them where they were (`mv p p2; mkdir p; mv p2/x p/x`): a rename back, origin = to, run
 * after the folder's rename (and the new folder's creation). Shallowest first, so that a
 * folder's return carries what is below it. Only when the folder moves drop some.
 */
function returns(
  moves: Move[],
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  dest: ReadonlyMap<string, Entry>,
  options: DetectOptions,
  blocked: Set<string>,
  sameFolder: (p: string, q: string) => boolean,
): void {
  const origins = new Set(moves.filter((m) => m.kind === "dir").map((m) => m.origin));
  if (origins.size === 0) return;
  const taken = new Set<string>();
  for (const m of moves) taken.add(m.origin).add(m.to);
  const found: string[] = [];
  for (const [q, s] of source) {
    if (!movable(s.kind) || s.ino === 0 || taken.has(q) || blocked.has(q)) continue;
    if (!someAbove(q, (p) => origins.has(p))) continue;
    const t = state.get(q);
    if (!t || t.kind !== s.kind || t.ino !== s.ino || !options.within(q)) continue;
    found.push(q);
  }
  found.sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
  for (const q of found) {
    const s = source.get(q)!;
    const t = state.get(q)!;
    const at = position(q, moves);
    if (at === q || !destHolds(dest, q, t)) continue;
    const there = source.get(at);
    if (there && there.kind === s.kind && there.ino === s.ino) continue; // a hard link stays
    if (s.kind === "file" && (t.size !== s.size || t.mtimeMs !== s.mtimeMs)) continue;
    if (s.kind === "dir" && !sameFolder(q, q)) continue;
    if (!options.allow(q, q)) continue;
    moves.push({ from: q, origin: q, to: q, kind: s.kind, src: s });
  }
}

/**
 * Files that may have been moved without keeping their inode (copied, then
 * deleted): each new file paired with vanished files of the same size. The
 * reconciler hashes the new file and keeps the pair whose hash matches.
 */
export function hashMoveCandidates(
  source: ReadonlyMap<string, Entry>,
  state: ReadonlyMap<string, StateEntry>,
  dest: ReadonlyMap<string, Entry>,
  within: (rel: string) => boolean,
  inodeMoves: Move[],
): { to: string; from: string[] }[] {
  // Nothing tracked (an initial copy): no vanished file to pair a new one with.
  if (state.size === 0) return [];
  // Whatever a rename already carries (the move's target and all below a moved folder) is out.
  // Indexed: a pass with thousands of file renames checks each path against a set, not a list.
  const files = { to: new Set<string>(), origin: new Set<string>() };
  const dirs: Move[] = [];
  for (const m of inodeMoves) {
    if (m.kind === "dir") dirs.push(m);
    else {
      files.to.add(m.to);
      files.origin.add(m.origin);
    }
  }
  // Below a moved folder, only what the rename really carries: a path whose origin the state
  // holds, or a state path the source still holds where the rename takes it. A new file in a
  // renamed folder, or one moved out before the rename, is still a candidate.
  const deepest = (p: string, side: "to" | "origin"): Move | null => {
    let best: Move | null = null;
    for (const m of dirs) {
      if (isAtOrBelow(p, m[side]) && (!best || m[side].length > best[side].length)) best = m;
    }
    return best;
  };
  const carried = (p: string, side: "to" | "origin") => {
    if (files[side].has(p)) return true;
    const m = deepest(p, side);
    if (!m) return false;
    if (side === "to") return state.has(m.origin + p.slice(m.to.length));
    return source.has(m.to + p.slice(m.origin.length));
  };
  const fresh = newcomers(source, state, within).filter(([q, s]) =>
    s.kind === "file" && s.size > 0 && !carried(q, "to")
  );
  if (fresh.length === 0) return [];
  const bySize = new Map<number, string[]>();
  for (const [p, t] of entriesWithin(state, within)) {
    if (t.kind !== "file" || t.hash === undefined || t.size === 0) continue;
    if (source.has(p) || !destHolds(dest, p, t) || carried(p, "origin")) continue;
    const list = bySize.get(t.size);
    if (list) list.push(p);
    else bySize.set(t.size, [p]);
  }
  const out: { to: string; from: string[] }[] = [];
  for (const [q, s] of fresh) {
    const from = bySize.get(s.size);
    if (from) out.push({ to: q, from });
  }
  return out;
}

/**
 * Orders renames so that none lands on an entry that has yet to move away,
 * none runs before the folder its target sits in has arrived (moves nest:
 * `mv bulk p/bulk2 && mv p p2` renames `p` first, then `bulk`), and none lands
 * below an entry that has yet to move away; a cycle (a swap) is broken by
 * parking one entry under a temporary name. Each emitted move's `from` is where
 * its entry is at that point, after the moves emitted before it.
 */
export function orderMoves(moves: Move[]): Move[] {
  type Pending = Move & { parkedAt?: string };
  const pending: Pending[] = moves.map((m) => ({ ...m }));
  const done: { origin: string; to: string }[] = [];
  // Where an entry that was at `origin` before the pass is now.
  const where = (origin: string): string => {
    let best: { origin: string; to: string } | null = null;
    for (const d of done) {
      if (isAtOrBelow(origin, d.origin) && (!best || d.origin.length >= best.origin.length)) {
        best = d;
      }
    }
    return best ? best.to + origin.slice(best.origin.length) : origin;
  };
  const current = (m: Pending) => m.parkedAt ?? where(m.origin);
  const out: Move[] = [];
  while (pending.length > 0) {
    const here = pending.map(current);
    // Free: nothing pending sits at or below the target. Placed: every pending folder
    // move that lands above the target has landed (the target's folder is in place),
    // and no pending entry above the target has yet to leave (it would carry it off).
    const free = (m: Pending, k: number) =>
      !here.some((h, j) => j !== k && isAtOrBelow(h, m.to)) && !isAtOrBelow(m.to, here[k]!);
    const placed = (m: Pending, k: number) =>
      !pending.some((o, j) =>
        j !== k && ((o.to !== m.to && isAtOrBelow(m.to, o.to)) ||
          (here[j] !== m.to && isAtOrBelow(m.to, here[j]!)))
      );
    const i = pending.findIndex((m, k) => free(m, k) && placed(m, k));
    // None can run: a cycle (a swap). Park one that waits only for its target to be free.
    const m = i >= 0
      ? pending[i]!
      : pending.find((p, k) => p.parkedAt === undefined && placed(p, k)) ??
        pending.find((p) => p.parkedAt === undefined);
    if (!m) throw new Error(`cannot order the renames (${pending[0]!.origin})`);
    const from = current(m);
    if (i >= 0) {
      pending.splice(i, 1);
      out.push({ ...m, from });
      done.push({ origin: m.origin, to: m.to });
      continue;
    }
    const park = parkingName();
    out.push({ ...m, from, to: park });
    done.push({ origin: m.origin, to: park });
    m.parkedAt = park;
  }
  return out;
}
