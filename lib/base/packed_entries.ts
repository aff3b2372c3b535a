/**
 * {@link PackedEntries}: entries of a tree (a scan's, the state's) packed in
 * typed arrays behind a `Map<string, entry>`.
 *
 * A pass holds the source scan, the destination scan and the state, one
 * entry per path each. As plain objects an entry cost 150 (scan) to 240
 * (state) bytes of heap with its key: the object, a boxed mtime, an
 * out-of-object slot for the hash, the hash as a 32-character string. Packed,
 * its key is a slot of a {@link PathIndex} (its folder's path held once, its
 * name as bytes), and the entry three numbers in a `Float64Array`, the mode
 * in a `Uint32Array`, the kind and flags in a byte, and an xxh128 hash as its
 * 16 bytes (issue 14): nothing per entry is a JavaScript object.
 *
 * It is a real `Map` subclass, so every user of a scan's or the state's
 * entries (and code that builds one as a plain `Map`, as tests do) keeps
 * working; the `Map`'s own storage stays empty, every method is overridden.
 * The differences to know: {@link PackedEntries.get} and the iterators build
 * a fresh object (and key string) each time, so changing a returned entry
 * changes nothing stored: store a changed entry with `set`; and
 * {@link PackedEntries.move} re-roots a folder keeping each entry's place in
 * the order.
 *
 * @module
 */

import type { Kind } from "./fs.ts";
import { PathIndex } from "./path_index.ts";
import { HEX_DIGIT } from "./hex.ts";

const KINDS: readonly Kind[] = ["file", "dir", "symlink", "other"];
const KIND_CODE: ReadonlyMap<Kind, number> = new Map(KINDS.map((k, i) => [k, i]));

/** Flag bits of a slot (bits 0-1 are the kind's code). */
const PACKED_HASH = 1 << 2;
const RACY_SET = 1 << 3;
const RACY_TRUE = 1 << 4;
const EXTRA = 1 << 5;

/** A hash's 16 bytes as decoded, before they are stored: nothing is written for a hash that is not hex. */
const HASH_SCRATCH = new Uint8Array(16);
const HEX_PAIRS: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/** What does not pack: a symlink's target, a hash that is not 32 lowercase hex digits. */
interface Extra {
  hash?: string;
  target?: string;
}

/** The fields an entry may have: a scan's entry and a state's entry are both of this shape. */
export interface PackedShape {
  /** Entry kind. */
  kind: Kind;
  /** Size in bytes. */
  size: number;
  /** Modification time in milliseconds. */
  mtimeMs: number;
  /** Permission bits. */
  mode: number;
  /** Inode number. */
  ino: number;
  /** Content hash (packed as 16 bytes when it is 32 lowercase hex digits). */
  hash?: string;
  /** Symlink target. */
  target?: string;
  /** The state's racy flag. */
  racy?: boolean;
}

/**
 * An entry read in place by {@link PackedEntries.peek}: each field read from the packed
 * columns when asked (no hash: comparisons only need the metadata).
 */
export interface PackedView {
  /** Entry kind. */
  readonly kind: Kind;
  /** Size in bytes. */
  readonly size: number;
  /** Modification time in milliseconds. */
  readonly mtimeMs: number;
  /** Permission bits. */
  readonly mode: number;
  /** Inode number. */
  readonly ino: number;
  /** Symlink target. */
  readonly target: string | undefined;
  /** The state's racy flag. */
  readonly racy: boolean | undefined;
}

/** Entries by relative path, packed (see the module's notes). */
export class PackedEntries<E extends PackedShape> extends Map<string, E> {
  #index = new PathIndex();
  #capacity = 0;
  /** size, mtimeMs, ino of each slot. */
  #numbers = new Float64Array(0);
  #modes = new Uint32Array(0);
  #flags = new Uint8Array(0);
  #hashes = new Uint8Array(0);
  #extra = new Map<number, Extra>();
  /** The slot {@link peek} shows, and its one view. */
  #peekSlot = -1;
  #view: PackedView | null = null;

  static {
    // `size` is a data property in TypeScript's Map type, so it is defined here.
    Object.defineProperty(this.prototype, "size", {
      configurable: true,
      get(this: PackedEntries<PackedShape>): number {
        return this.#index.size;
      },
    });
  }

  /** An empty map, or one holding `entries`. */
  constructor(entries?: Iterable<readonly [string, E]> | null) {
    super();
    if (entries) { for (const [path, entry] of entries) this.set(path, entry); }
  }

  #grow(): void {
    const capacity = this.#index.capacity;
    const numbers = new Float64Array(capacity * 3);
    numbers.set(this.#numbers);
    const modes = new Uint32Array(capacity);
    modes.set(this.#modes);
    const flags = new Uint8Array(capacity);
    flags.set(this.#flags);
    // Hashes only once one is stored (a scan's entries have none).
    const hashes = this.#hashes.length > 0 ? new Uint8Array(capacity * 16) : this.#hashes;
    if (hashes !== this.#hashes) hashes.set(this.#hashes);
    this.#numbers = numbers;
    this.#modes = modes;
    this.#flags = flags;
    this.#hashes = hashes;
    this.#capacity = capacity;
  }

  #write(slot: number, e: E): void {
    const n = slot * 3;
    this.#numbers[n] = e.size;
    this.#numbers[n + 1] = e.mtimeMs;
    this.#numbers[n + 2] = e.ino;
    this.#modes[slot] = e.mode;
    let flags = KIND_CODE.get(e.kind) ?? 3;
    let extraHash: string | undefined;
    if (e.hash !== undefined) {
      if (this.#packHash(slot, e.hash)) flags |= PACKED_HASH;
      else extraHash = e.hash;
    }
    if (e.racy !== undefined) flags |= RACY_SET | (e.racy ? RACY_TRUE : 0);
    if (extraHash !== undefined || e.target !== undefined) {
      flags |= EXTRA;
      const extra: Extra = {};
      if (extraHash !== undefined) extra.hash = extraHash;
      if (e.target !== undefined) extra.target = e.target;
      this.#extra.set(slot, extra);
    } else if (this.#flags[slot]! & EXTRA) this.#extra.delete(slot);
    this.#flags[slot] = flags;
  }

  /**
   * Stores `hash` as the 16 bytes of slot `slot` when it is 32 lowercase hex
   * digits (decoded through a table into {@link HASH_SCRATCH}, no string
   * made, then copied); false for any other text, with the slot's bytes and
   * the hash storage left as they were (none allocated for it).
   */
  #packHash(slot: number, hash: string): boolean {
    if (hash.length !== 32) return false;
    for (let i = 0; i < 16; i++) {
      const hi = hash.charCodeAt(2 * i);
      const lo = hash.charCodeAt(2 * i + 1);
      const h = hi < 256 ? HEX_DIGIT[hi]! : -1;
      const l = lo < 256 ? HEX_DIGIT[lo]! : -1;
      if ((h | l) < 0) return false;
      HASH_SCRATCH[i] = (h << 4) | l;
    }
    if (this.#hashes.length === 0) this.#hashes = new Uint8Array(this.#capacity * 16);
    this.#hashes.set(HASH_SCRATCH, slot * 16);
    return true;
  }

  #read(slot: number): E {
    const n = slot * 3;
    const flags = this.#flags[slot]!;
    const entry: PackedShape = {
      kind: KINDS[flags & 3]!,
      size: this.#numbers[n]!,
      mtimeMs: this.#numbers[n + 1]!,
      mode: this.#modes[slot]!,
      ino: this.#numbers[n + 2]!,
    };
    if (flags & PACKED_HASH) {
      const at = slot * 16;
      let hash = "";
      for (let i = 0; i < 16; i++) hash += HEX_PAIRS[this.#hashes[at + i]!]!;
      entry.hash = hash;
    }
    if (flags & EXTRA) {
      const extra = this.#extra.get(slot)!;
      if (extra.hash !== undefined) entry.hash = extra.hash;
      if (extra.target !== undefined) entry.target = extra.target;
    }
    if (flags & RACY_SET) entry.racy = (flags & RACY_TRUE) !== 0;
    return entry as E;
  }

  /**
   * Makes room for `count` entries in all: adding up to that many copies no
   * array (a checkpoint, whose header says how many it holds, loads without
   * holding old and new arrays side by side).
   */
  reserve(count: number): void {
    this.#index.reserve(count);
    if (this.#index.capacity > this.#capacity) this.#grow();
  }

  /**
   * The entry at `path` read in place, or undefined: one view object for every call, showing
   * the last path peeked, so nothing is made per entry. Read it before the next `peek` or any
   * change of the map (a comparison's use, as the full pass's diff walk makes).
   */
  peek(path: string): PackedView | undefined {
    const slot = this.#index.find(path);
    if (slot < 0) return undefined;
    this.#peekSlot = slot;
    return this.#view ??= this.#makeView();
  }

  /** How many entries are directly in folder `dir` (see {@link PathIndex.countIn}). */
  countIn(dir: string): number {
    return this.#index.countIn(dir);
  }

  #makeView(): PackedView {
    // deno-lint-ignore no-this-alias
    const map = this;
    return {
      get kind(): Kind {
        return KINDS[map.#flags[map.#peekSlot]! & 3]!;
      },
      get size(): number {
        return map.#numbers[map.#peekSlot * 3]!;
      },
      get mtimeMs(): number {
        return map.#numbers[map.#peekSlot * 3 + 1]!;
      },
      get ino(): number {
        return map.#numbers[map.#peekSlot * 3 + 2]!;
      },
      get mode(): number {
        return map.#modes[map.#peekSlot]!;
      },
      get target(): string | undefined {
        const slot = map.#peekSlot;
        return map.#flags[slot]! & EXTRA ? map.#extra.get(slot)?.target : undefined;
      },
      get racy(): boolean | undefined {
        const flags = map.#flags[map.#peekSlot]!;
        return flags & RACY_SET ? (flags & RACY_TRUE) !== 0 : undefined;
      },
    };
  }

  /** True when `path` is held. */
  override has(path: string): boolean {
    return this.#index.find(path) >= 0;
  }

  /** The entry at `path`: a fresh object (changing it changes nothing stored). */
  override get(path: string): E | undefined {
    const slot = this.#index.find(path);
    return slot < 0 ? undefined : this.#read(slot);
  }

  /** Stores a copy of `entry` at `path` (a path already held keeps its place in the order). */
  override set(path: string, entry: E): this {
    const slot = this.#index.add(path);
    if (slot >= this.#capacity) this.#grow();
    this.#write(slot, entry);
    return this;
  }

  /** Removes `path`; true when it was held. */
  override delete(path: string): boolean {
    const slot = this.#index.remove(path);
    if (slot < 0) return false;
    this.#extra.delete(slot);
    return true;
  }

  /**
   * Re-roots `from` (and, for a folder, everything below it) at `to`, as
   * deleting each and setting it again at its new path does, except that
   * each entry keeps its place in the order. A folder's move renames its
   * folders, not its entries, when nothing is held at or below `to`.
   */
  move(from: string, to: string): void {
    if (this.#index.move(from, to)) return;
    const moved: [string, E][] = [];
    const prefix = from + "/";
    for (const [path, e] of this.entries()) {
      if (path === from) moved.push([to, e]);
      else if (path.startsWith(prefix)) moved.push([to + path.slice(from.length), e]);
    }
    for (const [path] of moved) this.delete(path === to ? from : from + path.slice(to.length));
    for (const [path, e] of moved) this.set(path, e);
  }

  /** The folders that hold at least one entry, the root (`""`) aside, in no set order. */
  folders(): IterableIterator<string> {
    return this.#index.folders();
  }

  /** Removes every entry and gives the packed storage back. */
  override clear(): void {
    this.#index.clear();
    this.#capacity = 0;
    this.#numbers = new Float64Array(0);
    this.#modes = new Uint32Array(0);
    this.#flags = new Uint8Array(0);
    this.#hashes = new Uint8Array(0);
    this.#extra = new Map();
  }

  /** `[path, entry]` pairs in insertion order, each a fresh object. */
  override *entries(): MapIterator<[string, E]> {
    for (const slot of this.#index.slots()) yield [this.#index.pathOf(slot), this.#read(slot)];
  }

  /**
   * `[path, entry]` pairs of a scope in insertion order, each a fresh object:
   * see {@link PathIndex.slotsWithin} for which paths `shallow` and `deep`
   * take in. Costs the entries in the scope, not all of them. The scope's
   * slots are taken when the iteration starts: do not change the map during it.
   */
  *entriesWithin(
    shallow: Iterable<string>,
    deep: Iterable<string>,
  ): Generator<[string, E], void, undefined> {
    for (const slot of this.#index.slotsWithin(shallow, deep)) {
      yield [this.#index.pathOf(slot), this.#read(slot)];
    }
  }

  /**
   * The `[path, entry]` pairs of one kind in insertion order, each a fresh object: what
   * filtering {@link entries} by kind gives, with nothing made for the other entries (the
   * state's folders, read at every full pass).
   */
  *entriesOfKind(kind: Kind): Generator<[string, E], void, undefined> {
    const code = KIND_CODE.get(kind) ?? 3;
    for (const slot of this.#index.slots()) {
      if ((this.#flags[slot]! & 3) === code) yield [this.#index.pathOf(slot), this.#read(slot)];
    }
  }

  /** The paths in insertion order. */
  override *keys(): MapIterator<string> {
    for (const slot of this.#index.slots()) yield this.#index.pathOf(slot);
  }

  /** The entries in insertion order, each a fresh object. */
  override *values(): MapIterator<E> {
    for (const slot of this.#index.slots()) yield this.#read(slot);
  }

  /** Same as {@link entries}. */
  override [Symbol.iterator](): MapIterator<[string, E]> {
    return this.entries();
  }

  /** Calls `fn` for each entry in insertion order. */
  override forEach(
    fn: (value: E, key: string, map: Map<string, E>) => void,
    thisArg?: unknown,
  ): void {
    for (const [path, entry] of this.entries()) fn.call(thisArg, entry, path, this);
  }
}
