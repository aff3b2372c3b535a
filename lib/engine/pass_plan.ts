/**
 * The planning half of a pass, shared by the reconciler and `--dry-run`:
 * moves confirmed by hashing, `plan()`, and `verify`s resolved by hashing.
 * Reads the source and destination, writes nothing.
 *
 * @module
 */

import { type FileSystem, isNotFound, isNotRegularFile, type Kind } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { Destination } from "../dest/destination.ts";
import { entryOf, type ScanResult } from "../base/scan.ts";
import type { StateEntry } from "../journal/state.ts";
import { hashReader, hashSourceFile } from "../base/hash.ts";
import { isAtOrBelow, join } from "../base/paths.ts";
import { plan, type PlanOp, type PlanOptions, resolveVerify } from "./plan.ts";
import { detectMoves, hashMoveCandidates } from "./moves.ts";

/** A planned operation once hashing has decided every `verify`. */
export type FileOp = Exclude<PlanOp, { op: "verify" }>;

/** Where a pass reads from. */
export interface PassContext {
  /** File system port. */
  fs: FileSystem;
  /** Hasher (reused buffer). */
  hasher: Hasher;
  /** Absolute source root. */
  source: string;
  /** The destination; null when there is none yet (its scan is then empty: nothing to hash there). */
  destination: Destination | null;
}

/** What a pass plans from. */
export interface PassInput {
  /** Source scan. */
  src: ScanResult;
  /** Destination scan. */
  dst: ScanResult;
  /** The state map. */
  state: ReadonlyMap<string, StateEntry>;
  /** Paths in scope (partial pass); default all. */
  within?: (rel: string) => boolean;
  /** Destination paths kept although the source lacks them (excluded ones); default none. */
  keeps?: (rel: string, kind?: Kind) => boolean;
  /** False refuses a move (one that failed before); default allows all. */
  allowMove?: (from: string, to: string) => boolean;
  /** A `verify`'s file vanished before it could be hashed (the next pass sees why). */
  onVanished?: (op: PlanOp) => void;
  /** A `verify`'s file could not be read. */
  onUnreadable?: (op: PlanOp, err: unknown) => void;
}

/**
 * Plans a pass: protects what the source could not read and what `keeps`
 * says, pairs moves by hashing, diffs, and resolves `verify`s by hashing.
 */
export async function planPass(ctx: PassContext, input: PassInput): Promise<FileOp[]> {
  const unreadable = [...input.src.unreadable.keys()];
  const keeps = input.keeps;
  const options: PlanOptions = { allowMove: input.allowMove ?? (() => true) };
  if (unreadable.length > 0 || keeps) {
    options.protect = (rel: string, kind: Kind) =>
      unreadable.some((root) => isAtOrBelow(rel, root)) || (keeps?.(rel, kind) ?? false);
  }
  if (input.within) options.within = input.within;
  options.probe = (rel) => {
    try {
      return entryOf(ctx.fs.lstat(join(ctx.source, rel)));
    } catch {
      return null; // gone, or unreadable: no evidence
    }
  };
  options.moves = await hashMoves(ctx, input, options);
  const planned = plan(input.src.entries, input.state, input.dst.entries, options);
  return await resolveVerifies(ctx, planned, input);
}

/** Pairs new files with vanished ones of the same size and content (moves that lost their inode). */
async function hashMoves(
  ctx: PassContext,
  input: PassInput,
  options: PlanOptions,
): Promise<[string, string][]> {
  const within = options.within ?? (() => true);
  const allow = options.allowMove ?? (() => true);
  const { state } = input;
  const source = input.src.entries;
  const dest = input.dst.entries;
  const inode = detectMoves(source, state, dest, {
    within,
    allow,
    extra: [],
    ...(options.probe ? { probe: options.probe } : {}),
  });
  const pairs: [string, string][] = [];
  const taken = new Set<string>();
  // Candidates of one size share one list: index it by hash once (not a scan per new file).
  const indexes = new Map<string[], Map<string, string[]>>();
  const byHash = (candidates: string[]) => {
    let index = indexes.get(candidates);
    if (!index) {
      index = new Map();
      for (const vanished of candidates) {
        const hash = state.get(vanished)?.hash;
        if (hash === undefined) continue;
        const list = index.get(hash);
        if (list) list.push(vanished);
        else index.set(hash, [vanished]);
      }
      indexes.set(candidates, index);
    }
    return index;
  };
  for (const { to, from: candidates } of hashMoveCandidates(source, state, dest, within, inode)) {
    let hash: string;
    try {
      hash = (await hashSourceFile(ctx.fs, join(ctx.source, to), ctx.hasher)).hash;
    } catch {
      continue; // the copy will report it
    }
    const same = byHash(candidates).get(hash);
    while (same && same.length > 0 && taken.has(same[0]!)) same.shift();
    const from = same?.[0];
    if (from === undefined || !allow(from, to)) continue;
    taken.add(from);
    pairs.push([from, to]);
  }
  return pairs;
}

/**
 * Hashes the destination's file at `rel`, read through the destination.
 *
 * @throws isNotFound when it is gone; the read error otherwise.
 */
async function hashInDestination(
  ctx: PassContext,
  rel: string,
): Promise<{ hash: string; size: number }> {
  if (ctx.destination === null) throw new Error("no destination to hash a file of");
  const reader = await ctx.destination.openFile(rel);
  try {
    return await hashReader(reader, ctx.hasher);
  } finally {
    reader.close();
  }
}

/** Hashes where the plan says `verify`, turning each into `copy`, `meta` or nothing. */
async function resolveVerifies(
  ctx: PassContext,
  planned: PlanOp[],
  input: PassInput,
): Promise<FileOp[]> {
  const out: FileOp[] = [];
  for (const op of planned) {
    if (op.op !== "verify") {
      out.push(op);
      continue;
    }
    try {
      const sourceHash = (await hashSourceFile(ctx.fs, join(ctx.source, op.path), ctx.hasher)).hash;
      const destHash = op.hashDest ? (await hashInDestination(ctx, op.path)).hash : null;
      // In place: a verify sits among the files, and so does what it becomes.
      // Against the state the plan compared with (after its moves).
      const resolved = resolveVerify(op, op.state, sourceHash, destHash);
      if (resolved && resolved.op !== "verify") out.push(resolved);
    } catch (err) {
      // A file that vanished, or became a FIFO, socket or device, since the scan: the next
      // pass sees what it is now (a special file is not carried over), so it is no failure.
      if (isNotFound(err) || isNotRegularFile(err)) input.onVanished?.(op);
      else input.onUnreadable?.(op, err);
    }
  }
  return out;
}
