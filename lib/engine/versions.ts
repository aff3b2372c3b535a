/**
 * Versioned trash: where the old content of an overwritten or deleted file
 * goes (`DEST/.backup/versions/`), how versions are named, listed and pruned.
 *
 * A version keeps the file's relative path, with the time it was displaced
 * appended to its name: `docs/a.txt` overwritten at 2026-11-22 14:30:15.123
 * UTC becomes `versions/docs/a.txt~20261122T143015.123Z`; a second one in the
 * same millisecond gets `-1`, `-2`, ... after the stamp. The name ends with
 * exactly one stamp, so stripping it gives the original name back, whatever
 * the original name looked like. Folders in the versions tree have no stamp;
 * a folder whose own name ends like a stamp (followed by any `~`) gets one
 * more `~`, so a folder can never take a version's name (a path that is a file
 * at one time and a folder at another keeps both histories). See
 * docs/safety.md "Versions".
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import { UsageError } from "../base/errors.ts";
import { join, joinRel, parentOf } from "../base/paths.ts";
import { reservedDir, VERSIONS_DIR } from "../base/layout.ts";

/** Absolute path of the versions folder of a destination root. */
export function versionsDir(dest: string): string {
  return join(reservedDir(dest), VERSIONS_DIR);
}

/** How long versions are kept: younger than `ms`, or the newest `count` of each path. */
export type KeepRule = { kind: "age"; ms: number; text: string } | {
  kind: "count";
  count: number;
  text: string;
};

const DURATION_UNITS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parses a `--keep-versions` rule: an age (`30d`, `12h`, `2w`, `90m`: keep
 * versions younger than that) or a whole number (`10`: keep the newest 10
 * versions of each path).
 *
 * @throws UsageError for anything else.
 */
export function parseKeepVersions(raw: string): KeepRule {
  const t = raw.trim();
  const age = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(t);
  if (age) {
    const ms = Number(age[1]) * DURATION_UNITS[age[2]!]!;
    if (ms > 0) return { kind: "age", ms, text: t };
  }
  if (/^\d+$/.test(t) && Number(t) >= 1) return { kind: "count", count: Number(t), text: t };
  throw new UsageError(
    `--keep-versions takes an age like 30d, 12h, 2w or 90m (minutes), or a number of versions per file like 10, not "${raw}"`,
  );
}

/** The stamp of a time: `20261122T143015.123Z` (UTC). */
export function stampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "");
}

const STAMP = String.raw`(\d{8}T\d{6}\.\d{3}Z)(?:-(\d+))?`;
const VERSION_NAME_RE = new RegExp(`^(.+)~${STAMP}$`);
const FOLDER_NEEDS_ESCAPE_RE = new RegExp(`~${STAMP}~*$`);
const FOLDER_ESCAPED_RE = new RegExp(`~${STAMP}~+$`);

function msOfStamp(stamp: string): number {
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${
    stamp.slice(9, 11)
  }:${stamp.slice(11, 13)}:${stamp.slice(13)}`;
  return Date.parse(iso);
}

/** Longest file name the file systems we know accept, in bytes. */
const NAME_MAX = 255;

const encoder = new TextEncoder();

/**
 * Cuts `name` so that it and `suffix` fit in {@link NAME_MAX} bytes (at a character boundary).
 * A cut name ends in `#` and 12 hex digits of the full name's SHA-256, so that two long names
 * that share their beginning stay two files for the count rule (which groups by name).
 */
function fitName(name: string, suffix: string): string {
  if (encoder.encode(name).length + encoder.encode(suffix).length <= NAME_MAX) return name;
  const tag = `#${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
  return cut(name, NAME_MAX - encoder.encode(suffix).length - tag.length) + tag;
}

/** The longest start of `name` that fits in `room` bytes, at a character boundary. */
function cut(name: string, room: number): string {
  let out = "";
  let bytes = 0;
  for (const ch of name) {
    const n = encoder.encode(ch).length;
    if (bytes + n > room) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * The version path (relative to the versions folder) for the file at `rel`
 * displaced at `ms`; `n` > 0 tells apart versions of the same millisecond.
 * A name too long to take the stamp is shortened (restore still finds it
 * through the journal, which records the exact version path).
 */
export function versionRel(rel: string, ms: number, n = 0): string {
  const parts = rel.split("/");
  const name = parts.pop()!;
  const folders = parts.map((p) => FOLDER_NEEDS_ESCAPE_RE.test(p) ? p + "~" : p);
  const suffix = `~${stampOf(ms)}${n > 0 ? `-${n}` : ""}`;
  return [...folders, fitName(name, suffix) + suffix].join("/");
}

/** A version file, by its name. */
export interface VersionName {
  /** Relative path of the file it was a version of. */
  path: string;
  /** When it was displaced (ms since the epoch). */
  ms: number;
  /** Tie-breaker within one millisecond (0 for the first). */
  n: number;
}

/** Reads a version path (relative to the versions folder); `null` when it is not one. */
export function parseVersionRel(vrel: string): VersionName | null {
  const parts = vrel.split("/");
  const m = VERSION_NAME_RE.exec(parts.pop()!);
  if (!m) return null;
  const folders = parts.map((p) => FOLDER_ESCAPED_RE.test(p) ? p.slice(0, -1) : p);
  const ms = msOfStamp(m[2]!);
  if (!Number.isFinite(ms)) return null;
  return { path: joinRel(folders.join("/"), m[1]!), ms, n: m[3] ? Number(m[3]) : 0 };
}

/**
 * Picks a free version path for the file at `rel` displaced at `ms`: one that
 * exists neither on disk nor in `taken` (names handed out but not yet used),
 * which it is added to.
 */
export function allocateVersion(
  fs: FileSystem,
  dest: string,
  rel: string,
  options: { ms: number; taken: Set<string> },
): string {
  const root = versionsDir(dest);
  for (let n = 0;; n++) {
    const vrel = versionRel(rel, options.ms, n);
    if (options.taken.has(vrel) || present(fs, join(root, vrel))) continue;
    options.taken.add(vrel);
    return vrel;
  }
}

function present(fs: FileSystem, abs: string): boolean {
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

/**
 * Creates the folders that will hold version `vrel` (0700) and checks that
 * each is a real folder. Returns the absolute folders whose entries changed
 * and must be fsynced for the version's rename to be durable: the version's
 * own folder and the parent of every folder created.
 *
 * @throws Error when a folder on the way is not a folder; Deno.errors.* on I/O failure.
 */
export function prepareVersionFolder(fs: FileSystem, dest: string, vrel: string): string[] {
  const root = versionsDir(dest);
  const toSync = new Set<string>();
  const reserved = reservedDir(dest);
  let abs = root;
  let parent = reserved;
  const chain = parentOf(vrel) === "" ? [] : parentOf(vrel).split("/");
  for (let i = -1; i < chain.length; i++) {
    if (i >= 0) {
      parent = abs;
      abs = join(abs, chain[i]!);
    }
    let kind: string | null = null;
    try {
      kind = fs.lstat(abs).kind;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (kind === null) {
      fs.mkdir(abs, { mode: 0o700 });
      toSync.add(parent);
    } else if (kind !== "dir") {
      throw new Error(`"${abs}" in the versions folder is a ${kind}, not a folder`);
    }
  }
  toSync.add(abs);
  return [...toSync];
}

/** A version file found on disk. */
export interface VersionFile extends VersionName {
  /** Path relative to the versions folder. */
  vrel: string;
  /** Size in bytes. */
  size: number;
}

/**
 * Lists the version files below the versions folder (or below the version
 * folder of `under`, a relative path of the backup: its versions and those of
 * everything below it). Names that are not versions are skipped; symlinks are
 * never followed.
 */
export function listVersions(fs: FileSystem, dest: string, under = ""): VersionFile[] {
  const root = versionsDir(dest);
  const out: VersionFile[] = [];
  const walk = (vdir: string, only: string | null) => {
    let names: string[];
    try {
      names = fs.readDir(join(root, vdir));
    } catch {
      return;
    }
    for (const name of names) {
      const vrel = joinRel(vdir, name);
      let info;
      try {
        info = fs.lstat(join(root, vrel));
      } catch {
        continue;
      }
      if (info.kind === "dir") {
        if (only === null || vrel === only) walk(vrel, null);
      } else if (info.kind === "file") {
        const v = parseVersionRel(vrel);
        if (v && (under === "" || v.path === under || v.path.startsWith(under + "/"))) {
          out.push({ ...v, vrel, size: info.size });
        }
      }
    }
  };
  if (under === "") walk("", null);
  else {
    // The versions of `under` itself sit beside its folder; those below it, inside it.
    const folder = versionRel(under + "/x", 0).split("/").slice(0, -1).join("/");
    walk(parentOf(folder), folder);
  }
  return out;
}

/** What {@link pruneVersions} did. */
export interface PruneResult {
  /** Versions removed. */
  removed: number;
  /** Their bytes. */
  bytes: number;
  /** Versions kept. */
  kept: number;
  /** Versions that could not be removed (logged). */
  failed: number;
}

/** Which of `versions` a rule removes at time `now`. */
export function prunable(versions: VersionFile[], rule: KeepRule, now: number): VersionFile[] {
  if (rule.kind === "age") return versions.filter((v) => now - v.ms > rule.ms);
  const byPath = new Map<string, VersionFile[]>();
  for (const v of versions) {
    const list = byPath.get(v.path) ?? [];
    list.push(v);
    byPath.set(v.path, list);
  }
  const out: VersionFile[] = [];
  for (const list of byPath.values()) {
    list.sort((a, b) => b.ms - a.ms || b.n - a.n);
    out.push(...list.slice(rule.count));
  }
  return out;
}

/**
 * Removes the versions the rule no longer keeps, then the folders of the
 * versions tree left empty. Each removal is an unlink of a file nobody
 * refers to but the journal's history, so an interruption at any point is
 * harmless: the next prune finishes the job. Logged: a summary at info level,
 * each file at debug level.
 */
export function pruneVersions(
  fs: FileSystem,
  dest: string,
  rule: KeepRule,
  options: { now: number; log: Logger },
): PruneResult {
  const root = versionsDir(dest);
  const all = listVersions(fs, dest);
  const doomed = prunable(all, rule, options.now);
  const result: PruneResult = { removed: 0, bytes: 0, kept: all.length, failed: 0 };
  const touched = new Set<string>();
  for (const v of doomed) {
    try {
      fs.remove(join(root, v.vrel));
      result.removed++;
      result.kept--;
      result.bytes += v.size;
      touched.add(parentOf(v.vrel));
      options.log.debug("VERSION PRUNED: {vrel}", { vrel: v.vrel });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      result.failed++;
      options.log.warn("VERSION NOT PRUNED: {vrel} - {reason}", {
        vrel: v.vrel,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
  // Empty folders left behind, deepest first, up to (not including) the versions folder.
  const dirs = new Set<string>();
  for (let d of touched) {
    while (d !== "") {
      dirs.add(d);
      d = parentOf(d);
    }
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      if (fs.readDir(join(root, d)).length === 0) fs.remove(join(root, d));
    } catch { /* in use or gone: the next prune looks again */ }
  }
  if (result.removed > 0 || result.failed > 0) {
    options.log.info(
      "VERSIONS PRUNED ({rule}): {removed} removed ({bytes} bytes), {kept} kept{failedText}",
      {
        rule: rule.text,
        ...result,
        failedText: result.failed > 0 ? `, ${result.failed} could not be removed` : "",
      },
    );
  }
  return result;
}
