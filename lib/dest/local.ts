/**
 * The local folder as a {@link Destination}.
 *
 * Files and symlinks are staged under a fresh temp name in their target's
 * folder (exclusive create, 0600) and renamed over the target: a rename in
 * one folder is atomic, and a crash leaves only a temp file, which the next
 * scan lists in `temps`. Durability is by fsync: of the temp file
 * ({@link StagedFile.sync}), and of the folder whose names changed
 * ({@link Destination.sync}). Every method works synchronously inside (a
 * synchronous call costs microseconds; see lib/base/fs.ts).
 *
 * Every operation goes through a {@link FolderAccess}:
 * - With the native layer (`nativeAvailable()`, lib/base/native/libc.ts) and
 *   the real file system: `PinnedFolder` (lib/dest/pinned_folder.ts). The
 *   root is pinned by descriptor when the destination is made (or at first
 *   use, if it did not exist yet), and every path below it is resolved by the
 *   kernel beneath that descriptor without following any symlink: a folder or
 *   file of the mirror swapped for a symlink (to a victim outside the
 *   destination) between a check and a write fails that write, rename,
 *   removal, mode or time change; it never redirects it. {@link close}
 *   releases the descriptor.
 * - Otherwise (no `--allow-ffi`, no glibc, Linux before 5.6, or a wrapped
 *   port such as the fault injection of the tests): `PathFolder`
 *   (lib/dest/path_folder.ts), Deno's path API with the paths joined under
 *   the root. It does NOT guarantee the above: each path is resolved afresh
 *   and symlinks in its parent components are followed, so a symlink swapped
 *   in after the engine's `lstat` check redirects the call outside the
 *   destination (docs/security.md, point 1).
 *
 * @module
 */

import type { FileHandle, FileSystem, Kind } from "../base/fs.ts";
import { isAlreadyExists, isMissing, isNotFound } from "../base/fs.ts";
import { type Entry, entryOf, type ScanResult } from "../base/scan.ts";
import type {
  Destination,
  DestinationCapabilities,
  DestinationReader,
  FileMeta,
  ListOptions,
  MetaChange,
  SparseWriter,
  StagedEntry,
  StagedFile,
} from "./destination.ts";
import type { CreatedFile, FolderAccess } from "./folder_access.ts";
import { joinRel, parentOf } from "../base/paths.ts";
import { reservedName, STAGING_DIR, tempName } from "../base/layout.ts";

import { closeQuietly, nativeAvailable } from "../base/native/libc.ts";
import { NativeFile } from "../base/native/file.ts";
import { PathFolder } from "./path_folder.ts";
import { PinnedFolder } from "./pinned_folder.ts";

/**
 * Staged files up to this many bytes are written, and files up to this many
 * bytes read, with synchronous calls; larger ones with asynchronous calls (so
 * that the next read of the source overlaps a write). Same bound as the copy's
 * in lib/engine/apply.ts.
 */
const SMALL_WRITE = 256 * 1024;

/** An empty, `.` or `..` segment, or a leading `/`: a path that could leave the root. */
const BAD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** Refuses a relative path that is not a plain path below the root (`""` is the root). */
function refuseOutside(rel: string): void {
  if (rel === "") return;
  if (BAD_SEGMENT.test(rel) || rel.includes("\0")) {
    throw new Error(`refused a path outside the destination: ${JSON.stringify(rel)}`);
  }
}

/** Removes a staged temp entry, best effort: the next scan lists a leftover in `temps`. */
function removeQuietly(folder: FolderAccess, tmp: string): void {
  try {
    folder.remove(tmp);
  } catch { /* best effort */ }
}

/** Runs synchronous work as a promise: its result resolved, its exception rejected. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Relative temp path and target for staging `rel`. */
interface Staging {
  tmp: string;
  target: string;
}

/** A file being written under a temp name beside its target. */
class LocalStagedFile implements StagedFile {
  readonly #folder: FolderAccess;
  readonly #paths: Staging;
  readonly #file: CreatedFile;
  readonly #handle: FileHandle;
  readonly #small: boolean;
  #committed = false;
  /** `syncfs` through the temp file, where the folder access can (pinned): see {@link StagedFile.syncAll}. */
  readonly syncAll?: () => Promise<void>;
  /** The temp file's `st_dev`, with {@link syncAll}: a folder of the mirror may be another mount. */
  readonly fileSystem?: number;

  /** `dev` is the file system of the staging folder (asked of the file when not given). */
  constructor(
    folder: FolderAccess,
    paths: Staging,
    file: CreatedFile,
    small: boolean,
    dev?: number,
  ) {
    this.#folder = folder;
    this.#paths = paths;
    this.#file = file;
    this.#handle = file.handle;
    this.#small = small;
    const syncFileSystem = file.syncFileSystem;
    if (syncFileSystem) {
      this.fileSystem = dev ?? this.#handle.stat().dev;
      this.syncAll = () => syncFileSystem.call(file);
    }
  }

  /** Holes kept: the handle writes at offsets (the native layer's descriptors). */
  get sparse(): SparseWriter | undefined {
    const handle = this.#handle;
    const writeAllAt = handle.writeAllAt?.bind(handle);
    if (writeAllAt === undefined) return undefined;
    return {
      writeAt: writeAllAt,
      setLength: (length) => settled(() => handle.truncate(length)),
    };
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.#small) return this.#handle.writeAll(data);
    return settled(() => this.#handle.writeAllSync(data));
  }

  /** `copy_file_range` from a source opened by the native layer into the temp file. */
  async copyRange(src: FileHandle, offset: number, len: number): Promise<number | null> {
    const out = this.#handle;
    if (!(src instanceof NativeFile) || !(out instanceof NativeFile)) return null;
    try {
      return await out.copyRangeFrom(src, offset, len);
    } catch (err) {
      // The first call tells whether the kernel can copy between these two at all.
      if (offset === 0) return null;
      throw err;
    }
  }

  /** `sync_file_range(SYNC_FILE_RANGE_WRITE)` on the native layer's descriptor; else nothing. */
  async startWriteback(offset: number, len: number): Promise<void> {
    const out = this.#handle;
    if (out instanceof NativeFile) await out.startWriteback(offset, len).catch(() => false);
  }

  seal(meta: FileMeta): Promise<void> {
    return settled(() => {
      this.#file.setMode(meta.mode);
      this.#handle.utime(meta.mtimeMs);
    });
  }

  async sync(): Promise<void> {
    try {
      await this.#handle.sync();
    } finally {
      this.#handle.close();
    }
  }

  commit(): Promise<void> {
    return settled(() => {
      this.#handle.close();
      this.#folder.rename(this.#paths.tmp, this.#paths.target);
      this.#committed = true;
    });
  }

  /** True when the file was staged through `folder` (see {@link LocalDestination.commitAll}). */
  stagedIn(folder: FolderAccess | null): boolean {
    return this.#folder === folder;
  }

  /** {@link commit} in two halves for {@link LocalDestination.commitAll}: closes, says the rename. */
  closeForCommit(): { from: string; to: string } {
    this.#handle.close();
    return { from: this.#paths.tmp, to: this.#paths.target };
  }

  /** The second half: the rename {@link closeForCommit} named was made. */
  committed(): void {
    this.#committed = true;
  }

  discard(): Promise<void> {
    this.#handle.close();
    if (!this.#committed) removeQuietly(this.#folder, this.#paths.tmp);
    return Promise.resolve();
  }
}

/** A symlink made under a temp name beside its target. */
class LocalStagedSymlink implements StagedEntry {
  readonly #folder: FolderAccess;
  readonly #paths: Staging;
  #committed = false;

  constructor(folder: FolderAccess, paths: Staging) {
    this.#folder = folder;
    this.#paths = paths;
  }

  commit(): Promise<void> {
    return settled(() => {
      this.#folder.rename(this.#paths.tmp, this.#paths.target);
      this.#committed = true;
    });
  }

  discard(): Promise<void> {
    if (!this.#committed) removeQuietly(this.#folder, this.#paths.tmp);
    return Promise.resolve();
  }
}

/** Options of {@link LocalDestination}. */
export interface LocalDestinationOptions {
  /**
   * Pin the root and resolve every path beneath it when the native layer is
   * available (default true). `false` forces the path-based fallback (tests).
   */
  pin?: boolean;
}

/** A destination that is a folder of the local file system. */
export class LocalDestination implements Destination {
  /** Renames are atomic within the folder's file system; folders are real. */
  readonly capabilities: DestinationCapabilities = { renames: "atomic", folders: "real" };
  readonly #fs: FileSystem;
  readonly #root: string;
  readonly #pin: boolean;
  #folder: FolderAccess | null = null;
  #stagingReady = false;
  /** The staging folder's `st_dev`, taken from the first file staged in it (all temp files share it). */
  #stagingDev: number | undefined;
  /**
   * Folders {@link #checkFolderOf} found to be real folders since the last {@link sync} (an
   * engine batch): the early check is made once per folder and batch. It only saves staging
   * bytes that could not be committed; the commit's rename, resolved afresh, is what refuses.
   */
  readonly #foldersChecked = new Set<string>();
  readonly #reserved: string;
  readonly #stagingDir: string;

  /**
   * The destination whose root is the absolute folder `root`, reached through
   * `fs`. With the native layer and the real file system the root is pinned
   * now if it exists (else at first use).
   */
  constructor(fs: FileSystem, root: string, options: LocalDestinationOptions = {}) {
    this.#fs = fs;
    this.#root = root;
    // The reserved folder this destination uses (a backup made before the rename keeps `.backup`).
    this.#reserved = reservedName(root);
    this.#stagingDir = `${this.#reserved}/${STAGING_DIR}`;
    this.#pin = (options.pin ?? true) && fs.direct === true && nativeAvailable();
    try {
      this.#access();
    } catch { /* no folder at root yet: pinned at first use */ }
  }

  /** The absolute root folder. */
  get location(): string {
    return this.#root;
  }

  /** True when operations are resolved beneath the pinned root (the native layer is in use). */
  get pinned(): boolean {
    return this.#pin;
  }

  /** The folder access, pinning the root at first use. */
  #access(): FolderAccess {
    if (this.#folder === null) {
      this.#folder = this.#pin
        ? PinnedFolder.open(this.#root)
        : new PathFolder(this.#fs, this.#root);
    }
    return this.#folder;
  }

  /** The checked relative path, and the access to use it with. */
  #at(rel: string): FolderAccess {
    refuseOutside(rel);
    return this.#access();
  }

  /**
   * Relative temp path in the staging folder and target for staging `rel`;
   * the staging folder (and `.backup`, for a destination used without the
   * reserved folder's set-up, as in tests) is made at first need. `checkFolder`: the early
   * check of the target's folder ({@link #checkFolderOf}).
   */
  #staging(rel: string, checkFolder = true): Staging {
    refuseOutside(rel);
    if (!this.#stagingReady) {
      const folder = this.#access();
      for (const dir of [this.#reserved, this.#stagingDir]) {
        try {
          folder.mkdir(dir, 0o700);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      }
      // Every temp file is created in, and renamed out of, the staging folder: keep it open.
      folder.hold?.(this.#stagingDir);
      this.#stagingDev = undefined;
      this.#stagingReady = true;
    }
    if (checkFolder) this.#checkFolderOf(rel);
    return { tmp: joinRel(this.#stagingDir, tempName()), target: rel };
  }

  /**
   * Fails before a byte is staged when the folder `rel` goes into is missing,
   * not a folder, or a symlink (the commit's rename would fail the same way).
   */
  #checkFolderOf(rel: string): void {
    const parent = parentOf(rel);
    if (parent === "" || this.#foldersChecked.has(parent)) return;
    const info = this.#access().lstat(parent);
    if (info.kind === "symlink") {
      throw new Deno.errors.FilesystemLoop(`refused: "${parent}" is a symlink, not a folder`);
    }
    if (info.kind !== "dir") {
      throw new Deno.errors.NotADirectory(`"${parent}" is not a folder`);
    }
    this.#foldersChecked.add(parent);
  }

  /** Runs `create` in the staging folder; once more after making it again if it went missing. */
  #inStaging<T>(create: () => T): T {
    try {
      return create();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#stagingReady = false; // removed behind our back: make it again, once
      this.#staging("");
      return create();
    }
  }

  /** What the staging folder holds: every entry is a leftover of the backup's own. */
  #leftovers(): string[] {
    let listed: ScanResult;
    try {
      listed = this.#access().list({ under: this.#stagingDir, shallow: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    return [...listed.entries.keys(), ...listed.temps];
  }

  /**
   * Lists the tree: the destination scan (beneath the pinned root, or
   * lib/base/scan.ts); listing the whole tree or its root also reports the
   * staging folder's leftovers in `temps`.
   */
  list(options: ListOptions = {}): Promise<ScanResult> {
    return settled(() => {
      const listed = this.#at(options.under ?? "").list(options);
      if ((options.under ?? "") === "") listed.temps.push(...this.#leftovers());
      return listed;
    });
  }

  /** `lstat` of `rel`. */
  stat(rel: string): Promise<Entry> {
    return settled(() => {
      return entryOf(this.#at(rel).lstat(rel));
    });
  }

  /** Opens `rel` read-only; a small file is then read with synchronous calls. */
  openFile(rel: string): Promise<DestinationReader> {
    return settled(() => {
      const handle = this.#at(rel).openRead(rel);
      let small: boolean;
      try {
        small = handle.stat().size <= SMALL_WRITE;
      } catch (err) {
        handle.close();
        throw err;
      }
      return {
        read: small ? (buf) => settled(() => handle.readSync(buf)) : (buf) => handle.read(buf),
        close: () => handle.close(),
      };
    });
  }

  /** Creates a temp file (0600, exclusive) in the folder of `rel`. */
  stageFile(rel: string, options: { size: number; ahead?: boolean }): Promise<StagedFile> {
    return settled(() => {
      const paths = this.#staging(rel, options.ahead !== true);
      const folder = this.#access();
      const file = this.#inStaging(() => folder.createExclusive(paths.tmp, 0o600));
      let dev: number | undefined;
      if (file.syncFileSystem) {
        try {
          dev = this.#stagingDev ??= file.handle.stat().dev;
        } catch (err) {
          file.handle.close();
          removeQuietly(folder, paths.tmp);
          throw err;
        }
      }
      return new LocalStagedFile(folder, paths, file, options.size <= SMALL_WRITE, dev);
    });
  }

  /**
   * A descriptor of the staging folder (made and held as for {@link stageFile}), opened
   * beneath the pinned root and owned by the caller; `null` without the pinned layer.
   */
  openStaging(): number | null {
    const folder = this.#access();
    if (folder.openFolder === undefined || folder.adoptCreated === undefined) return null;
    this.#staging("", false);
    const fd = folder.openFolder(this.#stagingDir);
    try {
      this.#stagingDev ??= folder.lstat(this.#stagingDir).dev;
    } catch (err) {
      closeQuietly(fd);
      throw err;
    }
    return fd;
  }

  /** The temp file `name` another thread made in the staging folder for `rel`, open as `fd`. */
  adoptStaged(rel: string, name: string, fd: number): StagedFile {
    let folder: FolderAccess;
    try {
      folder = this.#access();
    } catch (err) {
      closeQuietly(fd); // the temp file itself is left to the next start's clean-up
      throw err;
    }
    const tmp = joinRel(this.#stagingDir, name);
    try {
      refuseOutside(rel);
      if (folder.adoptCreated === undefined) throw new Error("cannot take over temp files");
    } catch (err) {
      closeQuietly(fd);
      removeQuietly(folder, tmp);
      throw err;
    }
    const file = folder.adoptCreated(fd, tmp);
    return new LocalStagedFile(folder, { tmp, target: rel }, file, true, this.#stagingDev);
  }

  /**
   * Commits staged files in order, one outcome each (`null`: committed), as a
   * {@link StagedEntry.commit} each would. Pinned, the folder a run of files goes into is
   * resolved once for the run (`Beneath.renameMany`, synchronous: the run lasts one rename a
   * file) instead of once a file; otherwise each is committed by itself.
   */
  async commitAll(staged: readonly StagedEntry[]): Promise<unknown[]> {
    const folder = this.#folder;
    const files = staged.filter((s): s is LocalStagedFile =>
      s instanceof LocalStagedFile && s.stagedIn(folder)
    );
    if (folder?.renameMany === undefined || files.length !== staged.length) {
      const outcomes: unknown[] = [];
      for (const s of staged) outcomes.push(await s.commit().then(() => null, (err) => err));
      return outcomes;
    }
    const outcomes = folder.renameMany(files.map((file) => file.closeForCommit()));
    outcomes.forEach((outcome, i) => {
      if (outcome === null) files[i]!.committed();
    });
    return outcomes;
  }

  /** Creates the symlink under a temp name in the folder of `rel`, with its mtime. */
  stageSymlink(rel: string, target: string, mtimeMs: number): Promise<StagedEntry> {
    return settled(() => {
      const paths = this.#staging(rel);
      const folder = this.#access();
      this.#inStaging(() => folder.symlink(target, paths.tmp));
      try {
        folder.lutime(paths.tmp, mtimeMs);
      } catch (err) {
        removeQuietly(folder, paths.tmp);
        throw err;
      }
      return new LocalStagedSymlink(folder, paths);
    });
  }

  /** `rename(2)`: atomic, replaces a file or symlink at `to`. */
  rename(from: string, to: string): Promise<void> {
    return settled(() => {
      refuseOutside(to);
      this.#at(from).rename(from, to);
    });
  }

  /** Removes a file, a symlink or an empty folder (never a tree). */
  remove(rel: string): Promise<void> {
    return settled(() => this.#at(rel).remove(rel));
  }

  /** Creates one folder. */
  mkdir(rel: string, mode: number): Promise<void> {
    return settled(() => this.#at(rel).mkdir(rel, mode));
  }

  /** `lutime` for a symlink; `chmod` then `utime` for a file or folder. */
  setMeta(rel: string, kind: Kind, change: MetaChange): Promise<void> {
    return settled(() => {
      const folder = this.#at(rel);
      if (kind === "symlink") {
        if (change.mtimeMs !== undefined) folder.lutime(rel, change.mtimeMs);
        return;
      }
      if (change.mode !== undefined) folder.chmod(rel, change.mode);
      if (change.mtimeMs !== undefined) folder.utime(rel, change.mtimeMs);
    });
  }

  /** fsync of the folder; the folder checks of staging are made afresh after it. */
  async sync(folder: string): Promise<void> {
    this.#foldersChecked.clear();
    await this.#at(folder).syncDir(folder);
  }

  /**
   * Releases the pinned root (nothing for the fallback); safe to call twice.
   * A later call pins the root again.
   */
  close(): void {
    this.#folder?.close();
    this.#folder = null;
    this.#stagingReady = false; // the staging folder is held again once pinned again
    this.#foldersChecked.clear();
  }

  /** {@link close}, for `using destination = new LocalDestination(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Closes `destination` (unpins its root) when it is a {@link LocalDestination}; any other kind
 * belongs to whoever opened it (a remote one to its `Remote`).
 */
export function closeLocal(destination: unknown): void {
  if (destination instanceof LocalDestination) destination.close();
}
