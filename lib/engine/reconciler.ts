/**
 * The one serialized loop that owns the state map.
 *
 * A pass: scan source and destination, plan against the state map, resolve
 * `verify`s by hashing, then for each batch: append the intents and fsync the
 * journal, apply, fsync the touched folders, append the completions and fold
 * them into the state with the same fold that replay uses.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { Logger } from "../report/log.ts";
import type { Entry, ScanResult } from "./scan.ts";
import type { IntentRecord, JournalRecord, Trigger, Unstamped } from "../journal/record.ts";
import {
  type ApplyContext,
  applySimple,
  assertInside,
  commitCopies,
  ensureWritableParent,
  isRacy,
  prepareCopy,
  type PreparedCopy,
} from "./apply.ts";
import { describeError, SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { createHasher } from "../base/hash.ts";
import { depth, isAtOrBelow, join, parentOf, showPath, someAbove } from "../base/paths.ts";
import { emptyScan, type ScanOptions, scanTree } from "./scan.ts";
import { destScan, type PassExcludes, passExcludes } from "./excludes.ts";
import { type FileOp, planPass } from "./pass_plan.ts";
import { beforeRenames } from "./moves.ts";
import { foldRecord, type State, type StateEntry } from "../journal/state.ts";
import { DEFAULT_DELETE_LIMITS, type DeleteLimits, heldDeletes } from "./guard.ts";
import { type SourceIdentity, sourceVeto } from "./source_guard.ts";
import { JournalWriter } from "../journal/writer.ts";
import { replayJournal } from "../journal/replay.ts";
import { journalDir } from "../journal/segments.ts";
import { compactIfNeeded, type CompactResult } from "../journal/compact.ts";
import { acquireLock, type Lock, prepareReserved } from "../dest/reserved.ts";
import { LocalDestination } from "../dest/local.ts";
import type { OpOutcome, ProgressListener } from "../report/progress.ts";
import { allocateVersion, type KeepRule, type PruneResult, pruneVersions } from "./versions.ts";

/** Loggers the reconciler writes to. */
export interface ReconcilerLogs {
  /** One record per operation. */
  op: Logger;
  /** One summary per pass. */
  pass: Logger;
  /** Start-up, replay, source availability. */
  daemon: Logger;
}

/** Options for {@link Reconciler.start}. */
export interface ReconcilerOptions {
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
  /** Journal segment size (default 64 MiB). */
  segmentBytes?: number;
  /**
   * The destination's lock, already taken by the caller (who must write nothing in the
   * destination before holding it); the reconciler releases it on close or failed start.
   */
  lock?: Lock;
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Aborts a pass between batches. */
  signal?: AbortSignal;
  /** Set the existing journal aside (renamed, kept) and start from an empty state. */
  rebuildJournal?: boolean;
  /** The source's recorded identity: enables the source guard (see lib/engine/source_guard.ts). */
  identity?: SourceIdentity;
  /** Mass-delete guard limits (default {@link DEFAULT_DELETE_LIMITS}). */
  deleteLimits?: DeleteLimits;
  /** Apply mass deletions without holding them (the operator confirmed). */
  confirmDeletes?: boolean;
  /** Compact the journal between passes once its segments pass this many bytes (default 64 MiB). */
  journalMaxBytes?: number;
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
}

/** What one pass did. */
export interface PassSummary {
  /** Pass number since start. */
  pass: number;
  /** What started it. */
  trigger: Trigger;
  /** Files copied (created + updated). */
  copied: number;
  /** Bytes copied. */
  bytes: number;
  /** Entries deleted from the destination. */
  deleted: number;
  /** Folders created. */
  dirs: number;
  /** Symlinks created or replaced. */
  links: number;
  /** Files and folders renamed in the destination (nothing copied). */
  moved: number;
  /** Metadata-only updates (mode, mtime) of files and symlinks. */
  meta: number;
  /** Operations that failed (logged; retried next pass). */
  failed: number;
  /** Source entries that could not be read (their backups are kept). */
  unreadable: number;
  /** Names Deno cannot open (not valid UTF-8). */
  badNames: number;
  /** Leftover temp files removed. */
  tempsRemoved: number;
  /** Changes a full pass found in folders the watcher had not reported (0 without a watcher). */
  missed: number;
  /** Deletions held by the mass-delete guard (not applied). */
  held: number;
  /** A source changed during its copy: the caller should pass again soon. */
  retrySoon: boolean;
  /** Folders to look at again soon (where sources changed or vanished under a copy). */
  retryDirs: Set<string>;
  /** Why the pass did nothing, when it did nothing on purpose. */
  skipped: string | null;
  /** Stopped early by the abort signal. */
  interrupted: boolean;
  /** Wall time in ms. */
  durationMs: number;
}

/** Folder metadata runs after every change inside the folder: it starts a new batch. */
const isDirMeta = (op: FileOp): boolean => op.op === "meta" && op.src.kind === "dir";

/** What a pass looks at. */
interface Scope {
  /** Source scan (whole, or the pieces of a partial pass). */
  src: ScanResult;
  /** Destination scan, likewise. */
  dst: ScanResult;
  /** Paths in scope for a partial pass; undefined for a full one. */
  within: ((rel: string) => boolean) | undefined;
  /** The pass's exclude rules. */
  excludes: PassExcludes;
}

/** Options for {@link Reconciler.pass}. */
export interface PassOptions {
  /** Only these relative folders (from watcher hints); default: everything. */
  dirs?: Set<string>;
  /** Folders the watcher reported since the last pass: changes elsewhere count as missed. */
  hinted?: Set<string>;
}

function mergeScan(into: ScanResult, from: ScanResult): void {
  for (const [k, v] of from.entries) into.entries.set(k, v);
  for (const [k, v] of from.unreadable) into.unreadable.set(k, v);
  for (const [k, v] of from.badNames) into.badNames.set(k, v);
  into.temps.push(...from.temps);
  into.reservedSkipped ||= from.reservedSkipped;
}

/** True when `abs` exists (without following a final symlink). */
function exists(fs: FileSystem, abs: string): boolean {
  try {
    fs.lstat(abs);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw err;
  }
}

/** An operation not attempted because an earlier one in its pass invalidated the plan. */
class PlanInvalidError extends Error {
  override name = "PlanInvalidError";
}

/**
 * The state without its entries at or below `paths` where the destination holds something:
 * the planner checks those by hash. An entry whose path the destination lacks stays, so that
 * the pass forgets it (or copies it) as usual.
 */
function untrusted(
  entries: ReadonlyMap<string, StateEntry>,
  paths: ReadonlySet<string>,
  dest: ReadonlyMap<string, Entry>,
): Map<string, StateEntry> {
  const out = new Map<string, StateEntry>();
  for (const [p, e] of entries) {
    if (!dest.has(p) || !someAbove(p, (q) => paths.has(q), true)) out.set(p, e);
  }
  return out;
}

/** An operation's outcome for the progress display: skipped ones are retried, not failed. */
function outcomeOf(err: unknown): OpOutcome {
  if (err === null) return "ok";
  return err instanceof PlanInvalidError || err instanceof SourceVanishedError
    ? "skipped"
    : "failed";
}

/** A summary with every count at zero, for pass number `pass`. */
export function emptySummary(pass: number, trigger: Trigger): PassSummary {
  return {
    pass,
    trigger,
    copied: 0,
    bytes: 0,
    deleted: 0,
    dirs: 0,
    links: 0,
    moved: 0,
    meta: 0,
    failed: 0,
    unreadable: 0,
    badNames: 0,
    tempsRemoved: 0,
    missed: 0,
    held: 0,
    retrySoon: false,
    retryDirs: new Set(),
    skipped: null,
    interrupted: false,
    durationMs: 0,
  };
}

/** Formats a byte count for people (`1.2 MB`). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** With versioning: versions are pruned at least this often (the age rule), and after passes that made some. */
const PRUNE_EVERY_MS = 10 * 60_000;

function intentFor(op: FileOp, reason: Trigger, version?: string): Unstamped<IntentRecord> {
  if (op.op === "delete") {
    const rec: Unstamped<IntentRecord> = {
      type: "intent",
      op: "delete",
      path: op.path,
      kind: op.kind,
      reason,
    };
    if (version !== undefined) rec.version = version;
    return rec;
  }
  const s = op.src;
  const rec: Unstamped<IntentRecord> = {
    type: "intent",
    op: op.op,
    path: op.path,
    kind: s.kind,
    size: s.size,
    mtime: s.mtimeMs,
    mode: s.mode,
    ino: s.ino,
    reason,
  };
  if (s.target !== undefined) rec.target = s.target;
  if (op.op === "meta" && op.hash !== undefined) rec.hash = op.hash;
  if (op.op === "move") rec.from = op.from;
  if (version !== undefined) rec.version = version;
  return rec;
}

/** Renames a journal folder to `journal.aside-<time>` so that a fresh one starts. */
function setJournalAside(fs: FileSystem, dir: string, log: Logger): void {
  const aside = `${dir}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    fs.rename(dir, aside);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  log.warn("JOURNAL SET ASIDE: {aside}; rebuilding the state from a full reconcile", { aside });
}

/** The reconciler: owns the state map and the journal writer. */
export class Reconciler {
  #o: ReconcilerOptions;
  #fs: FileSystem;
  #state: State;
  #writer: JournalWriter;
  #hasher: Hasher;
  #lock: Lock;
  #passes = 0;
  #replayPaths: Set<string>;
  /**
   * Paths (and what is below them) of operations a crash interrupted, their `from` included:
   * the state's word on them is not trusted until a full pass has checked them by hash. Size
   * and mtime cannot tell a rename done from one not done when two files look alike (a swap).
   */
  #suspect: Set<string>;
  #sourceDown: string | null = null;
  /** Renames that failed: planned as copies from now on. */
  #badMoves = new Set<string>();
  /** A rename failed in this pass: what was planned after it no longer holds. */
  #renameFailed = false;
  /** The source guard's last veto (logged once per distinct reason). */
  #veto: string | null = null;
  /** Deletions held by the last pass (logged once per distinct count). */
  #heldCount = 0;
  /** Versioning: versions were made since the last prune (or none ran yet). */
  #pruneDue = true;
  /** Versioning: clock time of the last prune. */
  #lastPrune = 0;

  private constructor(
    fs: FileSystem,
    o: ReconcilerOptions,
    parts: {
      state: State;
      writer: JournalWriter;
      hasher: Hasher;
      lock: Lock;
      replay: Set<string>;
      suspect: Set<string>;
    },
  ) {
    this.#fs = fs;
    this.#o = o;
    this.#state = parts.state;
    this.#writer = parts.writer;
    this.#hasher = parts.hasher;
    this.#lock = parts.lock;
    this.#replayPaths = parts.replay;
    this.#suspect = parts.suspect;
  }

  /**
   * Opens a destination: creates it if missing, takes its lock, replays the
   * journal (truncating a torn tail) and closes interrupted intents.
   *
   * @throws LockedError, JournalCorruptError, JournalIoError, Deno.errors.*
   */
  static async start(fs: FileSystem, options: ReconcilerOptions): Promise<Reconciler> {
    const { dest, logs } = options;
    prepareReserved(fs, dest);
    const lock = options.lock ?? acquireLock(fs, dest);
    let opened: JournalWriter | null = null;
    try {
      const dir = journalDir(dest);
      if (options.rebuildJournal) setJournalAside(fs, dir, logs.daemon);
      const { state, summary, refused } = replayJournal(fs, dir);
      if (summary.tornTail) {
        logs.daemon.warn(
          "JOURNAL TORN TAIL: {segment} at byte {offset} ({bytes} bytes, {reason}) - truncated",
          { ...summary.tornTail },
        );
      }
      for (const r of refused) {
        logs.daemon.error("JOURNAL RECORD REFUSED: seq {seq} path {path} - {reason}", r);
      }
      for (const d of summary.damaged) {
        logs.daemon.error(
          "JOURNAL CHECKPOINT DAMAGED: {name} at byte {offset} ({reason}) - replayed from the segments it replaced",
          d,
        );
      }
      if (summary.source !== null && summary.source !== options.source) {
        logs.daemon.warn("DESTINATION WAS A BACKUP OF {old}, now backing up {source}", {
          old: summary.source,
          source: options.source,
        });
      }
      const last = summary.segments.at(-1);
      const writer = opened = await JournalWriter.open(fs, dir, {
        source: options.source,
        lastSeq: summary.lastSeq,
        lastSegment: last ? { name: last, bytes: summary.lastSegmentBytes } : null,
        ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      const replay = new Set<string>();
      const suspect = new Set<string>();
      const closes: Unstamped[] = [];
      for (const intent of state.pending.values()) {
        replay.add(intent.path);
        suspect.add(intent.path);
        if (intent.op === "move" && intent.from !== undefined) suspect.add(intent.from);
        closes.push({
          type: "failed",
          ref: intent.seq,
          error: "interrupted before completion; re-checked by the next pass",
        });
      }
      for (const rec of await writer.append(closes)) foldRecord(state, rec);
      await writer.sync();
      logs.daemon.info(
        "JOURNAL REPLAYED: {records} records, {entries} entries, {pending} interrupted operations",
        { records: summary.records, entries: state.entries.size, pending: closes.length },
      );
      return new Reconciler(fs, options, {
        state,
        writer,
        hasher: await createHasher(),
        lock,
        replay,
        suspect,
      });
    } catch (err) {
      // A config file's job is started again after a failure: leave no file open behind.
      await opened?.close().catch(() => {});
      lock.release();
      throw err;
    }
  }

  /** The state map (read-only use). */
  get state(): State {
    return this.#state;
  }

  /**
   * Compacts the journal (checkpoint, then older segments dropped) when it
   * has passed `journalMaxBytes`. Call between passes only. Returns what it
   * did, or null when it was not needed (or failed harmlessly: logged).
   *
   * @throws JournalIoError (fatal) when an fsync failed.
   */
  async compactIfNeeded(): Promise<CompactResult | null> {
    await this.pruneVersionsIfDue();
    return compactIfNeeded(this.#fs, journalDir(this.#o.dest), this.#writer, this.#state, {
      source: this.#o.source,
      log: this.#o.logs.daemon,
      ...(this.#o.journalMaxBytes !== undefined ? { maxBytes: this.#o.journalMaxBytes } : {}),
      ...(this.#o.now ? { now: this.#o.now } : {}),
    });
  }

  /**
   * With `keepVersions`: removes the versions its rule no longer keeps, when
   * versions were made since the last prune or {@link PRUNE_EVERY_MS} passed.
   * Called between passes (by {@link compactIfNeeded}). A failure is logged;
   * pruning is only unlinks, so an interrupted one is finished next time.
   */
  async pruneVersionsIfDue(): Promise<PruneResult | null> {
    const rule = this.#o.keepVersions;
    if (!rule) return null;
    const now = (this.#o.now ?? Date.now)();
    if (!this.#pruneDue && now - this.#lastPrune < PRUNE_EVERY_MS) return null;
    this.#pruneDue = false;
    this.#lastPrune = now;
    try {
      return await pruneVersions(new LocalDestination(this.#fs, this.#o.dest), rule, {
        now,
        log: this.#o.logs.daemon,
      });
    } catch (err) {
      this.#o.logs.daemon.error("VERSIONS NOT PRUNED: {reason}; tried again later", {
        reason: describeError(err),
      });
      return null;
    }
  }

  /**
   * Versioning: picks a version name for each operation that would delete or
   * replace a file (`undefined` for the others).
   */
  async #versionsFor(batch: FileOp[], dest: Map<string, Entry>): Promise<(string | undefined)[]> {
    if (!this.#o.keepVersions) return [];
    const ms = (this.#o.now ?? Date.now)();
    const taken = new Set<string>();
    const moved: { from: string; path: string }[] = [];
    const destination = new LocalDestination(this.#fs, this.#o.dest);
    const versions: (string | undefined)[] = [];
    for (const op of batch) {
      // Whether a file sits at op.path when op runs. The scan predates the pass's moves, so the
      // place is followed back through the moves before it in this batch; the state knows what
      // moves of earlier batches brought there. (The scan alone missed `e/f.txt` after a move of
      // `d` to `e`: its old content went unversioned.)
      const at = beforeRenames(op.path, moved);
      if (op.op === "move") moved.push(op);
      const holdsFile = dest.get(at)?.kind === "file" ||
        this.#state.entries.get(at)?.kind === "file";
      if (op.op === "mkdir" || op.op === "meta" || !holdsFile) {
        versions.push(undefined);
        continue;
      }
      this.#pruneDue = true;
      versions.push(await allocateVersion(destination, op.path, { ms, taken }));
    }
    return versions;
  }

  /** Syncs the journal and releases the lock. */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } finally {
      this.#lock.release();
    }
  }

  #scanSource(summary: PassSummary, excludes: PassExcludes): ScanResult | null {
    const { source, logs } = this.#o;
    let reason: string | null = null;
    let result: ScanResult | null = null;
    try {
      if (this.#fs.lstat(source).kind !== "dir") reason = "not a folder";
      else result = scanTree(this.#fs, source, { skip: excludes.sourceSkip });
    } catch (err) {
      reason = describeError(err);
    }
    if (reason !== null) {
      if (this.#sourceDown === null) {
        logs.daemon.error(
          "SOURCE UNAVAILABLE: {source} - {reason}; nothing is deleted, retrying every pass",
          { source, reason },
        );
      }
      this.#sourceDown = reason;
      summary.skipped = `source unavailable: ${reason}`;
      return null;
    }
    if (this.#sourceDown !== null) {
      logs.daemon.info("SOURCE AVAILABLE AGAIN: {source}", { source });
      this.#sourceDown = null;
    }
    return result;
  }

  /**
   * Runs one reconcile pass: over everything, or (with `dirs`) over the
   * folders a watcher named, each rescanned with its direct children, plus
   * the whole subtree of any folder that is new or changed kind.
   *
   * @throws JournalIoError when the journal cannot be made durable (fatal ones
   *   must stop the process); per-file errors are logged and counted instead.
   */
  async pass(trigger: Trigger = "scan", options: PassOptions = {}): Promise<PassSummary> {
    const started = performance.now();
    const { logs } = this.#o;
    const summary = emptySummary(++this.#passes, trigger);
    this.#renameFailed = false;
    // Read afresh each pass: a changed rule applies from the next pass on.
    const excludes = passExcludes(this.#fs, this.#o.source, {
      patterns: typeof this.#o.excludes === "function"
        ? this.#o.excludes()
        : this.#o.excludes ?? [],
      deleteExcluded: this.#o.deleteExcluded ?? false,
    });
    const scope = options.dirs
      ? this.#gatherPartial(options.dirs, summary, excludes)
      : this.#gatherFull(summary, excludes);
    try {
      if (scope) await this.#reconcile(scope, summary, trigger, options.hinted ?? null);
      // A full pass that did all it planned has checked what a crash left in doubt.
      const complete = !summary.interrupted && summary.failed === 0 && summary.held === 0;
      if (scope && !scope.within && complete) this.#suspect.clear();
    } finally {
      // Also for a pass that throws: the bar is cleared and the `pass` event still written.
      summary.durationMs = performance.now() - started;
      this.#o.progress?.ended(summary);
    }
    const changed = summary.copied + summary.deleted + summary.dirs + summary.links +
      summary.meta + summary.moved;
    const level = changed > 0 || summary.failed > 0 || summary.pass === 1 ? "info" : "debug";
    logs.pass[level](
      "PASS {pass} ({trigger}): {copied} copied ({size}), {moved} moved, {deleted} deleted, {dirs} folders created, {meta} updated, {failed} errors, {unreadable} unreadable{missedText} in {seconds} s",
      {
        ...summary,
        size: formatBytes(summary.bytes),
        seconds: (summary.durationMs / 1000).toFixed(2),
        missedText: summary.missed > 0 ? `, ${summary.missed} missed by the watcher` : "",
      },
    );
    return summary;
  }

  /** Scans both whole trees. */
  #gatherFull(summary: PassSummary, excludes: PassExcludes): Scope | null {
    const src = this.#scanSource(summary, excludes);
    if (!src) return null;
    const dst = this.#scanDest(summary, excludes);
    return dst ? { src, dst, within: undefined, excludes } : null;
  }

  #scanDest(summary: PassSummary, excludes: PassExcludes): ScanResult | null {
    try {
      return scanTree(this.#fs, this.#o.dest, destScan(excludes));
    } catch (err) {
      this.#o.logs.daemon.error("DESTINATION UNAVAILABLE: {dest} - {reason}; pass skipped", {
        dest: this.#o.dest,
        reason: describeError(err),
      });
      summary.skipped = `destination unavailable: ${describeError(err)}`;
      return null;
    }
  }

  /** Scans the named folders (shallow) and the subtrees that must be seen whole. */
  #gatherPartial(
    dirs: Set<string>,
    summary: PassSummary,
    excludes: PassExcludes,
  ): Scope | null {
    const { source, dest } = this.#o;
    const fs = this.#fs;
    try {
      if (fs.lstat(source).kind !== "dir") throw new Deno.errors.NotFound("not a folder");
      if (fs.lstat(dest).kind !== "dir") throw new Deno.errors.NotFound("destination is gone");
    } catch {
      return this.#gatherFull(summary, excludes); // reports and skips with the usual messages
    }
    const src = emptyScan();
    const dst = emptyScan();
    const shallow = new Set<string>();
    const deep: string[] = [];
    const scan = (root: string, into: ScanResult, options: ScanOptions) => {
      const skip = root === source ? { skip: excludes.sourceSkip } : destScan(excludes);
      try {
        mergeScan(into, scanTree(fs, root, { ...options, ...skip }));
        return true;
      } catch {
        return false; // gone or unreadable: its parent's listing shows it
      }
    };
    const entry = (root: string, rel: string): Entry | null => {
      try {
        const i = fs.lstat(join(root, rel));
        return { kind: i.kind, size: i.size, mtimeMs: i.mtimeMs, mode: i.mode, ino: i.ino };
      } catch {
        return null;
      }
    };
    for (const f of [...dirs].sort((a, b) => depth(a) - depth(b))) {
      if (f !== "" && deep.some((r) => isAtOrBelow(f, r))) continue;
      const s = f === "" ? null : entry(source, f);
      if (f !== "" && s?.kind !== "dir") continue;
      if (excludes.rules.excluded(f, "dir")) continue; // hints for excluded folders are ignored
      if (!scan(source, src, { under: f, shallow: true })) continue;
      shallow.add(f);
      if (s) src.entries.set(f, s);
      const d = f === "" ? null : entry(dest, f);
      if (d) dst.entries.set(f, d);
      if (f === "" || d?.kind === "dir") {
        scan(dest, dst, { under: f, shallow: true, destination: true });
      }
      for (const [rel, e] of src.entries) {
        if (parentOf(rel) !== f || rel === f || e.kind !== "dir") continue;
        const t = this.#state.entries.get(rel);
        if (!t || t.kind !== "dir" || t.ino !== e.ino) deep.push(rel);
      }
      for (const [rel, e] of dst.entries) {
        if (parentOf(rel) !== f || rel === f || e.kind !== "dir") continue;
        if (src.entries.get(rel)?.kind !== "dir") deep.push(rel);
      }
    }
    for (const r of deep) {
      if (src.entries.get(r)?.kind === "dir") scan(source, src, { under: r });
      if (dst.entries.get(r)?.kind === "dir") scan(dest, dst, { under: r, destination: true });
    }
    const within = (rel: string) =>
      shallow.has(parentOf(rel)) || shallow.has(rel) || deep.some((r) => isAtOrBelow(rel, r));
    return { src, dst, within, excludes };
  }

  async #reconcile(
    scope: Scope,
    summary: PassSummary,
    trigger: Trigger,
    hinted: Set<string> | null,
  ): Promise<void> {
    const { dest, logs } = this.#o;
    const fs = this.#fs;
    const { src, dst } = scope;
    if (this.#o.identity) {
      // A partial pass sees only some folders: emptiness is judged by full passes. A source
      // whose every entry is excluded is not empty: it is mounted, and nothing is deleted.
      const seen = scope.within ? Number.POSITIVE_INFINITY : src.entries.size + src.skipped;
      const veto = sourceVeto(fs, this.#o.source, this.#o.identity, seen, this.#state.entries.size);
      if (veto !== null) {
        if (this.#veto !== veto) {
          logs.daemon.error(
            "SOURCE GUARD: {reason}; nothing is deleted or copied until it is back (or run once with --new-source)",
            { reason: veto },
          );
        }
        this.#veto = veto;
        summary.skipped = `source guard: ${veto}`;
        return;
      }
      if (this.#veto !== null) logs.daemon.info("SOURCE GUARD: the source is back");
      this.#veto = null;
    }
    for (const tmp of dst.temps) {
      try {
        fs.remove(join(dest, tmp));
        summary.tempsRemoved++;
        // Removing it changed its folder's mtime after the scan saw it: look again.
        const parent = parentOf(tmp);
        const seen = dst.entries.get(parent);
        if (seen) seen.mtimeMs = fs.lstat(join(dest, parent)).mtimeMs;
      } catch (err) {
        logs.op.warn("TEMP FILE NOT REMOVED: {path} - {reason}", {
          path: tmp,
          reason: describeError(err),
        });
      }
    }
    if (summary.tempsRemoved > 0) {
      logs.daemon.info("REMOVED {n} leftover temp files", { n: summary.tempsRemoved });
    }
    if (src.reservedSkipped) {
      logs.daemon.warn("SKIPPED: the source's own .backup folder is not backed up (reserved name)");
    }
    for (const [path, reason] of src.unreadable) {
      logs.op.error("CANNOT READ: {path} - {reason}; its backup is kept", {
        path: showPath(path),
        reason,
      });
    }
    for (const [dir, count] of src.badNames) {
      logs.op.warn(
        "SKIPPED {count} names that are not valid UTF-8 in folder {dir}; their backups are kept",
        { count, dir: dir === "" ? "." : showPath(dir) },
      );
    }
    summary.unreadable = src.unreadable.size;
    summary.badNames = [...src.badNames.values()].reduce((a, b) => a + b, 0);
    for (const [path, reason] of scope.excludes.rules.problems) {
      logs.op.warn("CANNOT READ EXCLUDE RULES: {path} - {reason}; its rules are not applied", {
        path: showPath(path),
        reason,
      });
    }

    const planned = await planPass(
      { fs, hasher: this.#hasher, source: this.#o.source, dest },
      {
        src,
        dst,
        state: this.#suspect.size > 0
          ? untrusted(this.#state.entries, this.#suspect, dst.entries)
          : this.#state.entries,
        keeps: scope.excludes.keeps,
        allowMove: (from, to) => !this.#badMoves.has(`${from}\0${to}`),
        ...(scope.within ? { within: scope.within } : {}),
        onVanished: (op) => {
          summary.retrySoon = true; // vanished since the scan: the next pass sees why
          summary.retryDirs.add(parentOf(op.path));
        },
        onUnreadable: (op, err) => {
          summary.failed++;
          logs.op.error("CANNOT READ: {path} - {reason}", {
            path: showPath(op.path),
            reason: describeError(err),
          });
        },
      },
    );
    const ops = await this.#holdMassDelete(planned, dst.entries, summary);
    this.#o.progress?.planned(summary.pass, trigger, ops);
    await this.#execute(ops, dst.entries, summary, trigger, hinted);
    await this.#writer.sync();
  }

  /**
   * The mass-delete guard: a pass that would delete more entries than the
   * limits allow keeps everything else but deletes nothing, records a `held`
   * record and says how to confirm.
   */
  async #holdMassDelete(
    ops: FileOp[],
    dest: Map<string, Entry>,
    summary: PassSummary,
  ): Promise<FileOp[]> {
    const tracked = this.#state.entries.size;
    const limits = this.#o.deleteLimits ?? DEFAULT_DELETE_LIMITS;
    const deletes = heldDeletes(ops, dest, tracked, limits);
    if (this.#o.confirmDeletes || deletes.length === 0) return ops;
    summary.held = deletes.length;
    const sample = deletes.slice(0, 10).map((op) => op.path);
    for (
      const rec of await this.#writer.append([{
        type: "held",
        count: deletes.length,
        tracked,
        sample,
      }])
    ) {
      foldRecord(this.#state, rec);
    }
    if (this.#heldCount !== deletes.length) {
      this.#o.logs.daemon.error(
        "MASS DELETE HELD: this pass would delete {count} of {tracked} entries (e.g. {sample}); nothing was deleted. " +
          "If that is what you want, run once with --confirm-deletes (or raise --max-delete / --max-delete-percent)",
        { count: deletes.length, tracked, sample: sample.slice(0, 3).join(", ") },
      );
    }
    this.#heldCount = deletes.length;
    return ops.filter((op) => op.op !== "delete");
  }

  async #execute(
    ops: FileOp[],
    dest: Map<string, Entry>,
    summary: PassSummary,
    trigger: Trigger,
    hinted: Set<string> | null,
  ): Promise<void> {
    const batchSize = this.#o.batchSize ?? 256;
    const batchBytes = this.#o.batchBytes ?? 64 * 1024 * 1024;
    let batch: FileOp[] = [];
    let bytes = 0;
    for (const op of ops) {
      const first = batch[0];
      if (
        first &&
        (batch.length >= batchSize || bytes >= batchBytes || (isDirMeta(op) && !isDirMeta(first)))
      ) {
        await this.#runBatch(batch, dest, summary, trigger, hinted);
        batch = [];
        bytes = 0;
        if (this.#renameFailed) return;
        if (this.#o.signal?.aborted) {
          summary.interrupted = true;
          return;
        }
      }
      batch.push(op);
      if (op.op === "copy") bytes += op.src.size;
    }
    if (batch.length > 0) await this.#runBatch(batch, dest, summary, trigger, hinted);
  }

  async #runBatch(
    batch: FileOp[],
    dest: Map<string, Entry>,
    summary: PassSummary,
    trigger: Trigger,
    hinted: Set<string> | null,
  ): Promise<void> {
    const ctx: ApplyContext = {
      fs: this.#fs,
      source: this.#o.source,
      destination: new LocalDestination(this.#fs, this.#o.dest),
      hasher: this.#hasher,
      ...(this.#o.modeMask !== undefined ? { modeMask: this.#o.modeMask } : {}),
      ...(this.#o.now ? { now: this.#o.now } : {}),
      ...(this.#o.progress ? { onCopied: this.#o.progress.copying.bind(this.#o.progress) } : {}),
    };
    const reasonOf = (path: string): Trigger => this.#replayPaths.has(path) ? "replay" : trigger;
    const versions = await this.#versionsFor(batch, dest);
    const intents = await this.#writer.append(
      batch.map((op, i) => intentFor(op, reasonOf(op.path), versions[i])),
    );
    for (const rec of intents) foldRecord(this.#state, rec);
    await this.#writer.sync();

    const outcomes: unknown[] = new Array(batch.length).fill(null);
    const extra: { hash?: string; bytes?: number; racy?: boolean }[] = batch.map(() => ({}));
    const prepared: { i: number; p: PreparedCopy }[] = [];
    const checked = new Set<string>();
    const writable = new Set<string>();
    const versionDirs: [number, string[]][] = [];
    for (let i = 0; i < batch.length; i++) {
      const op = batch[i]!;
      if (this.#renameFailed) {
        // The rest of the plan assumed that rename: re-plan from disk instead.
        outcomes[i] = new PlanInvalidError(
          "a rename before it failed; re-planned by the next pass",
        );
        continue;
      }
      try {
        // Already gone (its folder too, perhaps, after a crash): a delete is done.
        if (op.op === "delete" && !exists(this.#fs, join(this.#o.dest, op.path))) continue;
        await assertInside(ctx, op.path, checked);
        if (op.op === "move") {
          await assertInside(ctx, op.from, checked);
          await ensureWritableParent(ctx, op.from, writable);
        }
        if (op.op !== "meta") await ensureWritableParent(ctx, op.path, writable);
        const version = versions[i];
        if (op.op === "copy") {
          const p = await prepareCopy(ctx, op);
          if (version !== undefined) p.version = version;
          prepared.push({ i, p });
        } else {
          const dirs = await applySimple(ctx, op, version !== undefined ? { version } : {});
          versionDirs.push([i, dirs]);
        }
      } catch (err) {
        outcomes[i] = err;
        if (op.op === "move") this.#renameFailed = true;
      }
    }
    const committed = await commitCopies(ctx, prepared.map((x) => x.p));
    prepared.forEach(({ i, p }, k) => {
      outcomes[i] = committed[k];
      extra[i] = { hash: p.hash, bytes: p.bytes, racy: p.racy };
    });

    // One fsync per touched folder makes the renames, creates and unlinks durable.
    const dirs = new Map<string, number[]>();
    batch.forEach((op, i) => {
      if (outcomes[i] !== null || op.op === "meta") return;
      for (const rel of op.op === "move" ? [op.path, op.from] : [op.path]) {
        const d = join(this.#o.dest, parentOf(rel));
        const list = dirs.get(d) ?? [];
        list.push(i);
        dirs.set(d, list);
      }
    });
    for (const [i, vdirs] of versionDirs) {
      if (outcomes[i] !== null) continue;
      for (const v of vdirs) {
        const d = join(this.#o.dest, v);
        dirs.set(d, [...(dirs.get(d) ?? []), i]);
      }
    }
    await Promise.all([...dirs].map(async ([d, idx]) => {
      try {
        await this.#fs.syncDir(d);
      } catch (err) {
        // A folder deleted later in the same batch, or below one a file replaced in it: the
        // sync of the folder that held it covers its removal, and what was in it is gone.
        if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
        for (const i of idx) outcomes[i] = err;
      }
    }));

    const now = (this.#o.now ?? Date.now)();
    const completions: Unstamped[] = batch.map((op, i) => {
      const ref = intents[i]!.seq;
      const err = outcomes[i];
      if (err !== null) return { type: "failed", ref, error: describeError(err) };
      const e = extra[i]!;
      const rec: Unstamped = { type: "done", ref };
      if (op.op === "copy") Object.assign(rec, { hash: e.hash, bytes: e.bytes, racy: e.racy });
      // A file re-hashed while still inside the racy window stays racy: hash it once more.
      if (op.op === "meta" && op.src.kind === "file" && isRacy(op.src.mtimeMs, now)) {
        Object.assign(rec, { racy: true });
      }
      return rec;
    });
    const done: JournalRecord[] = await this.#writer.append(completions);
    for (const rec of done) foldRecord(this.#state, rec);
    batch.forEach((op, i) => {
      const err = outcomes[i];
      this.#report(op, err, extra[i]!, dest, summary, reasonOf(op.path));
      this.#o.progress?.applied(
        op.op,
        op.path,
        extra[i]!.bytes ?? 0,
        outcomeOf(err),
        err === null ? null : describeError(err),
      );
      if (err !== null && op.op === "move") this.#badMoves.add(`${op.from}\0${op.path}`);
      // A full pass that finds a change in a folder the watcher never named: a missed event.
      if (err === null && hinted && op.op !== "meta" && !hinted.has(parentOf(op.path))) {
        summary.missed++;
      }
    });
  }

  #report(
    op: FileOp,
    err: unknown,
    extra: { bytes?: number },
    dest: Map<string, Entry>,
    summary: PassSummary,
    trigger: Trigger,
  ): void {
    const { op: log } = this.#o.logs;
    const existed = dest.has(op.path);
    const kind = op.op === "delete" ? op.kind : op.src.kind;
    const noun = kind === "dir" ? "FOLDER" : kind === "symlink" ? "SYMLINK" : "FILE";
    const verb = op.op === "delete"
      ? "DELETED"
      : op.op === "move"
      ? "MOVED"
      : op.op === "meta"
      ? "METADATA UPDATED"
      : existed && dest.get(op.path)!.kind === kind
      ? "UPDATED"
      : "CREATED";
    const path = op.op === "move"
      ? `${showPath(op.from)} -> ${showPath(op.path)}`
      : showPath(op.path);
    const props = { path, trigger, noun, verb };
    if (err instanceof SourceChangedError) {
      summary.retrySoon = true;
      summary.retryDirs.add(parentOf(op.path));
    }
    if (err instanceof PlanInvalidError) {
      summary.retrySoon = true;
      log.debug("{noun} {verb}: {path} - SKIPPED: {reason} ({trigger})", {
        ...props,
        reason: err.message,
      });
      return;
    }
    if (err instanceof SourceVanishedError) {
      // Gone from the source between scan and copy (a rename or delete in flight).
      log.debug("{noun} {verb}: {path} - SKIPPED: {reason} ({trigger})", {
        ...props,
        reason: describeError(err),
      });
      return;
    }
    if (err !== null) {
      summary.failed++;
      if (err instanceof SourceChangedError) summary.retrySoon = true;
      const lvl = err instanceof SourceChangedError ? "warn" : "error";
      log[lvl]("{noun} {verb}: {path} - FAILED: {reason} ({trigger})", {
        ...props,
        reason: describeError(err),
      });
      return;
    }
    switch (op.op) {
      case "copy":
        summary.copied++;
        summary.bytes += extra.bytes ?? 0;
        break;
      case "delete":
        summary.deleted++;
        break;
      case "mkdir":
        summary.dirs++;
        break;
      case "symlink":
        summary.links++;
        break;
      case "move":
        summary.moved++;
        break;
      case "meta":
        if (kind === "dir") {
          log.debug("{noun} {verb}: {path} - SUCCESS ({trigger})", props);
          return;
        }
        summary.meta++;
        break;
    }
    log.info("{noun} {verb}: {path} - SUCCESS ({trigger})", props);
  }
}
