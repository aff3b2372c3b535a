/**
 * {@link StateEntries}: the state's entries, packed ({@link PackedEntries}):
 * about 110 bytes an entry with its key instead of 240 as objects.
 *
 * @module
 */

import type { Kind } from "../base/fs.ts";
import { PackedEntries } from "../base/packed_entries.ts";

/** What the destination holds at one path. */
export interface StateEntry {
  /** Entry kind. */
  kind: Kind;
  /** Size in bytes (files). */
  size: number;
  /** mtime in ms the destination carries (equal to the source's when copied). */
  mtimeMs: number;
  /** Permission bits. */
  mode: number;
  /** Inode of the source entry it was copied from. */
  ino: number;
  /** xxh128 of the content (files). */
  hash?: string;
  /** Symlink target. */
  target?: string;
  /** Copied within the racy window: the next pass re-hashes the source. */
  racy?: boolean;
}

/**
 * The state's entries by relative path, packed. {@link StateEntries.get}
 * and the iterators build a fresh object each time: store a changed entry
 * with `set`.
 */
export class StateEntries extends PackedEntries<StateEntry> {}
