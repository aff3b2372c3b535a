/**
 * {@link ReservedFolder}: the destination's reserved folder (`DEST/.backup`),
 * created if missing, checked and pinned at start; its {@link ReservedFolder.fs}
 * is the file system every file in it is reached through (lock, log and its
 * rotations, status, settings, source identity, journal segments and
 * checkpoints), so none of them is opened through a symlink.
 *
 * At start the folder must be a real folder (not a symlink, whatever it points
 * to), owned by the user running the backup; its mode is then set to 0700 on
 * the pinned folder itself. Otherwise the start is refused with a
 * {@link RootError} (exit 2) naming the folder and what to do. The check uses
 * `lstat` and is confirmed on the pinned descriptor (device and inode), so a
 * swap during the start is refused too (with the native layer; see
 * `reserved_native.ts` and `reserved_fs.ts` for the fallback).
 *
 * The running user's uid is asked of Deno when `--allow-sys` is granted; else
 * it is the owner of `/proc/self` (read through the native layer), else the
 * owner of a temp file made for the purpose.
 *
 * @module
 */

import { ownerOf, uidByTempFile } from "../base/owner.ts";
import type { FileInfo, FileSystem } from "../base/fs.ts";
import { isAlreadyExists, isNotFound } from "../base/fs.ts";
import { describeError, RootError } from "../base/errors.ts";
import { reservedDir } from "../base/layout.ts";
import { AT } from "../base/native/constants.ts";
import { nativeAvailable } from "../base/native/libc.ts";
import { nativeOwner, PinnedReserved } from "./reserved_native.ts";
import { ReservedFs } from "./reserved_fs.ts";

/** Reserved folders open in this process, by path: the log sink finds its folder here. */
const registry = new Map<string, ReservedFs>();

let cachedUid: number | null = null;

/** The uid the backup runs as (see the module notes). */
export function runningUid(): number {
  if (cachedUid !== null) return cachedUid;
  let uid: number | null = null;
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state === "granted") {
      uid = Deno.uid();
    }
  } catch { /* not granted: asked otherwise below */ }
  if (uid === null && nativeAvailable()) {
    try {
      uid = nativeOwner(AT.FDCWD, "/proc/self/", "/proc/self");
    } catch { /* no /proc: a temp file below */ }
  }
  if (uid === null) {
    uid = uidByTempFile();
  }
  cachedUid = uid ?? 0;
  return cachedUid;
}

/** The destination's reserved folder, pinned. Close it when the job ends. */
export class ReservedFolder {
  readonly #fs: ReservedFs;
  readonly #pinned: PinnedReserved | null;
  /** Absolute path of the folder. */
  readonly path: string;
  /** Device of the folder at start. */
  readonly dev: number;
  /** Inode of the folder at start. */
  readonly ino: number;

  private constructor(
    fs: ReservedFs,
    pinned: PinnedReserved | null,
    identity: { path: string; dev: number; ino: number },
  ) {
    this.#fs = fs;
    this.#pinned = pinned;
    this.path = identity.path;
    this.dev = identity.dev;
    this.ino = identity.ino;
  }

  /**
   * Creates `dest` (its parent must exist) and `dest/.backup` when missing, checks the folder (a real
   * folder owned by the running user), pins it and makes it 0700.
   *
   * @throws RootError naming the folder and what to do; file-system errors as they are.
   */
  static open(fs: FileSystem, dest: string): ReservedFolder {
    try {
      fs.mkdir(dest, { mode: 0o700 }); // the last component only: a missing parent is refused
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const path = reservedDir(dest);
    try {
      fs.mkdir(path, { mode: 0o700 });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const info = refuseNonFolder(fs, path);
    let pinned: PinnedReserved | null = null;
    if (nativeAvailable()) {
      try {
        pinned = PinnedReserved.pin(path);
      } catch (err) {
        throw new RootError(
          `"${path}" cannot be opened as the backup's own folder (${describeError(err)}); ` +
            `remove it (a backup makes a new one) or pick another --dest`,
          { cause: err },
        );
      }
    }
    try {
      if (pinned && (pinned.dev !== info.dev || pinned.ino !== info.ino)) {
        throw new RootError(`"${path}" was replaced while the backup started; start it again`);
      }
      const owner = pinned ? pinned.uid : ownerOf(path) ?? runningUid();
      const me = runningUid();
      if (owner !== me) {
        throw new RootError(
          `"${path}" is owned by uid ${owner}, not by uid ${me} who runs the backup: its owner ` +
            `could plant links in it; chown it to uid ${me} (or remove it) or pick another --dest`,
        );
      }
      const reserved = new ReservedFs(fs, path, pinned, { dev: info.dev, ino: info.ino });
      if (info.mode !== 0o700) reserved.chmod(path, 0o700);
      registry.set(path, reserved);
      return new ReservedFolder(reserved, pinned, { path, dev: info.dev, ino: info.ino });
    } catch (err) {
      pinned?.close();
      throw err;
    }
  }

  /**
   * Pins an existing `dest/.backup` to read it (`status`, the dry run of
   * `journal replay`): nothing is created or chmodded, and its owner is not
   * checked (reading through the pin follows no link, whoever planted it); a
   * symlink or anything but a real folder there is refused all the same.
   *
   * @throws RootError when `.backup` is not a real folder; NotFound when it is missing.
   */
  static openExisting(fs: FileSystem, dest: string): ReservedFolder {
    const path = reservedDir(dest);
    const info = refuseNonFolder(fs, path);
    let pinned: PinnedReserved | null = null;
    if (nativeAvailable()) {
      try {
        pinned = PinnedReserved.pin(path);
      } catch (err) {
        if (isNotFound(err)) throw err;
        throw new RootError(
          `"${path}" cannot be opened as the backup's own folder (${describeError(err)}); ` +
            `remove it (a backup makes a new one) or pick another --dest`,
          { cause: err },
        );
      }
    }
    if (pinned && (pinned.dev !== info.dev || pinned.ino !== info.ino)) {
      pinned.close();
      throw new RootError(`"${path}" was replaced while it was being opened; try again`);
    }
    const reserved = new ReservedFs(fs, path, pinned, { dev: info.dev, ino: info.ino });
    return new ReservedFolder(reserved, pinned, { path, dev: info.dev, ino: info.ino });
  }

  /** The file system to reach the folder's files through (other paths pass through). */
  get fs(): FileSystem {
    return this.#fs;
  }

  /** Releases the pin; safe to call twice. */
  close(): void {
    if (registry.get(this.path) === this.#fs) registry.delete(this.path);
    this.#pinned?.close();
  }
}

/**
 * The file system of the open reserved folder holding `path` (a log file in
 * `DEST/.backup`), or null when `path` is not in one.
 */
export function reservedFsFor(path: string): FileSystem | null {
  for (const [root, fs] of registry) {
    if (path.startsWith(root + "/")) return fs;
  }
  return null;
}

/**
 * Refuses a reserved folder that is not a real folder (a symlink, a file), with the fix;
 * returns what the lstat found.
 *
 * @throws RootError naming it; the lstat's error (NotFound...) when it cannot be looked at.
 */
function refuseNonFolder(fs: FileSystem, path: string): FileInfo {
  const info = fs.lstat(path);
  if (info.kind === "dir") return info;
  const what = info.kind === "symlink" ? "a symlink" : "not a folder";
  throw new RootError(
    `"${path}" is ${what}: the backup keeps its journal there and never follows a link in it; ` +
      `remove it (a backup makes a new one) or pick another --dest`,
  );
}
