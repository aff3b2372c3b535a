/**
 * The journal records of a batch: each operation's intent (written and made
 * durable before it is applied) and its completion (`done`, with what a copy
 * wrote, or `failed`, with why).
 *
 * @module
 */

import type { IntentRecord, Trigger, Unstamped } from "../journal/record.ts";
import type { FileOp } from "./pass_plan.ts";
import { describeError } from "../base/errors.ts";
import { isRacy } from "./apply.ts";

/** What a copy wrote: recorded in its `done` record. */
export interface CopyFacts {
  /** xxh128 of the bytes written. */
  hash?: string;
  /** Bytes written. */
  bytes?: number;
  /** Written inside the racy window: hashed again by a later pass. */
  racy?: boolean;
}

/** The journal intent of `op`, with the version name it moves a file to, if any. */
export function intentFor(op: FileOp, reason: Trigger, version?: string): Unstamped<IntentRecord> {
  if (op.op === "delete") {
    const record: Unstamped<IntentRecord> = {
      type: "intent",
      op: "delete",
      path: op.path,
      kind: op.kind,
      reason,
    };
    if (version !== undefined) record.version = version;
    return record;
  }
  const entry = op.src;
  const record: Unstamped<IntentRecord> = {
    type: "intent",
    op: op.op,
    path: op.path,
    kind: entry.kind,
    size: entry.size,
    mtime: entry.mtimeMs,
    mode: entry.mode,
    ino: entry.ino,
    reason,
  };
  if (entry.target !== undefined) record.target = entry.target;
  if (op.op === "meta" && op.hash !== undefined) record.hash = op.hash;
  if (op.op === "move") record.from = op.from;
  if (version !== undefined) record.version = version;
  return record;
}

/**
 * The completion of the operation whose intent has sequence number `ref`:
 * `failed` when `err` is not null, else `done` (with what a copy wrote).
 */
export function completionFor(
  op: FileOp,
  ref: number,
  err: unknown,
  copy: CopyFacts,
  now: number,
): Unstamped {
  if (err !== null) return { type: "failed", ref, error: describeError(err) };
  const record: Unstamped = { type: "done", ref };
  if (op.op === "copy") {
    Object.assign(record, { hash: copy.hash, bytes: copy.bytes, racy: copy.racy });
  }
  // A file re-hashed while still inside the racy window stays racy: hash it once more.
  if (op.op === "meta" && op.src.kind === "file" && isRacy(op.src.mtimeMs, now)) {
    Object.assign(record, { racy: true });
  }
  return record;
}
