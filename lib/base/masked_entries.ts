/**
 * {@link MaskedEntries}: a read-only view of a map with some of its keys
 * hidden, so that leaving a few entries out of a million costs the few, not
 * a copy of the million (issue 14: the state without the paths an
 * interrupted start left in doubt).
 *
 * @module
 */

/**
 * A map's entries without the keys of `hidden`, in the map's order. A view:
 * it holds no entry of its own, and reads the map as it is when asked. Build
 * it with only keys the map holds in `hidden` ({@link MaskedEntries.size}
 * counts on it), and change neither while the view is in use.
 */
export class MaskedEntries<E> implements ReadonlyMap<string, E> {
  /** The map seen through the view. */
  readonly base: ReadonlyMap<string, E>;
  /** Its keys the view hides (each held by `base`). */
  readonly hidden: ReadonlySet<string>;

  /** A view of `base` without the keys of `hidden` (keys `base` holds). */
  constructor(base: ReadonlyMap<string, E>, hidden: ReadonlySet<string>) {
    this.base = base;
    this.hidden = hidden;
  }

  /** Number of entries seen. */
  get size(): number {
    return this.base.size - this.hidden.size;
  }

  /** True when `key` is held and not hidden. */
  has(key: string): boolean {
    return !this.hidden.has(key) && this.base.has(key);
  }

  /** The entry at `key`, unless hidden. */
  get(key: string): E | undefined {
    return this.hidden.has(key) ? undefined : this.base.get(key);
  }

  /** `[key, entry]` pairs not hidden, in the map's order. */
  *entries(): MapIterator<[string, E]> {
    for (const pair of this.base.entries()) if (!this.hidden.has(pair[0])) yield pair;
  }

  /** The keys not hidden, in the map's order. */
  *keys(): MapIterator<string> {
    for (const [key] of this.entries()) yield key;
  }

  /** The entries not hidden, in the map's order. */
  *values(): MapIterator<E> {
    for (const [, entry] of this.entries()) yield entry;
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): MapIterator<[string, E]> {
    return this.entries();
  }

  /** Calls `fn` for each entry not hidden, in the map's order. */
  forEach(
    fn: (value: E, key: string, map: ReadonlyMap<string, E>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, entry] of this.entries()) fn.call(thisArg, entry, key, this);
  }
}
