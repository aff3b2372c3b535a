/**
 * The reconciler: the one serialized owner of the state map and the journal.
 *
 * It starts on a destination (lock, journal replay, interrupted intents
 * closed), runs passes one at a time ({@link Pass}, lib/engine/pass.ts, does
 * one: scan, plan, journal, apply, fold), keeps what lasts from one pass to
 * the next (the paths a crash left in doubt, renames that failed, what was
 * last logged), does the upkeep between passes (versions pruned, journal
 * compacted) and closes.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination } from "../dest/destination.ts";
import type { Logger } from "../base/logger.ts";
import type { Trigger, Unstamped } from "../journal/record.ts";
import type { PassMemory, PassOwner, PassSettings } from "./pass_owner.ts";
import { isNotFound } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { createHasher } from "../base/hash.ts";
import { formatBytes, plural } from "../base/units.ts";
import { foldRecord, type State } from "../journal/state.ts";
import { JournalWriter } from "../journal/writer.ts";
import { refusalCloses, replayJournal } from "../journal/replay.ts";
import { journalDir } from "../base/layout.ts";
import {
  compactIfNeeded,
  type CompactResult,
  DEFAULT_JOURNAL_MAX_BYTES,
} from "../journal/compact.ts";
import { acquireLock, type Lock, prepareReserved } from "../dest/reserved.ts";
import { LocalDestination } from "../dest/local.ts";
import { changedCount, emptySummary, type PassSummary } from "./summary.ts";
import { interruptedPaths } from "./prepare.ts";
import { Pass } from "./pass.ts";
import { BusyFiles } from "./busy.ts";
import { DeleteWindow } from "./delete_window.ts";
import { type PruneResult, pruneVersions } from "./versions.ts";

export type { ReconcilerLogs } from "./pass_owner.ts";

/** Options for {@link Reconciler.start}: how passes run, plus the journal and the lock. */
export interface ReconcilerOptions extends PassSettings {
  /** Journal segment size (default 64 MiB). */
  segmentBytes?: number;
  /**
   * The destination's lock, already taken by the caller (who must write nothing in the
   * destination before holding it); the reconciler releases it on close or failed start.
   */
  lock?: Lock;
  /** Set the existing journal aside (renamed, kept) and start from an empty state. */
  rebuildJournal?: boolean;
  /** Compact the journal between passes once its segments pass this many bytes (default 64 MiB). */
  journalMaxBytes?: number;
  /**
   * The destination the passes write the mirror and its versions to, rooted at `dest` (default:
   * the local folder `dest`). The journal, lock and the rest of the reserved folder stay in the
   * local folder `dest` (see lib/dest/destination.ts).
   */
  destination?: Destination;
  /**
   * The destination as pinned at start (lib/dest/root_pin.ts): checked at the start of each pass
   * and before each batch; a root that became a symlink, another file system or another folder
   * pauses the job (passes skipped, nothing written) until the original is back.
   */
  pin?: { check(): string | null };
}

/** Options for {@link Reconciler.pass}. */
export interface PassOptions {
  /** Only these relative folders (from watcher hints); default: everything. */
  dirs?: Set<string>;
  /** Folders the watcher reported since the last pass: changes elsewhere count as missed. */
  hinted?: Set<string>;
}

/** What {@link Reconciler.maintain} did between passes. */
export interface Maintenance {
  /** Versions pruned; null when not due, without versioning, or failed (logged). */
  pruned: PruneResult | null;
  /** The journal compacted; null when not needed, or failed harmlessly (logged). */
  compacted: CompactResult | null;
}

/** Log size below which the journal is only compacted by its configured limit. */
export const EARLY_COMPACT_FLOOR = 8 * 1024 * 1024;

/** About what one state entry takes in a checkpoint (measured: 170 bytes, 100,000 files). */
const CHECKPOINT_BYTES_PER_ENTRY = 170;

/**
 * The log size at which the journal is compacted: the configured limit, or,
 * when that is not above the default, sooner once the log is over
 * {@link EARLY_COMPACT_FLOOR} and 1.5 times the checkpoint its `entries` would
 * make. Replaying a log costs about twice what loading the checkpoint of the
 * same state does, in time and in memory (a first copy writes an intent and a
 * done per file), so a start after a big pass loads the checkpoint instead
 * (issue 14). A limit raised above the default is kept as asked: it keeps the
 * history a restore by time relies on (docs/safety.md).
 */
export function compactionLimit(configured: number, entries: number): number {
  if (configured > DEFAULT_JOURNAL_MAX_BYTES) return configured;
  const early = Math.max(EARLY_COMPACT_FLOOR, 1.5 * entries * CHECKPOINT_BYTES_PER_ENTRY);
  return Math.min(configured, early);
}

/** With versioning: versions are pruned at least this often (the age rule), and after passes that made some. */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Renames a journal folder to `journal.aside-<time>` so that a fresh one starts. */
function setJournalAside(fs: FileSystem, dir: string, log: Logger): void {
  const aside = `${dir}.aside-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    fs.rename(dir, aside);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  log.warn("JOURNAL SET ASIDE: {aside}; rebuilding the state from a full reconcile", { aside });
}

/** The reconciler: owns the state map and the journal writer. */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #fs: FileSystem;
  readonly #state: State;
  readonly #writer: JournalWriter;
  readonly #lock: Lock;
  /** The destination every pass writes to, and versions are pruned in. */
  readonly #destination: Destination;
  /**
   * Paths (and what is below them) of operations a crash interrupted, their `from` included:
   * the state's word on them is not trusted until a full pass has checked them by hash.
   */
  readonly #suspects: Set<string>;
  /** What its passes borrow: state, writer, suspects, failed renames, what was last logged. */
  readonly #passOwner: PassOwner;
  /** Passes run since start. */
  #passCount = 0;
  /** Versioning: versions were made since the last prune (or none ran yet). */
  #pruneDue = true;
  /** Versioning: clock time of the last prune. */
  #lastPrune = 0;
  /** Why the destination is paused (not the pinned one), as last logged; null when it is not. */
  #destinationChanged: string | null = null;

  private constructor(
    fs: FileSystem,
    options: ReconcilerOptions,
    parts: {
      state: State;
      writer: JournalWriter;
      hasher: PassOwner["hasher"];
      lock: Lock;
      replayPaths: Set<string>;
      suspects: Set<string>;
    },
  ) {
    this.#fs = fs;
    this.#options = options;
    this.#state = parts.state;
    this.#writer = parts.writer;
    this.#lock = parts.lock;
    this.#suspects = parts.suspects;
    this.#destination = options.destination ?? new LocalDestination(fs, options.dest);
    const memory: PassMemory = {
      sourceDown: null,
      veto: null,
      heldCount: 0,
      window: new DeleteWindow(options.deleteWindowMs),
      hold: null,
      busy: new BusyFiles({
        ...(options.busyMaxDelayMs !== undefined ? { maxDelayMs: options.busyMaxDelayMs } : {}),
        ...(options.busyLimitMs !== undefined ? { limitMs: options.busyLimitMs } : {}),
      }),
    };
    this.#passOwner = {
      fs,
      settings: options,
      destination: this.#destination,
      state: parts.state,
      writer: parts.writer,
      hasher: parts.hasher,
      replayPaths: parts.replayPaths,
      suspects: parts.suspects,
      badMoves: new Set(),
      memory,
      versionAllocated: () => {
        this.#pruneDue = true;
      },
    };
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
      for (const record of refused) {
        logs.daemon.error("JOURNAL RECORD REFUSED: seq {seq} path {path} - {reason}", record);
      }
      for (const damage of summary.damaged) {
        logs.daemon.error(
          "JOURNAL CHECKPOINT DAMAGED: {name} at byte {offset} ({reason}) - replayed from the segments it replaced",
          damage,
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
      const interrupted = [...state.pending.values()];
      const replayPaths = new Set(interrupted.map((intent) => intent.path));
      const suspects = interruptedPaths(interrupted);
      const closes: Unstamped[] = interrupted.map((intent) => ({
        type: "failed",
        ref: intent.seq,
        error: "interrupted before completion; re-checked by the next pass",
      }));
      // Refused records are closed too, so they are reported once, not at every start.
      const records = [...closes, ...refusalCloses(refused)];
      for (const record of await writer.append(records)) foldRecord(state, record);
      await writer.sync();
      logs.daemon.info(
        "JOURNAL REPLAYED: {recordsText}, {entriesText}, {pendingText}",
        {
          records: summary.records,
          entries: state.entries.size,
          pending: closes.length,
          recordsText: plural(summary.records, "record"),
          entriesText: plural(state.entries.size, "entry"),
          pendingText: plural(closes.length, "interrupted operation"),
        },
      );
      return new Reconciler(fs, options, {
        state,
        writer,
        hasher: await createHasher(),
        lock,
        replayPaths,
        suspects,
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

  /** The destination its passes write to (the rolling verification reads it). */
  get destination(): Destination {
    return this.#destination;
  }

  /**
   * Stops trusting the state's word on `paths` (found damaged by `backup verify`
   * or the rolling verification): until a full pass completes, a pass that sees
   * them checks the destination against the source by hash, and recopies (journaled
   * like any copy) what differs.
   */
  distrust(paths: Iterable<string>): void {
    for (const path of paths) this.#suspects.add(path);
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
    const summary = emptySummary(++this.#passCount, trigger);
    const pass = new Pass(
      this.#passOwner,
      summary,
      options.hinted ?? null,
      () => this.#checkDestination(),
    );
    try {
      const changed = this.#checkDestination();
      if (changed !== null) summary.skipped = `destination changed: ${changed}`;
      else await pass.run(options.dirs);
      if (pass.checkedEverything) this.#suspects.clear();
    } finally {
      // Also for a pass that throws: the bar is cleared and the `pass` event still written.
      summary.durationMs = performance.now() - started;
      this.#options.progress?.ended(summary);
    }
    const level = changedCount(summary) > 0 || summary.failed > 0 || summary.pass === 1
      ? "info"
      : "debug";
    this.#options.logs.pass[level](
      "PASS {pass} ({trigger}): {copied} copied ({size}), {moved} moved, {deleted} deleted, {foldersText} created, {linksText} created, {meta} updated, {errorsText}, {unreadable} unreadable{busyText}{missedText} in {seconds} s",
      {
        ...summary,
        foldersText: plural(summary.dirs, "folder"),
        linksText: plural(summary.links, "symlink"),
        errorsText: plural(summary.failed, "error"),
        size: formatBytes(summary.bytes),
        seconds: (summary.durationMs / 1000).toFixed(2),
        missedText: summary.missed > 0 ? `, ${summary.missed} missed by the watcher` : "",
        busyText: summary.busy > 0 ? `, ${summary.busy} busy (still being written)` : "",
      },
    );
    return summary;
  }

  /**
   * Checks the pinned destination; logs once when it changed (and once when it is back).
   * Returns why it is paused, or null.
   */
  #checkDestination(): string | null {
    const { pin, logs, dest } = this.#options;
    const reason = pin?.check() ?? null;
    if (reason !== null && reason !== this.#destinationChanged) {
      logs.daemon.error(
        "DESTINATION CHANGED: {reason}; the job is paused (nothing is written, nothing deleted) until {dest} is the original folder again",
        { reason, dest },
      );
    } else if (reason === null && this.#destinationChanged !== null) {
      logs.daemon.info("DESTINATION BACK: {dest} is the original folder again; resuming", {
        dest,
      });
    }
    this.#destinationChanged = reason;
    return reason;
  }

  /**
   * The upkeep between passes: prunes versions when due
   * ({@link pruneVersionsIfDue}), then compacts the journal when it has grown
   * ({@link compactJournalIfNeeded}). Call between passes only.
   *
   * @throws JournalIoError (fatal) when an fsync of the compaction failed.
   */
  async maintain(): Promise<Maintenance> {
    // A paused destination gets no upkeep: its versions folder may be someone else's now.
    if (this.#destinationChanged !== null) return { pruned: null, compacted: null };
    const pruned = await this.pruneVersionsIfDue();
    const compacted = await this.compactJournalIfNeeded();
    return { pruned, compacted };
  }

  /**
   * Compacts the journal (checkpoint, then older segments dropped) when it
   * has passed `journalMaxBytes`, or earlier by {@link compactionLimit}. Call between passes only. Returns what it
   * did, or null when it was not needed (or failed harmlessly: logged).
   *
   * @throws JournalIoError (fatal) when an fsync failed.
   */
  compactJournalIfNeeded(): Promise<CompactResult | null> {
    const options = this.#options;
    const configured = options.journalMaxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
    return compactIfNeeded(this.#fs, journalDir(options.dest), this.#writer, this.#state, {
      source: options.source,
      log: options.logs.daemon,
      maxBytes: compactionLimit(configured, this.#state.entries.size),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /**
   * With `keepVersions`: removes the versions its rule no longer keeps, when
   * versions were made since the last prune or {@link PRUNE_EVERY_MS} passed.
   * Call between passes (as {@link maintain} does). A failure is logged;
   * pruning is only unlinks, so an interrupted one is finished next time.
   */
  async pruneVersionsIfDue(): Promise<PruneResult | null> {
    const options = this.#options;
    const rule = options.keepVersions;
    if (!rule) return null;
    const now = (options.now ?? Date.now)();
    if (!this.#pruneDue && now - this.#lastPrune < PRUNE_EVERY_MS) return null;
    this.#pruneDue = false;
    this.#lastPrune = now;
    try {
      return await pruneVersions(this.#destination, rule, { now, log: options.logs.daemon });
    } catch (err) {
      options.logs.daemon.error("VERSIONS NOT PRUNED: {reason}; tried again later", {
        reason: describeError(err),
      });
      return null;
    }
  }

  /** Syncs the journal and releases the lock. */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } finally {
      this.#lock.release();
      this.#destination.close?.();
    }
  }
}
