/**
 * Checkpoint lines and reads shared by `lib/journal/checkpoint_test.ts` and
 * `lib/journal/checkpoint_entry_test.ts`: a header, a trailer and an entry
 * line framed by hand (so a test can give any field any value), and a read of
 * a checkpoint file through the real file system.
 *
 * @module
 */

import { DenoFileSystem } from "../lib/base/fs.ts";
import {
  type CheckpointInfo,
  type CheckpointVisitor,
  readCheckpoint,
} from "../lib/journal/checkpoint.ts";
import { frameLine } from "../lib/journal/record.ts";
import { copyIntent } from "./records.ts";

const real = new DenoFileSystem();

/** A checkpoint header line: seq 7, next 2, source `/src`, with `extra` on top. */
export function headerLine(extra: Record<string, unknown> = {}): string {
  return frameLine({ type: "checkpoint", v: 1, seq: 7, ts: "", source: "/src", next: 2, ...extra });
}

/** A checkpoint trailer line counting `entries` and `pending`. */
export function endLine(entries: number, pending = 0): string {
  return frameLine({ type: "end", entries, pending });
}

/**
 * An entry line for the file of {@link copyIntent} at `path` (size 1, mtime
 * 1, mode 0644, inode 1), with `extra` on top.
 */
export function rawEntryLine(path: string, extra: Record<string, unknown> = {}): string {
  const { op: _op, reason: _reason, ...file } = copyIntent(path) as Record<string, unknown>;
  return frameLine({ ...file, type: "entry", ...extra });
}

/**
 * Reads the checkpoint file at `path` with `visitor`, after writing `content`
 * there when given.
 *
 * @throws CheckpointDamage as {@link readCheckpoint} does
 */
export function readCheckpointAt(
  path: string,
  visitor: CheckpointVisitor,
  content?: string | Uint8Array,
): CheckpointInfo {
  if (typeof content === "string") Deno.writeTextFileSync(path, content);
  else if (content !== undefined) Deno.writeFileSync(path, content);
  const handle = real.openSync(path);
  try {
    return readCheckpoint(handle, path.slice(path.lastIndexOf("/") + 1), visitor);
  } finally {
    handle.close();
  }
}
