/**
 * The answer to "open this as a regular file": the open file, or which kind of
 * entry was refused instead.
 *
 * Guarantees: the type check is an `fstat` of the descriptor already open, so
 * the file that passes is the file that is read (no check-then-open race).
 * The descriptor is opened `O_NONBLOCK | O_NOCTTY` before the check, so a FIFO
 * or a terminal swapped in at the last moment opens at once and is closed
 * unread, never waited on.
 *
 * Fallback (no native layer): Deno cannot open without blocking; see
 * `source.ts` for what callers must do instead.
 *
 * @module
 */

import type { NativeFile } from "./file.ts";
import type { NativeInfo } from "./statx.ts";

/** Why an entry was not opened as a regular file. */
export type Refusal = "fifo" | "socket" | "device" | "symlink" | "directory";

/** A regular file open for reading, or the refusal. */
export type RegularOpen =
  | { ok: true; file: NativeFile; info: NativeInfo }
  | { ok: false; refused: Refusal };

/** The refusal for an entry of `type`, or `null` for a regular file. */
export function refusalOf(type: NativeInfo["type"]): Refusal | null {
  switch (type) {
    case "file":
      return null;
    case "dir":
      return "directory";
    case "symlink":
      return "symlink";
    case "fifo":
      return "fifo";
    case "socket":
      return "socket";
    default:
      return "device";
  }
}
