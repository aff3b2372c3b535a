/**
 * Safety rules checked before anything is touched: the roots must exist, be
 * folders, differ, and not contain one another (after resolving symlinks).
 *
 * @module
 */

import { type FileSystem, isNotFound } from "../base/fs.ts";
import { describeError, RootError } from "../base/errors.ts";
import { absolute, isAtOrBelow, parentOf, someAbove } from "../base/paths.ts";
import { beforeRenames } from "./moves.ts";
import { reservedName } from "../base/layout.ts";

/** Validated roots. */
export interface Roots {
  /** Real path of the source folder. */
  source: string;
  /** Real path of the destination (of its nearest existing ancestor, plus the rest). */
  dest: string;
}

/**
 * Real path of `abs`, or of its nearest existing ancestor joined with the missing rest.
 *
 * @throws Deno.errors.* other than NotFound (a file where a folder should be, no permission).
 */
export function realish(fs: FileSystem, abs: string): string {
  let head = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = fs.realPath(head);
      return rest.length === 0 ? real : `${real === "/" ? "" : real}/${rest.reverse().join("/")}`;
    } catch (err) {
      if (!isNotFound(err) || head === "/") throw err;
      rest.push(head.slice(head.lastIndexOf("/") + 1));
      head = parentOf(head) || "/";
    }
  }
}

/**
 * Checks the source given on the command line: a readable folder. Returns its real path.
 *
 * @throws RootError with a one-line message naming the path.
 */
export function checkSource(fs: FileSystem, src: string, cwd: string): string {
  try {
    const source = fs.realPath(absolute(src, cwd));
    if (fs.lstat(source).kind !== "dir") {
      throw new RootError(`Cannot back up "${src}": not a folder; --src must name a folder`);
    }
    fs.readDir(source);
    return source;
  } catch (err) {
    if (err instanceof RootError) throw err;
    throw new RootError(
      `Cannot back up "${src}": ${describeError(err)}; check --src (is the disk mounted?)`,
      { cause: err },
    );
  }
}

function rel(a: string, b: string): boolean {
  return isAtOrBelow(a, b);
}

/**
 * Checks the source and destination given on the command line.
 *
 * @throws RootError with a one-line message naming the path and what to do.
 */
export function checkRoots(fs: FileSystem, src: string, dest: string, cwd: string): Roots {
  const source = checkSource(fs, src, cwd);
  const destAbs = absolute(dest, cwd);
  let target: string;
  try {
    target = realish(fs, destAbs);
  } catch (err) {
    throw new RootError(`Cannot back up into "${dest}": ${describeError(err)}`, { cause: err });
  }
  try {
    if (fs.lstat(target).kind !== "dir") {
      throw new RootError(`Cannot back up into "${dest}": it exists and is not a folder`);
    }
  } catch (err) {
    if (err instanceof RootError) throw err;
    if (!isNotFound(err)) {
      throw new RootError(`Cannot back up into "${dest}": ${describeError(err)}`, { cause: err });
    }
  }
  if (source === target) {
    throw new RootError(`--src and --dest are the same folder ("${source}"); pick another --dest`);
  }
  const s = source.slice(1);
  const t = target.slice(1);
  if (rel(t, s) || s === "") {
    throw new RootError(
      `--dest "${dest}" is inside --src "${src}" (${target}); pick a --dest outside the source`,
    );
  }
  if (rel(s, t) || t === "") {
    throw new RootError(
      `--src "${src}" is inside --dest "${dest}" (${source}); pick a --dest outside the source`,
    );
  }
  return { source, dest: target };
}

/**
 * Why a log file at `file` (absolute) would harm the backup of `source` into `dest`, or null:
 * in the source, each write would be a change to back up (a pass that never settles); in the
 * destination outside its reserved folder, it would be a stray the next pass deletes.
 */
export function logFileProblem(
  fs: FileSystem,
  file: string,
  roots: { source: string; dest: string },
): string | null {
  let real: string;
  try {
    real = realish(fs, file).slice(1);
  } catch {
    return null; // its folder is checked on its own
  }
  const source = realish(fs, roots.source).slice(1);
  const dest = realish(fs, roots.dest).slice(1);
  if (rel(real, source)) {
    return `it is inside the source ${roots.source}: every line would be backed up`;
  }
  const reserved = reservedName(roots.dest);
  if (rel(real, dest) && !rel(real, dest === "" ? reserved : `${dest}/${reserved}`)) {
    return `it is inside the destination ${roots.dest}, whose passes delete what the source does not hold`;
  }
  return null;
}

/** Limits of the mass-delete guard: a pass deleting more than both is held. */
export interface DeleteLimits {
  /** Entries a pass may delete regardless of share (default 100). */
  maxCount: number;
  /** Share of the tracked entries a pass may delete regardless of count (default 0.5). */
  maxShare: number;
}

/** Default mass-delete limits: more than 100 entries and more than half of the backup. */
export const DEFAULT_DELETE_LIMITS: DeleteLimits = { maxCount: 100, maxShare: 0.5 };

/** True when deleting `count` of `tracked` entries needs an operator's confirmation. */
export function isMassDelete(count: number, tracked: number, limits: DeleteLimits): boolean {
  return count > limits.maxCount && count > tracked * limits.maxShare;
}

/** What the guard reads of a planned operation. */
export interface GuardedOp {
  /** The operation's name. */
  op: string;
  /** Its path (after the renames planned before it). */
  path: string;
  /** A move's old path. */
  from?: string;
}

/**
 * The deletes of a plan that the mass-delete guard judges: those of entries the destination
 * holds, found where they were before the renames planned ahead of them (so that
 * `mv p p2 && rm -rf p2/big` counts `p2/big`'s entries, which the scan saw under `p/big`), and
 * not replaced by the pass (a file that became a folder, or the other way round, is a change,
 * not a loss).
 */
export function guardedDeletes<T extends GuardedOp>(
  ops: readonly T[],
  dest: ReadonlyMap<string, unknown>,
): T[] {
  // No delete at all (an initial copy): nothing to guard, and no set of every path to build.
  if (!ops.some((op) => op.op === "delete")) return [];
  const made = new Set<string>();
  for (const op of ops) {
    if (op.op === "mkdir" || op.op === "copy" || op.op === "symlink" || op.op === "move") {
      made.add(op.path);
    }
  }
  const moved: { from: string; path: string }[] = [];
  const out: T[] = [];
  for (const op of ops) {
    if (op.op === "move" && op.from !== undefined) moved.push({ from: op.from, path: op.path });
    if (op.op !== "delete" || made.has(op.path)) continue;
    if (dest.has(beforeRenames(op.path, moved))) out.push(op);
  }
  return out;
}

/**
 * The deletes of a plan that the mass-delete guard holds: all of {@link guardedDeletes} when
 * they are too many for `limits` out of `tracked`; else none. Shared by the pass (which also
 * counts the deletions of its window, see lib/engine/delete_window.ts) and by both dry runs.
 */
export function heldDeletes<T extends GuardedOp>(
  ops: readonly T[],
  dest: ReadonlyMap<string, unknown>,
  tracked: number,
  limits: DeleteLimits,
): T[] {
  const deletes = guardedDeletes(ops, dest);
  return isMassDelete(deletes.length, tracked, limits) ? deletes : [];
}

/**
 * The plan without the `held` deletes, and without what needs them: a folder that becomes a
 * file cannot be removed while deletes below it are held, so its removal and what would take
 * its place wait too. Everything else (new content, a file that became a folder) goes ahead.
 */
export function withoutHeld<T extends GuardedOp>(ops: readonly T[], held: readonly T[]): T[] {
  if (held.length === 0) return [...ops];
  const heldPaths = new Set(held.map((op) => op.path));
  const otherDeletes = new Set<string>();
  for (const op of ops) {
    if (op.op === "delete" && !heldPaths.has(op.path)) otherDeletes.add(op.path);
  }
  const blocked = new Set<string>();
  for (const op of held) {
    for (let p = parentOf(op.path); p !== ""; p = parentOf(p)) {
      if (otherDeletes.has(p)) blocked.add(p);
    }
  }
  return ops.filter((op) => {
    if (op.op === "delete" && heldPaths.has(op.path)) return false;
    return blocked.size === 0 || !someAbove(op.path, (p) => blocked.has(p), true);
  });
}
