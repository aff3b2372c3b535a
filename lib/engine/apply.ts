/**
 * Carries out planned operations on the destination, atomically.
 *
 * Files are written to a temp file in the target's folder (exclusive create,
 * 0600), hashed while copied, given their mode and mtime, fsynced, then renamed
 * over the target. The source is checked before and after the copy: if it
 * changed, the temp file is discarded and {@link SourceChangedError} thrown, so
 * a torn copy never reaches a real name. fsyncs are paid per batch: all temp
 * files of a batch are synced concurrently, renamed, and each touched folder is
 * synced once.
 *
 * @module
 */

import type { FileHandle, FileSystem } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { PlanOp } from "./plan.ts";
import type { Entry } from "./scan.ts";
import { CHUNK } from "../base/hash.ts";
import { MODE_MASK } from "./plan.ts";
import { join, parentOf, unsafeReason } from "../base/paths.ts";
import { tempName } from "../base/layout.ts";
import { SourceChangedError, SourceVanishedError } from "../base/errors.ts";
import { prepareVersionFolder, versionsDir } from "./versions.ts";

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
  /** The file system port. */
  fs: FileSystem;
  /** Absolute source root. */
  source: string;
  /** Absolute destination root. */
  dest: string;
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
  /** Absolute temp path. */
  tmp: string;
  /** Open handle on the temp file. */
  handle: FileHandle;
  /** xxh128 of the bytes written. */
  hash: string;
  /** Bytes written. */
  bytes: number;
  /** Source mtime was within {@link RACY_WINDOW_MS} of the copy. */
  racy: boolean;
  /** Versioning on: where the file it replaces goes (relative to the versions folder). */
  version?: string;
}

/**
 * Refuses a relative path that could lead outside the destination, and any
 * parent folder in the destination that is not a real folder (a symlink
 * swapped in would redirect writes). `checked` caches parents already seen.
 *
 * @throws Error naming the path.
 */
export function assertInside(ctx: ApplyContext, rel: string, checked: Set<string>): void {
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
      kind = ctx.fs.lstat(join(ctx.dest, p)).kind;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) throw new Error(`parent folder "${p}" is missing`);
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
 * puts the mirrored mode back. `done` caches folders already seen.
 */
export function ensureWritableParent(ctx: ApplyContext, rel: string, done: Set<string>): void {
  const parent = parentOf(rel);
  if (done.has(parent)) return;
  done.add(parent);
  const abs = join(ctx.dest, parent);
  let mode;
  try {
    mode = ctx.fs.lstat(abs).mode;
  } catch {
    return; // missing: the operation itself reports it
  }
  if ((mode & 0o300) !== 0o300) ctx.fs.chmod(abs, mode | 0o700);
}

function sameAsScanned(info: { size: number; mtimeMs: number; ino: number }, e: Entry): boolean {
  return info.size === e.size && info.mtimeMs === e.mtimeMs && info.ino === e.ino;
}

async function copyLarge(
  src: FileHandle,
  out: FileHandle,
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
      await out.writeAll(chunk);
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

function copySmall(src: FileHandle, out: FileHandle, hasher: Hasher, size: number): number {
  // One byte more than expected: a file that grew is noticed and discarded by the caller.
  const buf = new Uint8Array(size + 1);
  let bytes = 0;
  while (bytes < buf.length) {
    const n = src.readSync(buf.subarray(bytes));
    if (n === null) break;
    bytes += n;
  }
  if (bytes !== size) return bytes;
  const data = buf.subarray(0, bytes);
  hasher.update(data);
  out.writeAllSync(data);
  return bytes;
}

/** A fresh temp path in the folder of the absolute path `abs`. */
function tempPathFor(abs: string): string {
  return join(parentOf(abs) || "/", tempName());
}

/**
 * Copies the source file of `op` into a fresh temp file next to its target.
 * On any failure the temp file is removed.
 *
 * @throws SourceChangedError when the source is not what the scan saw, or
 *   changed during the copy; Deno.errors.* on I/O failure.
 */
export async function prepareCopy(
  ctx: ApplyContext,
  op: Extract<PlanOp, { op: "copy" }>,
): Promise<PreparedCopy> {
  const { fs, hasher } = ctx;
  const dstAbs = join(ctx.dest, op.path);
  let src: FileHandle;
  try {
    src = fs.openSource(join(ctx.source, op.path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SourceVanishedError("vanished since it was scanned", { cause: err });
    }
    throw err;
  }
  let out: FileHandle | null = null;
  let tmp = "";
  try {
    const before = src.stat();
    if (before.kind !== "file" || !sameAsScanned(before, op.src)) {
      throw new SourceChangedError("changed since it was scanned");
    }
    tmp = tempPathFor(dstAbs);
    out = fs.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
    hasher.init();
    const small = op.src.size <= SMALL_FILE;
    const bytes = small
      ? copySmall(src, out, hasher, op.src.size)
      : await copyLarge(src, out, hasher, ctx.onCopied);
    if (small) ctx.onCopied?.(bytes);
    const after = src.stat();
    if (bytes !== before.size || !sameAsScanned(after, op.src)) {
      throw new SourceChangedError("changed while it was being copied");
    }
    const hash = hasher.digest();
    fs.chmod(tmp, op.src.mode & (ctx.modeMask ?? MODE_MASK));
    out.utime(op.src.mtimeMs);
    const now = (ctx.now ?? Date.now)();
    const prepared: PreparedCopy = {
      op,
      tmp,
      handle: out,
      hash,
      bytes,
      racy: isRacy(op.src.mtimeMs, now),
    };
    out = null;
    return prepared;
  } catch (err) {
    if (out) {
      out.close();
      try {
        fs.remove(tmp);
      } catch { /* best effort: startup removes leftovers */ }
    }
    throw err;
  } finally {
    src.close();
  }
}

/** Outcome of one operation: `null` for success, else the error. */
export type Outcome = unknown | null;

/** True when `abs` exists (without following a final symlink). */
function present(fs: FileSystem, abs: string): boolean {
  try {
    fs.lstat(abs);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw err;
  }
}

/**
 * Versioning: moves the file at `rel` into the versions folder as `vrel` (a
 * rename on the same file system: nothing is copied). Folders, symlinks and
 * a missing path are left alone (`null`). Returns the absolute folders to
 * fsync for the move to be durable.
 *
 * @throws Error when `vrel` is unsafe or already taken (never overwritten);
 *   Deno.errors.* on I/O failure (the file then stays where it was).
 */
export function moveToVersions(ctx: ApplyContext, rel: string, vrel: string): string[] | null {
  const why = unsafeReason(vrel);
  if (why !== null) throw new Error(`refused unsafe version path (${why})`);
  const abs = join(ctx.dest, rel);
  let kind;
  try {
    kind = ctx.fs.lstat(abs).kind;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
  if (kind !== "file") return null;
  const dirs = prepareVersionFolder(ctx.fs, ctx.dest, vrel);
  const target = join(versionsDir(ctx.dest), vrel);
  // rename() would replace an existing file silently: a name is never reused.
  if (present(ctx.fs, target)) throw new Error(`version "${vrel}" already exists`);
  ctx.fs.rename(abs, target);
  return dirs;
}

/** Undoes {@link moveToVersions} after the operation failed (best effort: the next pass re-plans). */
function putBack(ctx: ApplyContext, rel: string, vrel: string): void {
  try {
    const abs = join(ctx.dest, rel);
    if (!present(ctx.fs, abs)) ctx.fs.rename(join(versionsDir(ctx.dest), vrel), abs);
  } catch { /* the version stays: nothing is lost, the next pass copies again */ }
}

/**
 * Makes prepared copies durable and visible: fsyncs all temp files at once,
 * then renames each over its target. Returns one outcome per copy, in order.
 * A temp file whose sync or rename failed is removed.
 *
 * With versioning (`version` set), the file a copy replaces is first moved
 * into the versions folder, and those folders are fsynced before any temp
 * file takes a name: the old content is durable somewhere at every instant.
 * A copy that then fails puts the old file back.
 */
export async function commitCopies(ctx: ApplyContext, copies: PreparedCopy[]): Promise<Outcome[]> {
  const synced = await Promise.allSettled(copies.map((c) => c.handle.sync()));
  const outcomes: Outcome[] = copies.map((c, i) => {
    c.handle.close();
    const s = synced[i]!;
    return s.status === "rejected" ? s.reason : null;
  });
  const moved: boolean[] = copies.map(() => false);
  const vdirs = new Map<string, number[]>();
  copies.forEach((c, i) => {
    if (outcomes[i] !== null || c.version === undefined) return;
    try {
      const dirs = moveToVersions(ctx, c.op.path, c.version);
      if (dirs === null) return;
      moved[i] = true;
      for (const d of dirs) vdirs.set(d, [...(vdirs.get(d) ?? []), i]);
    } catch (err) {
      outcomes[i] = err;
    }
  });
  await Promise.all([...vdirs].map(async ([d, idx]) => {
    try {
      await ctx.fs.syncDir(d);
    } catch (err) {
      for (const i of idx) outcomes[i] ??= err;
    }
  }));
  return copies.map((c, i) => {
    try {
      if (outcomes[i] !== null) throw outcomes[i];
      ctx.fs.rename(c.tmp, join(ctx.dest, c.op.path));
      return null;
    } catch (err) {
      if (moved[i]) putBack(ctx, c.op.path, c.version!);
      try {
        ctx.fs.remove(c.tmp);
      } catch { /* best effort */ }
      return err;
    }
  });
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
 * Returns the versions folders to fsync (empty when nothing was versioned).
 * When a symlink or a move replaces a versioned file, the versions folder is
 * fsynced before the replacing rename, as {@link commitCopies} does for
 * copies: the old content is durable under some name at every instant.
 *
 * @throws Deno.errors.* on failure; a delete of a missing path and a mkdir of
 *   an existing folder succeed (operations are idempotent).
 */
export async function applySimple(
  ctx: ApplyContext,
  op: Exclude<PlanOp, { op: "copy" | "verify" }>,
  options: SimpleOptions = {},
): Promise<string[]> {
  const { fs } = ctx;
  const abs = join(ctx.dest, op.path);
  const { version } = options;
  switch (op.op) {
    case "delete": {
      const dirs = version === undefined ? null : moveToVersions(ctx, op.path, version);
      if (dirs !== null) return dirs;
      try {
        fs.remove(abs);
      } catch (err) {
        // Gone already, or a parent is no longer a folder (so it cannot exist): done either way.
        if (!(err instanceof Deno.errors.NotFound) && !(err instanceof Deno.errors.NotADirectory)) {
          throw err;
        }
      }
      return [];
    }
    case "mkdir":
      try {
        fs.mkdir(abs, { mode: 0o700 });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists) || fs.lstat(abs).kind !== "dir") throw err;
      }
      return [];
    case "symlink": {
      const tmp = tempPathFor(abs);
      fs.symlink(op.src.target ?? "", tmp);
      let dirs: string[] | null = null;
      try {
        fs.lutime(tmp, op.src.mtimeMs);
        if (version !== undefined) dirs = moveToVersions(ctx, op.path, version);
        for (const d of dirs ?? []) await fs.syncDir(d);
        fs.rename(tmp, abs);
      } catch (err) {
        if (dirs !== null) putBack(ctx, op.path, version!);
        try {
          fs.remove(tmp);
        } catch { /* best effort */ }
        throw err;
      }
      return dirs ?? [];
    }
    case "move": {
      const dirs = version === undefined ? null : moveToVersions(ctx, op.path, version);
      try {
        for (const d of dirs ?? []) await fs.syncDir(d);
        fs.rename(join(ctx.dest, op.from), abs);
      } catch (err) {
        if (dirs !== null) putBack(ctx, op.path, version!);
        throw err;
      }
      return dirs ?? [];
    }
    case "meta":
      if (op.src.kind === "symlink") {
        fs.lutime(abs, op.src.mtimeMs);
        return [];
      }
      if (fs.lstat(abs).kind !== op.src.kind) throw new Error("changed kind in the destination");
      fs.chmod(abs, op.src.mode & (ctx.modeMask ?? MODE_MASK));
      fs.utime(abs, op.src.mtimeMs);
      return [];
  }
}
