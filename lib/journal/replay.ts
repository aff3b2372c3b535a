/**
 * Start-up replay: reads the journal (the newest checkpoint, then the
 * segments after it), truncates a torn tail, and folds every record into the
 * state map with the same fold the daemon uses live.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { intentUnsafeReason, isRefusalClose, REFUSED_PREFIX } from "./record_check.ts";
import { emptyState, foldRecord, type State } from "./state.ts";
import { readJournal, type ReadSummary } from "./reader.ts";
import type { FailedRecord, Unstamped } from "./record.ts";

/** Result of {@link replayJournal}. */
export interface Replayed {
  /** The state the journal describes; `pending` holds intents that may or may not have been applied. */
  state: State;
  /** What the reader found (segments, torn tail, source root). */
  summary: ReadSummary;
  /**
   * Intents refused because a path of theirs could lead outside the destination, and not closed
   * yet (no `failed` record names them; see {@link refusalCloses}); seq 0 for a checkpoint's.
   */
  refused: Refusal[];
  /** Refused intents already closed by a record: reported once, when they were closed. */
  refusedClosed: number;
}

/** An intent replay refused, and why (a type, not an interface: loggers take it as properties). */
export type Refusal = {
  /** Its seq (0 for an entry or intent of the checkpoint). */
  seq: number;
  /** Its path, as text. */
  path: string;
  /** Why it is unsafe. */
  reason: string;
};

/**
 * The `failed` records that close refused intents, so that they are neither unfinished in
 * `status` nor refused again at every start: the caller that opened the journal for writing
 * appends them with the closes of interrupted intents. Checkpoint refusals (seq 0) need none:
 * the next compaction leaves them out.
 */
export function refusalCloses(refused: readonly Refusal[]): Unstamped<FailedRecord>[] {
  return refused.filter((refusal) => refusal.seq > 0).map((refusal) => ({
    type: "failed",
    ref: refusal.seq,
    error: `${REFUSED_PREFIX}: ${refusal.reason}`,
  }));
}

/** Options for {@link replayJournal}. */
export interface ReplayOptions {
  /** Truncate a torn tail (default true; false for read-only inspection). */
  repair?: boolean;
}

/**
 * Replays the journal folder `dir`.
 *
 * @throws JournalCorruptError when the journal is damaged other than at its tail.
 */
export function replayJournal(
  fs: FileSystem,
  dir: string,
  options: ReplayOptions = {},
): Replayed {
  let state = emptyState();
  let refused: Refusal[] = [];
  /** Refused intents of the segments, by seq, until a record closes them. */
  let open = new Map<number, Refusal>();
  let closed = 0;
  const summary = readJournal(fs, dir, {
    repair: options.repair ?? true,
    onCount: (count) => {
      if (state.entries instanceof PackedEntries) state.entries.reserve(count);
    },
    onEntry: (path, entry) => {
      state.entries.set(path, entry);
    },
    onPending: (intent) => {
      state.pending.set(intent.seq, intent);
    },
    onRefused: (path, reason) => {
      refused.push({ seq: 0, path, reason: `${reason} (in the checkpoint)` });
    },
    onReset: () => {
      state = emptyState();
      refused = [];
      open = new Map();
      closed = 0;
    },
    onRecord: (rec) => {
      if (rec.type === "intent") {
        const why = intentUnsafeReason(rec);
        if (why !== null) {
          open.set(rec.seq, { seq: rec.seq, path: String(rec.path), reason: why });
          state.lastSeq = rec.seq;
          return;
        }
      }
      // Only the record start-up writes closes a refusal: a `done` for an unsafe intent is one
      // more sign that the journal was tampered with, and the refusal is reported again.
      if (rec.type === "failed" && isRefusalClose(rec) && open.delete(rec.ref)) {
        closed++;
        state.lastSeq = rec.seq;
        return;
      }
      foldRecord(state, rec);
    },
  });
  refused.push(...open.values());
  // With no record after the checkpoint, the state is the checkpoint's.
  if (summary.checkpoint && state.lastSeq < summary.checkpoint.seq) {
    state.lastSeq = summary.checkpoint.seq;
  }
  return { state, summary, refused, refusedClosed: closed };
}
