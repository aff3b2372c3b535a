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

import type { FileOp } from "../engine/pass_plan.ts";
import { describeError, EXIT, RootError } from "../base/errors.ts";
import { Reconciler } from "../engine/reconciler.ts";
import { formatBytes, plural } from "../base/units.ts";
import { checkRoots, heldDeletes, type Roots } from "../engine/guard.ts";
import { createHasher } from "../base/hash.ts";
import { join, showPath } from "../base/paths.ts";
import { passExcludes } from "../engine/excludes.ts";
import { interruptedPaths, preparePass } from "../engine/prepare.ts";
import { loadSettings, startAsSaved } from "./settings.ts";
import { readIdentity } from "../engine/source_guard.ts";
import { acquireLock, probeLock } from "../dest/reserved.ts";
import { ReservedFolder } from "../dest/reserved_folder.ts";
import { LocalDestination } from "../dest/local.ts";
import { LOG_FILE, reservedDir } from "../base/layout.ts";
import { StatusRecorder } from "../report/status.ts";
import { rowOf } from "../journal/history.ts";
import { replayJournal } from "../journal/replay.ts";
import { columns, rowHeader, rowJson, rowLine } from "./format.ts";
import { findJournal, type JournalDeps, type ReplayOptions } from "./journal_common.ts";

/** Words for a planned operation, for people. */
function planWords(op: FileOp): string {
  return op.op === "copy" ? formatBytes(op.src.size) : "";
}

/** The path of a planned operation, for people (`from -> to` for a move). */
function planPath(op: FileOp): string {
  return op.op === "move" ? `${showPath(op.from)} -> ${showPath(op.path)}` : showPath(op.path);
}

/**
 * Prints what a replay would do: its pass is prepared as the real one is
 * ({@link preparePass}, with the unfinished operations' paths checked by
 * hash). Reads the journal, the source and the destination; writes nothing.
 */
async function dryRun(
  opts: ReplayOptions,
  deps: JournalDeps,
  dest: string,
  dir: string,
): Promise<number> {
  const out = deps.out;
  const { state, summary, refused } = replayJournal(deps.fs, dir, { repair: false });
  const lock = probeLock(deps.fs, dest);
  const json = opts.json;
  if (!json) out(`dry run: nothing is changed. A replay of ${dest} would:`);

  if (summary.tornTail) {
    const torn = summary.tornTail;
    if (json) out(JSON.stringify({ type: "tornTail", ...torn }));
    else {
      out(
        `- truncate the torn tail of ${torn.segment} at byte ${torn.offset} (${torn.bytes} bytes)`,
      );
    }
  }
  for (const record of refused) {
    if (json) out(JSON.stringify({ type: "refused", ...record }));
    else {out(
        `- refuse record seq ${record.seq}: ${JSON.stringify(record.path)} (${record.reason})`,
      );}
  }
  const pending = [...state.pending.values()];
  if (!json) {
    if (pending.length === 0) out("- no unfinished operations to close");
    else {
      out(`- close ${plural(pending.length, "unfinished operation")} and re-check their paths:`);
      out("  " + rowHeader());
    }
  }
  for (const intent of pending) {
    const row = rowOf(intent);
    out(json ? rowJson(row, { type: "unfinished" }) : "  " + rowLine(row));
  }

  const source = summary.source;
  let ops: FileOp[] = [];
  let skipped: string | null = null;
  let temps: string[] = [];
  let held = 0;
  if (source === null) {
    skipped = "the journal names no source yet";
  } else {
    const destination = new LocalDestination(deps.fs, dest);
    try {
      const settings = loadSettings(deps.fs, dest);
      const excludes = passExcludes(deps.fs, source, {
        patterns: settings.excludes,
        deleteExcluded: settings.deleteExcluded,
      });
      const prepared = await preparePass(
        {
          fs: deps.fs,
          hasher: await createHasher(),
          source,
          destination,
        },
        {
          state: state.entries,
          suspects: interruptedPaths(pending),
          excludes,
          identity: readIdentity(deps.fs, dest),
        },
      );
      if (prepared.status === "unavailable") {
        skipped = `source ${source}: ${prepared.reason}`;
      } else {
        temps = prepared.scope.dst.temps;
        if (prepared.status === "vetoed") {
          skipped = `source ${source}: the source guard would stop it: ${prepared.veto}`;
        } else {
          // A racy file's re-check found unchanged is journal bookkeeping, not a change to show.
          ops = prepared.ops.filter((op) => !(op.op === "meta" && op.recheck));
          // The mass-delete guard, as the pass would apply it with the recorded limits.
          held = heldDeletes(
            ops,
            prepared.scope.dst.entries,
            state.entries.size,
            settings.deleteLimits,
          ).length;
        }
      }
    } catch (err) {
      skipped = `source ${source}: ${describeError(err)}`;
    } finally {
      destination.close();
    }
  }
  for (const temp of temps) {
    if (json) out(JSON.stringify({ type: "temp", path: temp }));
  }
  if (!json && temps.length > 0) {
    out(
      `- remove ${plural(temps.length, "leftover temp file")}: ${
        temps.slice(0, 10).map(showPath).join(", ")
      }${temps.length > 10 ? ", ..." : ""}`,
    );
  }
  if (skipped !== null) {
    if (!json) out(`- skip its pass (${skipped}); nothing would be deleted`);
  } else {
    if (!json) out(`- run one reconcile pass from ${source}: ${plural(ops.length, "operation")}`);
    for (const op of ops) {
      if (json) {
        const planned: Record<string, unknown> = { type: "plan", op: op.op, path: op.path };
        if (op.op === "move") planned.from = op.from;
        if (op.op !== "delete") planned.size = op.src.size;
        out(JSON.stringify(planned));
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
 * errors, was skipped or skipped names that are not valid UTF-8.
 *
 * @throws UsageError (no journal, no source), RootError (the source is
 *   gone), LockedError (a daemon runs), JournalCorruptError, JournalIoError.
 */
export async function runReplay(opts: ReplayOptions, deps: JournalDeps): Promise<number> {
  const { dest, dir } = findJournal(deps.fs, opts.dest, deps.cwd);
  if (opts.dryRun) {
    // DEST/.backup is read through its pin, never through a symlink planted in it (issue 12).
    const reserved = ReservedFolder.openExisting(deps.fs, dest);
    try {
      return await dryRun(opts, { ...deps, fs: reserved.fs }, dest, dir);
    } finally {
      reserved.close();
    }
  }
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
  // DEST/.backup is reached through its pin, never through a symlink planted in it (issue 12).
  const reserved = ReservedFolder.open(deps.fs, roots.dest);
  try {
    return await replayPinned(opts, { ...deps, fs: reserved.fs }, roots, look);
  } finally {
    reserved.close();
  }
}

/** The replay proper, with `deps.fs` reaching `DEST/.backup` through its pin. */
async function replayPinned(
  opts: ReplayOptions,
  deps: JournalDeps,
  roots: Roots,
  look: ReturnType<typeof replayJournal>,
): Promise<number> {
  const { logs } = deps;
  // Locked before anything is written: a running daemon's log and identity are not touched.
  const lock = acquireLock(deps.fs, roots.dest);
  let reconciler: Reconciler;
  try {
    await deps.startLogging(join(reservedDir(roots.dest), LOG_FILE));
    logs.daemon.info("JOURNAL REPLAY: {source} -> {dest}", {
      source: roots.source,
      dest: roots.dest,
    });
    // The pass the daemon would make: its excludes, limits and versions, and the source guard.
    reconciler = await startAsSaved(deps.fs, roots, { logs, signal: deps.signal, lock });
  } catch (err) {
    lock.release();
    throw err;
  }
  let code: number = EXIT.OK;
  try {
    const status = new StatusRecorder(deps.fs, roots.dest, { source: roots.source });
    const pass = await reconciler.pass("replay");
    status.record(pass);
    await reconciler.maintain();
    const partial = pass.failed > 0 || pass.held > 0 || pass.skipped !== null || pass.badNames > 0;
    if (partial) code = EXIT.PARTIAL;
    const unfinished = look.state.pending.size;
    if (opts.json) {
      deps.out(JSON.stringify({
        type: "replay",
        unfinished,
        refused: look.refused.length,
        pass,
      }));
    } else {
      deps.out(
        `replayed: ${plural(unfinished, "unfinished operation")} closed and re-checked, ${
          plural(look.refused.length, "unsafe record")
        } refused; pass: ${pass.copied} copied (${
          formatBytes(pass.bytes)
        }), ${pass.deleted} deleted, ${plural(pass.dirs, "folder")} created, ${
          plural(pass.links, "symlink")
        } created, ${pass.meta} updated, ${plural(pass.failed, "error")}${
          pass.held > 0
            ? `, ${plural(pass.held, "deletion")} held (--confirm-deletes on the daemon)`
            : ""
        }${pass.skipped !== null ? ` (skipped: ${pass.skipped})` : ""}`,
      );
    }
  } finally {
    await reconciler.close();
  }
  return code;
}
