/**
 * {@link StateEntries}: the state's entries, packed ({@link PackedEntries}):
 * about 110 bytes an entry with its key instead of 240 as objects.
 *
 * @module
 */

import { PackedEntries, type PackedShape } from "../base/packed_entries.ts";

/**
 * What the destination holds at one path: a {@link PackedShape}. `size` is
 * the file's, `mtimeMs` the one the destination carries (equal to the
 * source's when copied), `ino` the source entry's it was copied from, `hash`
 * the content's xxh128 (files), `racy` set when copied within the racy
 * window (the next pass re-hashes the source).
 */
export type StateEntry = PackedShape;

/**
 * The state's entries by relative path, packed. {@link StateEntries.get}
 * and the iterators build a fresh object each time: store a changed entry
 * with `set`.
 */
export class StateEntries extends PackedEntries<StateEntry> {}
