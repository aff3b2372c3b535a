/**
 * The mass-delete guard's window of a running daemon, worked out from its
 * journal: what a dry run needs to judge deletions as that daemon's next pass
 * would (the daemon keeps its window in memory, lib/engine/delete_window.ts).
 *
 * The journal is folded as replay folds it, and the daemon's own steps are
 * taken on the way: each completed delete intent journaled since the daemon
 * started is recorded in a {@link DeleteWindow} with the backup's size before
 * it, each entry a completed intent brought into the backup is noted as
 * created, and a `confirmed` record empties the window. Where the journal
 * holds less than the daemon's memory, this errs in the known directions:
 *
 * - a delete the pass did not judge (its path was made again in that pass)
 *   is recorded, then forgotten because the backup holds the path again;
 * - the deletions a confirmation let through are the `count` delete intents
 *   after the `confirmed` record (the journal does not name them);
 * - the paths a hold in force keeps are not in the journal (a `held` record
 *   names a sample): the caller is told the hold, not its paths.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import type { IntentRecord, JournalRecord } from "../journal/record.ts";
import { readJournal } from "../journal/reader.ts";
import { emptyState, foldRecord } from "../journal/state.ts";
import { DELETE_WINDOW_MS, DeleteWindow, type WindowView } from "./delete_window.ts";

/** The hold in force: the latest `held` record since the start, not confirmed since. */
export interface HoldInForce {
  /** Seq of the `held` record. */
  seq: number;
  /** Deletions it held. */
  count: number;
}

/** What {@link replayDeleteWindow} found. */
export interface ReplayedWindow {
  /** The window as the daemon's next pass would see it. */
  view: WindowView;
  /** Entries the backup holds now, as the journal says. */
  tracked: number;
  /** The hold in force, or null. */
  hold: HoldInForce | null;
}

/** When and from what size a delete intent was journaled. */
interface DeleteIntent {
  path: string;
  at: number;
  trackedBefore: number;
}

/**
 * Works out the mass-delete guard's window at `now` of a daemon that started at `since` (ms)
 * on the journal folder `dir`. Reads only.
 *
 * @throws JournalCorruptError when the journal is damaged before its end.
 */
export function replayDeleteWindow(
  fs: FileSystem,
  dir: string,
  options: { since: number; now: number; spanMs?: number },
): ReplayedWindow {
  let state = emptyState();
  let window = new DeleteWindow(options.spanMs ?? DELETE_WINDOW_MS);
  let deletes = new Map<number, DeleteIntent>();
  let made = new Map<number, string>();
  let hold: HoldInForce | null = null;
  let confirmedLeft = 0;
  const since = (ts: string) => Date.parse(ts) >= options.since;
  const onRecord = (rec: JournalRecord) => {
    if (rec.type === "intent") noteIntent(rec);
    else if (rec.type === "done") {
      const deleted = deletes.get(rec.ref);
      if (deleted !== undefined) window.record(deleted.at, deleted.trackedBefore, [deleted.path]);
      const path = made.get(rec.ref);
      if (path !== undefined) window.created([path]);
    } else if (rec.type === "held" && since(rec.ts)) {
      hold = { seq: rec.seq, count: rec.count };
    } else if (rec.type === "confirmed" && since(rec.ts)) {
      window.clear();
      hold = null;
      confirmedLeft = rec.count;
    }
    if (rec.type === "done" || rec.type === "failed") {
      deletes.delete(rec.ref);
      made.delete(rec.ref);
    }
    foldRecord(state, rec);
  };
  const noteIntent = (intent: IntentRecord) => {
    if (!since(intent.ts)) return;
    const path = String(intent.path);
    if (intent.op === "delete") {
      // The deletions a confirmation let through come right after it: never counted.
      if (confirmedLeft > 0) {
        confirmedLeft--;
        return;
      }
      deletes.set(intent.seq, {
        path,
        at: Date.parse(intent.ts),
        trackedBefore: state.entries.size,
      });
    } else if (intent.op !== "meta" && intent.op !== "move" && !state.entries.has(path)) {
      made.set(intent.seq, path);
    }
  };
  readJournal(fs, dir, {
    repair: false,
    onEntry: (path, entry) => {
      state.entries.set(path, entry);
    },
    onReset: () => {
      state = emptyState();
      window = new DeleteWindow(options.spanMs ?? DELETE_WINDOW_MS);
      deletes = new Map();
      made = new Map();
      hold = null;
      confirmedLeft = 0;
    },
    onRecord,
  });
  const tracked = state.entries.size;
  const view = window.view(options.now, tracked, (path) => state.entries.has(path));
  return { view, tracked, hold };
}
