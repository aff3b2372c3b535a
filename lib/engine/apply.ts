/**
 * Carries out planned operations on the destination, atomically, through its
 * {@link Destination} (lib/dest/destination.ts): nothing here knows whether it
 * is a local folder.
 *
 * Files are staged (locally: a temp file in the target's folder, exclusive
 * create, 0600), hashed while copied (a large file is copied by the kernel
 * where the destination can, and hashed from the page cache beside it),
 * given their mode and mtime, made durable, then committed over the target.
 * The source is checked before and after the copy: if it changed, the staged
 * file is discarded and {@link SourceChangedError} thrown, so a torn copy
 * never reaches a real name.
 * Durability is paid per batch: the staged files of a batch are made durable
 * together (one `syncfs` of the destination's file system where it can, else
 * one fsync each, concurrently), then committed, and the caller syncs each
 * touched folder once.
 *
 * @module
 */

import type { DataSegment, FileHandle, FileSystem } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { Destination, SparseWriter, StagedEntry, StagedFile } from "../dest/destination.ts";
import type { PlanOp } from "./plan.ts";
import { isAlreadyExists, isMissing, isNotFound } from "../base/fs.ts";
import { CHUNK } from "../base/hash.ts";
import { sameAsScanned } from "../base/scanned.ts";
import { MODE_MASK } from "./plan.ts";
import { join, parentOf, unsafeReason } from "../base/paths.ts";
import { SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { destinationHas } from "../dest/destination.ts";
import { prepareVersionFolder, versionPath } from "./versions.ts";

/** Files up to this size are copied with synchronous calls (cheaper per call). */
const SMALL_FILE = 256 * 1024;

/** A source mtime closer than this to the copy is "racy": re-hash next pass. */
export const RACY_WINDOW_MS = 2000;

/**
 * Whether a file whose mtime is `mtimeMs`, read at `now`, may still change without its mtime
 * changing (a write in the same clock tick as the copy). The window is two-sided so a small
 * clock skew (a network file server a little ahead) stays covered, but a file stamped far in
 * the future is not racy: any write now would move its mtime back to the present, which the
 * quick check sees. Counting every future mtime as racy re-hashed such files on every pass.
 */
export function isRacy(mtimeMs: number, now: number): boolean {
  return Math.abs(now - mtimeMs) < RACY_WINDOW_MS;
}

/** What the apply functions need. */
export interface ApplyContext {
  /** The file system port the source is read through. */
  fs: FileSystem;
  /** Absolute source root. */
  source: string;
  /** The destination: every change is made through it. */
  destination: Destination;
  /** Hasher used for copies (one copy at a time). */
  hasher: Hasher;
  /** Mask applied to permission bits (default {@link MODE_MASK}: no setuid/setgid). */
  modeMask?: number;
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Told the bytes copied as a copy goes (per chunk of a large file): progress display. */
  onCopied?: (bytes: number) => void;
}

/** A copy written to its temp file, not yet synced or renamed. */
export interface PreparedCopy {
  /** The operation. */
  op: Extract<PlanOp, { op: "copy" }>;
  /** The staged file, sealed: synced and committed by {@link commitCopies}. */
  staged: StagedFile;
  /** xxh128 of the bytes written. */
  hash: string;
  /** Bytes written. */
  bytes: number;
  /** Source mtime was within {@link RACY_WINDOW_MS} of the copy. */
  racy: boolean;
  /** Versioning on: where the file it replaces goes (relative to the versions folder). */
  version?: string;
  /** Order of staging in this process: the `syncfs` goes through a group's earliest file. */
  stagedOrder?: number;
}

/** Counts staged copies (see {@link PreparedCopy.stagedOrder}). */
let stagedCount = 0;

/**
 * Refuses a relative path that could lead outside the destination, and any
 * parent folder in the destination that is not a real folder (a symlink
 * swapped in would redirect writes). `checked` caches parents already seen.
 *
 * @throws Error naming the path.
 */
export async function assertInside(
  ctx: ApplyContext,
  rel: string,
  checked: Set<string>,
): Promise<void> {
  const why = unsafeReason(rel);
  if (why !== null) throw new Error(`refused unsafe path (${why})`);
  let parent = parentOf(rel);
  const chain: string[] = [];
  while (parent !== "" && !checked.has(parent)) {
    chain.push(parent);
    parent = parentOf(parent);
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const p = chain[i]!;
    let kind;
    try {
      kind = (await ctx.destination.stat(p)).kind;
    } catch (err) {
      if (isNotFound(err)) throw new Error(`parent folder "${p}" is missing`);
      throw err;
    }
    if (kind !== "dir") {
      throw new Error(`parent "${p}" in the destination is a ${kind}, not a folder: refused`);
    }
    checked.add(p);
  }
}

/**
 * Gives the destination folder that will hold `rel` owner write permission
 * if it lacks it (a read-only folder mirrored from the source), so that files
 * can be created, renamed or removed in it. The pass's folder-metadata phase
 * puts the mirrored mode back. `done` caches folders already seen. Nothing where
 * folders are markers (a bucket): a marker's mode is only metadata, and no write
 * below it is refused.
 */
export async function ensureWritableParent(
  ctx: ApplyContext,
  rel: string,
  done: Set<string>,
): Promise<void> {
  // A folder that is a marker object (a bucket) has a mode in its metadata only: nothing to open.
  if (ctx.destination.capabilities.folders === "markers") return;
  const parent = parentOf(rel);
  if (done.has(parent)) return;
  done.add(parent);
  let mode;
  try {
    mode = (await ctx.destination.stat(parent)).mode;
  } catch {
    return; // missing: the operation itself reports it
  }
  if ((mode & 0o300) !== 0o300) {
    await ctx.destination.setMeta(parent, "dir", { mode: mode | 0o700 });
  }
}

async function copyLarge(
  src: FileHandle,
  out: StagedFile,
  hasher: Hasher,
  onCopied: ((bytes: number) => void) | undefined,
): Promise<number> {
  // Double buffering: the next read runs while the current chunk is written.
  let a = new Uint8Array(CHUNK);
  let b = new Uint8Array(CHUNK);
  let bytes = 0;
  let pending = src.read(a);
  try {
    for (;;) {
      const n = await pending;
      if (n === null) break;
      const chunk = a.subarray(0, n);
      hasher.update(chunk);
      pending = src.read(b);
      await out.write(chunk);
      bytes += n;
      onCopied?.(n);
      [a, b] = [b, a];
    }
  } catch (err) {
    // A failed write leaves the next read in flight: settle it before the handle closes.
    await pending.catch(() => {});
    throw err;
  }
  return bytes;
}

/** Zeros fed to the hasher for a hole (a hole reads as zeros, and the hash is of the content). */
const ZEROS = new Uint8Array(CHUNK);

/**
 * The source's data segments when it has holes and both ends can keep them;
 * `null` for a file without holes (or where holes cannot be found or kept).
 */
function holesToKeep(src: FileHandle, out: StagedFile, size: number): DataSegment[] | null {
  if (!src.dataSegments || !src.readAt || !out.sparse) return null;
  const segments = src.dataSegments();
  const data = segments.reduce((sum, segment) => sum + segment.length, 0);
  return data < size ? segments : null;
}

/**
 * Copies a file with holes: each data segment is read and written at its
 * offset, the holes are skipped in the copy (they stay holes) and hashed as
 * zeros, and the copy's length is set to `size` (a trailing hole).
 */
async function copySparse(
  src: FileHandle,
  readAt: NonNullable<FileHandle["readAt"]>,
  out: SparseWriter,
  segments: DataSegment[],
  size: number,
  hasher: Hasher,
  onCopied: ((bytes: number) => void) | undefined,
): Promise<number> {
  const buf = new Uint8Array(CHUNK);
  let at = 0;
  const hashZeros = (until: number) => {
    for (; at < until; at += Math.min(CHUNK, until - at)) {
      hasher.update(ZEROS.subarray(0, Math.min(CHUNK, until - at)));
    }
  };
  for (const segment of segments) {
    hashZeros(Math.min(segment.offset, size));
    const end = Math.min(segment.offset + segment.length, size);
    while (at < end) {
      const n = await readAt.call(src, buf.subarray(0, Math.min(CHUNK, end - at)), at);
      if (n === null) return at; // shrank since the scan: the caller discards the copy
      const chunk = buf.subarray(0, n);
      hasher.update(chunk);
      await out.writeAt(chunk, at);
      at += n;
      onCopied?.(n);
    }
  }
  hashZeros(size);
  await out.setLength(size);
  return at;
}

/** Bytes per kernel copy call; the hash reads the same span back from the page cache. */
const KERNEL_CHUNK = 8 * 1024 * 1024;

/**
 * Reads `n` bytes at the source's position and hashes them, {@link CHUNK} at a time into `buf`
 * with synchronous reads: each piece is hashed while it is still in the CPU's cache (one 8 MiB
 * read through the pool, then a hash of 8 MiB from memory, cost more system time: see
 * docs/benchmarks.md), and the kernel copy of the next span runs on another thread meanwhile. Returns the bytes read;
 * fewer than `n` means the file shrank.
 */
function hashBack(src: FileHandle, buf: Uint8Array, n: number, hasher: Hasher): number {
  let got = 0;
  while (got < n) {
    const r = src.readSync(buf.subarray(0, Math.min(buf.length, n - got)));
    if (r === null) break;
    hasher.update(buf.subarray(0, r));
    got += r;
  }
  return got;
}

/**
 * Copies a large file in the kernel where the staged file can ({@link StagedFile.copyRange}),
 * the hash computed beside it: while the kernel copies one span, the span before is read back
 * (from the page cache, through the source's own position) and hashed. Returns the bytes
 * copied, or `null` when the kernel cannot copy between these two (nothing was done).
 * A source that changes meanwhile is caught by the caller's checks of size and mtime.
 */
async function copyByKernel(
  src: FileHandle,
  out: StagedFile,
  hasher: Hasher,
  onCopied: ((bytes: number) => void) | undefined,
): Promise<number | null> {
  if (!out.copyRange) return null;
  const first = await out.copyRange(src, 0, KERNEL_CHUNK);
  if (first === null) return null;
  const buf = new Uint8Array(CHUNK);
  // The disk writes each span out while the next ones are copied (the sync has less to do);
  // at most one such call in flight, settled before the copy returns.
  let writeback: Promise<void> = Promise.resolve();
  let offset = 0;
  let n = first;
  while (n > 0) {
    const span = { at: offset, n };
    writeback = writeback.then(() => out.startWriteback?.(span.at, span.n));
    const next = out.copyRange(src, offset + n, KERNEL_CHUNK);
    try {
      const read = hashBack(src, buf, n, hasher);
      if (read !== n) throw new SourceChangedError("changed while it was being copied");
    } catch (err) {
      await next.catch(() => {});
      await writeback.catch(() => {});
      throw err;
    }
    offset += n;
    onCopied?.(n);
    const copied = await next.catch(async (err) => {
      await writeback.catch(() => {});
      throw err;
    });
    if (copied === null) throw new Error("the kernel copy stopped working mid-file");
    n = copied;
  }
  await writeback.catch(() => {});
  return offset;
}

/**
 * One buffer per hasher (copies through a hasher run one at a time) for the small files, so a
 * small file's bytes are not a fresh `ArrayBuffer` each (garbage, and V8 counts each one's
 * memory). A destination's `write` copies what it keeps (as {@link copyLarge}'s two buffers rely on).
 */
const scratch = new WeakMap<Hasher, Uint8Array>();

/** `size` bytes of the hasher's buffer (grown to {@link SMALL_FILE} at most). */
function scratchFor(hasher: Hasher, size: number): Uint8Array {
  let buf = scratch.get(hasher);
  if (buf === undefined || buf.length < size) {
    buf = new Uint8Array(Math.max(size, 64 * 1024));
    scratch.set(hasher, buf);
  }
  return buf.subarray(0, size);
}

/**
 * Copies a small file in one read and one write. It reads exactly `size` bytes (one `read` for
 * a regular file): a file that grew since the scan is caught by the size in the caller's
 * `fstat` after the copy, one that shrank by the short count here. A file that says it is
 * empty gets one read of a byte (a pseudo-file's size can be 0 whatever it holds).
 */
async function copySmall(
  src: FileHandle,
  out: StagedFile,
  hasher: Hasher,
  size: number,
): Promise<number> {
  const buf = scratchFor(hasher, size === 0 ? 1 : size);
  let bytes = 0;
  while (bytes < buf.length) {
    const n = src.readSync(buf.subarray(bytes));
    if (n === null) break;
    bytes += n;
  }
  if (bytes !== size) return bytes;
  if (size === 0) return 0;
  hasher.update(buf);
  await out.write(buf);
  return bytes;
}

/**
 * Copies the source file of `op` into a file staged at its target (locally a
 * fresh temp file next to it). On any failure the staged file is discarded.
 * `ahead`: staged while the batch before is still being committed (see
 * lib/engine/stage_ahead.ts), so the target's folder is not checked yet.
 *
 * @throws SourceChangedError when the source is not what the scan saw, or
 *   changed during the copy; SourceVanishedError when it is gone; the I/O
 *   error otherwise (see lib/base/fs.ts for the predicates that tell them).
 */
export async function prepareCopy(
  ctx: ApplyContext,
  op: Extract<PlanOp, { op: "copy" }>,
  options: { ahead?: boolean } = {},
): Promise<PreparedCopy> {
  const { fs, hasher } = ctx;
  let src: FileHandle;
  try {
    src = fs.openSource(join(ctx.source, op.path));
  } catch (err) {
    if (isNotFound(err)) {
      throw new SourceVanishedError("vanished since it was scanned", { cause: err });
    }
    throw err;
  }
  let out: StagedFile | null = null;
  try {
    // The opener's own fstat where it took one (the native layer): one system call less a file.
    const before = src.opened ?? src.stat();
    if (before.kind !== "file" || !sameAsScanned(before, op.src)) {
      throw new SourceChangedError("changed since it was scanned");
    }
    out = await ctx.destination.stageFile(
      op.path,
      options.ahead ? { size: op.src.size, ahead: true } : { size: op.src.size },
    );
    hasher.init();
    const small = op.src.size <= SMALL_FILE;
    const holes = small ? null : holesToKeep(src, out, op.src.size);
    const bytes = small
      ? await copySmall(src, out, hasher, op.src.size)
      : holes !== null && src.readAt && out.sparse
      ? await copySparse(src, src.readAt, out.sparse, holes, op.src.size, hasher, ctx.onCopied)
      : (await copyByKernel(src, out, hasher, ctx.onCopied)) ??
        await copyLarge(src, out, hasher, ctx.onCopied);
    if (small) ctx.onCopied?.(bytes);
    const after = src.stat();
    if (bytes !== before.size || !sameAsScanned(after, op.src)) {
      throw new SourceChangedError("changed while it was being copied");
    }
    const hash = hasher.digest();
    await out.seal({ mode: op.src.mode & (ctx.modeMask ?? MODE_MASK), mtimeMs: op.src.mtimeMs });
    const now = (ctx.now ?? Date.now)();
    const prepared: PreparedCopy = {
      op,
      staged: out,
      hash,
      bytes,
      racy: isRacy(op.src.mtimeMs, now),
      stagedOrder: stagedCount++,
    };
    out = null;
    return prepared;
  } catch (err) {
    await out?.discard();
    throw err;
  } finally {
    src.close();
  }
}

/** Whether `op` is a copy of a small file (read and written in one call each): see {@link SMALL_FILE}. */
export function isSmallCopy(op: PlanOp): op is Extract<PlanOp, { op: "copy" }> {
  return op.op === "copy" && op.src.size <= SMALL_FILE;
}

/**
 * A small copy staged by another thread (lib/base/copy_helper.ts) as {@link prepareCopy} would
 * have staged it ahead: `staged` holds the scanned size of bytes, written and sealed, with the
 * source checked before and after against the scan; `hash` is of those bytes, read at `readAt`
 * (ms since the epoch, the other thread's clock): the copy is racy by that time, as
 * {@link prepareCopy} judges it by the time its read ended (`ctx.now`, a test's clock, wins).
 */
export function adoptCopy(
  ctx: ApplyContext,
  op: Extract<PlanOp, { op: "copy" }>,
  staged: StagedFile,
  hash: string,
  readAt: number,
): PreparedCopy {
  ctx.onCopied?.(op.src.size);
  return {
    op,
    staged,
    hash,
    bytes: op.src.size,
    racy: isRacy(op.src.mtimeMs, ctx.now ? ctx.now() : readAt),
    stagedOrder: stagedCount++,
  };
}

/** Outcome of one operation: `null` for success, else the error. */
export type Outcome = unknown | null;

/**
 * Copies in a batch from which one {@link StagedFile.syncAll} (a `syncfs`)
 * replaces an fsync per staged file. Below it, the fsyncs are cheaper: a
 * `syncfs` also flushes whatever else is dirty on that file system.
 */
export const SYNC_ALL_FROM = 8;

/**
 * Makes the staged files of `copies` durable. Files are grouped by the file
 * system they are on (a folder of the mirror may be another mount); a group
 * of at least {@link SYNC_ALL_FROM} gets one `syncAll` through its first file
 * (the one staged first, so its error covers their writeback), the rest
 * an fsync each. When a `syncAll` fails (the error may be another file's on
 * that file system), each file of its group is fsynced after all, so only
 * the files whose own writeback failed fail.
 */
async function syncStaged(copies: PreparedCopy[]): Promise<Outcome[]> {
  const groups = new Map<number, number[]>();
  const single: number[] = [];
  copies.forEach((c, i) => {
    const fsId = c.staged.syncAll ? c.staged.fileSystem : undefined;
    if (fsId === undefined) return void single.push(i);
    const group = groups.get(fsId);
    if (group) group.push(i);
    else groups.set(fsId, [i]);
  });
  const outcomes: Outcome[] = copies.map(() => null);
  const fsyncEach = async (indexes: number[]) => {
    await Promise.all(indexes.map(async (i) => {
      try {
        await copies[i]!.staged.sync();
      } catch (err) {
        outcomes[i] = err;
      }
    }));
  };
  await Promise.all([
    fsyncEach(single),
    ...[...groups.values()].map(async (group) => {
      if (group.length >= SYNC_ALL_FROM) {
        try {
          // Through the file staged first (a batch's copies may be staged ahead, out of order).
          const first = group.reduce((a, b) =>
            (copies[b]!.stagedOrder ?? 0) < (copies[a]!.stagedOrder ?? 0) ? b : a
          );
          return await copies[first]!.staged.syncAll!();
        } catch { /* each file's own fsync decides */ }
      }
      await fsyncEach(group);
    }),
  ]);
  return outcomes;
}

/**
 * Versioning: moves the file at `rel` into the versions folder as `vrel` (a
 * rename within the destination: nothing is copied where renames are atomic).
 * Folders, symlinks and a missing path are left alone (`null`). Returns the
 * folders (relative to the destination root) to sync for the move to be
 * durable.
 *
 * @throws Error when `vrel` is unsafe or already taken (never overwritten);
 *   the I/O error on failure (the file then stays where it was).
 */
export async function moveToVersions(
  ctx: ApplyContext,
  rel: string,
  vrel: string,
): Promise<string[] | null> {
  const why = unsafeReason(vrel);
  if (why !== null) throw new Error(`refused unsafe version path (${why})`);
  const { destination } = ctx;
  let kind;
  try {
    kind = (await destination.stat(rel)).kind;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  if (kind !== "file") return null;
  const dirs = await prepareVersionFolder(destination, vrel);
  const target = versionPath(destination.location, vrel);
  // rename() would replace an existing file silently: a name is never reused.
  if (await destinationHas(destination, target)) {
    throw new Error(`version "${vrel}" already exists`);
  }
  await destination.rename(rel, target);
  return dirs;
}

/** Undoes {@link moveToVersions} after the operation failed (best effort: the next pass re-plans). */
async function putBack(ctx: ApplyContext, rel: string, vrel: string): Promise<void> {
  try {
    if (!(await destinationHas(ctx.destination, rel))) {
      await ctx.destination.rename(versionPath(ctx.destination.location, vrel), rel);
    }
  } catch { /* the version stays: nothing is lost, the next pass copies again */ }
}

/**
 * Makes prepared copies durable and visible: syncs all staged files at once
 * (one `syncfs`, or an fsync each), then commits each over its target. Returns one outcome per copy, in order.
 * A staged file whose sync or commit failed is discarded.
 *
 * With versioning (`version` set), the file a copy replaces is first moved
 * into the versions folder, and those folders are synced before any staged
 * file takes a name: the old content is durable somewhere at every instant.
 * A copy that then fails puts the old file back.
 */
export async function commitCopies(ctx: ApplyContext, copies: PreparedCopy[]): Promise<Outcome[]> {
  const outcomes = await syncStaged(copies);
  const moved: boolean[] = copies.map(() => false);
  const vdirs = new Map<string, number[]>();
  for (const [i, c] of copies.entries()) {
    if (outcomes[i] !== null || c.version === undefined) continue;
    try {
      const dirs = await moveToVersions(ctx, c.op.path, c.version);
      if (dirs === null) continue;
      moved[i] = true;
      for (const d of dirs) vdirs.set(d, [...(vdirs.get(d) ?? []), i]);
    } catch (err) {
      outcomes[i] = err;
    }
  }
  await Promise.all([...vdirs].map(async ([d, idx]) => {
    try {
      await ctx.destination.sync(d);
    } catch (err) {
      for (const i of idx) outcomes[i] ??= err;
    }
  }));
  // Committed in order: all at once where the destination can (one folder resolution a run).
  const ready = copies.flatMap((_, i) => outcomes[i] === null ? [i] : []);
  const { destination } = ctx;
  const results = destination.commitAll
    ? await destination.commitAll(ready.map((i) => copies[i]!.staged))
    : await commitEach(ready.map((i) => copies[i]!.staged));
  ready.forEach((i, k) => outcomes[i] = results[k] ?? null);
  for (const [i, c] of copies.entries()) {
    if (outcomes[i] === null) continue;
    if (moved[i]) await putBack(ctx, c.op.path, c.version!);
    await c.staged.discard();
  }
  return outcomes;
}

/** Commits each staged file in order: one outcome each, `null` when committed. */
async function commitEach(staged: StagedFile[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const file of staged) {
    try {
      await file.commit();
      outcomes.push(null);
    } catch (err) {
      outcomes.push(err);
    }
  }
  return outcomes;
}

/** Options for {@link applySimple}. */
export interface SimpleOptions {
  /** Versioning on: where a file that the operation deletes or replaces goes. */
  version?: string;
}

/**
 * Applies one non-copy operation (delete, mkdir, symlink, meta, move). With
 * `version`, a file that a delete removes, or that a symlink or a move
 * replaces, is moved into the versions folder instead of being lost.
 * Returns the versions folders to sync, relative to the destination root
 * (empty when nothing was versioned). When a symlink or a move replaces a
 * versioned file, the versions folder is synced before the replacing rename,
 * as {@link commitCopies} does for copies: the old content is durable under
 * some name at every instant.
 *
 * @throws the I/O error on failure; a delete of a missing path and a mkdir of
 *   an existing folder succeed (operations are idempotent).
 */
export async function applySimple(
  ctx: ApplyContext,
  op: Exclude<PlanOp, { op: "copy" | "verify" }>,
  options: SimpleOptions = {},
): Promise<string[]> {
  const { destination } = ctx;
  const { version } = options;
  switch (op.op) {
    case "delete": {
      const dirs = version === undefined ? null : await moveToVersions(ctx, op.path, version);
      if (dirs !== null) return dirs;
      try {
        await destination.remove(op.path);
      } catch (err) {
        // Gone already, or a parent is no longer a folder (so it cannot exist): done either way.
        if (!isMissing(err)) throw err;
      }
      return [];
    }
    case "mkdir":
      try {
        await destination.mkdir(op.path, 0o700);
      } catch (err) {
        if (!isAlreadyExists(err) || (await destination.stat(op.path)).kind !== "dir") throw err;
      }
      return [];
    case "symlink": {
      const staged: StagedEntry = await destination.stageSymlink(
        op.path,
        op.src.target ?? "",
        op.src.mtimeMs,
      );
      let dirs: string[] | null = null;
      try {
        if (version !== undefined) dirs = await moveToVersions(ctx, op.path, version);
        for (const d of dirs ?? []) await destination.sync(d);
        await staged.commit();
      } catch (err) {
        if (dirs !== null) await putBack(ctx, op.path, version!);
        await staged.discard();
        throw err;
      }
      return dirs ?? [];
    }
    case "move": {
      const dirs = version === undefined ? null : await moveToVersions(ctx, op.path, version);
      try {
        for (const d of dirs ?? []) await destination.sync(d);
        await destination.rename(op.from, op.path);
      } catch (err) {
        if (dirs !== null) await putBack(ctx, op.path, version!);
        throw err;
      }
      return dirs ?? [];
    }
    case "meta":
      if (op.src.kind === "symlink") {
        await destination.setMeta(op.path, "symlink", { mtimeMs: op.src.mtimeMs });
        return [];
      }
      if ((await destination.stat(op.path)).kind !== op.src.kind) {
        throw new Error("changed kind in the destination");
      }
      await destination.setMeta(op.path, op.src.kind, {
        mode: op.src.mode & (ctx.modeMask ?? MODE_MASK),
        mtimeMs: op.src.mtimeMs,
      });
      return [];
  }
}
