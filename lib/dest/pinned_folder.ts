/**
 * {@link PinnedFolder}: the {@link FolderAccess} of the native layer. The
 * destination root is pinned once by descriptor (`Beneath`,
 * lib/base/native/beneath.ts), and every operation resolves its path beneath
 * that descriptor with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`, the
 * final step an `*at` call that does not follow a final symlink.
 *
 * Guarantees: no operation of the mirror (list, stat, read, temp create,
 * write, mode, time, fsync, rename, removal, folder create, symlink create)
 * can be redirected outside the root by a symlink, whenever it was planted: a
 * symlink in a parent component fails the call (`isSymlinkRefused`); a final
 * symlink is acted on as a link (lstat, rename, unlink, utime) or refused
 * (read, chmod, listing, fsync), never followed. The staged file's mode and
 * time are set through its open descriptor (`fchmod`, `futimens`), not by
 * name. A listing that meets a folder turned symlink records it as
 * unreadable, so nothing below it is deleted.
 *
 * Not guaranteed: a folder renamed out of the root while a call holds its
 * descriptor is acted on where it went (beneath.ts); the root itself is the
 * one pinned at first use, and whether its path still names it is for the
 * caller to check ({@link PinnedFolder.stillPinned}).
 *
 * @module
 */

import type { FileHandle, FileInfo } from "../base/fs.ts";
import type { ScanResult } from "../base/scan.ts";
import type { ListOptions } from "./destination.ts";
import type { CreatedFile, FolderAccess } from "./folder_access.ts";
import { isIsADirectory, isSymlinkRefused } from "../base/fs.ts";
import { Beneath } from "../base/native/beneath.ts";
import { ERRNO, errnoError } from "../base/native/errno.ts";
import { check, libc } from "../base/native/libc.ts";
import { NativeFile } from "../base/native/file.ts";
import { listPinned } from "./pinned_list.ts";

/** A new file open for writing, as {@link FolderAccess.createExclusive} returns it: mode by `fchmod`. */
function createdFile(file: NativeFile): CreatedFile {
  return {
    handle: file,
    setMode: (bits) => {
      check(() => libc().fchmod(file.fd, bits & 0o7777), "fchmod", file.label);
    },
    syncFileSystem: () => file.syncFileSystem(),
  };
}

/** The destination root pinned by descriptor. */
export class PinnedFolder implements FolderAccess {
  /** Every path is resolved beneath the pinned root. */
  readonly pinned = true;
  readonly #beneath: Beneath;

  private constructor(beneath: Beneath) {
    this.#beneath = beneath;
  }

  /**
   * Pins the folder at the absolute path `root` (symlinks in `root` itself
   * are followed: the root is the user's choice).
   * @throws isMissing when there is no folder at `root`; NotSupported without the native layer
   */
  static open(root: string): PinnedFolder {
    return new PinnedFolder(Beneath.open(root));
  }

  /** True while the root's path still names the pinned folder. */
  stillPinned(): boolean {
    return this.#beneath.stillPinned();
  }

  /** The destination scan, by `getdents64` and `statx` beneath the root. */
  list(options: ListOptions): ScanResult {
    return listPinned(this.#beneath, options);
  }

  /** `lstat` beneath the root. */
  lstat(rel: string): FileInfo {
    return this.#beneath.lstat(rel);
  }

  /**
   * Opens the regular file `rel` without blocking and without following a
   * symlink. @throws isIsADirectory for a folder, isSymlinkRefused for a
   * symlink, an error naming the kind for a FIFO, socket or device
   */
  openRead(rel: string): FileHandle {
    const opened = this.#beneath.openRead(rel);
    if (opened.ok) return opened.file;
    const label = `${this.#beneath.path}/${rel}`;
    switch (opened.refused) {
      case "directory":
        throw errnoError(ERRNO.EISDIR, "openat2", label);
      case "symlink":
        throw errnoError(ERRNO.ELOOP, "openat2", label, "refused: it is a symlink");
      default:
        throw errnoError(
          ERRNO.EINVAL,
          "openat2",
          label,
          `refused: a ${opened.refused}, not a regular file`,
        );
    }
  }

  /** `openat2(O_CREAT | O_EXCL | O_NOFOLLOW)`; the mode is set later by `fchmod` on the descriptor. */
  createExclusive(rel: string, mode: number): CreatedFile {
    return createdFile(this.#beneath.createExclusive(rel, mode));
  }

  /** `symlinkat` in the parent folder opened beneath the root. */
  symlink(target: string, rel: string): void {
    this.#beneath.symlink(target, rel);
  }

  /** `fchmodat2(AT_SYMLINK_NOFOLLOW)`: a symlink is refused, never followed. */
  chmod(rel: string, mode: number): void {
    this.#beneath.chmod(rel, mode);
  }

  /** `utimensat(AT_SYMLINK_NOFOLLOW)`: a symlink swapped in gets its own time, its target none. */
  utime(rel: string, mtimeMs: number): void {
    this.#beneath.utime(rel, mtimeMs);
  }

  /** `utimensat(AT_SYMLINK_NOFOLLOW)` of the link itself. */
  lutime(rel: string, mtimeMs: number): void {
    this.#beneath.utime(rel, mtimeMs);
  }

  /** `renameat2` between parent folders opened beneath the root. */
  rename(from: string, to: string): void {
    this.#beneath.rename(from, to);
  }

  /** `unlinkat`; a folder (EISDIR) is removed with `AT_REMOVEDIR` if empty. */
  remove(rel: string): void {
    try {
      this.#beneath.unlink(rel);
    } catch (err) {
      if (!isIsADirectory(err)) throw err;
      this.#beneath.rmdir(rel);
    }
  }

  /** `mkdirat` in the parent folder opened beneath the root. */
  mkdir(rel: string, mode: number): void {
    this.#beneath.mkdir(rel, mode);
  }

  /**
   * `fsync` of the folder opened beneath the root. A symlink where the folder
   * (or a folder above it) was is not followed: the folder is gone from the
   * tree, so this fails as for a missing one (ENOTDIR, `isMissing`), as when a
   * batch replaced the folder by a symlink before syncing it.
   */
  async syncDir(rel: string): Promise<void> {
    try {
      await this.#beneath.syncDir(rel);
    } catch (err) {
      if (!isSymlinkRefused(err)) throw err;
      const label = `${this.#beneath.path}/${rel}`;
      throw errnoError(ERRNO.ENOTDIR, "openat2", label, "no folder there: a symlink is in its way");
    }
  }

  /** `renameat2` each pair in order, a run into one folder resolved once (`Beneath.renameMany`). */
  renameMany(pairs: readonly { from: string; to: string }[]): unknown[] {
    return this.#beneath.renameMany(pairs);
  }

  /** Keeps the folder `rel` open for calls on the names in it (`Beneath.hold`). */
  hold(rel: string): void {
    this.#beneath.hold(rel);
  }

  /** A descriptor of the folder `rel`, owned by the caller (`Beneath.openFolder`). */
  openFolder(rel: string): number {
    return this.#beneath.openFolder(rel);
  }

  /**
   * The file another thread created in the folder of `rel` and left open as `fd` (owned from
   * now on), as {@link createExclusive} would have returned it.
   */
  adoptCreated(fd: number, rel: string): CreatedFile {
    return createdFile(new NativeFile(fd, `${this.#beneath.path}/${rel}`));
  }

  /** Releases the pinned descriptor; safe to call twice. */
  close(): void {
    this.#beneath.close();
  }
}
