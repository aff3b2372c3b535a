/**
 * `backup journal why --dest B PATH`: the life of one path. Every decision
 * about it, following it through moves in both directions (a folder move
 * moves everything below it), with what each one meant, and where it is now.
 *
 * Two streaming reads: the first collects the completed moves (memory grows
 * with the number of moves only), from which the names the path had and
 * when are worked out; the second picks out the operations on those names.
 *
 * @module
 */

import type { StateEntry } from "../journal/state.ts";
import type { CheckpointInfo } from "../journal/checkpoint.ts";
import { EXIT } from "../base/errors.ts";
import { showPath } from "../base/paths.ts";
import { formatBytes } from "../base/units.ts";
import { OpJoiner, type OpRow } from "../journal/history.ts";
import type { ConfirmedRecord, HeldRecord } from "../journal/record.ts";
import { readJournal } from "../journal/reader.ts";
import {
  checkpointJson,
  columns,
  confirmedWidths,
  localOf,
  outcomeText,
  pathText,
} from "./format.ts";
import {
  findJournal,
  type JournalDeps,
  relativeTarget,
  type WhyOptions,
} from "./journal_common.ts";

/** A completed move. */
export interface Move {
  /** Seq of its intent. */
  seq: number;
  /** Old path. */
  from: string;
  /** New path. */
  to: string;
}

/** A name the path had, for the intents with `after < seq <= until`. */
export interface Span {
  /** Relative path. */
  name: string;
  /** Exclusive lower seq bound. */
  after: number;
  /** Inclusive upper seq bound. */
  until: number;
}

/** What lies below `prefix` in `name` (`""` when equal, `/rest` below), or `null`. */
function restBelow(name: string, prefix: string): string | null {
  if (name === prefix) return "";
  return name.startsWith(prefix + "/") ? name.slice(prefix.length) : null;
}

/**
 * Works out every name `path` had through the completed `moves` (oldest
 * first). `path` itself is followed over the whole journal; a name reached by
 * a move forwards is followed from that move until it moves on (or something
 * else is moved onto it); a name reached backwards, from the last move that
 * touched it until the move that took it to the next name.
 */
export function lineage(path: string, moves: Move[]): Span[] {
  const spans: Span[] = [];
  const seen = new Set<string>();
  const work: Span[] = [{ name: path, after: -Infinity, until: Infinity }];
  while (work.length > 0) {
    const sp = work.pop()!;
    const key = `${sp.name}\0${sp.after}\0${sp.until}`;
    if (seen.has(key)) continue;
    seen.add(key);
    spans.push(sp);
    moves.forEach((m, i) => {
      if (!(m.seq > sp.after && m.seq <= sp.until)) return;
      const fromRest = restBelow(sp.name, m.from);
      if (fromRest !== null) {
        // Moved away: from here on it is called `to + rest`.
        const name = m.to + fromRest;
        let until = Infinity;
        for (const m2 of moves.slice(i + 1)) {
          if (restBelow(name, m2.from) !== null) {
            until = m2.seq; // moves on: that move is part of its life
            break;
          }
          if (restBelow(name, m2.to) !== null) {
            until = m2.seq - 1; // something else took the name
            break;
          }
        }
        work.push({ name, after: m.seq, until });
      }
      const toRest = restBelow(sp.name, m.to);
      if (toRest !== null) {
        // Moved in: before this, it was called `from + rest`.
        const name = m.from + toRest;
        let after = -Infinity;
        for (let k = i - 1; k >= 0; k--) {
          const m0 = moves[k]!;
          if (restBelow(name, m0.to) !== null) {
            after = m0.seq - 1; // it arrived there by an earlier move: follow that too
            break;
          }
          if (restBelow(name, m0.from) !== null) {
            after = m0.seq; // what was there before left: a different file
            break;
          }
        }
        work.push({ name, after, until: m.seq - 1 });
      }
    });
  }
  return spans;
}

/** True when `name` is one of the spans' names at intent `seq`. */
function trackedAt(spans: Span[], name: string, seq: number): boolean {
  return spans.some((s) => s.name === name && seq > s.after && seq <= s.until);
}

/** True when a move at `seq` from `from` to `to` moved one of the spans' names (or a folder above one). */
function moveTouches(spans: Span[], row: OpRow): boolean {
  return spans.some((s) =>
    row.seq > s.after && row.seq <= s.until &&
    (restBelow(s.name, row.path) !== null ||
      (row.from !== undefined && restBelow(s.name, row.from) !== null))
  );
}

/** Explains one operation in a few words, given whether its path existed before. */
function noteFor(row: OpRow, existed: boolean, spans: Span[]): string {
  switch (row.outcome) {
    case "failed":
      return `not applied: ${row.error ?? "failed"}; retried by the next pass`;
    case "interrupted":
      return "interrupted by a crash or kill; the next pass re-checked it";
    case "refused":
      return `refused, never applied: ${
        row.error ?? "unsafe path"
      } (the journal was written by hand?)`;
    case "pending":
      return "unfinished: a running daemon is applying it, or the next start re-checks it";
    case "done":
      break;
  }
  const why = row.reason === "watch"
    ? "the watcher saw a change"
    : row.reason === "replay"
    ? "re-checked by a replay"
    : "found by a scan";
  switch (row.op) {
    case "copy":
      return `${existed ? "content updated" : "created"} (${why})${
        row.racy ? "; changed within 2 s of the copy, so re-hashed next pass" : ""
      }`;
    case "mkdir":
      return `folder created (${why})`;
    case "symlink":
      return `symlink ${existed ? "replaced" : "created"} (${why})`;
    case "meta":
      return row.hash !== undefined
        ? `content checked by hash and unchanged; mode and time recorded (${why})`
        : `mode or time updated, content unchanged (${why})`;
    case "delete":
      return existed
        ? `deleted: no longer in the source (${why})`
        : `deleted: it was in the destination but not in the source (${why})`;
    case "move": {
      if (trackedAt(spans, row.from!, row.seq)) return `moved to ${showPath(row.path)}`;
      if (trackedAt(spans, row.path, row.seq + 1)) return `moved here from ${showPath(row.from!)}`;
      return `folder ${showPath(row.from!)} moved to ${showPath(row.path)}`;
    }
  }
}

const WIDTHS = [19, 8, 7, 11, 6, 9, 12];

function whyHeader(): string {
  return columns(
    ["TIME", "SEQ", "OP", "OUTCOME", "WHY", "SIZE", "HASH", "PATH: WHAT IT MEANT"],
    WIDTHS,
  );
}

function whyLine(row: OpRow, note: string): string {
  const size = row.op === "copy" ? formatBytes(row.bytes ?? row.size ?? 0) : "";
  return columns([
    localOf(row.ts),
    String(row.seq),
    row.op,
    outcomeText(row),
    row.reason,
    size,
    (row.hash ?? "").slice(0, 12),
    `${pathText(row)}: ${note}`,
  ], WIDTHS);
}

/**
 * Runs `journal why`. Returns the exit code.
 *
 * @throws UsageError when there is no journal or PATH is bad;
 *   JournalCorruptError when the journal is damaged.
 */
export function runWhy(opts: WhyOptions, deps: JournalDeps): number {
  const { dest, dir } = findJournal(deps.fs, opts.dest, deps.cwd);

  // 1. Completed moves.
  const moveIntents = new Map<number, { from: string; to: string }>();
  const moves: Move[] = [];
  const first = readJournal(deps.fs, dir, {
    repair: false,
    onRecord: (rec) => {
      if (rec.type === "intent" && rec.op === "move" && typeof rec.from === "string") {
        moveIntents.set(rec.seq, { from: rec.from, to: String(rec.path) });
      } else if (rec.type === "done" || rec.type === "failed") {
        const m = moveIntents.get(rec.ref);
        if (!m) return;
        moveIntents.delete(rec.ref);
        if (rec.type === "done") moves.push({ seq: rec.ref, ...m });
      }
    },
  });
  moves.sort((a, b) => a.seq - b.seq);
  const path = relativeTarget(opts.path, dest, first.source);
  const spans = lineage(path, moves);

  // 2. The operations on those names.
  const exists = new Set<string>();
  let cp: CheckpointInfo | null = null;
  const cpEntries: [string, StateEntry][] = [];
  let rows = 0;
  let last: { row: OpRow; note: string } | null = null;
  if (!opts.json) deps.out(`life of ${showPath(path)} in ${dest} (following moves):`);
  const emit = (row: OpRow) => {
    const isMove = row.op === "move";
    if (isMove ? !moveTouches(spans, row) : !trackedAt(spans, row.path, row.seq)) return;
    const existed = exists.has(row.path);
    const note = noteFor(row, existed, spans);
    if (row.outcome === "done") {
      if (isMove) {
        for (const n of [...exists]) {
          const rest = restBelow(n, row.from!);
          if (rest === null) continue;
          exists.delete(n);
          exists.add(row.path + rest);
        }
      } else if (row.op === "delete") exists.delete(row.path);
      else exists.add(row.path);
    }
    if (rows === 0 && !opts.json) deps.out(whyHeader());
    rows++;
    last = { row, note };
    deps.out(opts.json ? JSON.stringify({ type: "op", ...row, note }) : whyLine(row, note));
  };
  const names = new Set(spans.map((s) => s.name));
  let cpDone = false;
  function flushCheckpoint(): void {
    if (cpDone || cp === null) return;
    cpDone = true;
    const info: CheckpointInfo = cp;
    const atCp = cpEntries.filter(([name]) => trackedAt(spans, name, info.seq));
    cpEntries.length = 0;
    for (const pair of atCp) cpEntries.push(pair); // no spread: a whole tree's entries may be here
    if (opts.json) deps.out(checkpointJson(info));
    for (const [name, e] of cpEntries) {
      exists.add(name);
      if (opts.json) {
        deps.out(JSON.stringify({ type: "entry", path: name, ...e, checkpointSeq: info.seq }));
      } else {
        deps.out(
          `(history up to seq ${info.seq} was compacted on ${localOf(info.ts)}; then ${
            showPath(name)
          } was in the backup: ${e.kind}${e.kind === "file" ? `, ${formatBytes(e.size)}` : ""}${
            e.hash ? `, hash ${e.hash.slice(0, 12)}` : ""
          })`,
        );
      }
    }
    if (cpEntries.length === 0 && !opts.json) {
      deps.out(
        `(history up to seq ${info.seq} was compacted on ${
          localOf(info.ts)
        }; then it was not in the backup)`,
      );
    }
  }
  /** One row of the mass-delete guard (a hold, a confirmation) naming this path among `mine`. */
  const guardRow = (rec: HeldRecord | ConfirmedRecord, mine: string[], note: string) => {
    if (rows === 0 && !opts.json) deps.out(whyHeader());
    rows++;
    const outcome = rec.type === "held" ? "HELD" : "CONFIRMED";
    deps.out(
      opts.json ? JSON.stringify({ ...rec, note }) : columns(
        [
          localOf(rec.ts),
          String(rec.seq),
          rec.type,
          outcome,
          "",
          "",
          "",
          `${mine.map(showPath).join(", ")}: ${note}`,
        ],
        rec.type === "held" ? WIDTHS : confirmedWidths(WIDTHS),
      ),
    );
  };
  // A mass-delete hold names a sample of its paths: shown when this file is among them.
  // The holds since the last confirmation, by seq: a confirmation names its hold's sample.
  const holds = new Map<number, HeldRecord>();
  const onHeld = (held: HeldRecord) => {
    holds.set(held.seq, held);
    const mine = held.sample.filter((p) => trackedAt(spans, p, held.seq));
    if (mine.length === 0) return;
    guardRow(
      held,
      mine,
      `its deletion was held by the mass-delete guard (the pass would have deleted ` +
        `${held.count} of ${held.tracked} entries); nothing was deleted`,
    );
  };
  const onConfirmed = (confirmed: ConfirmedRecord) => {
    const sample = holds.get(confirmed.ref)?.sample ?? [];
    holds.clear();
    const mine = sample.filter((p) => trackedAt(spans, p, confirmed.seq));
    if (mine.length === 0) return;
    guardRow(
      { ...confirmed, sample } as ConfirmedRecord,
      mine,
      `its held deletion was confirmed (backup confirm): the pass applies the ` +
        `${confirmed.count} deletions held at seq ${confirmed.ref}`,
    );
  };
  const joiner = new OpJoiner(emit, { onHeld, onConfirmed });
  readJournal(deps.fs, dir, {
    repair: false,
    onCheckpoint: (info) => {
      cp = info;
    },
    onEntry: (name, entry) => {
      // The checkpoint's seq is known once it has been read whole: keep candidates.
      if (names.has(name)) cpEntries.push([name, entry]);
    },
    onReset: () => {
      cpEntries.length = 0;
    },
    onPending: (intent) => {
      flushCheckpoint();
      joiner.pending(intent);
    },
    onRecord: (rec) => {
      flushCheckpoint();
      joiner.record(rec);
    },
  });
  flushCheckpoint();
  joiner.finish();

  // 3. Where it is now.
  const now = [...exists];
  const lastSeen = last as { row: OpRow; note: string } | null;
  const summary = {
    type: "now",
    path,
    inBackup: now.length > 0,
    names: now,
    operations: rows,
    followed: [...names],
  };
  if (opts.json) {
    deps.out(JSON.stringify(summary));
  } else if (rows === 0 && cpEntries.length === 0) {
    deps.out(`no decision about ${showPath(path)} in the journal`);
  } else if (now.length > 0) {
    deps.out(`now: in the backup as ${now.map(showPath).join(", ")}`);
  } else if (lastSeen && lastSeen.row.op === "delete" && lastSeen.row.outcome === "done") {
    deps.out(
      `now: not in the backup; deleted on ${
        localOf(lastSeen.row.outcomeTs ?? lastSeen.row.ts)
      } (seq ${lastSeen.row.seq}): ${lastSeen.note}`,
    );
  } else {
    deps.out("now: not in the backup");
  }
  return EXIT.OK;
}
