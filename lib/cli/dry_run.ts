/**
 * `backup --src A [--dest B] --dry-run [--json]`: prints the plan of one full
 * pass and changes nothing.
 *
 * Built from the read-only pieces, not from `Reconciler.start` (which takes
 * the lock, repairs a torn tail and writes the journal): the journal is
 * replayed without repair, and the pass is prepared as the daemon's is
 * ({@link preparePass}: the same scans and excludes, source guard, moves,
 * `verify`s resolved by hashing, interrupted paths checked by hash; reads
 * only). Nothing is created: not the destination, its `.backup/` folder, the
 * journal, the lock, the log, nor the source's marker file.
 *
 * @module
 */

import type { RunOptions } from "./run_args.ts";
import type { StateEntry } from "../journal/state.ts";
import type { Destination } from "../dest/destination.ts";
import { type FileSystem, isNotFound } from "../base/fs.ts";
import { EXIT, RootError } from "../base/errors.ts";
import { readIdentity } from "../engine/source_guard.ts";
import { checkRoots, checkSource } from "../engine/guard.ts";
import { createHasher } from "../base/hash.ts";
import { showPath } from "../base/paths.ts";
import type { ScanResult } from "../base/scan.ts";
import { passExcludes } from "../engine/excludes.ts";
import type { FileOp } from "../engine/pass_plan.ts";
import { interruptedPaths, preparePass } from "../engine/prepare.ts";
import { formatBytes } from "../base/units.ts";
import { DELETE_WINDOW_MS } from "../engine/delete_window.ts";
import { replayJournal } from "../journal/replay.ts";
import { journalDir } from "../base/layout.ts";
import { closeLocal, LocalDestination } from "../dest/local.ts";
import { isRemoteDest, readRemote, type RemoteReading } from "./remote.ts";
import { columns, plural } from "./format.ts";
import { checkDestination, missingParent, missingParentMessage } from "./dest_check.ts";
import { type DaemonWindow, dryRunGuard } from "./dry_run_guard.ts";

/** What {@link runDryRun} needs. */
export interface DryRunDeps {
  /** File system port (only read). */
  fs: FileSystem;
  /** Current folder, for relative paths. */
  cwd: string;
  /** Prints one line. */
  out: (line: string) => void;
  /** Command-line exclude patterns (`--exclude-from` files already read). */
  excludes: string[];
}

/** True when `abs` is a folder (false when missing). */
function isDir(fs: FileSystem, abs: string): boolean {
  try {
    return fs.lstat(abs).kind === "dir";
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** True when the destination's root is a folder (false when missing). */
async function isPresent(destination: Destination): Promise<boolean> {
  try {
    return (await destination.stat("")).kind === "dir";
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Bytes an operation moves or copies (its source entry's size; a deleted file's own size). */
function sizeOf(op: FileOp, dest: ScanResult): number {
  if (op.op === "delete") return dest.entries.get(op.path)?.size ?? 0;
  return op.src.kind === "file" ? op.src.size : 0;
}

function kindOf(op: FileOp): string {
  return op.op === "delete" ? op.kind : op.src.kind;
}

/** The human line of one operation: `copy     12.3 kB  docs/a.txt`. */
function opLine(op: FileOp, size: number): string {
  const shown = kindOf(op) === "file" ? formatBytes(size).padStart(8) : "";
  let path = showPath(op.path) + (kindOf(op) === "dir" ? "/" : "");
  if (op.op === "move") path = `${showPath(op.from)} -> ${path}`;
  if (op.op === "symlink") path += ` -> ${op.src.target ?? ""}`;
  return columns([op.op, shown, path], [7, 8]);
}

/** The JSON object of one operation. */
function opJson(op: FileOp, size: number): Record<string, unknown> {
  const planned: Record<string, unknown> = {
    type: "plan",
    op: op.op,
    path: op.path,
    kind: kindOf(op),
  };
  if (op.op === "move") planned.from = op.from;
  if (op.op === "symlink") planned.target = op.src.target;
  planned.size = size;
  return planned;
}

/** The note of a dry run beside a running daemon: whose next pass this is, and its guard's window. */
function daemonNote(daemon: DaemonWindow, dest: string): string {
  const minutes = DELETE_WINDOW_MS / 60_000;
  return `note: a backup daemon runs on ${dest} (pid ${daemon.pid ?? "?"}): this is the plan of ` +
    `its next full pass, and its mass-delete guard judges it counting the ${daemon.deleted} ` +
    `deletions it made in the last ${minutes} min (of ${daemon.baseline} entries); ` +
    `a second backup on ${dest} would be refused while it runs (exit 5)`;
}

/**
 * Refuses the dry run as the run would be refused (exit 2), saying so: a
 * destination the run would not create (missing parent) or not mirror into
 * (not a backup, another source's, a backup the source's marker names gone).
 *
 * @throws RootError "the run would be refused: ..." with the run's reason.
 */
function wouldRefuse(
  fs: FileSystem,
  opts: RunOptions,
  roots: { source: string; dest: string },
): void {
  try {
    const missing = missingParent(fs, roots.dest);
    if (missing !== null) throw new RootError(missingParentMessage(opts.dest!, missing));
    if (!opts.adoptDest) checkDestination(fs, roots.dest, roots.source);
  } catch (err) {
    if (!(err instanceof RootError)) throw err;
    throw new RootError(`--dry-run: the run would be refused: ${err.message}`, { cause: err });
  }
}

/**
 * Prints the plan of one full pass from `opts.src` to `opts.dest` (or to an
 * empty destination when there is none) and returns 0. Writes nothing.
 *
 * @throws RootError (bad roots, or roots the run would refuse), JournalCorruptError (a journal corrupt
 *   before its end), Deno.errors.* when the source cannot be listed.
 */
export async function runDryRun(opts: RunOptions, deps: DryRunDeps): Promise<number> {
  if (!isRemoteDest(opts.dest)) return await dryRunFrom(opts, deps, null);
  // A bucket (issue 16): its journal is read into a private folder; the mirror is listed there.
  const reading = await readRemote(deps.fs, opts.dest, { mustBeBackup: false });
  try {
    return await dryRunFrom(opts, deps, reading);
  } finally {
    reading.cleanup();
  }
}

/** {@link runDryRun} into a local destination, or a bucket whose journal `reading` holds. */
async function dryRunFrom(
  opts: RunOptions,
  deps: DryRunDeps,
  reading: RemoteReading | null,
): Promise<number> {
  const { fs, out } = deps;
  let source: string;
  let dest: string | null = null;
  if (reading) {
    source = checkSource(fs, opts.src, deps.cwd);
    dest = reading.place;
  } else if (opts.dest) {
    const roots = checkRoots(fs, opts.src, opts.dest, deps.cwd);
    source = roots.source;
    dest = roots.dest;
    wouldRefuse(fs, opts, roots);
  } else {
    source = checkSource(fs, opts.src, deps.cwd);
  }
  const destination = dest === null
    ? null
    : reading?.remote.destination ?? new LocalDestination(fs, dest);
  // A local destination is closed (unpinned) at every exit; a remote one belongs to `reading`.
  using _unpin = { [Symbol.dispose]: () => closeLocal(destination) };
  const present = destination !== null && await isPresent(destination);
  let state: ReadonlyMap<string, StateEntry> = new Map();
  let suspects: ReadonlySet<string> = new Set();
  const journaled = present && isDir(fs, journalDir(dest!));
  if (journaled) {
    const replayed = replayJournal(fs, journalDir(dest!), { repair: false }).state;
    state = replayed.entries;
    // A start closes these and has the pass check their paths by hash: so does this plan.
    suspects = interruptedPaths(replayed.pending.values());
  }
  const excludes = passExcludes(fs, source, {
    patterns: deps.excludes,
    deleteExcluded: opts.deleteExcluded,
  });
  // The source guard, as the daemon would judge this source (unless the flags reset it).
  const identity = present && !opts.newSource && !opts.adoptDest ? readIdentity(fs, dest!) : null;
  const problems: string[] = [];
  const prepared = await preparePass(
    { fs, hasher: await createHasher(), source, destination: present ? destination : null },
    { state, suspects, excludes, identity, planWhenVetoed: true },
    { onUnreadable: (op) => problems.push(op.path) },
  );
  if (prepared.status === "unavailable") {
    throw prepared.error ?? new Error(`${prepared.side} unavailable: ${prepared.reason}`);
  }
  const { src, dst } = prepared.scope;
  // A racy file's re-check found unchanged is journal bookkeeping, not a change to show.
  const ops = (prepared.ops ?? []).filter((op) => !(op.op === "meta" && op.recheck));
  const veto = prepared.status === "vetoed" ? prepared.veto : null;
  if (!opts.json) {
    out(`dry run: one full pass from ${source} to ${dest ?? "(no --dest)"}; nothing is changed`);
  }
  const counts: Record<string, number> = {};
  let bytes = 0;
  for (const op of ops) {
    const size = sizeOf(op, dst);
    counts[op.op] = (counts[op.op] ?? 0) + 1;
    if (op.op === "copy") bytes += size;
    out(opts.json ? JSON.stringify(opJson(op, size)) : opLine(op, size));
  }
  // Judged as the real run would: a running daemon's next pass counts its window, a new run not.
  const { held, daemon } = dryRunGuard(
    fs,
    reading === null && journaled ? dest : null,
    { ops, entries: dst.entries, tracked: state.size },
    { limits: opts.deleteLimits, confirmDeletes: opts.confirmDeletes },
  );
  if (opts.json) {
    out(JSON.stringify({
      type: "summary",
      dryRun: true,
      source,
      dest,
      operations: ops.length,
      counts,
      bytes,
      held,
      window: daemon === null ? null : {
        pid: daemon.pid,
        deleted: daemon.deleted,
        baseline: daemon.baseline,
        holdSeq: daemon.hold?.seq ?? null,
      },
      sourceGuard: veto,
      unreadable: src.unreadable.size + problems.length,
      temps: dst.temps.length,
    }));
    return EXIT.OK;
  }
  const count = (op: string) => counts[op] ?? 0;
  out(
    `dry run: ${count("copy")} to copy (${formatBytes(bytes)}), ${count("delete")} to delete, ` +
      `${count("move")} to move, ${plural(count("mkdir"), "folder")} to create, ` +
      `${plural(count("symlink"), "symlink")} to create, ${
        plural(count("meta"), "metadata update")
      }; nothing was changed`,
  );
  if (veto !== null) {
    out(
      `note: the source guard would skip this pass (nothing copied or deleted): ${veto}; ` +
        `--new-source resets it after a deliberate move`,
    );
  }
  if (daemon !== null) out(daemonNote(daemon, dest!));
  if (held > 0) {
    out(
      daemon === null
        ? `note: the mass-delete guard would hold these ${held} deletions (nothing deleted) unless --confirm-deletes`
        : `note: the mass-delete guard would hold these ${held} deletions (nothing deleted) until \`backup confirm --dest ${dest}\`${
          daemon.hold === null
            ? ""
            : ` (it holds deletions since seq ${daemon.hold.seq}; those planned since are judged again, which the journal cannot tell apart)`
        }`,
    );
  }
  const unreadable = src.unreadable.size + problems.length;
  if (unreadable > 0) {
    out(`note: ${plural(unreadable, "entry")} could not be read; their backups are kept`);
  }
  if (dst.temps.length > 0) {
    out(`note: ${plural(dst.temps.length, "leftover temp file")} would be removed`);
  }
  return EXIT.OK;
}
