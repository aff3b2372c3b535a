/**
 * `backup journal verify --dest B`: checks a journal without changing it.
 *
 * @module
 */

import type { FileSystem } from "../fs.ts";
import { EXIT, JournalCorruptError, UsageError } from "../errors.ts";
import { absolute } from "../paths.ts";
import { readJournal } from "../../journal/reader.ts";
import { journalDir } from "../../journal/segments.ts";
import { flag, type OptionTable, parseStrict, str } from "./args.ts";

/** Help text of `backup journal`. */
export const HELP = `backup journal: inspect a destination's journal

Usage:
  backup journal verify --dest DIR [--json]

verify   checks framing, checksums, headers and sequence numbers of every
         segment in DIR/.backup/journal, and changes nothing. Exit 0 when the
         journal is sound or ends in a torn tail (a crash mid-write: the next
         start truncates it), 3 when it is corrupt before its end.
`;

/** Parsed `journal` arguments. */
export interface JournalOptions {
  /** Sub-command. */
  action: "verify";
  /** Destination root as given. */
  dest: string;
  /** One JSON object instead of text. */
  json: boolean;
}

const OPTIONS: OptionTable = { dest: { type: "string" }, json: { type: "boolean" } };

/**
 * Parses `backup journal ...` arguments (after the word `journal`).
 *
 * @throws UsageError on a bad sub-command or flag.
 */
export function parseJournalArgs(argv: string[]): JournalOptions {
  const p = parseStrict(argv, OPTIONS, "backup journal", true);
  const [action, ...rest] = p.positionals;
  if (action !== "verify") {
    throw new UsageError(
      `unknown journal command "${action ?? ""}"; see \`backup journal --help\``,
    );
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const dest = str(p, "dest");
  if (!dest) throw new UsageError("missing --dest DIR; see `backup journal --help`");
  return { action, dest, json: flag(p, "json") };
}

/** What the journal command needs. */
export interface JournalDeps {
  /** File system port. */
  fs: FileSystem;
  /** Current directory. */
  cwd: string;
  /** Prints one line to stdout. */
  out: (line: string) => void;
}

/**
 * Runs `journal verify`. Returns the exit code.
 *
 * @throws UsageError when the destination has no journal.
 */
export function runJournal(opts: JournalOptions, deps: JournalDeps): number {
  const dir = journalDir(absolute(opts.dest, deps.cwd));
  try {
    deps.fs.lstat(dir);
  } catch {
    throw new UsageError(`no journal in "${opts.dest}" (looked for ${dir}); is it a backup?`);
  }
  try {
    const s = readJournal(deps.fs, dir, { repair: false });
    if (opts.json) {
      deps.out(JSON.stringify({ ok: true, ...s }));
    } else {
      deps.out(
        `journal OK: ${s.records} records in ${s.segments.length} segments, last seq ${s.lastSeq}`,
      );
      if (s.tornTail) {
        const t = s.tornTail;
        deps.out(
          `torn tail (recoverable): ${t.segment} at byte ${t.offset}, ${t.bytes} bytes (${t.reason}); the next start truncates it`,
        );
      }
    }
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof JournalCorruptError)) throw err;
    if (opts.json) {
      deps.out(JSON.stringify({
        ok: false,
        segment: err.segment,
        offset: err.offset,
        lastSeq: err.lastSeq,
        error: err.message,
      }));
    } else {
      deps.out(`journal CORRUPT: ${err.message}`);
    }
    return EXIT.JOURNAL_CORRUPT;
  }
}
