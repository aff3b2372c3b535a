/**
 * {@link FolderAccess}: the file operations `LocalDestination` makes on its
 * folder, by paths relative to the destination root. Two implementations:
 *
 * - `PinnedFolder` (lib/dest/pinned_folder.ts), when the native layer is
 *   available: the root pinned by descriptor, every path resolved beneath it
 *   by the kernel without following any symlink (`Beneath`,
 *   lib/base/native/beneath.ts). A folder swapped for a symlink between a
 *   check and a use makes the operation fail; it never redirects it.
 * - `PathFolder` (lib/dest/path_folder.ts), the fallback: the FileSystem port
 *   with absolute paths joined under the root. Deno resolves each path afresh
 *   and follows symlinks in its parent components.
 *
 * Paths given here were already checked by `LocalDestination` (no `..`, no
 * empty segment, not absolute).
 *
 * @module
 */

import type { FileHandle, FileInfo } from "../base/fs.ts";
import type { ScanResult } from "../base/scan.ts";
import type { ListOptions } from "./destination.ts";

/** A file created under a temp name, open for writing. */
export interface CreatedFile {
  /** The open file. */
  handle: FileHandle;
  /** Sets the file's permission bits (through the open file where the layer can). */
  setMode(mode: number): void;
  /**
   * Where the layer can: makes everything written on the file system that
   * holds the file durable at once (`syncfs` on its descriptor), failing if
   * any writeback there failed since the file was created.
   */
  syncFileSystem?(): Promise<void>;
}

/** File operations on one folder tree, by relative path (`""` is the root). */
export interface FolderAccess {
  /** True when every operation is resolved beneath a pinned root without following symlinks. */
  readonly pinned: boolean;
  /** The destination scan (see `Destination.list`). */
  list(options: ListOptions): ScanResult;
  /** `lstat`: a final symlink is described, not followed. */
  lstat(rel: string): FileInfo;
  /** Opens a regular file for reading. @throws isIsADirectory for a folder */
  openRead(rel: string): FileHandle;
  /** Creates a file exclusively with `mode` (less the umask), open for writing. */
  createExclusive(rel: string, mode: number): CreatedFile;
  /** Creates a symlink at `rel` pointing at `target`. */
  symlink(target: string, rel: string): void;
  /** Sets permission bits of a file or folder. */
  chmod(rel: string, mode: number): void;
  /** Sets the mtime (and atime) of a file or folder. */
  utime(rel: string, mtimeMs: number): void;
  /** Sets the mtime (and atime) of a symlink itself. */
  lutime(rel: string, mtimeMs: number): void;
  /** Atomic rename, replacing a file or symlink at `to`. */
  rename(from: string, to: string): void;
  /** Removes a file, a symlink or an empty folder. */
  remove(rel: string): void;
  /** Creates one folder with `mode` (less the umask). */
  mkdir(rel: string, mode: number): void;
  /** `fsync` of a folder. */
  syncDir(rel: string): Promise<void>;
  /**
   * Optional: keeps the folder `rel` open, so that creating, renaming and removing the names
   * directly in it need not resolve its path each time (the pinned layer's `Beneath.hold`).
   */
  hold?(rel: string): void;
  /**
   * Optional: renames each `from` to its `to` in order, one outcome each (`null`: done), the
   * folder of a run of renames into one folder resolved once (the pinned layer's
   * `Beneath.renameMany`).
   */
  renameMany?(pairs: readonly { from: string; to: string }[]): unknown[];
  /**
   * Optional (the pinned layer): a descriptor of the folder `rel`, resolved beneath the root
   * now and owned by the caller, for a helper thread that creates temp files in it.
   */
  openFolder?(rel: string): number;
  /**
   * Optional, with {@link openFolder}: a file a helper thread created in the folder of `rel`
   * and left open as `fd`, taken over as {@link createExclusive} would return it.
   */
  adoptCreated?(fd: number, rel: string): CreatedFile;
  /** Releases what the access holds (a pinned descriptor); safe to call twice. */
  close(): void;
}
