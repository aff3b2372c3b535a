/**
 * `backup --src A [--dest B] --dry-run [--json]`: prints the plan of one full
 * pass and changes nothing.
 *
 * Built from the read-only pieces, not from `Reconciler.start` (which takes
 * the lock, repairs a torn tail and writes the journal): the journal is
 * replayed without repair, both trees are scanned with the same excludes, and
 * the plan is made by the reconciler's own planning ({@link planPass}), with
 * `verify`s resolved by hashing (reads only). Nothing is created: not the
 * destination, its `.backup/` folder, the journal, the lock, the log, nor the
 * source's marker file.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { RunOptions } from "./run.ts";
import type { StateEntry } from "../journal/state.ts";
import { EXIT } from "../base/errors.ts";
import { readIdentity, sourceVeto } from "../engine/source_guard.ts";
import { checkRoots, checkSource, heldDeletes } from "../engine/guard.ts";
import { createHasher } from "../base/hash.ts";
import { showPath } from "../base/paths.ts";
import { emptyScan, type ScanResult, scanTree } from "../engine/scan.ts";
import { destScan, passExcludes } from "../engine/excludes.ts";
import { type FileOp, planPass } from "../engine/pass_plan.ts";
import { formatBytes } from "../base/units.ts";
import { replayJournal } from "../journal/replay.ts";
import { journalDir } from "../journal/segments.ts";
import { columns, plural } from "./format.ts";

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
    if (err instanceof Deno.errors.NotFound) return false;
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
  const o: Record<string, unknown> = { type: "plan", op: op.op, path: op.path, kind: kindOf(op) };
  if (op.op === "move") o.from = op.from;
  if (op.op === "symlink") o.target = op.src.target;
  o.size = size;
  return o;
}

/**
 * Prints the plan of one full pass from `opts.src` to `opts.dest` (or to an
 * empty destination when there is none) and returns 0. Writes nothing.
 *
 * @throws RootError (bad roots), JournalCorruptError (a journal corrupt
 *   before its end), Deno.errors.* when the source cannot be listed.
 */
export async function runDryRun(opts: RunOptions, deps: DryRunDeps): Promise<number> {
  const { fs, out } = deps;
  let source: string;
  let dest: string | null = null;
  if (opts.dest) {
    const roots = checkRoots(fs, opts.src, opts.dest, deps.cwd);
    source = roots.source;
    dest = roots.dest;
  } else {
    source = checkSource(fs, opts.src, deps.cwd);
  }
  const present = dest !== null && isDir(fs, dest);
  let state: ReadonlyMap<string, StateEntry> = new Map();
  if (present && isDir(fs, journalDir(dest!))) {
    state = replayJournal(fs, journalDir(dest!), { repair: false }).state.entries;
  }
  const excludes = passExcludes(fs, source, {
    patterns: deps.excludes,
    deleteExcluded: opts.deleteExcluded,
  });
  const src = scanTree(fs, source, { skip: excludes.sourceSkip });
  const dst = present ? scanTree(fs, dest!, destScan(excludes)) : emptyScan();
  const problems: string[] = [];
  const ops = await planPass(
    { fs, hasher: await createHasher(), source, dest: dest ?? source },
    {
      src,
      dst,
      state,
      keeps: excludes.keeps,
      onUnreadable: (op) => problems.push(op.path),
    },
  );

  // The source guard, as the daemon would judge this source (unless the flags reset it).
  const identity = present && !opts.newSource && !opts.adoptDest ? readIdentity(fs, dest!) : null;
  const veto = identity === null
    ? null
    : sourceVeto(fs, source, identity, src.entries.size + src.skipped, state.size);
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
  const held = opts.confirmDeletes
    ? 0
    : heldDeletes(ops, dst.entries, state.size, opts.deleteLimits).length;
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
      sourceGuard: veto,
      unreadable: src.unreadable.size + problems.length,
      temps: dst.temps.length,
    }));
    return EXIT.OK;
  }
  const n = (op: string) => counts[op] ?? 0;
  out(
    `dry run: ${n("copy")} to copy (${formatBytes(bytes)}), ${n("delete")} to delete, ` +
      `${n("move")} to move, ${plural(n("mkdir"), "folder")} to create, ` +
      `${plural(n("symlink"), "symlink")} to create, ${
        n("meta")
      } metadata updates; nothing was changed`,
  );
  if (veto !== null) {
    out(
      `note: the source guard would skip this pass (nothing copied or deleted): ${veto}; ` +
        `--new-source resets it after a deliberate move`,
    );
  }
  if (held > 0) {
    out(
      `note: the mass-delete guard would hold these ${held} deletions (nothing deleted) unless --confirm-deletes`,
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
