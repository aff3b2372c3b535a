/**
 * {@link ReservedFs}: a {@link FileSystem} that routes every path inside the
 * destination's reserved folder (`DEST/.backup` and below) through that
 * folder pinned at start, without following symlinks; every other path goes
 * to the wrapped file system unchanged. Callers (journal writer, checkpoint,
 * lock, status, settings, source identity, log) keep calling the port with
 * absolute paths and need not know.
 *
 * Guarantees with the native layer ({@link PinnedReserved}): opens, creates,
 * renames, removals, chmod, utime and listings in the folder are resolved
 * beneath its pinned descriptor by the kernel, with no symlink in any
 * component; a FIFO or device planted under a reserved name is refused
 * without blocking.
 *
 * Fallback (no native layer): before each call, the folder itself is checked
 * by `lstat` to be the pinned one (same device and inode, not a symlink), and
 * every component below it up to the path (the final one too, except for a
 * rename or removal, which act on a link itself) is checked not to be a
 * symlink; then the wrapped file system is called by path. Not guaranteed
 * there: a symlink swapped in between that `lstat` and the call is followed
 * (Deno's file API has no `O_NOFOLLOW` and no `openat`).
 *
 * @module
 */

import type { FileHandle, FileInfo, FileSystem, OpenOptions, Watch } from "../base/fs.ts";
import { isAlreadyExists, isMissing, readWhole } from "../base/fs.ts";
import { ERRNO, errnoError } from "../base/native/errno.ts";
import type { PinnedReserved } from "./reserved_native.ts";

/** The pinned folder's identity, for the fallback's checks. */
export interface ReservedIdentity {
  /** Device number. */
  dev: number;
  /** Inode number. */
  ino: number;
}

/** A FileSystem whose paths inside the reserved folder never follow a symlink. */
export class ReservedFs implements FileSystem {
  readonly #base: FileSystem;
  readonly #root: string;
  readonly #pinned: PinnedReserved | null;
  readonly #identity: ReservedIdentity;

  /**
   * Wraps `base`; `root` is the reserved folder's absolute path, `pinned` its
   * native pin (null: the fallback, checking `identity` by `lstat`).
   */
  constructor(
    base: FileSystem,
    root: string,
    pinned: PinnedReserved | null,
    identity: ReservedIdentity,
  ) {
    this.#base = base;
    this.#root = root;
    this.#pinned = pinned;
    this.#identity = identity;
  }
  /** Paths outside the reserved folder pass through: as direct as the port it wraps. */
  get direct(): boolean {
    return this.#base.direct === true;
  }

  /** The reserved folder's absolute path. */
  get root(): string {
    return this.#root;
  }

  /** The path relative to the reserved folder (`""` for the folder), or null outside it. */
  #rel(path: string): string | null {
    if (path === this.#root) return "";
    if (path.startsWith(this.#root + "/")) return path.slice(this.#root.length + 1);
    return null;
  }

  /**
   * Fallback: the folder must still be the pinned one, and no component below
   * it a symlink (the final one only when `final`).
   */
  #guard(path: string, rel: string, final: boolean): void {
    const base = this.#base;
    const here = base.lstat(this.#root);
    if (
      here.kind !== "dir" || here.dev !== this.#identity.dev || here.ino !== this.#identity.ino
    ) {
      throw errnoError(ERRNO.ELOOP, "lstat", this.#root, "refused: no longer the pinned folder");
    }
    const parts = rel.split("/").filter((part) => part !== "" && part !== ".");
    let at = this.#root;
    for (let index = 0; index < parts.length; index++) {
      if (index === parts.length - 1 && !final) return;
      at = `${at}/${parts[index]}`;
      let info: FileInfo;
      try {
        info = base.lstat(at);
      } catch (err) {
        if (isMissing(err)) return; // nothing further can be a symlink
        throw err;
      }
      if (info.kind === "symlink") {
        throw errnoError(ERRNO.ELOOP, "lstat", path, "refused: a symlink in the reserved folder");
      }
    }
  }

  lstat(path: string): FileInfo {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.lstat(path);
    if (this.#pinned) return this.#pinned.beneath.lstat(rel);
    this.#guard(path, rel, false);
    return this.#base.lstat(path);
  }

  readDir(path: string): string[] {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.readDir(path);
    if (this.#pinned) {
      return this.#pinned.beneath.readdir(rel).map((entry) => entry.name);
    }
    this.#guard(path, rel, true);
    return this.#base.readDir(path);
  }

  readLink(path: string): string {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.readLink(path);
    if (this.#pinned) return this.#pinned.beneath.readLink(rel);
    this.#guard(path, rel, false);
    return this.#base.readLink(path);
  }

  realPath(path: string): string {
    return this.#base.realPath(path);
  }

  /** Source files are never in the reserved folder: opened by the wrapped port as they are. */
  openSource(path: string): FileHandle {
    return this.#base.openSource(path);
  }

  mkdir(path: string, options: { mode?: number; recursive?: boolean } = {}): void {
    const rel = this.#rel(path);
    if (rel === null) {
      // Creating the folders above the reserved one (the destination root).
      this.#base.mkdir(path, options);
      return;
    }
    const mode = options.mode ?? 0o700;
    if (!this.#pinned) {
      this.#guard(path, rel, false);
      this.#base.mkdir(path, options);
      return;
    }
    const beneath = this.#pinned.beneath;
    if (rel === "") {
      if (!options.recursive) throw errnoError(ERRNO.EEXIST, "mkdirat", path);
      return;
    }
    if (!options.recursive) {
      beneath.mkdir(rel, mode);
      return;
    }
    const parts = rel.split("/").filter((part) => part !== "" && part !== ".");
    for (let index = 1; index <= parts.length; index++) {
      const prefix = parts.slice(0, index).join("/");
      try {
        beneath.mkdir(prefix, mode);
      } catch (err) {
        if (!isAlreadyExists(err) || beneath.lstat(prefix).kind !== "dir") throw err;
      }
    }
  }

  chmod(path: string, mode: number): void {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.chmod(path, mode);
    if (this.#pinned) return this.#pinned.beneath.chmod(rel, mode);
    this.#guard(path, rel, true);
    this.#base.chmod(path, mode);
  }

  utime(path: string, mtimeMs: number): void {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.utime(path, mtimeMs);
    if (this.#pinned) return this.#pinned.beneath.utime(rel, mtimeMs);
    this.#guard(path, rel, true);
    this.#base.utime(path, mtimeMs);
  }

  lutime(path: string, mtimeMs: number): void {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.lutime(path, mtimeMs);
    if (this.#pinned) return this.#pinned.beneath.utime(rel, mtimeMs);
    this.#guard(path, rel, false);
    this.#base.lutime(path, mtimeMs);
  }

  symlink(target: string, path: string): void {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.symlink(target, path);
    if (this.#pinned) return this.#pinned.beneath.symlink(target, rel);
    this.#guard(path, rel, false);
    this.#base.symlink(target, path);
  }

  rename(from: string, to: string): void {
    const fromRel = this.#rel(from);
    const toRel = this.#rel(to);
    if (fromRel !== null && toRel !== null && this.#pinned) {
      return this.#pinned.beneath.rename(fromRel, toRel);
    }
    // Into or out of the folder (a version moved in), or the fallback: checked, then by path.
    if (fromRel !== null) this.#guard(from, fromRel, false);
    if (toRel !== null) this.#guard(to, toRel, false);
    this.#base.rename(from, to);
  }

  remove(path: string, options: { recursive?: boolean } = {}): void {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.remove(path, options);
    if (!this.#pinned) {
      this.#guard(path, rel, false);
      this.#base.remove(path, options);
      return;
    }
    this.#removeBeneath(rel, options.recursive ?? false);
  }

  #removeBeneath(rel: string, recursive: boolean): void {
    const beneath = this.#pinned!.beneath;
    if (rel === "") throw errnoError(ERRNO.EINVAL, "unlinkat", this.#root, "the pinned folder");
    if (recursive) return this.#removeBytes(new TextEncoder().encode(rel));
    if (beneath.lstat(rel).kind === "dir") beneath.rmdir(rel);
    else beneath.unlink(rel);
  }

  /** Removes `rel` and, for a folder, all it holds (names as bytes: any name is removed). */
  #removeBytes(rel: Uint8Array): void {
    const beneath = this.#pinned!.beneath;
    if (beneath.lstat(rel).kind !== "dir") {
      beneath.unlink(rel);
      return;
    }
    for (const entry of beneath.readdir(rel)) {
      const child = new Uint8Array(rel.length + 1 + entry.bytes.length);
      child.set(rel);
      child[rel.length] = 0x2f;
      child.set(entry.bytes, rel.length + 1);
      this.#removeBytes(child);
    }
    beneath.rmdir(rel);
  }

  open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    const rel = this.#rel(path);
    if (rel === null || !this.#pinned) {
      if (rel !== null) this.#guard(path, rel, true);
      return this.#base.open(path, options);
    }
    try {
      return Promise.resolve(this.#pinned.open(rel, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  openSync(path: string, options: OpenOptions = {}): FileHandle {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.openSync(path, options);
    if (this.#pinned) return this.#pinned.open(rel, options);
    this.#guard(path, rel, true);
    return this.#base.openSync(path, options);
  }

  syncDir(path: string): Promise<void> {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.syncDir(path);
    if (this.#pinned) return this.#pinned.beneath.syncDir(rel);
    this.#guard(path, rel, true);
    return this.#base.syncDir(path);
  }

  readFile(path: string): Uint8Array {
    const rel = this.#rel(path);
    if (rel === null) return this.#base.readFile(path);
    if (!this.#pinned) {
      this.#guard(path, rel, true);
      return this.#base.readFile(path);
    }
    return readWhole(this.#pinned.open(rel));
  }

  watch(path: string): Watch {
    return this.#base.watch(path);
  }
}
