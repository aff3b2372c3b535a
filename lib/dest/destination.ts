/**
 * The destination seam: everything the engine does to the destination goes
 * through one {@link Destination}. The local folder
 * (`LocalDestination`, lib/dest/local.ts) is the first implementation;
 * an object store (S3, Azure Blob) is meant to be the second, without the
 * planner or the journal knowing which one they write to.
 *
 * Paths are relative to the destination's root, `/`-separated, as everywhere
 * in the engine (see lib/base/paths.ts); `""` is the root itself. The mirror,
 * its leftover temp files, and the versions folder (`.backup/versions`, a
 * versioned trash of mirror files) are reached only through a Destination.
 *
 * The rest of the reserved folder stays on the local file system for now,
 * reached through the FileSystem port by absolute paths under the
 * destination root (see lib/base/layout.ts): the journal (appended and
 * fsynced record by record, its torn tail truncated), the lock (an `flock`
 * the kernel drops when the process dies), the source's identity, the
 * settings, the status file and the log. Those need local-file semantics an
 * object store lacks (append, truncate, advisory locks); a remote destination
 * will need a local home for them (a state folder of its own) and a lease for
 * the lock. Creating the destination root and the preflight look at what a
 * new destination holds (lib/dest/reserved.ts, lib/cli/run.ts) are local too.
 *
 * Every method is asynchronous, because a remote store can be nothing else. A
 * local implementation may do its work synchronously inside them: an awaited
 * call that is already done costs a microtask, not a thread-pool round trip.
 *
 * Errors: a method throws errors that the predicates of lib/base/fs.ts
 * recognise, so callers never test error classes themselves: `isMissing`
 * (nothing at the path, or a parent is not a folder; `isNotFound` for the
 * first alone), `isAlreadyExists`, `isIsADirectory`, `isPermissionDenied`,
 * `isSymlinkRefused` (a symlink where the path needs a folder, or a final
 * symlink where a file or folder is acted on: the local destination pinned
 * beneath its root refuses it rather than follow it). Anything else (an I/O
 * error, a full disk, a refused request) passes through as it came. A second
 * implementation must map its own failures onto these (a remote 404 is a
 * not-found error).
 *
 * Durability, in two steps: a staged file's bytes are durable once
 * {@link StagedFile.sync} resolved; a change of name (a file committed, an
 * entry renamed, removed or created) is durable once
 * {@link Destination.sync} of the folder that holds the name resolved. An
 * object store, where every acknowledged request is durable, does nothing in
 * either.
 *
 * @module
 */

import type { FileHandle, Kind } from "../base/fs.ts";
import type { Entry, ScanOptions, ScanResult } from "../base/scan.ts";
import { isMissing } from "../base/fs.ts";

/** What a destination can do natively, so that callers need not pretend. */
export interface DestinationCapabilities {
  /**
   * How {@link Destination.rename} works. `atomic`: one step; the entry is
   * under one of the two names at every instant, and a folder takes what it
   * holds along at no cost. `copy`: a copy then a delete (an object store);
   * it costs the bytes (every object below a folder), and an interruption
   * between the two leaves both names.
   */
  renames: "atomic" | "copy";
  /**
   * What a folder is. `real`: an entry of its own, with its own mode and
   * mtime. `markers`: a name implied by the paths below it, kept (with its
   * metadata) as an empty marker object, so that an empty folder survives.
   */
  folders: "real" | "markers";
}

/** Options for {@link Destination.list}: the scan's, less what only a source scan uses. */
export type ListOptions = Pick<ScanOptions, "under" | "shallow" | "skip">;

/** Metadata to set with {@link Destination.setMeta}; a field left out is left as it is. */
export interface MetaChange {
  /** Permission bits (`& 0o7777`). Not kept for a symlink (it has none of its own). */
  mode?: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs?: number;
}

/** The mode and mtime a staged file takes ({@link StagedFile.seal}). */
export interface FileMeta {
  /** Permission bits (`& 0o7777`). */
  mode: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

/** An open destination file, read from its start. */
export interface DestinationReader {
  /** Reads into `buf`; resolves to the byte count, or `null` at the end. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Releases the file; safe to call twice. */
  close(): void;
}

/**
 * An entry made under no name yet (a temp file beside its target locally, an
 * upload not yet completed remotely), published whole by {@link commit}.
 */
export interface StagedEntry {
  /**
   * Publishes the entry under its name, replacing a file or symlink there:
   * atomically (a reader sees the old entry or the new one, never a part), in
   * one rename locally, one completed PUT remotely. The name change is durable
   * once {@link Destination.sync} of its folder resolved. Called once.
   *
   * @throws isMissing when the folder it goes into is gone; isIsADirectory
   *   (or another error) when a folder holds the name; the staged entry is
   *   then still there, for {@link discard}.
   */
  commit(): Promise<void>;
  /** Drops the staged entry (best effort, never throws); after a commit, does nothing harmful. */
  discard(): Promise<void>;
}

/**
 * Writing a file with holes ({@link StagedFile.sparse}): bytes land where they
 * are put, and what is never written reads as zeros without taking space.
 */
export interface SparseWriter {
  /** Writes all of `data` at `offset` (not after the last write: the gap stays a hole). */
  writeAt(data: Uint8Array, offset: number): Promise<void>;
  /** Sets the file's length (a trailing hole); call after the last {@link writeAt}. */
  setLength(length: number): Promise<void>;
}

/** A file being written ({@link Destination.stageFile}). */
export interface StagedFile extends StagedEntry {
  /** Appends `data` (all of it, or throws). */
  write(data: Uint8Array): Promise<void>;
  /**
   * Present where holes can be kept (locally with the native layer): used
   * instead of {@link write} for a source file with holes. Do not mix the two.
   */
  readonly sparse?: SparseWriter | undefined;
  /** Ends the content: no more writes; the file takes `meta` (kept by {@link commit}). */
  seal(meta: FileMeta): Promise<void>;
  /**
   * Makes the staged bytes and metadata durable (locally an fsync of the temp
   * file, then it is closed; remotely nothing). Call after {@link seal} and
   * before {@link commit}; files of a batch may sync concurrently.
   */
  sync(): Promise<void>;
  /**
   * Optional, where one call can do it: makes durable this staged file and
   * every file staged after it with the same {@link fileSystem} (locally
   * `syncfs(2)` on the temp file's descriptor: one flush of that file system,
   * which fails if any writeback there failed since this file was staged).
   * A batch of copies calls it once on the first staged file of each file
   * system instead of {@link sync} on each. The files stay open until
   * committed or discarded.
   */
  syncAll?(): Promise<void>;
  /** With {@link syncAll}: which file system the staged file is on (locally its `st_dev`). */
  readonly fileSystem?: number;
  /**
   * Optional, where the kernel can copy: copies up to `len` bytes of `src`
   * from `offset` to the same offset of this file without passing them
   * through the process (locally `copy_file_range`); neither position moves.
   * Returns the count (0 at the end of `src`), or `null` when it cannot copy
   * from this `src` at all (nothing was copied: {@link write} the bytes).
   * Not mixed with {@link write} on one file.
   *
   * @throws the I/O error once a copy from this `src` has worked
   */
  copyRange?(src: FileHandle, offset: number, len: number): Promise<number | null>;
  /**
   * Optional: starts writing `len` bytes from `offset` out to the disk without waiting for
   * them (locally `sync_file_range` with `SYNC_FILE_RANGE_WRITE`), so that the sync before
   * the commit has less left to write. Durability is still {@link sync}'s or
   * {@link syncAll}'s; a failure here is ignored (the sync reports a failed writeback).
   */
  startWriteback?(offset: number, len: number): Promise<void>;
}

/** The destination: where the mirror (and its versions) is written. */
export interface Destination {
  /** What it can do natively. */
  readonly capabilities: DestinationCapabilities;
  /** Where it is, for people (a folder path, a bucket URL). */
  readonly location: string;

  /**
   * Lists the tree (or the subtree `under`), as the destination's scan:
   * without following symlinks, without the reserved folder at the root,
   * leftover temp files of the backup in `temps` rather than in `entries`.
   * Entries that cannot be read are in `unreadable`: what lies below them
   * must not be deleted.
   *
   * @throws isMissing (or another error) when the start folder itself cannot
   *   be listed: the caller must treat the whole destination as unavailable.
   */
  list(options?: ListOptions): Promise<ScanResult>;

  /**
   * What is at `rel`, without following a symlink (`target` is not read: see
   * {@link list}). A folder is reported as `dir`, a real one or a marker.
   *
   * @throws isMissing when nothing is there.
   */
  stat(rel: string): Promise<Entry>;

  /**
   * Opens the file at `rel` for reading.
   *
   * @throws isMissing when nothing is there; isIsADirectory for a folder.
   */
  openFile(rel: string): Promise<DestinationReader>;

  /**
   * Starts writing a file that {@link StagedEntry.commit} will publish at
   * `rel`, whole. Locally: a private (0600) temp file with a fresh temp name
   * in the folder of `rel`, created exclusively; a crash leaves it to the
   * next scan's `temps`. `size` is the expected byte count (a hint).
   *
   * `ahead`: staged before the batch that commits it has begun (the folder of `rel` may not
   * exist yet, and is not checked; the commit's rename is what refuses).
   *
   * @throws isMissing when the folder of `rel` is missing.
   */
  stageFile(rel: string, options: { size: number; ahead?: boolean }): Promise<StagedFile>;

  /**
   * Optional, where another thread may stage files itself (a local folder pinned by the native
   * layer): a new descriptor of the staging folder, owned by the caller, that such a thread
   * creates its temp files in (`O_CREAT | O_EXCL`, fresh temp names), or `null` when it
   * cannot be had. See lib/base/copy_helper.ts.
   */
  openStaging?(): number | null;

  /**
   * Optional, with {@link openStaging}: the temp file `name` that another thread created in the
   * staging folder for `rel` and left open as `fd` (owned from now on), as a {@link StagedFile}
   * that {@link stageFile} with `ahead` would have returned, its content written and sealed.
   */
  adoptStaged?(rel: string, name: string, fd: number): StagedFile;

  /**
   * Optional, where committing many at once is cheaper: commits the staged entries (made by
   * this destination) in order, as {@link StagedEntry.commit} on each would, and resolves to
   * one outcome each: `null` when committed, else the error (the entry is then still there,
   * for {@link StagedEntry.discard}). Never rejects for one entry's failure.
   */
  commitAll?(staged: readonly StagedEntry[]): Promise<unknown[]>;

  /**
   * Makes a symlink to `target` with mtime `mtimeMs`, staged like a file,
   * that {@link StagedEntry.commit} puts at `rel`.
   *
   * @throws isMissing when the folder of `rel` is missing.
   */
  stageSymlink(rel: string, target: string, mtimeMs: number): Promise<StagedEntry>;

  /**
   * Renames `from` to `to` (a folder with all it holds), replacing a file or
   * symlink at `to`, as {@link DestinationCapabilities.renames} says: in one
   * step, or a copy then a delete. Callers that must never replace anything
   * check `to` first.
   *
   * @throws isMissing when `from` or the folder of `to` is missing.
   */
  rename(from: string, to: string): Promise<void>;

  /**
   * Removes a file, a symlink or an empty folder.
   *
   * @throws isMissing when nothing is there; an error when a folder is not empty.
   */
  remove(rel: string): Promise<void>;

  /**
   * Creates one folder with permission bits `mode` (its parent must exist).
   *
   * @throws isAlreadyExists when the name is taken (by a folder too);
   *   isMissing when the parent is missing.
   */
  mkdir(rel: string, mode: number): Promise<void>;

  /**
   * Sets the mode and/or mtime of the entry at `rel`, which the caller holds
   * to be a `kind`. For a symlink only the mtime, of the link itself; for a
   * file or a folder the mode first, then the mtime.
   *
   * @throws isMissing when nothing is there.
   */
  setMeta(rel: string, kind: Kind, change: MetaChange): Promise<void>;

  /**
   * Makes durable the changes of names in the folder `folder` (`""`: the
   * root): entries committed, created, renamed into or out of it, removed.
   * Locally an fsync of the folder; remotely nothing.
   *
   * @throws isMissing when the folder is gone, a symlink in its place too
   *   (its removal is made durable by the sync of the folder that held it).
   */
  sync(folder: string): Promise<void>;

  /**
   * Releases what the destination holds open (locally the descriptor of the
   * pinned root; see lib/dest/local.ts); safe to call twice. Its owner calls
   * it when done (the reconciler at close). Optional: a destination that
   * holds nothing need not have it.
   */
  close?(): void;
}

/**
 * True when something (a dangling symlink too) is at `rel`. False only when
 * nothing is ({@link isMissing}): any other error is thrown, because "cannot
 * tell" must never be taken for "not there".
 */
export async function destinationHas(destination: Destination, rel: string): Promise<boolean> {
  try {
    await destination.stat(rel);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}
