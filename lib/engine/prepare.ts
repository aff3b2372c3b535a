/**
 * The lead-up to a pass, written once for the daemon's pass, `--dry-run` and
 * `journal replay --dry-run`: scan the source and the destination with the
 * pass's excludes, ask the source guard, then plan ({@link planPass}: moves
 * paired by inode and by hash, `verify`s resolved by hashing, what the source
 * could not read and what the excludes keep protected), with the paths a
 * crash left in doubt checked by hash. Reads only: what to do with the plan
 * (apply it, or print it) is the caller's.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { Destination } from "../dest/destination.ts";
import type { IntentRecord } from "../journal/record.ts";
import type { StateEntry } from "../journal/state.ts";
import type { Entry } from "../base/scan.ts";
import type { PassExcludes } from "./excludes.ts";
import type { PlanOp } from "./plan.ts";
import { MaskedEntries } from "../base/masked_entries.ts";
import { entriesWithin, scopeTest } from "./scope_entries.ts";
import { type FileOp, planPass } from "./pass_plan.ts";
import { type SourceIdentity, sourceVeto } from "./source_guard.ts";
import { type PassScope, scanFolders, type ScanRoots, scanWhole } from "./pass_scope.ts";
import type { SweepSlice } from "./dest_sweep.ts";
import { scanDirty } from "./dirty_walk.ts";
import { PackedEntries } from "../base/packed_entries.ts";

/** Where a pass reads from. */
export interface PrepareContext {
  /** File system port (the source is read through it; only read). */
  fs: FileSystem;
  /** Hasher (reused buffer). */
  hasher: Hasher;
  /** Absolute source root. */
  source: string;
  /** The destination (only read); null when there is none yet (planned against an empty one). */
  destination: Destination | null;
}

/** What a pass is prepared from. */
export interface PrepareRequest {
  /** The state map's entries (all of them: the suspects are set aside here). */
  state: ReadonlyMap<string, StateEntry>;
  /** Paths a crash left in doubt ({@link interruptedPaths}): checked by hash, never paired as moves. */
  suspects: ReadonlySet<string>;
  /** The pass's exclude rules. */
  excludes: PassExcludes;
  /** The source's recorded identity: enables the source guard; null: no guard. */
  identity: SourceIdentity | null;
  /** A partial pass over these folders (watcher hints); default: everything. */
  folders?: ReadonlySet<string>;
  /** False refuses a move (one that failed before); default allows all. */
  allowMove?: (from: string, to: string) => boolean;
  /** Plan even when the source guard vetoes the pass (a dry run shows what it holds back). */
  planWhenVetoed?: boolean;
  /**
   * A full pass lists the destination by this slice of the rolling sweep
   * (lib/engine/dest_sweep.ts); default: the whole destination. Ignored with suspects.
   */
  sweep?: SweepSlice;
  /**
   * With `sweep`: plan the whole maps instead of the diff walk's dirty folders
   * (lib/engine/dirty_walk.ts); default false. The diff walk also needs no suspects, a
   * destination, and a packed state (the daemon's; a plain `Map` plans the whole maps).
   */
  wholePlan?: boolean;
}

/** What the caller hears while a pass is prepared (all optional). */
export interface PrepareEvents {
  /** The source was scanned (null) or could not be (why); not called by a partial pass's scans. */
  sourceScanned?: (failure: string | null) => void;
  /**
   * The guard lets the pass go ahead; planning comes next (once a returned promise settled) and
   * sees changes made to `scope.dst`.
   */
  beforePlan?: (scope: PassScope) => void | Promise<void>;
  /** A `verify`'s file vanished before it could be hashed (the next pass sees why). */
  onVanished?: (op: PlanOp) => void;
  /** A `verify`'s file could not be read. */
  onUnreadable?: (op: PlanOp, err: unknown) => void;
}

/** A prepared pass: its plan, or why it has none. */
export type PreparedPass =
  | { status: "planned"; scope: PassScope; ops: FileOp[] }
  | {
    status: "vetoed";
    scope: PassScope;
    /** The source guard's reason. */
    veto: string;
    /** The plan the guard holds back, with `planWhenVetoed`; null without. */
    ops: FileOp[] | null;
  }
  | {
    status: "unavailable";
    /** Which tree could not be scanned. */
    side: "source" | "destination";
    /** Why, for people. */
    reason: string;
    /** What the scan threw (null when the root was there but not a folder). */
    error: unknown;
  };

/**
 * The paths of intents a crash interrupted, with a move's `from`: the state's
 * word on them (and on what is below them) is not trusted until a full pass
 * has checked them by hash. Size and mtime cannot tell a rename done from one
 * not done when two files look alike (a swap).
 */
export function interruptedPaths(pending: Iterable<IntentRecord>): Set<string> {
  const paths = new Set<string>();
  for (const intent of pending) {
    paths.add(intent.path);
    if (intent.op === "move" && intent.from !== undefined) paths.add(intent.from);
  }
  return paths;
}

/**
 * The state without its entries at or below `suspects` where the destination
 * holds something: the planner checks those by hash. An entry whose path the
 * destination lacks stays, so that the pass forgets it (or copies it) as usual.
 */
function withoutSuspects(
  entries: ReadonlyMap<string, StateEntry>,
  suspects: ReadonlySet<string>,
  dest: ReadonlyMap<string, Entry>,
): ReadonlyMap<string, StateEntry> {
  // A view hiding the few, not a copy of the many: a packed state finds the entries at or
  // below the suspects at the cost of those (scope_entries.ts), a plain map by testing each.
  const hidden = new Set<string>();
  const deep = [...suspects].filter((path) => path !== "");
  for (const [rel] of entriesWithin(entries, scopeTest(new Set(), deep))) {
    if (dest.has(rel)) hidden.add(rel);
  }
  return hidden.size === 0 ? entries : new MaskedEntries(entries, hidden);
}

/**
 * Prepares one pass: scans (whole, or the `folders` of a partial pass), asks
 * the source guard, and plans. Writes nothing.
 */
export async function preparePass(
  ctx: PrepareContext,
  request: PrepareRequest,
  events: PrepareEvents = {},
): Promise<PreparedPass> {
  const { fs, source } = ctx;
  const roots: ScanRoots = { fs, source, destination: ctx.destination };
  // The diff walk reads the state folder by folder: only a packed state has its folders' lists.
  const diffWalk = !request.folders && request.sweep && request.suspects.size === 0 &&
    !request.wholePlan && ctx.destination !== null && request.state instanceof PackedEntries;
  const scanned = diffWalk
    ? await scanDirty(
      { fs, source, destination: ctx.destination! },
      request.excludes,
      request.state,
      request.sweep!,
      events.sourceScanned,
    )
    : request.folders
    ? await scanFolders(
      roots,
      request.folders,
      request.excludes,
      request.state,
      events.sourceScanned,
    )
    : await scanWhole(
      roots,
      request.excludes,
      events.sourceScanned,
      // Paths in doubt are checked against what the destination really holds: a whole listing.
      request.sweep && request.suspects.size === 0
        ? { state: request.state, slice: request.sweep }
        : undefined,
    );
  if (scanned.status !== "scanned") return scanned;
  const { scope } = scanned;
  const { src, dst } = scope;
  let veto: string | null = null;
  if (request.identity) {
    // A partial pass sees only some folders: emptiness is judged by full passes. A source
    // whose every entry is excluded is not empty: it is mounted, and nothing is deleted.
    const seen = scope.within
      ? Number.POSITIVE_INFINITY
      : scope.seen ?? src.entries.size + src.skipped;
    veto = sourceVeto(fs, source, request.identity, seen, request.state.size);
  }
  if (veto !== null && !request.planWhenVetoed) return { status: "vetoed", scope, veto, ops: null };
  if (veto === null) await events.beforePlan?.(scope);
  const ops = await planPass(
    { fs, hasher: ctx.hasher, source, destination: ctx.destination },
    {
      src,
      dst,
      state: request.suspects.size > 0
        ? withoutSuspects(request.state, request.suspects, dst.entries)
        : request.state,
      keeps: scope.excludes.keeps,
      ...(request.allowMove ? { allowMove: request.allowMove } : {}),
      ...(scope.within ? { within: scope.within } : {}),
      ...(scope.planWithin ? { within: scope.planWithin } : {}),
      ...(events.onVanished ? { onVanished: events.onVanished } : {}),
      ...(events.onUnreadable ? { onUnreadable: events.onUnreadable } : {}),
    },
  );
  return veto === null ? { status: "planned", scope, ops } : { status: "vetoed", scope, veto, ops };
}
