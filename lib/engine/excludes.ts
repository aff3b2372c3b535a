/**
 * Excludes in gitignore syntax, through the `ignore` package.
 *
 * Rules come from two places: the command line (`--exclude PATTERN`,
 * `--exclude-from FILE`, relative to the source root) and `.backupignore`
 * files in any source folder (relative to the folder holding the file,
 * applying below it), as `.gitignore` works: the last matching rule wins,
 * a deeper file overrides a shallower one, `!` re-includes, a trailing `/`
 * matches folders only, and nothing below an excluded folder can be
 * re-included; a folder re-included by a deeper file or the command line has
 * what it holds judged afresh. As in git (`-x`), command-line rules, from
 * `--exclude` and `--exclude-from` alike, take precedence over the files.
 *
 * The rules are always read from the source, also when judging destination
 * paths, so that a destination copy of an excluded path is recognised as such.
 *
 * @module
 */

import ignore, { type Ignore } from "ignore";
import {
  type FileSystem,
  isIsADirectory,
  isNotADirectory,
  isNotFound,
  type Kind,
} from "../base/fs.ts";
import type { ListOptions } from "../dest/destination.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { readSmallFile, refusalText, RULES_CAP_BYTES, type SmallFile } from "../base/small_file.ts";
import { join, joinRel, parentOf, someAbove } from "../base/paths.ts";

/**
 * Patterns match names case-sensitively, as git does on Linux. The `ignore` package ignores case
 * by default, which made `*.log` exclude `Y.LOG` and `BUILD/` exclude `build/` as well.
 */
const CASE_SENSITIVE = { ignorecase: false };

/** Name of the per-folder exclude file (backed up itself, like `.gitignore`). */
export const IGNORE_FILE = ".backupignore";

/** Splits rule-file text into patterns (the `ignore` package skips blanks and `#` comments too). */
export function parsePatterns(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
}

/** The patterns a rule file's read gave, or why it gives none (in words for a log line or an error). */
function patternsOf(read: SmallFile): { patterns: string[] } | { problem: string } {
  if (!read.ok) return { problem: `it is ${refusalText(read.refused)}, not a regular file` };
  if (read.truncated) {
    return {
      problem: `it is larger than ${RULES_CAP_BYTES / (1024 * 1024)} MiB, the cap for rule files`,
    };
  }
  return { patterns: parsePatterns(new TextDecoder().decode(read.bytes)) };
}

/**
 * Reads an `--exclude-from` file: one pattern per line, `#` comments, blank lines.
 * Symlinks on the way are followed (the user named the file), but what they lead
 * to must be a regular file of at most 1 MiB ({@link RULES_CAP_BYTES}): a FIFO,
 * a device such as `/dev/zero` or a bigger file is refused whole, never read
 * in part (a later `!` rule left unread could re-include what the read part
 * excludes).
 *
 * @throws UsageError naming the file when it cannot be read or is refused.
 */
export function readExcludeFrom(fs: FileSystem, path: string): string[] {
  let read: SmallFile;
  try {
    read = readSmallFile(fs, fs.realPath(path), RULES_CAP_BYTES);
  } catch (err) {
    throw new UsageError(
      `cannot read --exclude-from "${path}": ${describeError(err)}; check the path`,
      {
        cause: err,
      },
    );
  }
  const parsed = patternsOf(read);
  if ("problem" in parsed) {
    throw new UsageError(
      `cannot use --exclude-from "${path}": ${parsed.problem}; give a file of patterns`,
    );
  }
  return parsed.patterns;
}

/** The part of an `Ignore` that tests one path against its rules, without its parent folders. */
interface OwnRules {
  test(path: string, mode: "regex"): { ignored: boolean; unignored: boolean };
}

/**
 * The last rule of `ig` matching `path` itself (a folder ends in `/`), as git's
 * `last_matching_pattern`. The package's public `test()` also reports a path as ignored when
 * one of its parent folders is, with that set's rules alone: git instead decides each folder
 * once, over every rule file, and then matches what is inside against the rules again. So
 * this reaches the package's own single-path test (`RuleManager.test`, the one its `test()`
 * calls for each folder on the way). The version is pinned in deno.json, and
 * `excludes_test.ts` fails at once if the method is gone.
 */
export function ownVerdict(ig: Ignore, path: string): { ignored: boolean; unignored: boolean } {
  const rules = (ig as unknown as { _rules?: Partial<OwnRules> })._rules;
  if (typeof rules?.test !== "function") {
    throw new Error("the `ignore` package no longer has RuleManager.test: check its version");
  }
  return (rules as OwnRules).test(path, "regex");
}

interface Rules {
  /** Folder (relative to the source root) the rules are relative to. */
  base: string;
  ig: Ignore;
}

/** Options for {@link Excludes}. */
export interface ExcludesOptions {
  /** Command-line patterns, relative to the source root (default none). */
  patterns?: readonly string[];
  /** Read `.backupignore` files (default true). */
  ignoreFiles?: boolean;
}

/**
 * The exclude rules of one source tree. Make a new one per pass: the
 * `.backupignore` files are read lazily, once per folder, and cached.
 */
export class Excludes {
  #fs: FileSystem;
  #source: string;
  #cli: Ignore | null;
  #files: boolean;
  /** Rules that apply inside each folder, shallowest first. */
  #chains = new Map<string, Rules[]>();
  /** Verdicts for folders. */
  #dirs = new Map<string, boolean>();
  /** The folder of the last file asked about (a walk asks folder by folder), and its verdicts. */
  #last: { dir: string; excluded: boolean; rules: boolean } | null = null;
  /** `.backupignore` files that could not be read, with why. */
  readonly problems: Map<string, string> = new Map();

  /** Rules for the source root `source` (absolute). */
  constructor(fs: FileSystem, source: string, options: ExcludesOptions = {}) {
    this.#fs = fs;
    this.#source = source;
    const patterns = options.patterns ?? [];
    // One pattern each, never a comment (git's `-x #x.log` excludes `#x.log`): a leading `#` is
    // escaped. `--exclude-from` lines reach here with their comments already dropped.
    const literal = patterns.map((p) => (p.startsWith("#") ? `\\${p}` : p));
    this.#cli = patterns.length > 0 ? ignore(CASE_SENSITIVE).add(literal) : null;
    this.#files = options.ignoreFiles ?? true;
  }

  #chain(dir: string): Rules[] {
    const cached = this.#chains.get(dir);
    if (cached) return cached;
    const up = dir === "" ? [] : this.#chain(parentOf(dir));
    let chain = up;
    if (this.#files) {
      const file = joinRel(dir, IGNORE_FILE);
      try {
        // Anyone who can write into the source can plant this file: a regular file only (no
        // symlink, FIFO or device), capped, or none of its rules apply (see readExcludeFrom).
        const read = readSmallFile(this.#fs, join(this.#source, file), RULES_CAP_BYTES);
        const parsed = patternsOf(read);
        if ("problem" in parsed) {
          // A folder of that name simply holds no rules; anything else planted there is a warning.
          if (read.ok || read.refused !== "directory") this.problems.set(file, parsed.problem);
        } else if (parsed.patterns.length > 0) {
          chain = [...up, { base: dir, ig: ignore(CASE_SENSITIVE).add(parsed.patterns) }];
        }
      } catch (err) {
        if (
          !isNotFound(err) && !isNotADirectory(err) && !isIsADirectory(err)
        ) {
          this.problems.set(file, describeError(err));
        }
      }
    }
    this.#chains.set(dir, chain);
    return chain;
  }

  /**
   * The rules' verdict for `rel` itself, its folders known to be included (the walk asks for
   * nothing below an excluded folder). As in git, only rules matching `rel` itself count: a
   * rule of a shallower file that excludes a folder above `rel`, which a deeper file or the
   * command line re-included, says nothing about what that folder holds.
   */
  #matches(rel: string, isDir: boolean): boolean {
    const suffix = isDir ? "/" : "";
    let verdict = false;
    for (const { base, ig } of this.#chain(parentOf(rel))) {
      const r = ownVerdict(ig, (base === "" ? rel : rel.slice(base.length + 1)) + suffix);
      if (r.ignored) verdict = true;
      else if (r.unignored) verdict = false;
    }
    if (this.#cli) {
      const r = ownVerdict(this.#cli, rel + suffix);
      if (r.ignored) verdict = true;
      else if (r.unignored) verdict = false;
    }
    return verdict;
  }

  /** True when the folder `dir` is excluded, itself or through a folder above it. */
  #dirExcluded(dir: string): boolean {
    if (dir === "") return false;
    const cached = this.#dirs.get(dir);
    if (cached !== undefined) return cached;
    const v = this.#dirExcluded(parentOf(dir)) || this.#matches(dir, true);
    this.#dirs.set(dir, v);
    return v;
  }

  /**
   * True when the relative path `rel` (a folder when `kind` is "dir") is
   * excluded, by a rule matching it or one of the folders above it.
   */
  excluded(rel: string, kind: Kind): boolean {
    if (rel === "") return false;
    if (kind === "dir") return this.#dirExcluded(rel);
    const cut = rel.lastIndexOf("/");
    let last = this.#last;
    if (last === null || last.dir.length !== Math.max(cut, 0) || !rel.startsWith(last.dir)) {
      // Another folder than the last file's: its verdicts, once (both memoised as before).
      const dir = parentOf(rel);
      const excluded = this.#dirExcluded(dir);
      last = this.#last = {
        dir,
        excluded,
        rules: !excluded && (this.#cli !== null || this.#chain(dir).length > 0),
      };
    }
    return last.excluded || (last.rules && this.#matches(rel, false));
  }
}

/** How a pass treats excluded entries. */
export interface PassExcludes {
  /** Skip for the source scan: excluded entries are not seen, so never copied. */
  sourceSkip: (rel: string, kind: Kind) => boolean;
  /**
   * Skip for the destination scan, or undefined with `deleteExcluded` (excluded
   * destination entries are then strays like any other, and deleted). Records
   * what it skipped, so that {@link PassExcludes.keeps} protects it.
   */
  destSkip: ((rel: string, kind: Kind) => boolean) | undefined;
  /**
   * True for destination paths kept because they are excluded (or hold excluded ones): seen
   * excluded by the scan, or, given the entry's kind, excluded by the rules where it is now
   * (a folder move may have carried it there since the scan).
   */
  keeps: (rel: string, kind?: Kind) => boolean;
  /** The rules. */
  rules: Excludes;
}

/**
 * The exclude handling of one pass: a source skip, and (unless
 * `deleteExcluded`) a destination skip that remembers what it kept, with its
 * folders, so that the planner deletes neither those entries nor the folders
 * holding them.
 */
export function passExcludes(
  fs: FileSystem,
  source: string,
  options: ExcludesOptions & { deleteExcluded?: boolean } = {},
): PassExcludes {
  const rules = new Excludes(fs, source, options);
  const kept = new Set<string>();
  const keptDirs = new Set<string>();
  const keep = (rel: string, kind: Kind) => {
    kept.add(rel);
    if (kind === "dir") keptDirs.add(rel);
    for (let p = parentOf(rel); p !== "" && !kept.has(p); p = parentOf(p)) kept.add(p);
  };
  // Folders of the destination whose path the source now holds as a file or symlink: what they
  // hold cannot be kept, or the source's entry could never take their place.
  const blocking = new Map<string, boolean>();
  const replacedBySource = (dir: string): boolean => {
    let known = blocking.get(dir);
    if (known === undefined) {
      try {
        known = fs.lstat(join(source, dir)).kind !== "dir";
      } catch {
        known = false; // not in the source: nothing takes its place
      }
      blocking.set(dir, known);
    }
    return known;
  };
  return {
    rules,
    sourceSkip: (rel, kind) => rules.excluded(rel, kind),
    destSkip: options.deleteExcluded ? undefined : (rel, kind) => {
      if (!rules.excluded(rel, kind) || someAbove(rel, replacedBySource, kind === "dir")) {
        return false;
      }
      keep(rel, kind);
      return true;
    },
    keeps: (rel, kind) => {
      if (options.deleteExcluded) return false;
      if (kept.has(rel)) return true;
      if (someAbove(rel, (p) => keptDirs.has(p))) return true;
      return kind !== undefined && rules.excluded(rel, kind);
    },
  };
}

/** Options of a destination's listing: excluded entries skipped (and kept) unless they are deleted. */
export function destScan(excludes: PassExcludes): ListOptions {
  return excludes.destSkip ? { skip: excludes.destSkip } : {};
}
