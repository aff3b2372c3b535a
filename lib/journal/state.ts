/**
 * The state map: what the destination holds, as the journal says.
 *
 * It is a fold over journal records. The same {@link foldRecord} serves the
 * live daemon and start-up replay, so the two cannot disagree.
 *
 * @module
 */

import type { IntentRecord, JournalRecord } from "./record.ts";
import { PackedEntries } from "../base/packed_entries.ts";
import { StateEntries, type StateEntry } from "./state_entries.ts";

export type { StateEntry } from "./state_entries.ts";

/** The folded state: entries plus intents not yet completed. */
export interface State {
  /** Destination content by relative path. */
  entries: Map<string, StateEntry>;
  /** Intents without a `done` or `failed` record yet, by seq. */
  pending: Map<number, IntentRecord>;
  /** Highest seq folded. */
  lastSeq: number;
}

/** An empty state (its entries packed: {@link StateEntries}). */
export function emptyState(): State {
  return { entries: new StateEntries(), pending: new Map(), lastSeq: 0 };
}

/**
 * Re-roots `from` (and, for a folder, everything below it) at `to`: packed
 * entries rename the folder's folders, not its entries ({@link PackedEntries.move}).
 */
function moveEntries(entries: Map<string, StateEntry>, from: string, to: string): void {
  if (entries instanceof PackedEntries) {
    entries.move(from, to);
    return;
  }
  const moved: [string, StateEntry][] = [];
  const prefix = from + "/";
  for (const [path, e] of entries) {
    if (path === from) moved.push([to, e]);
    else if (path.startsWith(prefix)) moved.push([to + path.slice(from.length), e]);
  }
  for (const [path] of moved) entries.delete(path === to ? from : from + path.slice(to.length));
  for (const [path, e] of moved) entries.set(path, e);
}

/** Applies the effect of a completed intent to the entries. */
function complete(
  entries: Map<string, StateEntry>,
  intent: IntentRecord,
  done: { hash?: string; racy?: boolean },
): void {
  if (intent.op === "move") {
    moveEntries(entries, intent.from ?? "", intent.path);
    return;
  }
  switch (intent.op) {
    case "delete":
      entries.delete(intent.path);
      return;
    case "copy":
    case "meta": {
      // The entry before is needed only for a field the records leave out (a packed
      // map's `get` builds an object and a hash string: replay's copies need none).
      const whole = intent.kind !== undefined && intent.size !== undefined &&
        intent.mtime !== undefined && intent.mode !== undefined && intent.ino !== undefined &&
        (intent.kind !== "file" || done.hash !== undefined || intent.hash !== undefined) &&
        (intent.kind !== "symlink" || intent.target !== undefined);
      const prev = whole ? undefined : entries.get(intent.path);
      const hash = done.hash ?? intent.hash ?? prev?.hash;
      const entry: StateEntry = {
        kind: intent.kind ?? prev?.kind ?? "file",
        size: intent.size ?? prev?.size ?? 0,
        mtimeMs: intent.mtime ?? prev?.mtimeMs ?? 0,
        mode: intent.mode ?? prev?.mode ?? 0,
        ino: intent.ino ?? prev?.ino ?? 0,
      };
      if (hash !== undefined && entry.kind === "file") entry.hash = hash;
      const target = intent.target ?? prev?.target;
      if (target !== undefined && entry.kind === "symlink") entry.target = target;
      if (done.racy) entry.racy = true;
      entries.set(intent.path, entry);
      return;
    }
    case "mkdir":
      entries.set(intent.path, {
        kind: "dir",
        size: 0,
        mtimeMs: intent.mtime ?? 0,
        mode: intent.mode ?? 0o700,
        ino: intent.ino ?? 0,
      });
      return;
    case "symlink":
      entries.set(intent.path, {
        kind: "symlink",
        size: intent.size ?? 0,
        mtimeMs: intent.mtime ?? 0,
        mode: intent.mode ?? 0o777,
        ino: intent.ino ?? 0,
        target: intent.target ?? "",
      });
      return;
  }
}

/**
 * Folds one record into the state. Intents wait in `pending`; `done` applies
 * their effect; `failed` drops them. Unknown references are ignored (the
 * reader has already validated framing and sequence).
 */
export function foldRecord(state: State, record: JournalRecord): void {
  state.lastSeq = record.seq;
  switch (record.type) {
    case "intent":
      state.pending.set(record.seq, record);
      return;
    case "done": {
      const intent = state.pending.get(record.ref);
      if (!intent) return;
      state.pending.delete(record.ref);
      const d: { hash?: string; racy?: boolean } = {};
      if (record.hash !== undefined) d.hash = record.hash;
      if (record.racy !== undefined) d.racy = record.racy;
      complete(state.entries, intent, d);
      return;
    }
    case "failed":
      state.pending.delete(record.ref);
      return;
    case "header":
    case "held":
    case "confirmed":
      return;
  }
}
