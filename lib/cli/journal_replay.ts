/**
 * `backup journal replay --dest B [--dry-run]`: re-runs the operations a
 * crash left unfinished.
 *
 * Every operation is idempotent and the rescan is the truth, so the honest
 * replay is what a start does: take the lock, replay the journal into the
 * state (truncating a torn tail), close the unfinished intents, and run one
 * reconcile pass from the source the journal names, which re-checks those
 * paths on disk. `--dry-run` prints the unfinished operations and the plan of
 * that pass, and changes nothing (not even the journal or the lock file).
 *
 * @module
 */

import type { PlanOp } from "../engine/plan.ts";
import type { Kind } from "../base/fs.ts";
import { EXIT, RootError } from "../base/errors.ts";
import { Reconciler } from "../engine/reconciler.ts";
import { formatBytes } from "../base/units.ts";
import { checkRoots, heldDeletes } from "../engine/guard.ts";
import { describeError } from "../base/errors.ts";
import { isAtOrBelow, join, showPath } from "../base/paths.ts";
import { plan } from "../engine/plan.ts";
import { scanTree } from "../engine/scan.ts";
import { destScan, passExcludes } from "../engine/excludes.ts";
import { loadSettings } from "./settings.ts";
import { establishIdentity, readIdentity, sourceVeto } from "../engine/source_guard.ts";
import { acquireLock, LOG_FILE, prepareReserved, probeLock } from "../dest/reserved.ts";
import { StatusRecorder } from "../report/status.ts";
import { rowOf } from "../journal/history.ts";
import { replayJournal } from "../journal/replay.ts";
import { reservedDir } from "../journal/segments.ts";
import { columns, rowHeader, rowJson, rowLine } from "./format.ts";
import { findJournal, type JournalDeps, type ReplayOptions } from "./journal_common.ts";

/** Words for a planned operation, for people. */
function planWords(op: PlanOp): string {
  switch (op.op) {
    case "verify":
      return "hash both sides, then copy, update metadata or leave it";
    case "copy":
      return formatBytes(op.src.size);
    default:
      return "";
  }
}

function planPath(op: PlanOp): string {
  const from = (op as { from?: unknown }).from;
  return typeof from === "string" ? `${showPath(from)} -> ${showPath(op.path)}` : showPath(op.path);
}

/**
 * Prints what a replay would do. Reads the journal, the source and the
 * destination; writes nothing.
 */
function dryRun(opts: ReplayOptions, deps: JournalDeps, dest: string, dir: string): number {
  const out = deps.out;
  const { state, summary, refused } = replayJournal(deps.fs, dir, { repair: false });
  const lock = probeLock(deps.fs, dest);
  const json = opts.json;
  if (!json) out(`dry run: nothing is changed. A replay of ${dest} would:`);

  if (summary.tornTail) {
    const t = summary.tornTail;
    if (json) out(JSON.stringify({ type: "tornTail", ...t }));
    else out(`- truncate the torn tail of ${t.segment} at byte ${t.offset} (${t.bytes} bytes)`);
  }
  for (const r of refused) {
    if (json) out(JSON.stringify({ type: "refused", ...r }));
    else out(`- refuse record seq ${r.seq}: ${JSON.stringify(r.path)} (${r.reason})`);
  }
  const pending = [...state.pending.values()];
  if (!json) {
    out(`- close ${pending.length} unfinished operations and re-check their paths:`);
    if (pending.length > 0) out("  " + rowHeader());
  }
  for (const intent of pending) {
    const row = rowOf(intent);
    out(json ? rowJson(row, { type: "unfinished" }) : "  " + rowLine(row));
  }

  const source = summary.source;
  let ops: PlanOp[] = [];
  let skipped: string | null = null;
  let temps: string[] = [];
  let held = 0;
  if (source === null) {
    skipped = "the journal names no source yet";
  } else {
    try {
      if (deps.fs.lstat(source).kind !== "dir") throw new Error("not a folder");
      const settings = loadSettings(deps.fs, dest);
      const excludes = passExcludes(deps.fs, source, {
        patterns: settings.excludes,
        deleteExcluded: settings.deleteExcluded,
      });
      const src = scanTree(deps.fs, source, { skip: excludes.sourceSkip });
      const dst = scanTree(deps.fs, dest, destScan(excludes));
      temps = dst.temps;
      const identity = readIdentity(deps.fs, dest);
      const veto = identity
        ? sourceVeto(deps.fs, source, identity, src.entries.size + src.skipped, state.entries.size)
        : null;
      if (veto !== null) throw new Error(`the source guard would stop it: ${veto}`);
      const unreadable = [...src.unreadable.keys()];
      const protect = (rel: string, kind: Kind) =>
        unreadable.some((u) => isAtOrBelow(rel, u)) || excludes.keeps(rel, kind);
      ops = plan(src.entries, state.entries, dst.entries, { protect });
      // The mass-delete guard, as the pass would apply it with the recorded limits.
      held = heldDeletes(ops, dst.entries, state.entries.size, settings.deleteLimits).length;
    } catch (err) {
      skipped = `source ${source}: ${describeError(err)}`;
    }
  }
  for (const t of temps) {
    if (json) out(JSON.stringify({ type: "temp", path: t }));
  }
  if (!json && temps.length > 0) {
    out(
      `- remove ${temps.length} leftover temp files: ${
        temps.slice(0, 10).map(showPath).join(", ")
      }${temps.length > 10 ? ", ..." : ""}`,
    );
  }
  if (skipped !== null) {
    if (!json) out(`- skip its pass (${skipped}); nothing would be deleted`);
  } else {
    if (!json) out(`- run one reconcile pass from ${source}: ${ops.length} operations`);
    for (const op of ops) {
      if (json) {
        const o: Record<string, unknown> = { type: "plan", op: op.op, path: op.path };
        const from = (op as { from?: unknown }).from;
        if (typeof from === "string") o.from = from;
        if ("src" in op) o.size = op.src.size;
        out(JSON.stringify(o));
      } else {
        out("  " + columns([op.op, planPath(op), planWords(op)], [7, 0]));
      }
    }
  }
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op.op] = (counts[op.op] ?? 0) + 1;
  if (json) {
    out(JSON.stringify({
      type: "summary",
      dryRun: true,
      source,
      unfinished: pending.length,
      refused: refused.length,
      tornTail: summary.tornTail,
      temps: temps.length,
      operations: ops.length,
      counts,
      held,
      skipped,
      running: lock.held ? { pid: lock.pid } : null,
    }));
    return EXIT.OK;
  }
  if (held > 0) {
    out(
      `note: the mass-delete guard would hold these ${held} deletions (nothing deleted; exit 6) unless the daemon runs with --confirm-deletes`,
    );
  }
  if (lock.held) {
    out(
      `note: a daemon is running${
        lock.pid !== null ? ` (pid ${lock.pid})` : ""
      }, so a replay would be refused (exit 5); the daemon re-checked unfinished operations when it started`,
    );
  }
  return EXIT.OK;
}

/**
 * Runs `journal replay`. Returns the exit code: 0, or 6 when the pass had
 * errors or was skipped.
 *
 * @throws UsageError (no journal, no source), RootError (the source is
 *   gone), LockedError (a daemon runs), JournalCorruptError, JournalIoError.
 */
export async function runReplay(opts: ReplayOptions, deps: JournalDeps): Promise<number> {
  const { dest, dir } = findJournal(deps.fs, opts.dest, deps.cwd);
  if (opts.dryRun) return dryRun(opts, deps, dest, dir);
  const look = replayJournal(deps.fs, dir, { repair: false });
  const source = look.summary.source;
  if (source === null) {
    throw new RootError(
      `the journal in ${dest} names no source yet: run \`backup --src DIR --dest ${opts.dest}\``,
    );
  }
  let roots;
  try {
    roots = checkRoots(deps.fs, source, dest, deps.cwd);
  } catch (err) {
    if (!(err instanceof RootError)) throw err;
    throw new RootError(`cannot replay: the journal's source ${source}: ${err.message}`, {
      cause: err,
    });
  }
  const { logs } = deps;
  prepareReserved(deps.fs, roots.dest);
  // Locked before anything is written: a running daemon's log and identity are not touched.
  const lock = acquireLock(deps.fs, roots.dest);
  let rec: Reconciler;
  try {
    await deps.startLogging(join(reservedDir(roots.dest), LOG_FILE));
    logs.daemon.info("JOURNAL REPLAY: {source} -> {dest}", {
      source: roots.source,
      dest: roots.dest,
    });
    // The pass the daemon would make: its excludes, limits and versions, and the source guard.
    const settings = loadSettings(deps.fs, roots.dest);
    const guard = establishIdentity(deps.fs, roots.source, roots.dest);
    rec = await Reconciler.start(deps.fs, {
      source: roots.source,
      dest: roots.dest,
      logs,
      signal: deps.signal,
      identity: guard.identity,
      excludes: settings.excludes,
      deleteExcluded: settings.deleteExcluded,
      modeMask: settings.modeMask,
      deleteLimits: settings.deleteLimits,
      ...(settings.keepVersions ? { keepVersions: settings.keepVersions } : {}),
      lock,
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  let code: number = EXIT.OK;
  try {
    const status = new StatusRecorder(deps.fs, roots.dest, { source: roots.source });
    const s = await rec.pass("replay");
    status.record(s);
    await rec.maintain();
    if (s.failed > 0 || s.held > 0 || s.skipped !== null) code = EXIT.PARTIAL;
    const unfinished = look.state.pending.size;
    if (opts.json) {
      deps.out(JSON.stringify({
        type: "replay",
        unfinished,
        refused: look.refused.length,
        pass: s,
      }));
    } else {
      deps.out(
        `replayed: ${unfinished} unfinished operations closed and re-checked, ${look.refused.length} unsafe records refused; pass: ${s.copied} copied (${
          formatBytes(s.bytes)
        }), ${s.deleted} deleted, ${s.dirs} folders created, ${s.meta} updated, ${s.failed} errors${
          s.held > 0 ? `, ${s.held} deletions held (--confirm-deletes on the daemon)` : ""
        }${s.skipped !== null ? ` (skipped: ${s.skipped})` : ""}`,
      );
    }
  } finally {
    await rec.close();
  }
  return code;
}
