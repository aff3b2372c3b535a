/**
 * `backup journal show|why|verify|replay|compact --dest B`: inspect and
 * repair a destination's journal. Parsing and dispatch live here; each
 * sub-command has its own file.
 *
 * @module
 */

import type { ShownOp } from "./journal_common.ts";
import { UsageError } from "../base/errors.ts";
import { cleanRel, type JournalDeps, type JournalOptions } from "./journal_common.ts";
import { flag, type OptionTable, type Parsed, parseStrict, str } from "./args.ts";
import { parseCount, parseTime } from "./format.ts";
import { runShow } from "./journal_show.ts";
import { runWhy } from "./journal_why.ts";
import { runVerify } from "./journal_verify.ts";
import { runReplay } from "./journal_replay.ts";
import { runCompact } from "./journal_compact.ts";

/** Help text of `backup journal`. */
export const HELP = `backup journal: inspect and repair a destination's journal

Usage:
  backup journal show    --dest DIR [--path P] [--since TIME] [--until TIME]
                         [--op OP] [--failed] [--limit N] [--json]
  backup journal why     --dest DIR PATH [--json]
  backup journal verify  --dest DIR [--json]
  backup journal replay  --dest DIR [--dry-run] [--json]
  backup journal compact --dest DIR [--json]

show     every operation, oldest first: local time, seq, op, outcome (done,
         FAILED, interrupted, unfinished), trigger, size and path.
           --path P      only P and what lies below it (moves from or to it too)
           --since TIME  only operations at or after TIME; --until TIME: at or
                         before. TIME: 2026-11-22T10:00, "2026-11-22 10:00",
                         2026-11-22 (local time), ISO with a zone, or an age
                         (90s, 30m, 2h, 7d)
           --op OP       only copy, mkdir, symlink, delete, meta, move,
                         held (passes whose deletions the mass-delete guard
                         held) or confirmed (their confirmation by backup
                         confirm); repeat it, or separate with commas
           --failed      only failed and interrupted operations
           --limit N     only the newest N (after the other filters)
why      the life of one path: every decision about it (following it through
         moves, backwards and forwards), with its time, trigger, hash and
         outcome, and where it is now. PATH is relative to DIR (or absolute,
         inside DIR or the source).
verify   checks the checkpoint and every segment (framing, checksums, headers,
         sequence numbers) and changes nothing. Exit 0 when sound or when it
         ends in a torn tail (a crash mid-write: the next start truncates it),
         3 when it is corrupt before its end.
replay   re-runs unfinished operations: takes the lock, replays the journal
         (truncating a torn tail), closes the operations a crash left
         unfinished and runs one reconcile pass from the source the journal
         names, which re-checks them. --dry-run prints the unfinished
         operations and the plan, and changes nothing.
compact  takes the lock, writes a checkpoint of the state map and deletes the
         segments before it. A running daemon does this by itself when the
         journal passes --journal-max-mb.

show, why and verify (and \`backup status\`) only read, and work while a daemon
runs. replay and compact need the destination's lock: exit 5 while a daemon
runs. --json prints one JSON object per line instead of columns.

Exit codes: 0 ok, 2 bad usage or no journal, 3 journal corrupt, 5 locked by a
running daemon, 6 replay's pass had errors, held deletions or was skipped.
`;

export type { JournalDeps, JournalOptions };

/** Operations `--op` accepts (`held`: passes whose deletions the mass-delete guard held). */
export const OP_NAMES: readonly ShownOp[] = [
  "copy",
  "mkdir",
  "symlink",
  "delete",
  "meta",
  "move",
  "held",
  "confirmed",
];

const BASE: OptionTable = { dest: { type: "string" }, json: { type: "boolean" } };
const TABLES: Record<JournalOptions["action"], OptionTable> = {
  show: {
    ...BASE,
    path: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    op: { type: "string", multiple: true },
    failed: { type: "boolean" },
    limit: { type: "string" },
  },
  why: BASE,
  verify: BASE,
  replay: { ...BASE, "dry-run": { type: "boolean" } },
  compact: BASE,
};

function isAction(a: string | undefined): a is JournalOptions["action"] {
  return a !== undefined && Object.hasOwn(TABLES, a);
}

function parseOps(p: Parsed): ShownOp[] {
  const raw = p.values.op;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .flatMap((v) => String(v).split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const op of list) {
    if (!OP_NAMES.includes(op as ShownOp)) {
      throw new UsageError(`--op takes ${OP_NAMES.join(", ")}; not "${op}"`);
    }
  }
  return list as ShownOp[];
}

/**
 * Parses `backup journal ...` arguments (after the word `journal`).
 *
 * @throws UsageError on a bad sub-command or flag.
 */
export function parseJournalArgs(argv: string[], now: number = Date.now()): JournalOptions {
  const action = argv[0];
  if (!isAction(action)) {
    throw new UsageError(
      `unknown journal command "${action ?? ""}"; see \`backup journal --help\``,
    );
  }
  const cmd = `backup journal ${action}`;
  const p = parseStrict(argv.slice(1), TABLES[action], "backup journal", true);
  const dest = str(p, "dest");
  if (!dest) throw new UsageError(`missing --dest DIR; see \`backup journal --help\``);
  const json = flag(p, "json");
  const positionals = p.positionals;
  if (action === "why") {
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? `missing PATH: \`${cmd} --dest DIR PATH\``
          : `unexpected argument "${positionals[1]}"; give one PATH`,
      );
    }
    return { action, dest, path: positionals[0]!, json };
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"; see \`backup journal --help\``);
  }
  switch (action) {
    case "show": {
      const since = str(p, "since");
      const until = str(p, "until");
      const limit = str(p, "limit");
      const path = str(p, "path");
      return {
        action,
        dest,
        path: path === undefined ? null : cleanRel(path),
        since: since === undefined ? null : parseTime(since, "--since", now),
        until: until === undefined ? null : parseTime(until, "--until", now),
        ops: parseOps(p),
        failed: flag(p, "failed"),
        limit: limit === undefined ? null : parseCount(limit, "--limit"),
        json,
      };
    }
    case "verify":
    case "compact":
      return { action, dest, json };
    case "replay":
      return { action, dest, dryRun: flag(p, "dry-run"), json };
  }
}

/**
 * Runs a journal sub-command. Returns the exit code.
 *
 * @throws UsageError, JournalCorruptError, LockedError, JournalIoError: main maps them.
 */
export function runJournal(opts: JournalOptions, deps: JournalDeps): Promise<number> {
  switch (opts.action) {
    case "show":
      return Promise.resolve(runShow(opts, deps));
    case "why":
      return Promise.resolve(runWhy(opts, deps));
    case "verify":
      return Promise.resolve(runVerify(opts, deps));
    case "replay":
      return runReplay(opts, deps);
    case "compact":
      return runCompact(opts, deps);
  }
}
