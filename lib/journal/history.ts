/**
 * Joins each intent with its outcome (`done`, `failed`), as a stream: one
 * {@link OpRow} per operation, emitted in intent order as soon as its outcome
 * is known. Memory holds only the operations still waiting for an outcome
 * (one batch in practice), capped by `maxWaiting`.
 *
 * @module
 */

import type {
  ConfirmedRecord,
  DoneRecord,
  FailedRecord,
  HeldRecord,
  IntentRecord,
  JournalRecord,
} from "./record.ts";
import { intentUnsafeReason } from "./record_check.ts";

/** Error text start-up writes when it closes an intent a crash left open. */
export const INTERRUPTED_PREFIX = "interrupted before completion";

/**
 * How an operation ended: `refused` when a path of the intent could lead outside the
 * destination (replay never applies it, see `record_check.ts`).
 */
export type Outcome = "done" | "failed" | "interrupted" | "pending" | "refused";

/** The intent fields a row carries (the intent's own types, so the two cannot drift). */
const ROW_FIELDS = ["from", "kind", "size", "mtime", "mode", "hash", "target", "version"] as const;

/** One operation: an intent and its outcome. */
export interface OpRow
  extends Pick<IntentRecord, "seq" | "ts" | "op" | "reason" | (typeof ROW_FIELDS)[number]> {
  /** Destination path (for a move: the new path). */
  path: string;
  /** How it ended: `pending` when the journal holds no outcome (yet). */
  outcome: Outcome;
  /** Seq and time of the outcome record. */
  outcomeSeq?: number;
  /** See {@link OpRow.outcomeSeq}. */
  outcomeTs?: string;
  /** Error of a failed or interrupted operation. */
  error?: string;
  /** Bytes written (copies). */
  bytes?: number;
  /** Copied within the racy window. */
  racy?: boolean;
}

/** Builds the row of an intent (outcome `pending`, or `refused` with why for an unsafe one). */
export function rowOf(intent: IntentRecord): OpRow {
  const unsafe = intentUnsafeReason(intent);
  const row: OpRow = {
    seq: intent.seq,
    ts: intent.ts,
    op: intent.op,
    path: String(intent.path),
    reason: intent.reason,
    outcome: unsafe === null ? "pending" : "refused",
  };
  for (const key of ROW_FIELDS) {
    if (intent[key] !== undefined) Object.assign(row, { [key]: intent[key] });
  }
  if (unsafe !== null) row.error = unsafe;
  return row;
}

/** Gives a row the outcome its `done` or `failed` record says. */
function settle(row: OpRow, rec: DoneRecord | FailedRecord): void {
  if (rec.type === "done") {
    row.outcome = "done";
    if (rec.hash !== undefined) row.hash = rec.hash;
    if (rec.bytes !== undefined) row.bytes = rec.bytes;
    if (rec.racy) row.racy = true;
  } else {
    row.outcome = String(rec.error).startsWith(INTERRUPTED_PREFIX) ? "interrupted" : "failed";
    row.error = String(rec.error);
  }
}

/** Options for {@link OpJoiner}. */
export interface JoinerOptions {
  /** Rows held waiting for an outcome before the oldest is emitted as `pending` (default 65536). */
  maxWaiting?: number;
  /** Called for each mass-delete `held` record, in order among the rows. */
  onHeld?: (held: HeldRecord) => void;
  /** Called for each `confirmed` record (`backup confirm` taken), in order among the rows. */
  onConfirmed?: (confirmed: ConfirmedRecord) => void;
}

/** A record of the mass-delete guard: a hold, or its confirmation. */
type GuardRecord = HeldRecord | ConfirmedRecord;

/** Feeds records in journal order; emits rows in intent order. */
export class OpJoiner {
  #emit: (row: OpRow) => void;
  #max: number;
  #queue: OpRow[] = [];
  #head = 0;
  #bySeq = new Map<number, OpRow>();
  #onHeld: ((held: HeldRecord) => void) | undefined;
  #onConfirmed: ((confirmed: ConfirmedRecord) => void) | undefined;
  /** Guard records that arrived while rows were waiting: emitted after the row named. */
  #heldAfter = new Map<OpRow, GuardRecord[]>();

  /** Creates a joiner that calls `emit` for every finished row. */
  constructor(emit: (row: OpRow) => void, options: JoinerOptions = {}) {
    this.#emit = emit;
    this.#max = options.maxWaiting ?? 65536;
    this.#onHeld = options.onHeld;
    this.#onConfirmed = options.onConfirmed;
  }

  #emitGuard(rec: GuardRecord): void {
    if (rec.type === "held") this.#onHeld?.(rec);
    else this.#onConfirmed?.(rec);
  }

  /** Adds a pending intent carried over from a checkpoint. */
  pending(intent: IntentRecord): void {
    this.#push(rowOf(intent));
  }

  #push(row: OpRow): void {
    this.#queue.push(row);
    this.#bySeq.set(row.seq, row);
    if (this.#queue.length - this.#head > this.#max) this.#shift();
  }

  #shift(): void {
    const row = this.#queue[this.#head++]!;
    this.#bySeq.delete(row.seq);
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#emit(row);
    const held = this.#heldAfter.get(row);
    if (held) {
      this.#heldAfter.delete(row);
      for (const h of held) this.#emitGuard(h);
    }
  }

  /** Feeds the next record. */
  record(rec: JournalRecord): void {
    switch (rec.type) {
      case "intent":
        this.#push(rowOf(rec));
        return;
      case "done":
      case "failed": {
        const row = this.#bySeq.get(rec.ref);
        if (!row) return;
        row.outcomeSeq = rec.seq;
        row.outcomeTs = rec.ts;
        // A refused intent stays refused when the record that closes it comes.
        if (row.outcome !== "refused") settle(row, rec);
        while (this.#head < this.#queue.length && this.#queue[this.#head]!.outcome !== "pending") {
          this.#shift();
        }
        return;
      }
      case "held":
      case "confirmed": {
        if (!(rec.type === "held" ? this.#onHeld : this.#onConfirmed)) return;
        const last = this.#queue[this.#queue.length - 1];
        if (this.#head >= this.#queue.length || !last) this.#emitGuard(rec);
        else this.#heldAfter.set(last, [...(this.#heldAfter.get(last) ?? []), rec]);
        return;
      }
      case "header":
        return;
    }
  }

  /** Emits every row still waiting, as `pending`. */
  finish(): void {
    while (this.#head < this.#queue.length) this.#shift();
  }
}
