/**
 * Benchmark fixtures: trees of many small files and one large file, written
 * straight through Deno so that creating them costs little of the time budget.
 *
 * Every file and folder gets an mtime well in the past, as most files of a
 * real source tree have. (A file copied within two seconds of its last change
 * is "racy" and re-hashed by the next pass; the racy benchmark sets fresh
 * mtimes on purpose with {@link touchFiles}.)
 *
 * @module
 */

/** The mtime given to fixtures: 2024-01-01T00:00:00Z, in seconds. */
export const OLD_MTIME_S = 1_704_067_200;

/** Shape of a tree of small files. */
export interface TreeShape {
  /** Number of folders directly under the root. */
  dirs: number;
  /** Files in each folder. */
  filesPerDir: number;
  /** Size of each file in bytes. */
  fileBytes: number;
}

/** Folder name `i` (zero-padded so that listings sort). */
export function dirName(i: number): string {
  return `d${String(i).padStart(4, "0")}`;
}

/** File name `j` (zero-padded). */
export function fileName(j: number): string {
  return `f${String(j).padStart(3, "0")}.bin`;
}

/** Fills `buf` with pseudo-random bytes (xorshift32; `crypto` caps a call at 64 KiB). */
function fillPseudoRandom(buf: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  const words = new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

/**
 * Writes `shape.dirs` folders of `shape.filesPerDir` files under `root`
 * (created), each file with distinct content, all with an old mtime.
 *
 * @returns the number of files written
 * @throws Deno.errors.* when the tree cannot be written
 */
export function makeTree(root: string, shape: TreeShape): number {
  Deno.mkdirSync(root, { recursive: true });
  const body = new Uint8Array(Math.max(shape.fileBytes, 8));
  fillPseudoRandom(body, 0x9e3779b9);
  const view = new DataView(body.buffer);
  let n = 0;
  for (let i = 0; i < shape.dirs; i++) {
    const dir = `${root}/${dirName(i)}`;
    Deno.mkdirSync(dir);
    for (let j = 0; j < shape.filesPerDir; j++) {
      const path = `${dir}/${fileName(j)}`;
      view.setUint32(0, i);
      view.setUint32(4, j);
      Deno.writeFileSync(path, body.subarray(0, shape.fileBytes));
      Deno.utimeSync(path, OLD_MTIME_S, OLD_MTIME_S);
      n++;
    }
    Deno.utimeSync(dir, OLD_MTIME_S, OLD_MTIME_S);
  }
  Deno.utimeSync(root, OLD_MTIME_S, OLD_MTIME_S);
  return n;
}

/**
 * Writes one file of `bytes` bytes of incompressible content at `path`,
 * fsyncs it and gives it an old mtime.
 *
 * @throws Deno.errors.* when the file cannot be written
 */
export function makeBigFile(path: string, bytes: number): void {
  const chunk = new Uint8Array(1 << 20);
  fillPseudoRandom(chunk, 0x2545f491);
  const view = new DataView(chunk.buffer);
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    for (let i = 0; written < bytes; i++) {
      view.setUint32(0, i); // no two chunks alike
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
      let off = 0;
      while (off < part.length) off += file.writeSync(part.subarray(off));
      written += part.length;
    }
    file.syncSync();
  } finally {
    file.close();
  }
  Deno.utimeSync(path, OLD_MTIME_S, OLD_MTIME_S);
}

/**
 * Sets the mtime of every file of a tree made by {@link makeTree} to now plus
 * `aheadMs`, as if each had just been modified. A copy counts a file as racy
 * while the clock is less than 2 s from the file's mtime, either way; an mtime
 * a little ahead widens the window the copy of the whole tree has to fit in.
 *
 * @throws Deno.errors.* when a file cannot be touched
 */
export function touchFiles(root: string, shape: TreeShape, aheadMs = 0): void {
  const t = new Date(Date.now() + aheadMs);
  for (let i = 0; i < shape.dirs; i++) {
    for (let j = 0; j < shape.filesPerDir; j++) {
      Deno.utimeSync(`${root}/${dirName(i)}/${fileName(j)}`, t, t);
    }
  }
}
