/**
 * {@link PathFolder}: the fallback {@link FolderAccess}, over the FileSystem
 * port with absolute paths joined under the root; used when the native layer
 * is unavailable (no `--allow-ffi`, no glibc, Linux before 5.6) and when the
 * port is not the real file system (fault injection in tests).
 *
 * Not guaranteed: each path is resolved afresh by the kernel, following
 * symlinks in its parent components (and `openRead`, `chmod` and `utime` a
 * final one too). A folder of the destination swapped for a symlink between
 * the engine's `lstat` check and the call that follows redirects that call
 * (a write, a rename, a removal, a mode or time change) outside the
 * destination, and a listing through such a symlink reads a folder outside
 * it. Only the engine's earlier checks (a race) stand in the way.
 *
 * @module
 */

import type { FileHandle, FileInfo, FileSystem } from "../base/fs.ts";
import type { ScanResult } from "../base/scan.ts";
import type { ListOptions } from "./destination.ts";
import type { CreatedFile, FolderAccess } from "./folder_access.ts";
import { join } from "../base/paths.ts";
import { scanTree } from "../base/scan.ts";

/** A folder reached by path through the FileSystem port. */
export class PathFolder implements FolderAccess {
  /** Paths are resolved afresh: nothing is pinned. */
  readonly pinned = false;
  readonly #fs: FileSystem;
  readonly #root: string;

  /** The folder at the absolute path `root`, reached through `fs`. */
  constructor(fs: FileSystem, root: string) {
    this.#fs = fs;
    this.#root = root;
  }

  #abs(rel: string): string {
    return join(this.#root, rel);
  }

  /** The destination scan of lib/base/scan.ts. */
  list(options: ListOptions): ScanResult {
    return scanTree(this.#fs, this.#root, { ...options, destination: true });
  }

  /** `lstat` by path. */
  lstat(rel: string): FileInfo {
    return this.#fs.lstat(this.#abs(rel));
  }

  /** Opens by path (a final symlink is followed). */
  openRead(rel: string): FileHandle {
    return this.#fs.openSync(this.#abs(rel));
  }

  /** Exclusive create by path; the mode is set by path too. */
  createExclusive(rel: string, mode: number): CreatedFile {
    const abs = this.#abs(rel);
    const handle = this.#fs.openSync(abs, { write: true, createNew: true, mode });
    return { handle, setMode: (bits) => this.#fs.chmod(abs, bits) };
  }

  /** `symlink` by path. */
  symlink(target: string, rel: string): void {
    this.#fs.symlink(target, this.#abs(rel));
  }

  /** `chmod` by path. */
  chmod(rel: string, mode: number): void {
    this.#fs.chmod(this.#abs(rel), mode);
  }

  /** `utime` by path. */
  utime(rel: string, mtimeMs: number): void {
    this.#fs.utime(this.#abs(rel), mtimeMs);
  }

  /** `lutime` by path. */
  lutime(rel: string, mtimeMs: number): void {
    this.#fs.lutime(this.#abs(rel), mtimeMs);
  }

  /** `rename` by paths. */
  rename(from: string, to: string): void {
    this.#fs.rename(this.#abs(from), this.#abs(to));
  }

  /** `remove` by path (never a tree). */
  remove(rel: string): void {
    this.#fs.remove(this.#abs(rel));
  }

  /** `mkdir` by path. */
  mkdir(rel: string, mode: number): void {
    this.#fs.mkdir(this.#abs(rel), { mode });
  }

  /** `fsync` of the folder, opened by path. */
  syncDir(rel: string): Promise<void> {
    return this.#fs.syncDir(this.#abs(rel));
  }

  /** Nothing to release. */
  close(): void {}
}
