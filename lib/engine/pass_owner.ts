/**
 * What a pass borrows from the reconciler that owns it: the settings passes
 * run with, and the long-lived parts (state, journal writer, suspects, failed
 * renames, what was last logged) that one pass reads and updates for the next.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination } from "../dest/destination.ts";
import type { Hasher } from "../base/hash.ts";
import type { Logger } from "../base/logger.ts";
import type { ProgressListener } from "./listener.ts";
import type { JournalWriter } from "../journal/writer.ts";
import type { State } from "../journal/state.ts";
import type { SourceIdentity } from "./source_guard.ts";
import type { DeleteLimits } from "./guard.ts";
import type { KeepRule } from "./versions.ts";
import type { BusyFiles } from "./busy.ts";
import type { DeleteWindow } from "./delete_window.ts";

/** Loggers the reconciler writes to. */
export interface ReconcilerLogs {
  /** One record per operation. */
  op: Logger;
  /** One summary per pass. */
  pass: Logger;
  /** Start-up, replay, source availability. */
  daemon: Logger;
}

/** How passes run: the reconciler's options that a pass reads. */
export interface PassSettings {
  /** Absolute, validated source root. */
  source: string;
  /** Absolute, validated destination root. */
  dest: string;
  /** Where to log. */
  logs: ReconcilerLogs;
  /** Operations per journal batch (one fsync each). Default 256. */
  batchSize?: number;
  /** Bytes of copies per batch. Default 64 MiB. */
  batchBytes?: number;
  /** Permission-bit mask (default 0o1777: setuid and setgid are not carried over). */
  modeMask?: number;
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Aborts a pass between batches. */
  signal?: AbortSignal;
  /** The source's recorded identity: enables the source guard (see lib/engine/source_guard.ts). */
  identity?: SourceIdentity;
  /** Mass-delete guard limits (default `DEFAULT_DELETE_LIMITS` of lib/engine/guard.ts). */
  deleteLimits?: DeleteLimits;
  /** Apply mass deletions without holding them (the operator confirmed). */
  confirmDeletes?: boolean;
  /** How long deletions count against the mass-delete guard (default `DELETE_WINDOW_MS`, lib/engine/delete_window.ts). */
  deleteWindowMs?: number;
  /**
   * Exclude patterns (gitignore syntax, relative to the source root); `.backupignore` files add
   * more. A function is called at the start of every pass (rules read from files afresh).
   */
  excludes?: readonly string[] | (() => readonly string[]);
  /** Delete excluded entries from the destination (default false: they are kept). */
  deleteExcluded?: boolean;
  /** Told the plan, each finished operation and the end of every pass (see lib/report/progress.ts). */
  progress?: ProgressListener;
  /** Versioned trash: replaced and deleted files go to `.backup/versions/`, kept by this rule (default off). */
  keepVersions?: KeepRule;
  /** Longest delay before a busy file is tried again (the daemon's interval; default 60 s). */
  busyMaxDelayMs?: number;
  /** How long a file may stay busy before it counts as failed (default `BUSY_LIMIT_MS`, lib/engine/busy.ts). */
  busyLimitMs?: number;
  /**
   * Full passes for the rolling sweep to list every folder of a local destination
   * (`--dest-sweep`, default `DEFAULT_SWEEP_ROUNDS` of lib/engine/sweep_round.ts); 1 lists the
   * whole destination on every full pass.
   */
  destSweep?: number;
  /**
   * Operations per chunk of the chunked initial copy (lib/engine/chunked_walk.ts; default
   * `CHUNK_OPS`); 0 plans and applies an initial copy whole, as any other full pass.
   */
  chunkOps?: number;
}

/** What passes tell each other: conditions that last, logged when they change rather than every pass. */
export interface PassMemory {
  /** Why the source could not be scanned, while it cannot (null: it could). */
  sourceDown: string | null;
  /** The source guard's last veto (null: it let the last pass go). */
  veto: string | null;
  /** Deletions the mass-delete guard held the last time it held any. */
  heldCount: number;
  /** The deletions of the last hour or so, that the mass-delete guard counts with each pass's. */
  window: DeleteWindow;
  /** The hold in force (deletions waiting for `backup confirm`), or null. */
  hold: Hold | null;
  /** Files that changed under their copy, and when each is tried again. */
  busy: BusyFiles;
}

/** Deletions the mass-delete guard holds until they are confirmed (or no longer planned). */
export interface Hold {
  /** Seq of the first `held` record of this hold. */
  first: number;
  /** Seq of its latest `held` record. */
  last: number;
  /** The paths held (what a confirmation lets through). */
  paths: Set<string>;
}

/** What a pass borrows from the reconciler that owns it. */
export interface PassOwner {
  /** File system port. */
  readonly fs: FileSystem;
  /** How passes run. */
  readonly settings: PassSettings;
  /** The destination (its root is `settings.dest`): every change a pass makes goes through it. */
  readonly destination: Destination;
  /** The state map, folded as the pass journals. */
  readonly state: State;
  /** The journal writer. */
  readonly writer: JournalWriter;
  /** Hasher (reused buffer). */
  readonly hasher: Hasher;
  /** Paths of the intents closed at start-up: their operations are journaled with reason `replay`. */
  readonly replayPaths: ReadonlySet<string>;
  /** Paths a crash left in doubt (see `interruptedPaths` in lib/engine/prepare.ts). */
  readonly suspects: ReadonlySet<string>;
  /** Renames that failed ({@link moveKey}): planned as copies from now on. */
  readonly badMoves: Set<string>;
  /** What the passes before this one logged. */
  readonly memory: PassMemory;
  /** Called when a version is allocated: versions are due for pruning. */
  versionAllocated(): void;
}

/** The key of a rename in {@link PassOwner.badMoves}. */
export function moveKey(from: string, to: string): string {
  return `${from}\0${to}`;
}
