/**
 * Journal records for tests: the intents a hand-made journal is built from.
 *
 * @module
 */

import type { Unstamped } from "../lib/journal/record.ts";

/** The intent to copy a one-byte file at `path` found by a scan (size 1, mtime 1, mode 0644, inode 1). */
export function copyIntent(path: string): Unstamped {
  return {
    type: "intent",
    op: "copy",
    path,
    kind: "file",
    size: 1,
    mtime: 1,
    mode: 0o644,
    ino: 1,
    reason: "scan",
  };
}
