/**
 * A partial (watcher) pass's scope as a test on paths that also knows its
 * folders, so that a state's entries in the scope are found at the cost of
 * the scope, not of the whole state (issue 14).
 *
 * {@link scopeTest} makes the `within` test a scoped pass hands to the
 * planner; {@link entriesWithin} walks the entries of a map that pass that
 * test: through {@link PackedEntries.entriesWithin} when the map is packed
 * and the test came from {@link scopeTest}, else by filtering every entry
 * (plain `Map`s, as tests build, and any other test). Both give the same
 * pairs in the same order.
 *
 * @module
 */

import { PackedEntries, type PackedShape } from "../base/packed_entries.ts";
import { MaskedEntries } from "../base/masked_entries.ts";
import { isAtOrBelow, parentOf } from "../base/paths.ts";

/** The folders of a scope: listed alone (`shallow`) or with all below them (`deep`). */
interface ScopeFolders {
  shallow: ReadonlySet<string>;
  deep: readonly string[];
}

const folders = new WeakMap<(rel: string) => boolean, ScopeFolders>();

/**
 * The test of a scope: a path is in it when its folder or itself is in
 * `shallow`, or it is at or below a path of `deep`.
 */
export function scopeTest(
  shallow: ReadonlySet<string>,
  deep: readonly string[],
): (rel: string) => boolean {
  const test = (rel: string) =>
    shallow.has(parentOf(rel)) || shallow.has(rel) ||
    deep.some((subtree) => isAtOrBelow(rel, subtree));
  folders.set(test, { shallow, deep });
  return test;
}

/** The `[path, entry]` pairs of `map` whose path passes `within`, in the map's order. */
export function* entriesWithin<E>(
  map: ReadonlyMap<string, E>,
  within: (rel: string) => boolean,
): Generator<[string, E], void, undefined> {
  const scope = folders.get(within);
  if (scope && map instanceof PackedEntries) {
    yield* (map as PackedEntries<E & PackedShape>).entriesWithin(scope.shallow, scope.deep);
    return;
  }
  if (scope && map instanceof MaskedEntries) {
    // A packed state with some paths hidden: the scope of the state, less those.
    const { hidden } = map as MaskedEntries<E>;
    for (const pair of entriesWithin(map.base, within)) if (!hidden.has(pair[0])) yield pair;
    return;
  }
  for (const [path, entry] of map) if (within(path)) yield [path, entry];
}

/**
 * The entries of `map` in the scope of `within` or at or below a path of
 * `extra`, in the map's order, when `within` came from {@link scopeTest} and
 * the map is packed (at the cost of those entries); else `map` itself. What
 * a scoped pass reads of a state once its moves are done: the moves' origins
 * are `extra`, so every entry that ends up in the scope is in it.
 */
export function narrowed<E>(
  map: ReadonlyMap<string, E>,
  within: (rel: string) => boolean,
  extra: readonly string[],
): ReadonlyMap<string, E> {
  const scope = folders.get(within);
  if (scope && map instanceof MaskedEntries && map.base instanceof PackedEntries) {
    const { hidden } = map as MaskedEntries<E>;
    const packed = map.base as PackedEntries<E & PackedShape>;
    const out = new Map<string, E>();
    for (const [path, entry] of packed.entriesWithin(scope.shallow, [...scope.deep, ...extra])) {
      if (!hidden.has(path)) out.set(path, entry);
    }
    return out;
  }
  if (!scope || !(map instanceof PackedEntries)) return map;
  const packed = map as PackedEntries<E & PackedShape>;
  return new Map(packed.entriesWithin(scope.shallow, [...scope.deep, ...extra]));
}
