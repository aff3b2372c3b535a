/**
 * `backup journal show --dest B [filters]`: every operation, oldest first,
 * streamed (memory holds one batch of operations waiting for their outcome,
 * plus `--limit` rows).
 *
 * @module
 */

import { EXIT, JournalCorruptError } from "../base/errors.ts";
import { isAtOrBelow } from "../base/paths.ts";
import { OpJoiner, type OpRow } from "../journal/history.ts";
import { readJournal } from "../journal/reader.ts";
import {
  checkpointJson,
  confirmedLine,
  type ConfirmedShown,
  heldLine,
  localOf,
  rowHeader,
  rowJson,
  rowLine,
} from "./format.ts";
import type { ConfirmedRecord, HeldRecord } from "../journal/record.ts";
import { findJournal, type JournalDeps, type ShowOptions } from "./journal_common.ts";

/** True when `row` passes the filters of `opts`. */
export function rowMatches(row: OpRow, opts: ShowOptions): boolean {
  if (opts.ops.length > 0 && !opts.ops.includes(row.op)) return false;
  if (
    opts.failed && row.outcome !== "failed" && row.outcome !== "interrupted" &&
    row.outcome !== "refused"
  ) {
    return false;
  }
  if (
    opts.path !== null && !isAtOrBelow(row.path, opts.path) &&
    !(row.from !== undefined && isAtOrBelow(row.from, opts.path))
  ) {
    return false;
  }
  if (opts.since !== null || opts.until !== null) {
    const t = Date.parse(row.ts);
    if (opts.since !== null && !(t >= opts.since)) return false;
    if (opts.until !== null && !(t <= opts.until)) return false;
  }
  return true;
}

/**
 * True when a mass-delete hold, or its confirmation, passes the filters of `opts` (`held` or
 * `confirmed` in `--op`; `--path` by its sample of paths: a confirmation whose hold the journal
 * no longer holds names none).
 */
export function heldMatches(held: HeldRecord | ConfirmedShown, opts: ShowOptions): boolean {
  if (opts.ops.length > 0 && !opts.ops.includes(held.type)) return false;
  const path = opts.path;
  const sample = held.sample ?? [];
  if (path !== null && !sample.some((p) => isAtOrBelow(p, path) || isAtOrBelow(path, p))) {
    return false;
  }
  const t = Date.parse(held.ts);
  if (opts.since !== null && !(t >= opts.since)) return false;
  if (opts.until !== null && !(t <= opts.until)) return false;
  return true;
}

/**
 * Runs `journal show`. Returns the exit code.
 *
 * @throws UsageError when there is no journal; JournalCorruptError after
 *   showing every operation before the damage.
 */
export function runShow(opts: ShowOptions, deps: JournalDeps): number {
  const { dir } = findJournal(deps.fs, opts.dest, deps.cwd);
  type Item = OpRow | HeldRecord | ConfirmedShown;
  const print = (item: Item) => {
    if (!("type" in item)) deps.out(opts.json ? rowJson(item) : rowLine(item));
    else if (opts.json) deps.out(JSON.stringify(item));
    else deps.out(item.type === "held" ? heldLine(item) : confirmedLine(item));
  };
  let shown = 0;
  let headed = false;
  const head = () => {
    if (!headed && !opts.json) deps.out(rowHeader());
    headed = true;
  };
  // --limit keeps the newest N in a ring; without it, rows stream out as they come.
  const ring: Item[] = [];
  let ringStart = 0;
  const take = (row: Item) => {
    if ("type" in row ? !heldMatches(row, opts) : !rowMatches(row, opts)) return;
    shown++;
    if (opts.limit === null) {
      head();
      print(row);
    } else if (ring.length < opts.limit) {
      ring.push(row);
    } else {
      ring[ringStart] = row;
      ringStart = (ringStart + 1) % opts.limit;
    }
  };
  const flushRing = () => {
    if (ring.length > 0) head();
    for (let i = 0; i < ring.length; i++) print(ring[(ringStart + i) % ring.length]!);
    ring.length = 0;
  };
  // The holds since the last confirmation, by seq: a confirmation names its hold's paths.
  const holds = new Map<number, HeldRecord>();
  const onHeld = (held: HeldRecord) => {
    holds.set(held.seq, held);
    take(held);
  };
  const onConfirmed = (confirmed: ConfirmedRecord) => {
    const sample = holds.get(confirmed.ref)?.sample;
    holds.clear();
    take(sample === undefined ? confirmed : { ...confirmed, sample });
  };
  const joinerOf = () => new OpJoiner(take, { onHeld, onConfirmed });
  let joiner = joinerOf();
  try {
    readJournal(deps.fs, dir, {
      repair: false,
      onCheckpoint: (cp) => {
        if (opts.json) deps.out(checkpointJson(cp));
        else {
          deps.out(
            `(history up to seq ${cp.seq} was compacted on ${
              localOf(cp.ts)
            } into ${cp.name}: ${cp.entries} entries)`,
          );
        }
      },
      onPending: (intent) => joiner.pending(intent),
      // A damaged checkpoint passed over: forget its unfinished intents (nothing was shown yet).
      onReset: () => {
        joiner = joinerOf();
        holds.clear();
      },
      onRecord: (rec) => joiner.record(rec),
    });
  } catch (err) {
    if (err instanceof JournalCorruptError) {
      joiner.finish();
      flushRing();
    }
    throw err;
  }
  joiner.finish();
  flushRing();
  if (shown === 0 && !opts.json) deps.out("no operations match");
  return EXIT.OK;
}
