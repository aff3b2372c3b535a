/**
 * One reconcile pass: its scope, its guards, its batches and its report.
 *
 * The lead-up is {@link preparePass} (scans, source guard, plan). Then the
 * mass-delete guard, and for each batch: append the intents and fsync the
 * journal, apply, fsync the touched folders, append the completions and fold
 * them into the state with the same fold that replay uses. A `Pass` lives for
 * one pass; what outlives it (state, journal writer, suspects, failed moves,
 * what was last logged) it borrows from its {@link PassOwner}, the reconciler.
 *
 * @module
 */

import { RESERVED_DIR } from "../base/layout.ts";
import type { PassSummary } from "./summary.ts";
import type { JournalRecord, Trigger, Unstamped } from "../journal/record.ts";
import type { Entry, ScanResult } from "../base/scan.ts";
import type { PassScope } from "./pass_scope.ts";
import type { FileOp } from "./pass_plan.ts";
import type { PassOwner } from "./pass_owner.ts";
import {
  type ApplyContext,
  applySimple,
  assertInside,
  commitCopies,
  ensureWritableParent,
  isSmallCopy,
  prepareCopy,
  type PreparedCopy,
} from "./apply.ts";
import { isMissing } from "../base/fs.ts";
import { describeError, SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { isAtOrBelow, parentOf, showPath } from "../base/paths.ts";
import { destinationHas } from "../dest/destination.ts";
import { eachLimited } from "../dest/object_store.ts";
import { type PassExcludes, passExcludes } from "./excludes.ts";
import { preparePass } from "./prepare.ts";
import { beforeRenames } from "./moves.ts";
import { foldRecord } from "../journal/state.ts";
import { guardDeletes } from "./delete_guard.ts";
import { allocateVersion } from "./versions.ts";
import { moveKey } from "./pass_owner.ts";
import { outcomeOf, PlanInvalidError, reportOp } from "./op_report.ts";
import { completionFor, type CopyFacts, intentFor } from "./batch_records.ts";
import type { SweepSlice } from "./dest_sweep.ts";
import { DEFAULT_SWEEP_ROUNDS, readSweepRound, saveSweepRound } from "./sweep_round.ts";
import {
  canStageAhead,
  discardAhead,
  stageAhead,
  type StagedAhead,
  stageWithHelper,
} from "./stage_ahead.ts";
import { CopyHelper } from "../base/copy_helper.ts";
import { nativeAvailable } from "../base/native/libc.ts";
import { openFileLimit } from "../base/native/limits.ts";
import { type Chunk, CHUNK_OPS, ChunkedWalk, firstCopyRoot } from "./chunked_walk.ts";
import { emptyScan } from "../base/scan.ts";
import { sourceVeto } from "./source_guard.ts";

/** How many folder creations or metadata changes run at once where folders are markers. */
const FOLDER_CONCURRENCY = 16;

/** Small copies in one `#execute` from which a pass starts its copy helper (two batches). */
const HELPER_FROM = 512;

/** How many batches the copy helper is asked to stage before their turn. */
const HELPER_AHEAD = 2;

/**
 * The open-file limit below which a pass copies in line, without the helper: the helper keeps
 * the temp files of up to three batches open (about 770 descriptors), and under a limit of about
 * 1,000 some copies failed with EMFILE where the in-line path (two batches) had none.
 */
const HELPER_MIN_OPEN_FILES = 4096;

/** What the main thread staged ahead and what the helper staged, for one batch, as one map. */
async function joinStaged(
  main: Promise<StagedAhead> | null,
  helper: Promise<StagedAhead> | null,
): Promise<StagedAhead> {
  const [a, b] = await Promise.all([main, helper]);
  if (a === null || a === undefined) return b ?? new Map();
  for (const [i, copy] of b ?? []) a.set(i, copy);
  return a;
}

/** Folder metadata runs after every change inside the folder: it starts a new batch. */
const isDirMeta = (op: FileOp): boolean => op.op === "meta" && op.src.kind === "dir";

/** What applying a batch came to, by operation index. */
interface Applied {
  /** null: done; otherwise why it failed or was skipped. */
  outcomes: unknown[];
  /** What each copy wrote (empty for the other operations). */
  copies: CopyFacts[];
  /** Folders a replaced or deleted file was moved into (versioning), to be synced. */
  versionFolders: [number, string[]][];
}

/** One reconcile pass. Make one per pass, {@link Pass.run} it once. */
export class Pass {
  readonly #owner: PassOwner;
  readonly #summary: PassSummary;
  /** Folders the watcher reported since the last pass (a full pass counts changes elsewhere as missed). */
  readonly #hinted: ReadonlySet<string> | null;
  readonly #apply: ApplyContext;
  /** What the pass looks at, once both trees are scanned. */
  #scope: PassScope | null = null;
  /** A rename failed in this pass: what was planned after it no longer holds. */
  #renameFailed = false;
  /** The renames of this pass's batches so far, in order (followed by versioning). */
  readonly #renames: { from: string; path: string }[] = [];
  /** The deletes the mass-delete guard judged (see `guardedDeletes`), by path. */
  #guarded = new Set<string>();
  /** Deletes an operator confirmed in this pass: not counted in the guard's window. */
  #confirmed = new Set<string>();
  /** Entries the backup held when the pass was planned. */
  #trackedBefore = 0;
  /** The guarded deletes this pass did, for the guard's window. */
  readonly #deleted: string[] = [];
  /** The copy helper of this pass: undefined until asked for, null when there is none. */
  #helper: CopyHelper | null | undefined;
  /** Why the destination is not the pinned one any more (checked before each batch), or null. */
  readonly #destinationChanged: () => string | null;

  /**
   * A pass for `owner`, counting into `summary` (its number and trigger are set);
   * `destinationChanged` is asked before each batch (see lib/dest/root_pin.ts).
   */
  constructor(
    owner: PassOwner,
    summary: PassSummary,
    hinted: ReadonlySet<string> | null,
    destinationChanged: () => string | null = () => null,
  ) {
    this.#owner = owner;
    this.#destinationChanged = destinationChanged;
    this.#summary = summary;
    this.#hinted = hinted;
    const { settings } = owner;
    this.#apply = {
      fs: owner.fs,
      source: settings.source,
      destination: owner.destination,
      hasher: owner.hasher,
      ...(settings.modeMask !== undefined ? { modeMask: settings.modeMask } : {}),
      ...(settings.now ? { now: settings.now } : {}),
      ...(settings.progress ? { onCopied: settings.progress.copying.bind(settings.progress) } : {}),
    };
  }

  /**
   * True for a full pass that scanned both trees and did all it planned (nothing failed,
   * held, busy, skipped or interrupted): it has checked what a crash left in doubt.
   */
  get checkedEverything(): boolean {
    const summary = this.#summary;
    // A skipped pass (source guard veto, destination changed) planned nothing: it checked nothing.
    const complete = !summary.interrupted && summary.failed === 0 && summary.held === 0 &&
      summary.busy === 0 && summary.skipped === null;
    return this.#scope !== null && this.#scope.within === undefined && complete;
  }

  /**
   * Runs the pass: over everything, or (with `folders`) over the folders a
   * watcher named. Counts into the summary; per-file errors are logged and
   * counted.
   *
   * @throws JournalIoError when the journal cannot be made durable.
   */
  async run(folders?: ReadonlySet<string>): Promise<void> {
    try {
      await this.#run(folders);
    } finally {
      this.#helper?.close();
    }
  }

  /** {@link run}, its helper closed by the caller. */
  async #run(folders?: ReadonlySet<string>): Promise<void> {
    const { fs, settings, destination, state, hasher, suspects, badMoves } = this.#owner;
    const summary = this.#summary;
    if (!folders) {
      // Nothing tracked and an empty destination: the initial copy, in chunks (chunked_walk.ts).
      const root = await this.#firstCopyRoot();
      if (root !== null) return await this.#runChunked(root);
    }
    const sweep = this.#sweepSlice(folders);
    const prepared = await preparePass(
      { fs, hasher, source: settings.source, destination },
      {
        state: state.entries,
        suspects,
        excludes: this.#excludes(),
        identity: settings.identity ?? null,
        allowMove: (from, to) => !badMoves.has(moveKey(from, to)),
        ...(folders ? { folders } : {}),
        ...(sweep ? { sweep } : {}),
      },
      {
        sourceScanned: (failure) => this.#noteSource(failure),
        beforePlan: async (scope) => {
          this.#noteVeto(null);
          await this.#removeTemps(scope.dst);
          this.#reportScanProblems(scope);
        },
        onVanished: (op) => {
          summary.retrySoon = true; // vanished since the scan: the next pass sees why
          summary.retryDirs.add(parentOf(op.path));
        },
        onUnreadable: (op, err) => {
          summary.failed++;
          settings.logs.op.error("CANNOT READ: {path} - {reason}", {
            path: showPath(op.path),
            reason: describeError(err),
          });
        },
      },
    );
    switch (prepared.status) {
      case "unavailable":
        if (prepared.side === "destination") {
          settings.logs.daemon.error("DESTINATION UNAVAILABLE: {dest} - {reason}; pass skipped", {
            dest: settings.dest,
            reason: prepared.reason,
          });
        } // the source's is logged by #noteSource
        summary.skipped = `${prepared.side} unavailable: ${prepared.reason}`;
        return;
      case "vetoed":
        this.#scope = prepared.scope;
        this.#sweptOnce(sweep, prepared.scope);
        this.#noteVeto(prepared.veto);
        summary.skipped = `source guard: ${prepared.veto}`;
        return;
    }
    this.#scope = prepared.scope;
    this.#sweptOnce(sweep, prepared.scope);
    const guard = await guardDeletes(this.#owner, prepared.ops, {
      dest: this.#destEntries,
      full: prepared.scope.within === undefined,
    });
    this.#guarded = guard.guarded;
    this.#confirmed = guard.confirmed;
    this.#trackedBefore = guard.trackedBefore;
    summary.held = guard.held;
    const ops = this.#leaveBusy(guard.ops);
    settings.progress?.planned(summary.pass, summary.trigger, ops);
    const started = this.#now();
    // Entries this pass brings into the backup: deleting them again within the window is churn
    // (a build's temp files, a download and its partial file), not the loss of a backup.
    const entries = this.#owner.state.entries;
    const fresh = ops.flatMap((op) =>
      (op.op === "copy" || op.op === "mkdir" || op.op === "symlink") && !entries.has(op.path)
        ? [op.path]
        : []
    );
    try {
      await this.#execute(ops);
    } finally {
      this.#owner.memory.window.record(started, this.#trackedBefore, this.#deleted);
      this.#owner.memory.window.created(fresh);
    }
    await this.#owner.writer.sync();
    this.#scheduleBusy();
  }

  /** The destination root's listing when this full pass is pure creation (see chunked_walk.ts), else null. */
  #firstCopyRoot(): Promise<ScanResult | null> {
    const { settings, destination, state, suspects } = this.#owner;
    if ((settings.chunkOps ?? CHUNK_OPS) <= 0) return Promise.resolve(null);
    return firstCopyRoot({
      tracked: state.entries.size,
      suspects: suspects.size,
      realFolders: destination.capabilities.folders === "real",
      listRoot: () => destination.list({ under: "", shallow: true }),
    });
  }

  /**
   * The initial copy in chunks: the source walked, planned and applied a chunk of folders at
   * a time ({@link ChunkedWalk}), each chunk in the usual batches. Nothing is deleted or moved
   * (nothing is tracked, the destination is empty), so the mass-delete guard has nothing to
   * judge; the source guard is asked once the root is listed. The progress display hears the
   * first chunk as the plan and each later one through `morePlanned`.
   */
  async #runChunked(dst: ScanResult): Promise<void> {
    const { fs, settings, memory } = this.#owner;
    const summary = this.#summary;
    const excludes = this.#excludes();
    const walk = new ChunkedWalk({
      fs,
      source: settings.source,
      skip: excludes.sourceSkip,
      chunkOps: settings.chunkOps ?? CHUNK_OPS,
    });
    let first: Chunk | null;
    try {
      first = walk.next();
    } catch (err) {
      this.#noteSource(describeError(err));
      summary.skipped = `source unavailable: ${describeError(err)}`;
      return;
    }
    this.#noteSource(null);
    this.#scope = { src: emptyScan(), dst, within: undefined, excludes };
    const veto = settings.identity
      ? sourceVeto(fs, settings.source, settings.identity, 1, 0)
      : null;
    this.#noteVeto(veto);
    if (veto !== null) {
      summary.skipped = `source guard: ${veto}`;
      return;
    }
    await this.#removeTemps(dst);
    // No deletes: this only settles a hold or a confirmation left from before, as a full pass does.
    const guard = await guardDeletes(this.#owner, [], { dest: dst.entries, full: true });
    this.#confirmed = guard.confirmed;
    const started = this.#now();
    // `first` is let go once it is `chunk`: holding it kept its operations (and their entries and
    // paths) alive for the whole copy, a chunk's worth of heap (seen in a heap snapshot).
    let chunk: Chunk | null = first;
    first = null;
    try {
      for (let turn = 0; chunk !== null; chunk = walk.next(), turn++) {
        if (turn === 0) settings.progress?.planned(summary.pass, summary.trigger, chunk.ops);
        else settings.progress?.morePlanned?.(chunk.ops);
        this.#reportChunk(chunk);
        const ops = this.#leaveBusy(chunk.ops, false);
        memory.window.created(ops.flatMap((op) => op.op === "meta" ? [] : [op.path]));
        await this.#execute(ops);
        if (this.#renameFailed || summary.skipped !== null || summary.interrupted) break;
        if (settings.signal?.aborted) {
          summary.interrupted = true;
          break;
        }
      }
    } finally {
      memory.window.record(started, 0, this.#deleted);
    }
    this.#reportRuleProblems(excludes);
    await this.#owner.writer.sync();
    this.#scheduleBusy();
  }

  /** Logs and counts what a chunk's listings could not read or skipped, and folders gone since. */
  #reportChunk(chunk: Chunk): void {
    const summary = this.#summary;
    const { problems } = chunk;
    this.#logScanProblems(problems);
    for (const count of problems.badNames.values()) summary.badNames += count;
    summary.unreadable += problems.unreadable.size;
    for (const dir of chunk.vanished) {
      summary.retrySoon = true; // its folder was created: the next pass removes it
      summary.retryDirs.add(parentOf(dir));
    }
  }

  /**
   * The slice of the rolling sweep a full pass lists of a local destination (see
   * lib/engine/dest_sweep.ts); undefined for a partial pass, or to list it whole.
   */
  #sweepSlice(folders: ReadonlySet<string> | undefined): SweepSlice | undefined {
    const { fs, settings, destination } = this.#owner;
    const rounds = settings.destSweep ?? DEFAULT_SWEEP_ROUNDS;
    if (folders || rounds <= 1 || destination.capabilities.folders !== "real") return undefined;
    return { round: readSweepRound(fs, settings.dest), rounds };
  }

  /** A pass that listed by the sweep: counted in the summary, and the next one lists the next slice. */
  #sweptOnce(sweep: SweepSlice | undefined, scope: PassScope): void {
    if (!sweep || !scope.swept) return;
    this.#summary.sweep = scope.swept;
    if (!saveSweepRound(this.#owner.fs, this.#owner.settings.dest, sweep.round + 1)) {
      this.#owner.settings.logs.daemon.debug("SWEEP ROUND NOT SAVED: {dest}", {
        dest: this.#owner.settings.dest,
      });
    }
  }

  /** The clock. */
  #now(): number {
    return (this.#owner.settings.now ?? Date.now)();
  }

  /**
   * Leaves out the copies of busy files whose next try is not due (counted as busy), so that a
   * watcher firing on every write of a growing file does not copy it again and again. A full
   * pass forgets the busy files it no longer plans to copy.
   */
  #leaveBusy(ops: FileOp[], whole = true): FileOp[] {
    const { busy } = this.#owner.memory;
    if (whole && this.#scope!.within === undefined) {
      busy.keepOnly(new Set(ops.filter((op) => op.op === "copy").map((op) => op.path)));
    }
    if (busy.size === 0) return ops;
    const now = this.#now();
    return ops.filter((op) => {
      if (op.op !== "copy" || !busy.waiting(op.path, now)) return true;
      this.#summary.busy++;
      this.#summary.retryDirs.add(parentOf(op.path));
      return false;
    });
  }

  /** With busy files: the next pass comes when the first of them is due (other retries come sooner). */
  #scheduleBusy(): void {
    const summary = this.#summary;
    const { busy } = this.#owner.memory;
    if (summary.busy === 0 || busy.size === 0) return;
    if (summary.retrySoon) return; // something else wants a pass soon (after RETRY_SOON_MS)
    summary.retrySoon = true;
    summary.retryInMs = Math.max(1, busy.nextIn(this.#now()));
  }

  /**
   * A copy whose source changed under it is busy, not failed ({@link BusyFiles}); a copy
   * that worked ends its file's busy spell.
   */
  #noteBusy(batch: FileOp[], applied: Applied): void {
    const { busy } = this.#owner.memory;
    const now = this.#now();
    batch.forEach((op, i) => {
      if (op.op !== "copy") return;
      const err = applied.outcomes[i];
      if (err === null) busy.forget(op.path);
      else if (err instanceof SourceChangedError && !(err instanceof SourceVanishedError)) {
        applied.outcomes[i] = busy.found(op.path, now);
      }
    });
  }

  /** The pass's exclude rules, read afresh: a changed rule applies from the next pass on. */
  #excludes(): PassExcludes {
    const { fs, settings } = this.#owner;
    return passExcludes(fs, settings.source, {
      patterns: typeof settings.excludes === "function"
        ? settings.excludes()
        : settings.excludes ?? [],
      deleteExcluded: settings.deleteExcluded ?? false,
    });
  }

  /** Logs the source going away (once per outage) and coming back. */
  #noteSource(failure: string | null): void {
    const { settings, memory } = this.#owner;
    const { source, logs } = settings;
    if (failure !== null) {
      if (memory.sourceDown === null) {
        logs.daemon.error(
          "SOURCE UNAVAILABLE: {source} - {reason}; nothing is deleted, retrying every pass",
          { source, reason: failure },
        );
      }
      memory.sourceDown = failure;
      return;
    }
    if (memory.sourceDown !== null) {
      logs.daemon.info("SOURCE AVAILABLE AGAIN: {source}", { source });
      memory.sourceDown = null;
    }
  }

  /** Logs a source-guard veto (once per distinct reason) and the guard letting passes go again. */
  #noteVeto(veto: string | null): void {
    const { settings, memory } = this.#owner;
    if (veto !== null && memory.veto !== veto) {
      settings.logs.daemon.error(
        "SOURCE GUARD: {reason}; nothing is deleted or copied until it is back (or run once with --new-source)",
        { reason: veto },
      );
    }
    if (veto === null && memory.veto !== null) {
      settings.logs.daemon.info("SOURCE GUARD: the source is back");
    }
    memory.veto = veto;
  }

  /** Removes the temp files a crash left in the destination; updates their folders' scanned mtime. */
  async #removeTemps(dst: ScanResult): Promise<void> {
    const { destination, settings } = this.#owner;
    const { logs } = settings;
    const summary = this.#summary;
    for (const tmp of dst.temps) {
      try {
        await destination.remove(tmp);
        summary.tempsRemoved++;
        // Removing it changed its folder's mtime after the scan saw it: look again.
        const parent = parentOf(tmp);
        const seen = dst.entries.get(parent); // a copy (packed entries): set it back
        if (seen) {
          dst.entries.set(parent, { ...seen, mtimeMs: (await destination.stat(parent)).mtimeMs });
        }
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
  }

  /** Logs and counts what the source scan could not read or skipped, and unreadable rule files. */
  #reportScanProblems(scope: PassScope): void {
    const { src } = scope;
    const summary = this.#summary;
    this.#logScanProblems(src);
    summary.unreadable = src.unreadable.size;
    summary.badNames = [...src.badNames.values()].reduce((sum, count) => sum + count, 0);
    this.#reportRuleProblems(scope.excludes);
  }

  /** Logs what a source listing skipped or could not read (a whole scan's, or a chunk's). */
  #logScanProblems(scan: ScanResult): void {
    const { logs } = this.#owner.settings;
    if (scan.reservedSkipped) this.#reportReserved();
    for (const [path, reason] of scan.unreadable) {
      logs.op.error("CANNOT READ: {path} - {reason}; its backup is kept", {
        path: showPath(path),
        reason,
      });
    }
    for (const [dir, count] of scan.badNames) {
      logs.op.warn(
        "SKIPPED {count} names that are not valid UTF-8 in folder {dir}; their backups are kept",
        { count, dir: dir === "" ? "." : showPath(dir) },
      );
    }
  }

  /** Logs the reserved name found at the top of the source (skipped). */
  #reportReserved(): void {
    this.#owner.settings.logs.daemon.warn(
      "SKIPPED: a folder at the top of the source has the backup's reserved name ({name}; .backup too while an older destination that uses it runs) and is not backed up",
      { name: RESERVED_DIR },
    );
  }

  /** Logs the rule files that could not be read. */
  #reportRuleProblems(excludes: PassExcludes): void {
    for (const [path, reason] of excludes.rules.problems) {
      this.#owner.settings.logs.op.warn(
        "CANNOT READ EXCLUDE RULES: {path} - {reason}; its rules are not applied",
        { path: showPath(path), reason },
      );
    }
  }

  /** What the destination held when the pass scanned it. */
  get #destEntries(): ReadonlyMap<string, Entry> {
    return this.#scope!.dst.entries;
  }

  /** Runs `ops` in batches; stops after a failed rename (the rest is re-planned) or an abort. */
  async #execute(ops: FileOp[]): Promise<void> {
    const { settings } = this.#owner;
    const batchSize = settings.batchSize ?? 256;
    const batchBytes = settings.batchBytes ?? 64 * 1024 * 1024;
    const batches: FileOp[][] = [];
    let batch: FileOp[] = [];
    let bytes = 0;
    for (const op of ops) {
      const first = batch[0];
      if (
        first &&
        (batch.length >= batchSize || bytes >= batchBytes || (isDirMeta(op) && !isDirMeta(first)))
      ) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(op);
      if (op.op === "copy") bytes += op.src.size;
    }
    if (batch.length > 0) batches.push(batch);
    // The next batch's copies are staged while a batch waits for the disk (stage_ahead.ts); with
    // a helper, its small copies by the worker, up to HELPER_AHEAD batches ahead, and the rest in
    // line once the helper's are taken over: a batch's `syncfs` goes through the file staged
    // first (apply.ts `syncStaged`), which the order of taking over must then be.
    const ahead = canStageAhead(this.#apply);
    const helper = ahead ? this.#helperFor(ops) : null;
    const helped: (Promise<StagedAhead> | null)[] = batches.map(() => null);
    const post = (k: number) => {
      if (helper !== null && k < batches.length) {
        helped[k] = stageWithHelper(this.#apply, helper, batches[k]!);
      }
    };
    let next: Promise<StagedAhead> | null = null;
    let staged: Promise<StagedAhead> | null = null;
    try {
      for (let k = 0; k < HELPER_AHEAD; k++) post(k);
      for (let k = 0; k < batches.length; k++) {
        staged = joinStaged(next, helped[k] ?? null);
        next = null;
        helped[k] = null;
        post(k + HELPER_AHEAD);
        const following = ahead && helper === null ? batches[k + 1] : undefined;
        await this.#runBatch(batches[k]!, staged, () => {
          if (following) next = stageAhead(this.#apply, following);
        });
        if (this.#renameFailed || this.#summary.skipped !== null) return;
        if (settings.signal?.aborted) {
          this.#summary.interrupted = true;
          return;
        }
      }
    } finally {
      // The pass stopped (or failed, the journal say) with copies staged ahead and not taken
      // by their batch: their temp files go (what a batch took, its commit or discard handles).
      for (const pending of [staged, next, ...helped]) {
        if (pending !== null) await discardAhead(await pending);
      }
    }
  }

  /**
   * The helper that stages small copies on the other core (lib/base/copy_helper.ts), started
   * once a pass meets {@link HELPER_FROM} small copies in one go, where the destination lets
   * another thread stage (a local folder pinned by the native layer) and the source is read
   * through the real file system; null otherwise. Closed when the pass ends.
   */
  #helperFor(ops: FileOp[]): CopyHelper | null {
    if (this.#helper !== undefined) return this.#helper;
    const ctx = this.#apply;
    const { destination } = ctx;
    if (ctx.fs.direct !== true || !nativeAvailable()) return null;
    if (destination.openStaging === undefined || destination.adoptStaged === undefined) {
      return null;
    }
    let small = 0;
    for (const op of ops) if (isSmallCopy(op)) small++;
    if (small < HELPER_FROM) return null;
    if ((openFileLimit() ?? 0) < HELPER_MIN_OPEN_FILES) return null;
    let fd: number | null;
    try {
      fd = destination.openStaging();
    } catch {
      fd = null;
    }
    this.#helper = fd === null ? null : new CopyHelper(ctx.source, fd);
    return this.#helper;
  }

  /** The reason journaled for an operation on `path`: `replay` for what a crash interrupted. */
  #reasonOf(path: string): Trigger {
    return this.#owner.replayPaths.has(path) ? "replay" : this.#summary.trigger;
  }

  /**
   * One batch: intents made durable, applied, folders synced, outcomes journaled and reported.
   * None of it when the destination is not the pinned one any more: the pass stops there,
   * skipped (the rest is planned again once the destination is back).
   */
  async #runBatch(
    batch: FileOp[],
    staged: Promise<StagedAhead> | null = null,
    onStaged: () => void = () => {},
  ): Promise<void> {
    const changed = this.#summary.skipped !== null ? null : this.#destinationChanged();
    if (this.#summary.skipped !== null || changed !== null) {
      if (staged !== null) await discardAhead(await staged);
      if (changed === null) return;
      this.#summary.skipped = `destination changed: ${changed}`;
      this.#summary.interrupted = true;
      return;
    }
    const { state, writer } = this.#owner;
    const versions = await this.#versionsFor(batch);
    const intents = await writer.append(
      batch.map((op, i) => intentFor(op, this.#reasonOf(op.path), versions[i])),
    );
    for (const record of intents) foldRecord(state, record);
    await writer.sync();

    const applied = await this.#applyBatch(batch, versions, (await staged) ?? new Map(), onStaged);
    await this.#syncTouchedFolders(batch, applied);
    this.#noteBusy(batch, applied);

    const completions = this.#completions(batch, intents, applied);
    for (const record of await writer.append(completions)) foldRecord(state, record);
    this.#reportBatch(batch, applied);
  }

  /**
   * Versioning: picks a version name for each operation that would delete or
   * replace a file (`undefined` for the others).
   */
  async #versionsFor(batch: FileOp[]): Promise<(string | undefined)[]> {
    const { destination, settings, state } = this.#owner;
    if (!settings.keepVersions) return [];
    const ms = (settings.now ?? Date.now)();
    const taken = new Set<string>();
    const renames = this.#renames;
    const batchStart = renames.length;
    const dest = this.#destEntries;
    const versions: (string | undefined)[] = [];
    // Whether the entry at `p` before the renames from `first` on is at `to` after them.
    const landsAt = (p: string, first: number, to: string) => {
      let at = p;
      for (let k = first; k < renames.length; k++) {
        const r = renames[k]!;
        if (isAtOrBelow(at, r.from)) at = r.path + at.slice(r.from.length);
      }
      return at === to;
    };
    for (const op of batch) {
      // Whether a file sits at op.path when op runs. The scan predates the pass's moves, so the
      // place is followed back through the pass's moves before it, and what was there must not
      // have moved away since (`mv p p2; mkdir p; mv p2/x p/x` renames x into an empty new p);
      // the state knows what moves of earlier batches did, so for it only this batch's count.
      // (The scan alone missed `e/f.txt` after a move of `d` to `e`: its old content went
      // unversioned.)
      const scanned = beforeRenames(op.path, renames);
      const known = beforeRenames(op.path, renames.slice(batchStart));
      const holdsFile = (dest.get(scanned)?.kind === "file" && landsAt(scanned, 0, op.path)) ||
        (state.entries.get(known)?.kind === "file" && landsAt(known, batchStart, op.path));
      if (op.op === "move") renames.push({ from: op.from, path: op.path });
      if (op.op === "mkdir" || op.op === "meta" || !holdsFile) {
        versions.push(undefined);
        continue;
      }
      this.#owner.versionAllocated();
      versions.push(await allocateVersion(destination, op.path, { ms, taken }));
    }
    return versions;
  }

  /**
   * Applies a batch whose intents are durable: simple operations at once, copies written (or
   * taken from `staged`, written ahead) then committed together. `onStaged` is called once
   * every copy of the batch is written, before they are made durable.
   */
  async #applyBatch(
    batch: FileOp[],
    versions: (string | undefined)[],
    staged: StagedAhead,
    onStaged: () => void,
  ): Promise<Applied> {
    const ctx = this.#apply;
    const outcomes: unknown[] = new Array(batch.length).fill(null);
    const copies: CopyFacts[] = batch.map(() => ({}));
    const versionFolders: [number, string[]][] = [];
    const written: { index: number; copy: PreparedCopy }[] = [];
    const checked = new Set<string>();
    const writable = new Set<string>();
    const applyOne = async (i: number) => {
      const op = batch[i]!;
      const ahead = staged.get(i);
      staged.delete(i);
      if (this.#renameFailed) {
        await ahead?.staged.discard();
        // The rest of the plan assumed that rename: re-plan from disk instead.
        outcomes[i] = new PlanInvalidError(
          "a rename before it failed; re-planned by the next pass",
        );
        return;
      }
      try {
        // Already gone (its folder too, perhaps, after a crash): a delete is done.
        if (op.op === "delete" && !(await destinationHas(ctx.destination, op.path))) return;
        await assertInside(ctx, op.path, checked);
        if (op.op === "move") {
          await assertInside(ctx, op.from, checked);
          await ensureWritableParent(ctx, op.from, writable);
        }
        if (op.op !== "meta") await ensureWritableParent(ctx, op.path, writable);
        const version = versions[i];
        if (op.op === "copy") {
          const copy = ahead ?? await prepareCopy(ctx, op);
          if (version !== undefined) copy.version = version;
          written.push({ index: i, copy });
        } else {
          const folders = await applySimple(ctx, op, version !== undefined ? { version } : {});
          versionFolders.push([i, folders]);
        }
      } catch (err) {
        // Not committed (a check before it failed): what was staged ahead goes.
        if (ahead && written.at(-1)?.copy !== ahead) await ahead.staged.discard();
        outcomes[i] = err;
        if (op.op === "move") this.#renameFailed = true;
      }
    };
    for (let i = 0; i < batch.length;) {
      const run = this.#folderRun(batch, i);
      if (run === null) await applyOne(i++);
      else {
        for (const level of run) await eachLimited(level, FOLDER_CONCURRENCY, applyOne);
        i += run.reduce((n, level) => n + level.length, 0);
      }
    }
    await discardAhead(staged);
    onStaged();
    const committed = await commitCopies(ctx, written.map((pending) => pending.copy));
    written.forEach(({ index, copy }, position) => {
      outcomes[index] = committed[position];
      copies[index] = { hash: copy.hash, bytes: copy.bytes, racy: copy.racy };
    });
    return { outcomes, copies, versionFolders };
  }

  /**
   * Where folders are marker objects (a bucket), the run of folder creations or of metadata
   * changes that starts at `from`, as the indexes to apply side by side: creations by depth, a
   * level at a time (a folder's marker after its parent's), changes all at once (a marker's
   * metadata does not change when what is below it does). These are one to three requests each
   * (`HEAD`s and a `PUT` or a `COPY`), a hundred folders a second otherwise. Null for any other
   * operation or destination: applied alone, in order.
   */
  #folderRun(batch: FileOp[], from: number): number[][] | null {
    if (this.#owner.destination.capabilities.folders !== "markers") return null;
    const kind = batch[from]!.op;
    if (kind !== "mkdir" && kind !== "meta") return null;
    let to = from;
    while (to < batch.length && batch[to]!.op === kind) to++;
    if (to - from < 2) return null;
    const indexes = Array.from({ length: to - from }, (_, k) => from + k);
    if (kind === "meta") return [indexes];
    const depth = (i: number) => batch[i]!.path.split("/").length;
    const levels = new Map<number, number[]>();
    for (const i of indexes) levels.set(depth(i), [...(levels.get(depth(i)) ?? []), i]);
    return [...levels.keys()].sort((a, b) => a - b).map((d) => levels.get(d)!);
  }

  /** One fsync per touched folder makes the renames, creates and unlinks durable. */
  async #syncTouchedFolders(batch: FileOp[], applied: Applied): Promise<void> {
    const { destination } = this.#owner;
    const { outcomes } = applied;
    const folders = new Map<string, number[]>();
    const touch = (folder: string, i: number) => {
      const indexes = folders.get(folder) ?? [];
      indexes.push(i);
      folders.set(folder, indexes);
    };
    batch.forEach((op, i) => {
      if (outcomes[i] !== null || op.op === "meta") return;
      for (const rel of op.op === "move" ? [op.path, op.from] : [op.path]) touch(parentOf(rel), i);
    });
    for (const [i, versionFolders] of applied.versionFolders) {
      if (outcomes[i] !== null) continue;
      for (const folder of versionFolders) touch(folder, i);
    }
    await Promise.all([...folders].map(async ([folder, indexes]) => {
      try {
        await destination.sync(folder);
      } catch (err) {
        // A folder deleted later in the same batch, or below one a file replaced in it: the
        // sync of the folder that held it covers its removal, and what was in it is gone.
        if (isMissing(err)) return;
        for (const i of indexes) outcomes[i] = err;
      }
    }));
  }

  /** The `done` or `failed` record of each operation of a batch. */
  #completions(batch: FileOp[], intents: JournalRecord[], applied: Applied): Unstamped[] {
    const now = (this.#owner.settings.now ?? Date.now)();
    return batch.map((op, i) =>
      completionFor(op, intents[i]!.seq, applied.outcomes[i], applied.copies[i]!, now)
    );
  }

  /** Logs, counts and tells the progress display each operation of a batch; remembers failed renames. */
  #reportBatch(batch: FileOp[], applied: Applied): void {
    const { settings, badMoves } = this.#owner;
    const summary = this.#summary;
    const hinted = this.#hinted;
    const dest = this.#destEntries;
    batch.forEach((op, i) => {
      const err = applied.outcomes[i];
      const bytes = applied.copies[i]!.bytes;
      reportOp(
        settings.logs.op,
        summary,
        op,
        err,
        bytes,
        dest.get(op.path),
        this.#reasonOf(op.path),
      );
      settings.progress?.applied(
        op.op,
        op.path,
        bytes ?? 0,
        outcomeOf(err),
        err === null ? null : describeError(err),
      );
      if (err !== null && op.op === "move") badMoves.add(moveKey(op.from, op.path));
      if (err === null && op.op === "delete" && this.#guarded.has(op.path)) {
        if (!this.#confirmed.has(op.path)) this.#deleted.push(op.path);
      }
      // A full pass that finds a change in a folder the watcher never named: a missed event.
      if (err === null && hinted && op.op !== "meta" && !hinted.has(parentOf(op.path))) {
        summary.missed++;
      }
    });
  }
}
