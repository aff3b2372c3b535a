/**
 * Streaming content hash: xxh128 through hash-wasm (about 1.3 GB/s and more
 * here, where SHA-256 through node:crypto reached 172 MB/s). It is rsync's
 * default checksum; it detects change, it is not a defence against an attacker.
 *
 * @module
 */

import { createXXHash128, type IHasher } from "hash-wasm";
import type { FileHandle, FileSystem } from "./fs.ts";

/** An incremental hasher. */
export interface Hasher {
  /** Starts a new digest. */
  init(): void;
  /** Feeds bytes. */
  update(data: Uint8Array): void;
  /** Finishes and returns the hex digest. */
  digest(): string;
}

/** Creates an xxh128 hasher (WebAssembly; instances are cheap after the first). */
export async function createHasher(): Promise<Hasher> {
  const h: IHasher = await createXXHash128();
  return {
    init: () => void h.init(),
    update: (d) => void h.update(d),
    digest: () => h.digest("hex"),
  };
}

/**
 * Size of the read buffers for hashing and copying. 256 KiB copied a 1 GiB
 * file here in 0.6 s where 1 MiB took 1.5 to 2.6 s (docs/benchmarks.md).
 */
export const CHUNK = 256 * 1024;

/**
 * One read buffer per hasher, reused by each of its hashes. A hasher serves
 * one loop, where one hash runs at a time; several jobs in one process
 * (`--config`) each have their own, so an async read of one job's large file
 * can never land in the buffer another job is hashing from (one buffer for the
 * whole process could mix two files into one hash).
 */
const buffers = new WeakMap<Hasher, Uint8Array>();

function bufferOf(hasher: Hasher): Uint8Array {
  let buf = buffers.get(hasher);
  if (buf === undefined) {
    buf = new Uint8Array(CHUNK);
    buffers.set(hasher, buf);
  }
  return buf;
}

/**
 * Hashes the file at an absolute path (opened with {@link FileSystem.openSync}).
 *
 * @throws Deno.errors.* when it cannot be read.
 */
export async function hashFile(
  fs: FileSystem,
  path: string,
  hasher: Hasher,
): Promise<{ hash: string; size: number }> {
  return await hashOpen(fs.openSync(path), hasher);
}

/**
 * Hashes a file of the source, opened with {@link FileSystem.openSource}: a
 * FIFO, socket, device, folder or symlink swapped in at `path` is refused at
 * once, never waited on or followed.
 *
 * @throws NotRegularFileError (`isNotRegularFile`); Deno.errors.* when it cannot be read.
 */
export async function hashSourceFile(
  fs: FileSystem,
  path: string,
  hasher: Hasher,
): Promise<{ hash: string; size: number }> {
  return await hashOpen(fs.openSource(path), hasher);
}

/** Hashes what `file` holds from its current offset, then closes it. */
async function hashOpen(file: FileHandle, hasher: Hasher): Promise<{ hash: string; size: number }> {
  try {
    const buf = bufferOf(hasher);
    hasher.init();
    let size = 0;
    // Small files are read with synchronous calls (microseconds, where an async call costs ~40 us).
    const small = file.stat().size <= CHUNK;
    for (;;) {
      const n = small ? file.readSync(buf) : await file.read(buf);
      if (n === null) break;
      hasher.update(buf.subarray(0, n));
      size += n;
    }
    return { hash: hasher.digest(), size };
  } finally {
    file.close();
  }
}

/** Something read from its start in chunks: an open file, a destination's reader. */
export interface ChunkReader {
  /** Reads into `buf`; resolves to the byte count, or `null` at the end. */
  read(buf: Uint8Array): Promise<number | null>;
}

/**
 * Hashes what `reader` yields up to its end (the caller opens and closes it):
 * a file read through a port other than the {@link FileSystem}, such as a
 * destination's `openFile` (lib/dest/destination.ts).
 *
 * @throws what the reader throws.
 */
export async function hashReader(
  reader: ChunkReader,
  hasher: Hasher,
): Promise<{ hash: string; size: number }> {
  const buf = bufferOf(hasher);
  hasher.init();
  let size = 0;
  for (;;) {
    const n = await reader.read(buf);
    if (n === null) break;
    hasher.update(buf.subarray(0, n));
    size += n;
  }
  return { hash: hasher.digest(), size };
}
