/**
 * `backup restore --dest B PATH [--at TIME] --to DIR`: brings a file or a
 * folder back as it was at a time, into a folder of the user's choice.
 * Read-only on the backup: no lock, no repair, so it works while a daemon
 * runs. See lib/engine/restore.ts for how the bytes are found.
 *
 * @module
 */

import { exists, type FileSystem, isNotFound } from "../base/fs.ts";
import { describeError, EXIT, UsageError } from "../base/errors.ts";
import { realish } from "../engine/guard.ts";
import { absolute, isAtOrBelow, join, parentOf, showPath, unsafeReason } from "../base/paths.ts";
import { createHasher } from "../base/hash.ts";
import { MODE_MASK } from "../engine/plan.ts";
import { historyAt, planRestore, restoreFile } from "../engine/restore.ts";
import { closeLocal, LocalDestination } from "../dest/local.ts";
import { isRemoteDest, readRemote, type RemoteReading } from "./remote.ts";
import { flag, type OptionTable, parseStrict, str } from "./args.ts";
import { localTime } from "../report/log.ts";
import { parseTime, plural } from "./format.ts";
import { cleanRel, findJournal, relativeTarget } from "./journal_common.ts";
import { readIdentity } from "../engine/source_guard.ts";
import { tempName } from "../base/layout.ts";

/** Help text of `backup restore`. */
export const HELP = `backup restore: bring back a file or folder as it was at a time

Usage:
  backup restore --dest DIR PATH [--at TIME] --to OUT [--verbose]

PATH is relative to the backup's root (a file or a folder; "." for all of
it), or an absolute path inside the backup or its source. The journal says
what PATH held at TIME; each file's bytes are taken from the mirror if it
still holds them, or else from the versions kept in
DIR/.backup-state/versions/ (see --keep-versions), and are checked against
the content hash the journal recorded. PATH is written to OUT/NAME, where
NAME is its last part; nothing that exists is ever overwritten. Only reads
DIR: it works while a daemon runs.

Options:
  --dest DIR   the backup (the mirror with its .backup-state/ folder)
  --at TIME    when: 2026-11-22T14:30, "2026-11-22 14:30" or 2026-11-22
               (local time), an ISO time with a zone (...Z, +02:00), or an
               age such as 90s, 30m, 2h, 7d (that long ago). Default: now
  --to OUT     folder to restore into (created if missing; not inside DIR)
  --verbose    one line per file restored

If the journal was compacted after TIME, the versions' own times stand in
for it (content cannot be checked then); the output says so.

Exit codes: 0 restored, 2 bad usage (bad TIME, PATH not in the backup at
TIME, OUT/NAME exists), 3 journal corrupt, 6 some files could not be
restored (their content is no longer kept, or after a compaction the journal
cannot tell whether they existed at TIME).
`;

/** Parsed `restore` arguments. */
export interface RestoreOptions {
  /** Destination root as given. */
  dest: string;
  /** Path inside the backup, as given. */
  path: string;
  /** `--at` as given, or null for now. */
  at: string | null;
  /** `--to` as given. */
  to: string;
  /** One line per file. */
  verbose: boolean;
}

const OPTIONS: OptionTable = {
  dest: { type: "string" },
  at: { type: "string" },
  to: { type: "string" },
  verbose: { type: "boolean" },
};

/**
 * Parses `backup restore ...` arguments (after the word `restore`).
 *
 * @throws UsageError on a bad or missing flag or argument.
 */
export function parseRestoreArgs(argv: string[]): RestoreOptions {
  const p = parseStrict(argv, OPTIONS, "backup restore", true);
  const dest = str(p, "dest");
  if (!dest) throw new UsageError("missing --dest DIR: the backup; see `backup restore --help`");
  if (p.positionals.length !== 1) {
    throw new UsageError(
      p.positionals.length === 0
        ? "missing PATH: the file or folder to restore, relative to the backup; see `backup restore --help`"
        : `one PATH only, not ${p.positionals.length}; see \`backup restore --help\``,
    );
  }
  const to = str(p, "to");
  if (!to) {
    throw new UsageError(
      "missing --to OUT: the folder to restore into (nothing is restored in place); see `backup restore --help`",
    );
  }
  return {
    dest,
    path: p.positionals[0]!,
    at: str(p, "at") ?? null,
    to,
    verbose: flag(p, "verbose"),
  };
}

/** What the restore command needs. */
export interface RestoreDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory. */
  cwd: string;
  /** Prints one line to stdout. */
  out: (line: string) => void;
  /** Clock (default `Date.now`), for `--at` ages. */
  now?: () => number;
}

/**
 * Runs `restore`. Returns the exit code: 0, or 6 when some files' content is
 * no longer kept anywhere.
 *
 * @throws UsageError for a bad time, a path the backup did not hold then, or
 *   an output that exists; JournalCorruptError; Deno.errors.* when the output
 *   cannot be written.
 */
export async function runRestore(opts: RestoreOptions, deps: RestoreDeps): Promise<number> {
  if (!isRemoteDest(opts.dest)) return await restoreFrom(opts, deps, null);
  // Off-site (issue 16): the journal is read from the bucket into a private folder.
  const reading = await readRemote(deps.fs, opts.dest);
  try {
    return await restoreFrom(opts, deps, reading);
  } finally {
    reading.cleanup();
  }
}

/** {@link runRestore} from a local backup, or from a remote one's journal (`reading`). */
async function restoreFrom(
  opts: RestoreOptions,
  deps: RestoreDeps,
  reading: RemoteReading | null,
): Promise<number> {
  const { fs, out } = deps;
  const now = (deps.now ?? Date.now)();
  const at = opts.at === null ? now : parseTime(opts.at, "--at", now);
  const { dest, dir } = findJournal(fs, reading?.place ?? opts.dest, deps.cwd);
  // An absolute PATH names a file of the backup or of its source, as for `journal why`;
  // anything else is refused (dropping the leading "/" would look for a path not meant).
  const path = opts.path.startsWith("/")
    ? relativeTarget(opts.path, dest, readIdentity(fs, dest)?.source ?? null)
    : cleanRel(opts.path);
  if (path !== "" && unsafeReason(path) !== null) {
    throw new UsageError(`PATH "${opts.path}" must be a path inside the backup, like docs/a.txt`);
  }
  const toAbs = absolute(opts.to, deps.cwd);
  let toReal: string;
  try {
    toReal = realish(fs, toAbs);
    if (exists(fs, toReal) && fs.lstat(toReal).kind !== "dir") {
      throw new Error("not a folder");
    }
  } catch (err) {
    throw new UsageError(
      `--to "${opts.to}" must be a folder (or not exist yet): ${describeError(err)}`,
    );
  }
  // Compared as real paths: a symlink must not lead the restore into the mirror.
  if (isAtOrBelow(toReal.slice(1), realish(fs, dest).slice(1))) {
    throw new UsageError(
      `--to "${opts.to}" is inside the backup ${dest}; pick a folder outside it`,
    );
  }
  const name = (path === "" ? reading?.name ?? dest : path).split("/").at(-1) || "backup";
  const outRoot = join(toAbs, name);
  if (exists(fs, outRoot)) {
    throw new UsageError(
      `${outRoot} exists; nothing is overwritten: move it away or pick another --to`,
    );
  }

  const history = historyAt(fs, dir, at);
  const destination = reading?.remote.destination ?? new LocalDestination(fs, dest);
  // A local destination is closed (unpinned) at every exit; a remote one belongs to `reading`.
  using _unpin = { [Symbol.dispose]: () => closeLocal(destination) };
  const items = await planRestore(destination, history, { path, at });
  const when = localTime(at);
  if (items.length === 0) {
    const hint = [...history.now.keys()].some((p) => isAtOrBelow(p, path))
      ? "it is there now: try a later --at"
      : `see \`backup journal why --dest ${opts.dest} ${opts.path}\``;
    throw new UsageError(`"${path || "."}" was not in the backup at ${when} (${hint})`);
  }
  if (history.compactedAt !== null) {
    out(
      `note: the journal before ${localTime(Date.parse(history.compactedAt))} was compacted; ` +
        `restored from the versions' times, and content could not be checked against hashes`,
    );
  }

  const hasher = await createHasher();
  const outPath = (p: string) =>
    path === "" ? join(outRoot, p) : join(toAbs, name + p.slice(path.length));
  prepareOutput(fs, toAbs, opts.to);
  if (path === "" || items[0]!.path !== path) fs.mkdir(outRoot, { mode: 0o755 });
  let files = 0;
  let dirs = 0;
  let links = 0;
  let unverified = 0;
  const missing: string[] = [];
  const uncertain: string[] = [];
  const written = new Set<string>();
  const dirTimes: [string, number, number][] = [];
  const linked: string[] = [];
  for (const item of items) {
    // Nothing is written through a symlink restored a moment ago (it may point anywhere).
    if (linked.some((l) => isAtOrBelow(item.path, l))) {
      out(`skipped ${showPath(item.path)}: it lies below the restored symlink, not in a folder`);
      continue;
    }
    if (item.uncertain) {
      uncertain.push(item.path);
      continue;
    }
    const target = outPath(item.path);
    ensureParents(fs, toAbs, target);
    const e = item.entry;
    if (e.kind === "dir") {
      if (!exists(fs, target)) fs.mkdir(target, { mode: 0o700 });
      dirTimes.push([target, e.mode, e.mtimeMs]);
      dirs++;
    } else if (e.kind === "symlink") {
      fs.symlink(e.target ?? "", target);
      fs.lutime(target, e.mtimeMs);
      linked.push(item.path);
      links++;
    } else if (e.kind === "file") {
      const r = await restoreFile(destination, fs, hasher, item, target);
      written.add(parentOf(target));
      if (!r.ok) {
        missing.push(item.path);
        continue;
      }
      files++;
      if (!r.verified) unverified++;
      if (opts.verbose) out(`restored ${showPath(item.path)} (from ${r.from.label})`);
    }
  }
  // Folders last, deepest first, so that writing into them does not change their mtime again.
  for (const [d, mode, mtime] of dirTimes.reverse()) {
    fs.chmod(d, mode & MODE_MASK);
    fs.utime(d, mtime);
  }
  // The renames into place are durable before "restored" is printed.
  for (const d of new Set([...written, ...dirTimes.map(([d]) => d), toAbs])) await fs.syncDir(d);
  out(
    `restored ${plural(files, "file")}, ${plural(dirs, "folder")}, ${plural(links, "symlink")} ` +
      `of "${path || "."}" as of ${when} into ${outRoot}` +
      (unverified > 0 ? ` (${unverified} not checked against a hash)` : ""),
  );
  const some = (paths: string[]) =>
    paths.slice(0, 10).map(showPath).join(", ") + (paths.length > 10 ? ", ..." : "");
  if (missing.length > 0) {
    out(
      `could not restore ${plural(missing.length, "file")}: their content at ${when} is no ` +
        `longer kept (not in the mirror, no version with its hash): ${some(missing)}`,
    );
  }
  if (uncertain.length > 0) {
    out(
      `not restored, ${plural(uncertain.length, "file")} changed since ${when} with no version ` +
        `kept, and the compacted journal cannot tell whether they existed then: ${some(uncertain)}`,
    );
  }
  return missing.length + uncertain.length === 0 ? EXIT.OK : EXIT.PARTIAL;
}

/**
 * Creates the output folder and checks that files can be created in it, with a probe file
 * removed at once: a folder that exists but takes no files (`/proc/self`, a read-only mount) is a
 * bad `--to`, said in one line before anything is restored.
 *
 * @throws UsageError naming `--to`.
 */
function prepareOutput(fs: FileSystem, toAbs: string, given: string): void {
  try {
    fs.mkdir(toAbs, { recursive: true, mode: 0o755 });
    const probe = join(toAbs, tempName());
    fs.openSync(probe, { write: true, createNew: true, mode: 0o600 }).close();
    fs.remove(probe);
  } catch (err) {
    throw new UsageError(
      `cannot write into --to "${given}": ${describeError(err)}; pick another folder`,
      { cause: err },
    );
  }
}

/** Creates the folders between `root` and `abs` that are missing (a file restored without its folder entry). */
function ensureParents(fs: FileSystem, root: string, abs: string): void {
  const missing: string[] = [];
  for (let d = parentOf(abs); d.length > root.length; d = parentOf(d)) {
    let kind;
    try {
      kind = fs.lstat(d).kind;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      missing.push(d);
      continue;
    }
    // Never write through a symlink, or into a file's place, below --to.
    if (kind !== "dir") throw new UsageError(`${d} is a ${kind}, not a folder: restore refused`);
  }
  for (const d of missing.reverse()) fs.mkdir(d, { mode: 0o755 });
}
