/**
 * {@link PathIndex}: relative paths to slot numbers, with each path's folder
 * held once and its last name packed in bytes (issue 14).
 *
 * A pass holds three maps of the whole tree (source scan, destination scan,
 * state). As `Map<string, number>` keys, each entry cost about 70 bytes of
 * V8 heap: the full path as a string (often a cons string of folder, `/` and
 * name) and the map's own slot, and V8 commits about twice its live heap.
 * Here a path is (folder id, name): a folder's path is one string for all
 * the entries in it, the name lives in a byte arena (one byte a UTF-16 code
 * unit below 256, else two), and the lookup is an open-addressing hash table
 * in an `Int32Array`. Nothing per entry is a JavaScript object, so the
 * collector neither scans nor doubles it.
 *
 * Slots are handed out from 0 and reused after a removal; iteration is in
 * insertion order (a path set again keeps its place), entries added while
 * iterating are visited, removed ones are not, as for a `Map`.
 *
 * {@link PathIndex.move} renames a folder and everything below it by
 * renaming folder strings, not entries: O(folders), not O(entries).
 *
 * @module
 */

const EMPTY = 0;
const TOMBSTONE = -1;
/** Folder id of a path with no `/` (it is in no folder string). */
const TOP = 0;
/** Grow the table when live + removed marks pass this share of it. */
const MAX_FILL = 0.5;
/** A new table is at most this full. */
const REFILL = 0.4;
/** The longest name (a file system's are 255 bytes). */
const MAX_NAME = 0xffff;

/** The hash of folder `dir` and `path`'s code units from `start`. */
function hashOf(dir: number, path: string, start: number): number {
  let h = Math.imul(dir + 1, 0x9e3779b1) ^ 0x811c9dc5;
  for (let k = start; k < path.length; k++) h = Math.imul(h ^ path.charCodeAt(k), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/** Throws when the name after `cut` is longer than {@link MAX_NAME}. */
function tooLong(path: string, cut: number): void {
  if (path.length - cut - 1 > MAX_NAME) {
    throw new RangeError(`a path's last name is over ${MAX_NAME} characters: ${path.slice(0, 80)}`);
  }
}

/** Relative paths to slot numbers (see the module's notes). */
export class PathIndex {
  #count = 0;
  /** Slots ever handed out (the next new one), and those free again. */
  #used = 0;
  #free: number[] = [];
  #capacity = 0;
  /** Per slot: folder id, name offset and length in code units, hash, place in #order (-1: free). */
  #dirOf = new Int32Array(0);
  #nameAt = new Uint32Array(0);
  #nameLen = new Uint16Array(0);
  #wide = new Uint8Array(0);
  #code = new Int32Array(0);
  #pos = new Int32Array(0);
  /**
   * Per slot: the next and previous slot in its folder's list (-1: none).
   * Made by the first {@link slotsWithin} (a state's), then kept: a scan,
   * never asked, does not pay their 8 bytes an entry.
   */
  #linked = false;
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  /** Names, packed. */
  #arena = new Uint8Array(0);
  #arenaUsed = 0;
  #arenaGarbage = 0;
  /** Slots in insertion order, -1 where removed. */
  #order = new Int32Array(0);
  #orderUsed = 0;
  #holes = 0;
  #iterating = 0;
  /** Open addressing: slot + 1, EMPTY or TOMBSTONE. */
  #table = new Int32Array(0);
  #fill = 0;
  /** Folders: path -> id (TOP is for paths without `/`), id -> path, entries in it. */
  #dirIds = new Map<string, number>();
  #dirPaths: string[] = [""];
  #dirRefs: number[] = [0];
  #dirFree: number[] = [];
  /** Per folder id: the first slot of its list of entries (-1: none). */
  #dirHead: number[] = [-1];
  /** The last folder looked up (a scan sets, a plan reads, folder by folder). */
  #lastDir = "";
  #lastDirId = -1;

  /** Number of paths held. */
  get size(): number {
    return this.#count;
  }

  /** Slots below this number may be in use: size value arrays to it. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The folders that hold at least one path, the root (`""`) aside, in no set order. */
  folders(): IterableIterator<string> {
    return this.#dirIds.keys();
  }

  /**
   * How many paths are directly in folder `dir` (held as `dir + "/" + name`; `""` counts the
   * paths with no `/`), without visiting them.
   */
  countIn(dir: string): number {
    const id = dir === "" ? TOP : this.#dirIds.get(dir);
    return id === undefined ? 0 : this.#dirRefs[id]!;
  }

  /** The slot of `path`, or -1. */
  find(path: string): number {
    const cut = path.lastIndexOf("/");
    const dir = this.#dirId(path, cut, false);
    if (dir < 0) return -1;
    const at = this.#lookup(dir, path, cut + 1, hashOf(dir, path, cut + 1));
    return at < 0 ? -1 : this.#table[at]! - 1;
  }

  /** The slot of `path`, added at the end of the order when new. */
  add(path: string): number {
    const cut = path.lastIndexOf("/");
    tooLong(path, cut);
    const dir = this.#dirId(path, cut, true);
    const code = hashOf(dir, path, cut + 1);
    const at = this.#lookup(dir, path, cut + 1, code);
    if (at >= 0) return this.#table[at]! - 1;
    const slot = this.#newSlot();
    this.#dirOf[slot] = dir;
    this.#dirRefs[dir]!++;
    this.#link(slot, dir);
    this.#storeName(slot, path, cut + 1);
    this.#code[slot] = code;
    this.#insert(slot, code);
    this.#append(slot);
    this.#count++;
    return slot;
  }

  /** Removes `path`; its slot (free for reuse from now on), or -1 when not held. */
  remove(path: string): number {
    const cut = path.lastIndexOf("/");
    const dir = this.#dirId(path, cut, false);
    if (dir < 0) return -1;
    const at = this.#lookup(dir, path, cut + 1, hashOf(dir, path, cut + 1));
    if (at < 0) return -1;
    const slot = this.#table[at]! - 1;
    this.#table[at] = TOMBSTONE;
    this.#order[this.#pos[slot]!] = -1;
    this.#pos[slot] = -1;
    this.#holes++;
    this.#arenaGarbage += this.#nameBytes(slot);
    this.#unlink(slot, dir);
    this.#release(dir);
    this.#free.push(slot);
    this.#count--;
    this.#maybeCompact();
    return slot;
  }

  /** The path held at `slot` (a slot in use). */
  pathOf(slot: number): string {
    const dir = this.#dirOf[slot]!;
    const name = this.#nameOf(slot);
    return dir === TOP ? name : this.#dirPaths[dir] + "/" + name;
  }

  /** The slots in use, in insertion order. */
  *slots(): Generator<number, void, undefined> {
    this.#iterating++;
    try {
      for (let i = 0; i < this.#orderUsed; i++) {
        const slot = this.#order[i]!;
        if (slot >= 0) yield slot;
      }
    } finally {
      this.#iterating--;
    }
  }

  /**
   * The slots of the paths in a scope, in insertion order: those directly in
   * a folder of `shallow` (`""` is the top), those at a path of `shallow`,
   * and those at or below a path of `deep`. The same paths as filtering
   * {@link slots} with that test, at a cost of the entries in the scope (plus
   * one look at each folder's path when `deep` is not empty), not of all.
   */
  slotsWithin(shallow: Iterable<string>, deep: Iterable<string>): number[] {
    if (!this.#linked) this.#linkAll();
    const out: number[] = [];
    const collect = (dir: number | undefined) => {
      if (dir === undefined) return;
      for (let slot = this.#dirHead[dir] ?? -1; slot >= 0; slot = this.#next[slot]!) out.push(slot);
    };
    const one = (path: string) => {
      if (path === "") return;
      const slot = this.find(path);
      if (slot >= 0) out.push(slot);
    };
    for (const folder of shallow) {
      one(folder);
      if (folder === "") collect(TOP); // and a path such as "/a" is in the folder "" of the map
      collect(this.#dirIds.get(folder));
    }
    const below = new Set<string>();
    for (const subtree of deep) {
      if (subtree === "") return [...this.slots()];
      one(subtree);
      below.add(subtree);
    }
    if (below.size > 0) {
      for (const [path, id] of this.#dirIds) {
        for (let at = path; at !== "";) {
          if (below.has(at)) {
            collect(id);
            break;
          }
          const cut = at.lastIndexOf("/");
          at = cut < 0 ? "" : at.slice(0, cut);
        }
      }
    }
    const pos = this.#pos;
    out.sort((a, b) => pos[a]! - pos[b]!);
    let n = 0;
    for (let i = 0; i < out.length; i++) {
      if (n === 0 || out[n - 1] !== out[i]) out[n++] = out[i]!;
    }
    out.length = n;
    return out;
  }

  /**
   * Re-roots `from` and every path below it at `to`, each keeping its slot
   * and its place in the order, by renaming folders. Does nothing and
   * returns false when that would not be what deleting them and setting them
   * again under `to` does: `to` (or something below it) is held, one is
   * inside the other, or either is `""`.
   */
  move(from: string, to: string): boolean {
    if (from === "" || to === "" || from === to) return false;
    if (to.startsWith(from + "/") || from.startsWith(to + "/")) return false;
    if (this.find(to) >= 0) return false;
    tooLong(to, to.lastIndexOf("/"));
    const toPrefix = to + "/";
    const fromPrefix = from + "/";
    const renamed: [string, number][] = [];
    for (const [path, id] of this.#dirIds) {
      if (path === to || path.startsWith(toPrefix)) return false;
      if (path === from || path.startsWith(fromPrefix)) renamed.push([path, id]);
    }
    const slot = this.find(from);
    for (const [path] of renamed) this.#dirIds.delete(path);
    for (const [path, id] of renamed) {
      const moved = to + path.slice(from.length);
      this.#dirIds.set(moved, id);
      this.#dirPaths[id] = moved;
    }
    this.#lastDirId = -1;
    if (slot >= 0) this.#rename(slot, from, to);
    return true;
  }

  /**
   * Makes room for `count` paths in all, so that adding up to that many
   * neither grows nor rehashes (a checkpoint's load: no copy of the arrays,
   * no moment where the old and the new arrays are both held).
   */
  reserve(count: number): void {
    if (count > this.#capacity) this.#growTo(count);
    if (this.#order.length - this.#orderUsed < count - this.#count) {
      const order = new Int32Array(this.#orderUsed + count - this.#count);
      order.set(this.#order.subarray(0, this.#orderUsed));
      this.#order = order;
    }
    // The table as adding `count` paths one by one would leave it (full up to MAX_FILL).
    if (count + 1 > this.#table.length * MAX_FILL) {
      this.#rehash(-1, Math.ceil((count + 1) * REFILL / MAX_FILL));
    }
  }

  /** Forgets every path and gives the storage back. */
  clear(): void {
    this.#count = 0;
    this.#used = 0;
    this.#free = [];
    this.#capacity = 0;
    this.#dirOf = new Int32Array(0);
    this.#nameAt = new Uint32Array(0);
    this.#nameLen = new Uint16Array(0);
    this.#wide = new Uint8Array(0);
    this.#code = new Int32Array(0);
    this.#pos = new Int32Array(0);
    this.#arena = new Uint8Array(0);
    this.#arenaUsed = 0;
    this.#arenaGarbage = 0;
    this.#order = new Int32Array(0);
    this.#orderUsed = 0;
    this.#holes = 0;
    this.#table = new Int32Array(0);
    this.#fill = 0;
    this.#dirIds = new Map();
    this.#dirPaths = [""];
    this.#dirRefs = [0];
    this.#dirFree = [];
    this.#dirHead = [-1];
    this.#linked = false;
    this.#next = new Int32Array(0);
    this.#prev = new Int32Array(0);
    this.#lastDirId = -1;
  }

  /** Moves the entry at `slot` (path `from`) to `to`, keeping its slot and place. */
  #rename(slot: number, from: string, to: string): void {
    const at = this.#lookup(
      this.#dirOf[slot]!,
      from,
      from.lastIndexOf("/") + 1,
      this.#code[slot]!,
    );
    this.#table[at] = TOMBSTONE;
    this.#unlink(slot, this.#dirOf[slot]!);
    this.#release(this.#dirOf[slot]!);
    const cut = to.lastIndexOf("/");
    const dir = this.#dirId(to, cut, true);
    const code = hashOf(dir, to, cut + 1);
    this.#dirOf[slot] = dir;
    this.#dirRefs[dir]!++;
    this.#link(slot, dir);
    const oldBytes = this.#nameBytes(slot);
    this.#storeName(slot, to, cut + 1);
    this.#arenaGarbage += oldBytes;
    this.#code[slot] = code;
    this.#insert(slot, code);
    this.#maybeCompact();
  }

  /** Makes the folders' lists of the slots in use. */
  #linkAll(): void {
    this.#next = new Int32Array(this.#capacity);
    this.#prev = new Int32Array(this.#capacity);
    this.#dirHead = new Array<number>(this.#dirPaths.length).fill(-1);
    this.#linked = true;
    for (let i = 0; i < this.#orderUsed; i++) {
      const slot = this.#order[i]!;
      if (slot >= 0) this.#link(slot, this.#dirOf[slot]!);
    }
  }

  /** Puts `slot` first in folder `dir`'s list. */
  #link(slot: number, dir: number): void {
    if (!this.#linked) return;
    const head = this.#dirHead[dir]!;
    this.#prev[slot] = -1;
    this.#next[slot] = head;
    if (head >= 0) this.#prev[head] = slot;
    this.#dirHead[dir] = slot;
  }

  /** Takes `slot` out of folder `dir`'s list. */
  #unlink(slot: number, dir: number): void {
    if (!this.#linked) return;
    const next = this.#next[slot]!;
    const prev = this.#prev[slot]!;
    if (prev >= 0) this.#next[prev] = next;
    else this.#dirHead[dir] = next;
    if (next >= 0) this.#prev[next] = prev;
  }

  /** The id of the folder part of `path` (before `cut`), made when `create`; -1 if unknown. */
  #dirId(path: string, cut: number, create: boolean): number {
    if (cut < 0) return TOP;
    const last = this.#lastDir;
    if (
      this.#lastDirId >= 0 && cut === last.length && path.startsWith(last)
    ) return this.#lastDirId;
    const dirPath = path.slice(0, cut);
    let id = this.#dirIds.get(dirPath);
    if (id === undefined) {
      if (!create) return -1;
      id = this.#dirFree.pop() ?? this.#dirPaths.length;
      this.#dirPaths[id] = dirPath;
      this.#dirRefs[id] = 0;
      this.#dirHead[id] = -1;
      this.#dirIds.set(dirPath, id);
    }
    this.#lastDir = dirPath;
    this.#lastDirId = id;
    return id;
  }

  /** One entry fewer in folder `dir`; an empty folder's string is dropped. */
  #release(dir: number): void {
    if (--this.#dirRefs[dir]! > 0 || dir === TOP) return;
    this.#dirIds.delete(this.#dirPaths[dir]!);
    this.#dirPaths[dir] = "";
    this.#dirFree.push(dir);
    if (this.#lastDirId === dir) this.#lastDirId = -1;
  }

  /** The table index holding (dir, name of `path` from `start`), or -1. */
  #lookup(dir: number, path: string, start: number, code: number): number {
    const table = this.#table;
    if (table.length === 0) return -1;
    const mask = table.length - 1;
    for (let i = code & mask;; i = (i + 1) & mask) {
      const t = table[i]!;
      if (t === EMPTY) return -1;
      if (t === TOMBSTONE) continue;
      const slot = t - 1;
      if (
        this.#code[slot] === code && this.#dirOf[slot] === dir &&
        this.#nameIs(slot, path, start)
      ) return i;
    }
  }

  /** Puts `slot` in the table (it is not there; it may be in the order already). */
  #insert(slot: number, code: number): void {
    if ((this.#fill + 1) > this.#table.length * MAX_FILL) this.#rehash(slot);
    const table = this.#table;
    const mask = table.length - 1;
    let i = code & mask;
    while (table[i]! > 0) i = (i + 1) & mask;
    if (table[i] === EMPTY) this.#fill++;
    table[i] = slot + 1;
  }

  /** A table with room for the live paths (or `room`), without removal marks, `skip` left out. */
  #rehash(skip: number, room: number = this.#count + 1): void {
    let size = 1024;
    while (room > size * REFILL) size *= 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    let fill = 0;
    for (let i = 0; i < this.#orderUsed; i++) {
      const slot = this.#order[i]!;
      if (slot < 0 || slot === skip) continue;
      let at = this.#code[slot]! & mask;
      while (table[at] !== EMPTY) at = (at + 1) & mask;
      table[at] = slot + 1;
      fill++;
    }
    this.#table = table;
    this.#fill = fill;
  }

  #nameIs(slot: number, path: string, start: number): boolean {
    const len = this.#nameLen[slot]!;
    if (path.length - start !== len) return false;
    const arena = this.#arena;
    const at = this.#nameAt[slot]!;
    if (this.#wide[slot]) {
      for (let k = 0; k < len; k++) {
        const unit = arena[at + 2 * k]! | (arena[at + 2 * k + 1]! << 8);
        if (unit !== path.charCodeAt(start + k)) return false;
      }
      return true;
    }
    for (let k = 0; k < len; k++) {
      if (arena[at + k] !== path.charCodeAt(start + k)) return false;
    }
    return true;
  }

  #nameBytes(slot: number): number {
    return this.#nameLen[slot]! * (this.#wide[slot] ? 2 : 1);
  }

  #nameOf(slot: number): string {
    const len = this.#nameLen[slot]!;
    const at = this.#nameAt[slot]!;
    const arena = this.#arena;
    if (!this.#wide[slot]) {
      return String.fromCharCode.apply(null, arena.subarray(at, at + len) as unknown as number[]);
    }
    let name = "";
    for (let k = 0; k < len; k++) {
      name += String.fromCharCode(arena[at + 2 * k]! | (arena[at + 2 * k + 1]! << 8));
    }
    return name;
  }

  #storeName(slot: number, path: string, start: number): void {
    const len = path.length - start;
    let wide = 0;
    for (let k = start; k < path.length; k++) {
      if (path.charCodeAt(k) > 0xff) {
        wide = 1;
        break;
      }
    }
    const bytes = wide ? len * 2 : len;
    if (this.#arenaUsed + bytes > this.#arena.length) this.#growArena(bytes);
    const arena = this.#arena;
    const at = this.#arenaUsed;
    for (let k = 0; k < len; k++) {
      const unit = path.charCodeAt(start + k);
      if (wide) {
        arena[at + 2 * k] = unit & 0xff;
        arena[at + 2 * k + 1] = unit >>> 8;
      } else arena[at + k] = unit;
    }
    this.#arenaUsed += bytes;
    this.#nameAt[slot] = at;
    this.#nameLen[slot] = len;
    this.#wide[slot] = wide;
  }

  /** Room for `bytes` more: the live names copied into a new arena, garbage left behind. */
  #growArena(bytes: number): void {
    const live = this.#arenaUsed - this.#arenaGarbage;
    let size = Math.max(16384, this.#arena.length);
    while (live + bytes > size * 0.75) size *= 2;
    const arena = new Uint8Array(size);
    let used = 0;
    if (this.#arenaGarbage === 0) {
      arena.set(this.#arena.subarray(0, this.#arenaUsed));
      used = this.#arenaUsed;
    } else {
      for (let slot = 0; slot < this.#used; slot++) {
        if (this.#pos[slot]! < 0) continue;
        const at = this.#nameAt[slot]!;
        const n = this.#nameBytes(slot);
        arena.set(this.#arena.subarray(at, at + n), used);
        this.#nameAt[slot] = used;
        used += n;
      }
    }
    this.#arena = arena;
    this.#arenaUsed = used;
    this.#arenaGarbage = 0;
  }

  #newSlot(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#used === this.#capacity) this.#grow();
    return this.#used++;
  }

  #grow(): void {
    this.#growTo(Math.max(1024, this.#capacity * 2));
  }

  /** Slot arrays for `capacity` slots (more than now), the slots in use copied. */
  #growTo(capacity: number): void {
    const grown = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(
      old: T,
      made: T,
    ): T => {
      made.set(old as never);
      return made;
    };
    this.#dirOf = grown(this.#dirOf, new Int32Array(capacity));
    this.#nameAt = grown(this.#nameAt, new Uint32Array(capacity));
    this.#nameLen = grown(this.#nameLen, new Uint16Array(capacity));
    this.#wide = grown(this.#wide, new Uint8Array(capacity));
    this.#code = grown(this.#code, new Int32Array(capacity));
    const pos = new Int32Array(capacity).fill(-1);
    pos.set(this.#pos);
    this.#pos = pos;
    if (this.#linked) {
      this.#next = grown(this.#next, new Int32Array(capacity));
      this.#prev = grown(this.#prev, new Int32Array(capacity));
    }
    this.#capacity = capacity;
  }

  #append(slot: number): void {
    if (this.#orderUsed === this.#order.length) {
      if (this.#holes > this.#orderUsed / 2 && this.#iterating === 0) this.#compactOrder();
      if (this.#orderUsed === this.#order.length) {
        const order = new Int32Array(Math.max(1024, this.#order.length * 2));
        order.set(this.#order);
        this.#order = order;
      }
    }
    this.#pos[slot] = this.#orderUsed;
    this.#order[this.#orderUsed++] = slot;
  }

  /** Drops the removed places from the order (never while an iteration runs). */
  #compactOrder(): void {
    let n = 0;
    for (let i = 0; i < this.#orderUsed; i++) {
      const slot = this.#order[i]!;
      if (slot < 0) continue;
      this.#order[n] = slot;
      this.#pos[slot] = n++;
    }
    this.#orderUsed = n;
    this.#holes = 0;
  }

  /** After removals: the order and the names shrink once mostly garbage. */
  #maybeCompact(): void {
    if (this.#iterating === 0 && this.#holes > 4096 && this.#holes > this.#count) {
      this.#compactOrder();
    }
    if (this.#arenaGarbage > 65536 && this.#arenaGarbage > this.#arenaUsed / 2) {
      this.#growArena(0);
    }
  }
}
