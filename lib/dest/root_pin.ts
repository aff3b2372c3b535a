/**
 * {@link DestinationPin}: the destination root and its reserved folder as
 * they were at start (device and inode of each), checked again at the start
 * of every pass and before every batch. A root that became a symlink, another
 * file system (an unmounted disk leaves the bare mount point) or another
 * folder (`mv D D.old; mkdir D`, or `ln -s victim D`) is a reason to pause
 * the job, nothing else: the pin never writes.
 *
 * Not guaranteed: the check is an `lstat` by path, so a swap right after it
 * is not seen until the next check (the next batch); what a batch writes is
 * confined by the destination's own pinned operations (lib/dest/local.ts).
 *
 * @module
 */

import type { FileInfo, FileSystem } from "../base/fs.ts";
import { isMissing } from "../base/fs.ts";
import { describeError } from "../base/errors.ts";
import { reservedDir } from "../base/layout.ts";

/** The identity of one folder. */
interface Identity {
  dev: number;
  ino: number;
}

/** Why the folder at `path` is not `was` any more, or null when it still is. */
function changed(fs: FileSystem, path: string, was: Identity, wasLink: boolean): string | null {
  let info: FileInfo;
  try {
    info = fs.lstat(path);
    if (wasLink && info.kind === "symlink") info = fs.lstat(fs.realPath(path));
  } catch (err) {
    if (isMissing(err)) return `${path} is gone`;
    return `${path} cannot be checked: ${describeError(err)}`;
  }
  if (info.kind === "symlink") {
    let target = "";
    try {
      target = ` (to ${fs.readLink(path)})`;
    } catch { /* gone again: no target to name */ }
    return `${path} is a symlink now${target}`;
  }
  if (info.kind !== "dir") return `${path} is not a folder any more`;
  if (info.dev !== was.dev) {
    return `${path} is on another file system now (device ${info.dev}, was ${was.dev}: unmounted?)`;
  }
  if (info.ino !== was.ino) return `${path} is another folder now (moved or replaced)`;
  return null;
}

/** The destination root and its reserved folder, pinned by identity at start. */
export class DestinationPin {
  readonly #fs: FileSystem;
  readonly #dest: string;
  readonly #root: Identity;
  readonly #rootWasLink: boolean;
  readonly #reserved: Identity;

  private constructor(
    fs: FileSystem,
    dest: string,
    ids: { root: Identity; rootWasLink: boolean; reserved: Identity },
  ) {
    this.#fs = fs;
    this.#dest = dest;
    this.#root = ids.root;
    this.#rootWasLink = ids.rootWasLink;
    this.#reserved = ids.reserved;
  }

  /**
   * Pins `dest` (an existing folder; a symlink the user gave is followed, and
   * must keep leading to the same folder) and `dest/.backup`.
   */
  static take(fs: FileSystem, dest: string): DestinationPin {
    let root = fs.lstat(dest);
    const rootWasLink = root.kind === "symlink";
    if (rootWasLink) root = fs.lstat(fs.realPath(dest));
    const reserved = fs.lstat(reservedDir(dest));
    return new DestinationPin(fs, dest, {
      root: { dev: root.dev, ino: root.ino },
      rootWasLink,
      reserved: { dev: reserved.dev, ino: reserved.ino },
    });
  }

  /** Device number of the destination root at start. */
  get dev(): number {
    return this.#root.dev;
  }

  /** Why the destination is not the pinned one any more, or null when it still is. */
  check(): string | null {
    return changed(this.#fs, this.#dest, this.#root, this.#rootWasLink) ??
      changed(this.#fs, reservedDir(this.#dest), this.#reserved, false);
  }
}
