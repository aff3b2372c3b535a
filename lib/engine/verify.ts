/**
 * Verification of what is stored: a file of the mirror is read back through
 * the {@link Destination}, hashed (xxh128) and compared with the hash the
 * journal recorded when it was copied; where the source still has the same
 * size and mtime, the source is hashed too, which tells which side is wrong.
 * Used by `backup verify` (lib/cli/verify.ts) and by the daemon's rolling
 * verification (lib/engine/verify_rolling.ts). Reads only.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { Destination } from "../dest/destination.ts";
import type { StateEntry } from "../journal/state.ts";
import { isMissing } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { type Hasher, hashReader, hashSourceFile } from "../base/hash.ts";
import { join } from "../base/paths.ts";

/**
 * Which side a finding blames: `destination` (it no longer holds what was
 * written), `source` (it changed keeping its size and mtime, so no pass will
 * see it), `both` (neither matches the journal), `journal` (source and
 * destination agree with each other, not with the recorded hash), `unknown`.
 */
export type WrongSide = "destination" | "source" | "both" | "journal" | "unknown";

/** How the source compared, for a file of the mirror. */
export type SourceCheck =
  /** Same size and mtime, same content as the journal recorded. */
  | "same"
  /** Same size and mtime, other content. */
  | "differs"
  /** Size or mtime changed since the copy (a pass copies the new version). */
  | "changed"
  /** Not in the source any more, or not a file there. */
  | "missing"
  /** Could not be read. */
  | "unreadable"
  /** Not compared: no source known, or a copy made in the racy window. */
  | "not-compared";

/** One mismatch. */
export interface Finding {
  /** Relative path in the mirror. */
  path: string;
  /** What is wrong, for people. */
  problem: "damaged" | "missing" | "not-a-file" | "changed" | "unreadable" | "source-differs";
  /** The hash the journal recorded. */
  expected: string;
  /** The destination's hash, or null when it could not be hashed. */
  found: string | null;
  /** The source's hash when it was hashed, else null. */
  sourceHash: string | null;
  /** How the source compared. */
  source: SourceCheck;
  /** Which side is wrong, as far as it can tell. */
  wrong: WrongSide;
  /** True when a recopy from the source restores what the journal recorded. */
  repairable: boolean;
  /** One line for people: what happened and what to do. */
  detail: string;
}

/** What checking one file came to. */
export interface FileCheck {
  /** Bytes read from the destination (0 when it could not be read). */
  bytes: number;
  /** The mismatch, or null when the destination holds what the journal recorded (and the source agrees). */
  finding: Finding | null;
}

/** What {@link Verifier} needs. */
export interface VerifierDeps {
  /** File system port (the source is read through it). */
  fs: FileSystem;
  /** The destination, read through its interface only. */
  destination: Destination;
  /** Absolute source root, or null when none is known (the destination is checked alone). */
  source: string | null;
  /** A hasher of its own (one hash at a time). */
  hasher: Hasher;
}

/** True for a state entry that verification can check: a file with a recorded hash. */
export function isVerifiable(entry: StateEntry): entry is StateEntry & { hash: string } {
  return entry.kind === "file" && entry.hash !== undefined;
}

/** Checks files of the mirror against the journal's hashes (and the source). */
export class Verifier {
  readonly #deps: VerifierDeps;

  /** A verifier over `deps`. */
  constructor(deps: VerifierDeps) {
    this.#deps = deps;
  }

  /** Hashes the destination's file at `path` and compares it with `entry` (a verifiable entry). */
  async check(path: string, entry: StateEntry & { hash: string }): Promise<FileCheck> {
    const { destination } = this.#deps;
    const base = { path, expected: entry.hash, sourceHash: null };
    let found: string;
    let bytes = 0;
    try {
      const at = await destination.stat(path);
      if (at.kind !== "file") {
        const src = await this.#source(path, entry);
        return {
          bytes,
          finding: {
            ...base,
            problem: "not-a-file",
            found: null,
            ...src,
            wrong: "destination",
            repairable: false,
            detail: `the destination holds a ${at.kind} here; the next pass replaces it`,
          },
        };
      }
      if (at.size !== entry.size || at.mtimeMs !== entry.mtimeMs) {
        // Not rot: its size or mtime changed too, which every pass sees and recopies.
        return {
          bytes,
          finding: {
            ...base,
            problem: "changed",
            found: null,
            source: "not-compared",
            sourceHash: null,
            wrong: "destination",
            repairable: false,
            detail: at.size !== entry.size
              ? `size ${at.size}, the journal says ${entry.size}; the next pass recopies it`
              : "its mtime changed since the copy; the next pass checks it",
          },
        };
      }
      const reader = await destination.openFile(path);
      try {
        const h = await hashReader(reader, this.#deps.hasher);
        found = h.hash;
        bytes = h.size;
      } finally {
        reader.close();
      }
    } catch (err) {
      const src = await this.#source(path, entry);
      const missing = isMissing(err);
      return {
        bytes,
        finding: {
          ...base,
          problem: missing ? "missing" : "unreadable",
          found: null,
          ...src,
          wrong: "destination",
          repairable: false,
          detail: missing
            ? "not in the destination; the next pass copies it again"
            : `cannot read it: ${describeError(err)}`,
        },
      };
    }
    const destOk = found === entry.hash;
    // A copy made in the racy window may meet a source written in the same tick: not compared.
    const src = entry.racy ? notCompared() : await this.#source(path, entry);
    if (destOk) {
      if (src.source !== "differs") return { bytes, finding: null };
      return {
        bytes,
        finding: {
          ...base,
          problem: "source-differs",
          found,
          ...src,
          wrong: "source",
          repairable: false,
          detail:
            "the source differs with the same size and mtime (edited with its mtime kept, or damaged); " +
            "no pass sees this: the backup keeps what was copied",
        },
      };
    }
    const finding: Finding = {
      ...base,
      problem: "damaged",
      found,
      ...src,
      wrong: "destination",
      repairable: false,
      detail: "",
    };
    switch (src.source) {
      case "same":
        finding.repairable = true;
        finding.detail =
          "the destination is damaged; the source still holds the copied content, to " +
          "recopy it from (`backup verify --repair`, or a daemon's next full pass)";
        break;
      case "differs":
        if (src.sourceHash === found) {
          finding.wrong = "journal";
          finding.detail = "source and destination agree with each other, not with the journal " +
            "(both edited with the mtime kept?)";
        } else {
          finding.wrong = "both";
          finding.detail = "neither the destination nor the source holds the copied content";
        }
        break;
      case "changed":
        finding.detail = "the destination is damaged; the source changed since, and the next " +
          "pass copies its new version";
        break;
      case "missing":
        finding.detail = "the destination is damaged and the source no longer has the file: " +
          "its content is lost unless a version is kept";
        break;
      case "unreadable":
        finding.detail = "the destination is damaged; the source cannot be read to repair it";
        break;
      case "not-compared":
        finding.detail = this.#deps.source === null
          ? "the destination is damaged (no source to compare with)"
          : "the destination is damaged (copied in the racy window: the source is not compared)";
        break;
    }
    return { bytes, finding };
  }

  /** Compares the source's file at `path` with the state entry (hashing it when size and mtime match). */
  async #source(
    path: string,
    entry: StateEntry & { hash: string },
  ): Promise<{ source: SourceCheck; sourceHash: string | null }> {
    const root = this.#deps.source;
    if (root === null) return notCompared();
    const { fs, hasher } = this.#deps;
    const abs = join(root, path);
    try {
      const info = fs.lstat(abs);
      if (info.kind !== "file") return { source: "missing", sourceHash: null };
      if (info.size !== entry.size || info.mtimeMs !== entry.mtimeMs) {
        return { source: "changed", sourceHash: null };
      }
      const { hash } = await hashSourceFile(fs, abs, hasher);
      return { source: hash === entry.hash ? "same" : "differs", sourceHash: hash };
    } catch (err) {
      if (isMissing(err)) return { source: "missing", sourceHash: null };
      return { source: "unreadable", sourceHash: null };
    }
  }
}

function notCompared(): { source: SourceCheck; sourceHash: null } {
  return { source: "not-compared", sourceHash: null };
}

/**
 * The files to verify: every verifiable entry of `entries` not named by an
 * unfinished intent (`busy`), sorted by path; with `percent` below 100, a
 * random sample of that share (at least one file when there is any).
 */
export function filesToVerify(
  entries: ReadonlyMap<string, StateEntry>,
  options: { percent?: number; busy?: ReadonlySet<string>; random?: () => number } = {},
): [string, StateEntry & { hash: string }][] {
  const all: [string, StateEntry & { hash: string }][] = [];
  for (const [path, entry] of entries) {
    if (isVerifiable(entry) && !options.busy?.has(path)) all.push([path, entry]);
  }
  const percent = options.percent ?? 100;
  if (percent < 100 && all.length > 0) {
    const random = options.random ?? Math.random;
    const want = Math.max(1, Math.round(all.length * percent / 100));
    // A partial Fisher-Yates shuffle: the first `want` are a uniform sample.
    for (let i = 0; i < want; i++) {
      const j = i + Math.floor(random() * (all.length - i));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    all.length = want;
  }
  return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
