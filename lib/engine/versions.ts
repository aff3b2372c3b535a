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
 * Versions are read and written through the {@link Destination}
 * (lib/dest/destination.ts), at paths relative to its root below
 * {@link versionsPath}.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Destination } from "../dest/destination.ts";
import type { Logger } from "../base/logger.ts";
import type { ScanResult } from "../base/scan.ts";
import { isNotFound } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { isAtOrBelow, join, joinRel, parentOf } from "../base/paths.ts";
import { reservedDir, reservedName, VERSIONS_DIR } from "../base/layout.ts";
import { destinationHas } from "../dest/destination.ts";

/** The versions folder of destination root `dest`, relative to it: `.backup-state/versions`. */
export function versionsPath(dest: string): string {
  return joinRel(reservedName(dest), VERSIONS_DIR);
}

/** Absolute path of the versions folder of a destination root. */
export function versionsDir(dest: string): string {
  return join(reservedDir(dest), VERSIONS_DIR);
}

/**
 * The path, relative to destination root `dest`, of `vrel` (relative to the
 * versions folder; `""` is the versions folder itself).
 */
export function versionPath(dest: string, vrel: string): string {
  const folder = versionsPath(dest);
  return vrel === "" ? folder : `${folder}/${vrel}`;
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
 * exists neither in the destination nor in `taken` (names handed out but not
 * yet used), which it is added to.
 */
export async function allocateVersion(
  destination: Destination,
  rel: string,
  options: { ms: number; taken: Set<string> },
): Promise<string> {
  for (let n = 0;; n++) {
    const vrel = versionRel(rel, options.ms, n);
    if (
      options.taken.has(vrel) ||
      await destinationHas(destination, versionPath(destination.location, vrel))
    ) continue;
    options.taken.add(vrel);
    return vrel;
  }
}

/**
 * Creates the folders that will hold version `vrel` (0700) and checks that
 * each is a real folder. Returns the folders (relative to the destination
 * root) whose entries changed and must be synced for the version's rename to
 * be durable: the version's own folder and the parent of every folder created.
 *
 * @throws Error when a folder on the way is not a folder; the I/O error on failure.
 */
export async function prepareVersionFolder(
  destination: Destination,
  vrel: string,
): Promise<string[]> {
  const toSync = new Set<string>();
  let folder = versionsPath(destination.location);
  let parent = reservedName(destination.location);
  const chain = parentOf(vrel) === "" ? [] : parentOf(vrel).split("/");
  for (let i = -1; i < chain.length; i++) {
    if (i >= 0) {
      parent = folder;
      folder = joinRel(folder, chain[i]!);
    }
    let kind: string | null = null;
    try {
      kind = (await destination.stat(folder)).kind;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (kind === null) {
      await destination.mkdir(folder, 0o700);
      toSync.add(parent);
    } else if (kind !== "dir") {
      throw new Error(
        `"${join(destination.location, folder)}" in the versions folder is a ${kind}, not a folder`,
      );
    }
  }
  toSync.add(folder);
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
 * never followed; a folder that cannot be listed holds no versions.
 */
export async function listVersions(destination: Destination, under = ""): Promise<VersionFile[]> {
  const out: VersionFile[] = [];
  const collect = async (vdir: string, shallow: boolean) => {
    let listing: ScanResult;
    try {
      listing = await destination.list({ under: versionPath(destination.location, vdir), shallow });
    } catch {
      return; // no versions folder (yet), or not readable: no versions there
    }
    for (const [rel, entry] of listing.entries) {
      if (entry.kind !== "file") continue;
      const vrel = rel.slice(versionsPath(destination.location).length + 1);
      const version = parseVersionRel(vrel);
      if (version && isAtOrBelow(version.path, under)) {
        out.push({ ...version, vrel, size: entry.size });
      }
    }
  };
  if (under === "") await collect("", false);
  else {
    // The versions of `under` itself sit beside its folder; those below it, inside it.
    const folder = versionRel(under + "/x", 0).split("/").slice(0, -1).join("/");
    await collect(parentOf(folder), true);
    await collect(folder, false);
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
export async function pruneVersions(
  destination: Destination,
  rule: KeepRule,
  options: { now: number; log: Logger },
): Promise<PruneResult> {
  const all = await listVersions(destination);
  const doomed = prunable(all, rule, options.now);
  const result: PruneResult = { removed: 0, bytes: 0, kept: all.length, failed: 0 };
  const touched = new Set<string>();
  for (const v of doomed) {
    try {
      await destination.remove(versionPath(destination.location, v.vrel));
      result.removed++;
      result.kept--;
      result.bytes += v.size;
      touched.add(parentOf(v.vrel));
      options.log.debug("VERSION PRUNED: {vrel}", { vrel: v.vrel });
    } catch (err) {
      if (isNotFound(err)) continue;
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
      // Removing a folder that still holds something fails: only empty ones go.
      await destination.remove(versionPath(destination.location, d));
    } catch { /* not empty, or gone: the next prune looks again */ }
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
