/**
 * Start-up replay: reads the journal (the newest checkpoint, then the
 * segments after it), truncates a torn tail, and folds every record into the
 * state map with the same fold the daemon uses live.
 *
 * @module
 */

import type { FileSystem } from "../base/fs.ts";
import { unsafeReason } from "../base/paths.ts";
import { emptyState, foldRecord, type State } from "./state.ts";
import { readJournal, type ReadSummary } from "./reader.ts";

/** Result of {@link replayJournal}. */
export interface Replayed {
  /** The state the journal describes; `pending` holds intents that may or may not have been applied. */
  state: State;
  /** What the reader found (segments, torn tail, source root). */
  summary: ReadSummary;
  /** Intents refused because their path could lead outside the destination. */
  refused: { seq: number; path: string; reason: string }[];
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
  let refused: Replayed["refused"] = [];
  const summary = readJournal(fs, dir, {
    repair: options.repair ?? true,
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
    },
    onRecord: (rec) => {
      if (rec.type === "intent") {
        const why = unsafeReason(rec.path) ??
          (rec.from !== undefined ? unsafeReason(rec.from) : null);
        if (why !== null) {
          refused.push({ seq: rec.seq, path: String(rec.path), reason: why });
          state.lastSeq = rec.seq;
          return;
        }
      }
      foldRecord(state, rec);
    },
  });
  // With no record after the checkpoint, the state is the checkpoint's.
  if (summary.checkpoint && state.lastSeq < summary.checkpoint.seq) {
    state.lastSeq = summary.checkpoint.seq;
  }
  return { state, summary, refused };
}
