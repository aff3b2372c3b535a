/**
 * What the `journal` sub-commands share: their parsed options, their
 * dependencies, and finding a destination's journal.
 *
 * @module
 */

import { type FileSystem, isMissing } from "../base/fs.ts";
import type { ReconcilerLogs } from "../engine/reconciler.ts";
import type { OpName } from "../journal/record.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { absolute, unsafeReason } from "../base/paths.ts";
import { journalDir } from "../base/layout.ts";

/** Options of `journal show`. */
export interface ShowOptions {
  /** Sub-command. */
  action: "show";
  /** Destination root as given. */
  dest: string;
  /** Only this path and below. */
  path: string | null;
  /** Only at or after (ms). */
  since: number | null;
  /** Only at or before (ms). */
  until: number | null;
  /** Only these operations (empty: all). */
  ops: ShownOp[];
  /** Only failed and interrupted operations. */
  failed: boolean;
  /** Only the newest N. */
  limit: number | null;
  /** JSON lines. */
  json: boolean;
}

/**
 * What `journal show --op` can pick: an operation, `held` (a mass-delete hold) or `confirmed`
 * (its confirmation by `backup confirm`).
 */
export type ShownOp = OpName | "held" | "confirmed";

/** Options of `journal why`. */
export interface WhyOptions {
  /** Sub-command. */
  action: "why";
  /** Destination root as given. */
  dest: string;
  /** The path asked about, as given. */
  path: string;
  /** JSON lines. */
  json: boolean;
}

/** Options of `journal verify`. */
export interface VerifyOptions {
  /** Sub-command. */
  action: "verify";
  /** Destination root as given. */
  dest: string;
  /** One JSON object instead of text. */
  json: boolean;
}

/** Options of `journal replay`. */
export interface ReplayOptions {
  /** Sub-command. */
  action: "replay";
  /** Destination root as given. */
  dest: string;
  /** Print what would be done; change nothing. */
  dryRun: boolean;
  /** JSON lines. */
  json: boolean;
}

/** Options of `journal compact`. */
export interface CompactOptions {
  /** Sub-command. */
  action: "compact";
  /** Destination root as given. */
  dest: string;
  /** One JSON object instead of text. */
  json: boolean;
}

/** Parsed `journal` arguments. */
export type JournalOptions =
  | ShowOptions
  | WhyOptions
  | VerifyOptions
  | ReplayOptions
  | CompactOptions;

/** Normalises a relative path given by a user: no `./`, no trailing or doubled `/`. */
export function cleanRel(p: string): string {
  return p.split("/").filter((s) => s !== "" && s !== ".").join("/");
}

/**
 * Turns the PATH argument into a relative path: relative as given, or
 * absolute inside the destination or the source.
 *
 * @throws UsageError when it is outside both, or not a safe relative path.
 */
export function relativeTarget(arg: string, dest: string, source: string | null): string {
  let rel = arg;
  if (arg.startsWith("/")) {
    const inside = [dest, source].find((root) => root !== null && arg.startsWith(root + "/"));
    if (inside === undefined || inside === null) {
      throw new UsageError(
        `"${arg}" is neither inside the destination ${dest}${
          source ? ` nor inside the source ${source}` : ""
        }; give a path relative to the destination`,
      );
    }
    rel = arg.slice(inside.length + 1);
  }
  rel = cleanRel(rel);
  const why = unsafeReason(rel);
  if (why !== null) throw new UsageError(`cannot ask about "${arg}": ${why}`);
  return rel;
}

/** What the journal commands need. */
export interface JournalDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory. */
  cwd: string;
  /** Prints one line to stdout. */
  out: (line: string) => void;
  /** Loggers (replay's pass logs like the daemon's). */
  logs: ReconcilerLogs;
  /** Stops replay's pass after the current batch. */
  signal: AbortSignal;
  /** Sets up logging to the destination's log file (replay only). */
  startLogging: (logFile: string) => Promise<void>;
}

/** A destination's absolute root and journal folder. */
export interface JournalPlace {
  /** Absolute destination root. */
  dest: string;
  /** Its journal folder. */
  dir: string;
}

/**
 * Resolves `--dest` and checks that it holds a journal.
 *
 * @throws UsageError when it does not.
 */
export function findJournal(fs: FileSystem, destArg: string, cwd: string): JournalPlace {
  const dest = absolute(destArg, cwd);
  const dir = journalDir(dest);
  let kind: string;
  try {
    kind = fs.lstat(dir).kind;
  } catch (err) {
    if (!isMissing(err)) {
      throw new UsageError(`cannot look for a journal in ${dir}: ${describeError(err)}`, {
        cause: err,
      });
    }
    throw new UsageError(`no journal in "${destArg}" (looked for ${dir}); is it a backup?`);
  }
  if (kind !== "dir") throw new UsageError(`${dir} is not a folder; is "${destArg}" a backup?`);
  return { dest, dir };
}
