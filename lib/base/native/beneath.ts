/**
 * {@link Beneath}: a folder pinned once by descriptor, and every file
 * operation inside it resolved beneath it by the kernel.
 *
 * Guarantees (native layer available, see `libc.ts`):
 * - The root is opened once (`O_PATH | O_DIRECTORY`) and its device and inode
 *   recorded; every later call resolves from that descriptor, never from the
 *   root's path again. {@link Beneath.stillPinned} tells whether the path
 *   still names that folder (it does not after `mv root root.old; mkdir root`).
 * - Every relative path is resolved by `openat2` with `RESOLVE_BENEATH |
 *   RESOLVE_NO_SYMLINKS`: no component may be a symlink (ELOOP), and no `..`
 *   or absolute path may leave the root (EXDEV, refused before the call too,
 *   see `rel_path.ts`). The check and the use are one system call, or the
 *   parent folder is opened that way and the final step is an `*at` call on a
 *   single name that does not follow a final symlink (`mkdirat`, `unlinkat`,
 *   `renameat2`, `symlinkat`, `readlinkat`, `utimensat` with
 *   `AT_SYMLINK_NOFOLLOW`, `fchmodat2` with `AT_SYMLINK_NOFOLLOW`). No earlier
 *   `lstat` is trusted, so a symlink planted between a check and a use cannot
 *   redirect a write, a rename, a removal or a metadata change outside the
 *   root.
 * - A final symlink is never followed: `openRead`, `readdir`, `syncDir` and
 *   `chmod` refuse it; `createExclusive` and `mkdir` fail with EEXIST;
 *   `lstat`, `readLink`, `unlink`, `rename` and `utime` act on the link itself.
 * - A FIFO, socket or device met by `openRead` is refused without blocking.
 *
 * - One folder may be held open ({@link Beneath.hold}: the staging folder of
 *   temp files): calls on a name directly in it start from its descriptor,
 *   resolved beneath the root when it was held, instead of resolving its path
 *   again (a single name, never followed: the final step as above).
 *
 * Not guaranteed: a folder renamed out of the root after its descriptor was
 * opened (a held one for as long as it is held) is still acted on where it went (the entries in it were beneath the
 * root when resolved); mount points beneath the root are crossed. Without the
 * native layer (no `--allow-ffi`, no libc, Linux before 5.6) this class cannot
 * be built, and the fallback, Deno's path-based API through `lib/base/fs.ts`,
 * resolves each path afresh and follows symlinks in parent components: a
 * symlink planted in the destination can then redirect an operation, and
 * only an earlier `lstat` (a race) guards against it.
 *
 * @module
 */

import { decodeName } from "./names.ts";
import { AT, O, RENAME, RESOLVE, SYS } from "./constants.ts";
import { type DirEntry, readDirFd } from "./dirents.ts";
import { ERRNO, errnoError } from "./errno.ts";
import { NativeFile } from "./file.ts";
import { attempt, check, closeQuietly, cString, libc, openHow, timespecPair } from "./libc.ts";
import { refusalOf, type RegularOpen } from "./regular.ts";
import { parseRel, type RelPath } from "./rel_path.ts";
import { regularOrRefusal } from "./source.ts";
import { fstatInfo, type NativeInfo, statxAt, statxAtName } from "./statx.ts";

const RESOLVE_FLAGS = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS;
const READ_FLAGS = O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.NOCTTY | O.CLOEXEC;
const DIR_FLAGS = O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;
const PATH_FLAGS = O.PATH | O.NOFOLLOW | O.CLOEXEC;
const PARENT_FLAGS = O.PATH | O.DIRECTORY | O.CLOEXEC;
const LINK_MAX = 4096;
const OPENAT2 = BigInt(SYS.openat2);
const FCHMODAT2 = BigInt(SYS.fchmodat2);
const HOW_SIZE = 24n;
let chmodFallback = false;

/** Options of {@link Beneath.rename}. */
export interface RenameOptions {
  /** Fail with EEXIST instead of replacing an existing target (`RENAME_NOREPLACE`). */
  noReplace?: boolean;
}

/** One entry of {@link Beneath.readdirInfo}: the listing's entry, and what it is. */
export interface DirEntryInfo extends DirEntry {
  /** Its `lstat`, when it could be taken. */
  info?: NativeInfo;
  /** A symlink's target, when it could be read. */
  target?: string;
  /** Why `info`, or a symlink's `target`, is missing (NotFound: it vanished since the listing). */
  error?: unknown;
}

/**
 * Describes `entry` of the folder open as `dirFd`, never following it: the entry itself gets
 * `info` (and `target`, or `error`). `folderLabel` names the folder in errors.
 */
function describeAt(dirFd: number, entry: DirEntryInfo, folderLabel: string): DirEntryInfo {
  let info: NativeInfo;
  try {
    info = entry.cName === undefined
      ? statxAt(dirFd, entry.bytes, AT.SYMLINK_NOFOLLOW, `${folderLabel}/${entry.name}`)
      : statxAtName(dirFd, entry.cName, AT.SYMLINK_NOFOLLOW, folderLabel, entry.name);
  } catch (error) {
    entry.error = error;
    return entry;
  }
  entry.info = info;
  if (info.kind !== "symlink") return entry;
  try {
    const buffer = new Uint8Array(LINK_MAX + 1);
    const name = entry.cName ?? cString(entry.bytes);
    const length = check(
      () => libc().readlinkat(dirFd, name, buffer, BigInt(buffer.length)),
      "readlinkat",
      `${folderLabel}/${entry.name}`,
    );
    entry.target = decodeName(buffer.subarray(0, length));
  } catch (error) {
    entry.error = error;
  }
  return entry;
}

/** A folder pinned by descriptor; every path given to it is relative to it. */
export class Beneath {
  readonly #rootFd: number;
  readonly #path: string;
  readonly #dev: number;
  readonly #ino: number;
  #closed = false;
  /** The folder held open by {@link Beneath.hold}: its path (normalised bytes) and descriptor. */
  #held: { path: Uint8Array; fd: number } | null = null;

  private constructor(rootFd: number, path: string, info: NativeInfo) {
    this.#rootFd = rootFd;
    this.#path = path;
    this.#dev = info.dev;
    this.#ino = info.ino;
  }

  /**
   * Pins the folder at `rootPath` (symlinks in `rootPath` itself are followed:
   * the root is the user's choice; what is beneath it is not).
   * @throws NotFound, NotADirectory, ...; NotSupported when the native layer is unavailable
   */
  static open(rootPath: string): Beneath {
    const path = cString(rootPath);
    const fd = check(
      () => libc().openat(AT.FDCWD, path, PARENT_FLAGS, 0),
      "openat",
      rootPath,
    );
    try {
      return new Beneath(fd, rootPath, fstatInfo(fd, rootPath));
    } catch (err) {
      closeQuietly(fd);
      throw err;
    }
  }

  /** The root's path as given to {@link Beneath.open}. */
  get path(): string {
    return this.#path;
  }

  /** Device number of the pinned root. */
  get dev(): number {
    return this.#dev;
  }

  /** Inode number of the pinned root. */
  get ino(): number {
    return this.#ino;
  }

  #parse(rel: string | Uint8Array): RelPath {
    return parseRel(rel, this.#path);
  }

  #labelOf(rel: RelPath): string {
    return rel.name === null ? this.#path : `${this.#path}/${rel.label}`;
  }

  #root(): number {
    if (this.#closed) throw new Deno.errors.BadResource(`${this.#path} is no longer pinned`);
    return this.#rootFd;
  }

  /** `openat2(root, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`; errno on failure. */
  #attemptOpen(path: Uint8Array, flags: number, mode = 0): { result: number; errno: number } {
    const rootFd = this.#root();
    const cPath = cString(path);
    const how = openHow(flags, mode, RESOLVE_FLAGS);
    return attempt(() => libc().openat2(OPENAT2, rootFd, cPath, how, HOW_SIZE));
  }

  /** Like `#attemptOpen`, but throws the errno's error naming `label`. */
  #open(path: Uint8Array, flags: number, mode: number, label: string): number {
    const { result: fd, errno } = this.#attemptOpen(path, flags, mode);
    if (errno !== 0) throw errnoError(errno, "openat2", label);
    return fd;
  }

  /**
   * Opens the folder `parsed` for reading. `O_DIRECTORY | O_NOFOLLOW` on a
   * final symlink says ENOTDIR; that is turned into the symlink refusal.
   */
  #openDir(parsed: RelPath, label: string): number {
    const { result: fd, errno } = this.#attemptOpen(parsed.path, DIR_FLAGS);
    if (errno === 0) return fd;
    if (errno === ERRNO.ENOTDIR && this.#isSymlink(parsed)) throw symlinkRefused("openat2", label);
    throw errnoError(errno, "openat2", label);
  }

  #isSymlink(parsed: RelPath): boolean {
    try {
      return this.lstat(parsed.path).kind === "symlink";
    } catch {
      return false;
    }
  }

  /**
   * Runs `action` with the parent folder of `rel` open (resolved beneath the
   * root) and the final name as a C string.
   */
  #inParent<T>(
    rel: RelPath,
    action: (parentFd: number, name: Uint8Array, label: string) => T,
  ): T {
    const label = this.#labelOf(rel);
    if (rel.name === null) {
      throw errnoError(ERRNO.EINVAL, "openat2", label, "the pinned root itself has no parent");
    }
    const name = cString(rel.name);
    const topLevel = rel.parent.length === 1 && rel.parent[0] === 0x2e;
    const held = this.#heldFd(rel.parent);
    if (topLevel || held !== null) return action(held ?? this.#root(), name, label);
    const parentFd = this.#open(rel.parent, PARENT_FLAGS, 0, label);
    try {
      return action(parentFd, name, label);
    } finally {
      closeQuietly(parentFd);
    }
  }

  /** The descriptor of the held folder when `parent` is its path, else `null`. */
  #heldFd(parent: Uint8Array): number | null {
    const held = this.#held;
    if (held === null || !sameBytes(held.path, parent)) return null;
    this.#root(); // closed: refused as every other call
    return held.fd;
  }

  /**
   * Keeps the folder `rel` open (resolved beneath the root, no symlink followed, now), so that
   * calls on the entries directly in it ({@link createExclusive}, {@link rename} from or into
   * it, {@link unlink}) start from that descriptor instead of resolving its path again: one
   * `openat2` and one `close` less a call. Meant for a private folder of the program's own that
   * it writes many entries into (the staging folder of temp files). Those calls then reach the
   * folder opened here, wherever it is renamed to later (not guaranteed: that it is still at
   * `rel`). One folder at a time: a new call releases the one before; {@link close} releases it.
   * @throws as opening the folder does (isMissing, isSymlinkRefused)
   */
  hold(rel: string | Uint8Array): void {
    const parsed = this.#parse(rel);
    const fd = this.#open(parsed.path, PARENT_FLAGS, 0, this.#labelOf(parsed));
    this.release();
    this.#held = { path: parsed.path, fd };
  }

  /**
   * Opens the folder `rel` (resolved beneath the root, no symlink followed, now) and returns
   * its descriptor (`O_PATH`), owned by the caller, who closes it: for another thread that
   * creates entries in a private folder of the program's own (the staging folder) with `*at`
   * calls on single names, and must not depend on a descriptor this object may close.
   * @throws as opening the folder does (isMissing, isSymlinkRefused)
   */
  openFolder(rel: string | Uint8Array): number {
    const parsed = this.#parse(rel);
    return this.#open(parsed.path, PARENT_FLAGS, 0, this.#labelOf(parsed));
  }

  /** Closes the folder {@link hold} keeps open, if any. */
  release(): void {
    if (this.#held !== null) closeQuietly(this.#held.fd);
    this.#held = null;
  }

  /** `lstat` of `rel`: a final symlink is described, not followed. */
  lstat(rel: string | Uint8Array): NativeInfo {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const fd = this.#open(parsed.path, PATH_FLAGS, 0, label);
    try {
      return fstatInfo(fd, label);
    } finally {
      closeQuietly(fd);
    }
  }

  /** The target of the symlink at `rel`. @throws EINVAL when it is not a symlink */
  readLink(rel: string | Uint8Array): string {
    return this.#inParent(this.#parse(rel), (parentFd, name, label) => {
      const buffer = new Uint8Array(LINK_MAX + 1);
      const length = check(
        () => libc().readlinkat(parentFd, name, buffer, BigInt(buffer.length)),
        "readlinkat",
        label,
      );
      return decodeName(buffer.subarray(0, length));
    });
  }

  /**
   * Opens the regular file at `rel` for reading, never blocking: a folder,
   * FIFO, socket, device or final symlink is refused.
   * @throws ELOOP (FilesystemLoop) when a parent component is a symlink
   */
  openRead(rel: string | Uint8Array): RegularOpen {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const { result: fd, errno } = this.#attemptOpen(parsed.path, READ_FLAGS);
    if (errno !== 0) {
      // ELOOP for a final symlink (or a parent one), ENXIO for a socket, a driver's error for a
      // device: the entry itself says which, and a parent symlink makes lstat fail too.
      let refused = null;
      try {
        refused = refusalOf(this.lstat(parsed.path).type);
      } catch {
        // fall through to the open's own error
      }
      if (refused !== null) return { ok: false, refused };
      throw errnoError(errno, "openat2", label);
    }
    return regularOrRefusal(fd, label);
  }

  /**
   * Creates the file `rel` (`O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW`) with
   * `mode` (less the umask) and opens it for writing.
   * @throws AlreadyExists when anything, a symlink included, is at `rel`
   */
  createExclusive(rel: string | Uint8Array, mode = 0o600): NativeFile {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const flags = O.CREAT | O.EXCL | O.WRONLY | O.NOFOLLOW | O.CLOEXEC;
    const held = parsed.name === null ? null : this.#heldFd(parsed.parent);
    if (held !== null) {
      // One name in the held folder: nothing to resolve but the name, and O_NOFOLLOW | O_EXCL
      // refuse anything already there, a symlink included.
      const name = cString(parsed.name!);
      const { result: fd, errno } = attempt(() => libc().openat(held, name, flags, mode & 0o7777));
      if (errno === 0) return new NativeFile(fd, label);
      if (errno !== ERRNO.ENOENT) throw errnoError(errno, "openat", label);
      this.release(); // the held folder was removed: resolve the path as given again
    }
    return new NativeFile(this.#open(parsed.path, flags, mode & 0o7777, label), label);
  }

  /** Creates the folder `rel` with `mode` (less the umask). */
  mkdir(rel: string | Uint8Array, mode = 0o700): void {
    this.#inParent(this.#parse(rel), (parentFd, name, label) => {
      check(() => libc().mkdirat(parentFd, name, mode & 0o7777), "mkdirat", label);
    });
  }

  /** Renames `fromRel` to `toRel` atomically; a final symlink at either end is moved or replaced as a link. */
  rename(
    fromRel: string | Uint8Array,
    toRel: string | Uint8Array,
    options: RenameOptions = {},
  ): void {
    const flags = options.noReplace ? RENAME.NOREPLACE : 0;
    const to = this.#parse(toRel);
    this.#inParent(this.#parse(fromRel), (fromFd, fromName, fromLabel) => {
      this.#inParent(to, (toFd, toName, toLabel) => {
        check(
          () => libc().renameat2(fromFd, fromName, toFd, toName, flags),
          "renameat2",
          `${fromLabel}' -> '${toLabel}`,
        );
      });
    });
  }

  /**
   * Renames each `from` to its `to` in order, as {@link rename} would, one outcome each (`null`
   * for done, else the error). The folder a run of consecutive renames goes into is resolved
   * once for the run (beneath the root, no symlink followed) instead of once a rename: the
   * renames of a run reach the folder resolved at its first one, as a single rename reaches
   * the folder resolved at its start. The calls are synchronous, so a run lasts one rename
   * per entry. After a failure the next rename resolves its folder afresh.
   */
  renameMany(pairs: readonly { from: string | Uint8Array; to: string | Uint8Array }[]): unknown[] {
    const outcomes: unknown[] = [];
    let into: { parent: Uint8Array; fd: number; owned: boolean } | null = null;
    const drop = () => {
      if (into?.owned) closeQuietly(into.fd);
      into = null;
    };
    try {
      for (const { from, to } of pairs) {
        try {
          const target = this.#parse(to);
          const toLabel = this.#labelOf(target);
          if (target.name === null) {
            throw errnoError(
              ERRNO.EINVAL,
              "openat2",
              toLabel,
              "the pinned root itself has no parent",
            );
          }
          const toName = cString(target.name);
          if (into === null || !sameBytes(into.parent, target.parent)) {
            drop();
            const topLevel = target.parent.length === 1 && target.parent[0] === 0x2e;
            const held = this.#heldFd(target.parent);
            into = topLevel || held !== null
              ? { parent: target.parent, fd: held ?? this.#root(), owned: false }
              : {
                parent: target.parent,
                fd: this.#open(target.parent, PARENT_FLAGS, 0, toLabel),
                owned: true,
              };
          }
          const toFd = into.fd;
          this.#inParent(this.#parse(from), (fromFd, fromName, fromLabel) => {
            check(
              () => libc().renameat2(fromFd, fromName, toFd, toName, 0),
              "renameat2",
              `${fromLabel}' -> '${toLabel}`,
            );
          });
          outcomes.push(null);
        } catch (err) {
          drop();
          outcomes.push(err);
        }
      }
    } finally {
      drop();
    }
    return outcomes;
  }

  /** Removes the file or symlink `rel` (a symlink is removed, never its target). */
  unlink(rel: string | Uint8Array): void {
    this.#inParent(this.#parse(rel), (parentFd, name, label) => {
      check(() => libc().unlinkat(parentFd, name, 0), "unlinkat", label);
    });
  }

  /** Removes the empty folder `rel`. @throws ENOTDIR for a symlink, ENOTEMPTY */
  rmdir(rel: string | Uint8Array): void {
    this.#inParent(this.#parse(rel), (parentFd, name, label) => {
      check(() => libc().unlinkat(parentFd, name, AT.REMOVEDIR), "unlinkat", label);
    });
  }

  /** Creates a symlink at `rel` pointing at `target` (stored as given, never resolved here). */
  symlink(target: string | Uint8Array, rel: string | Uint8Array): void {
    const cTarget = cString(target);
    this.#inParent(this.#parse(rel), (parentFd, name, label) => {
      check(() => libc().symlinkat(cTarget, parentFd, name), "symlinkat", label);
    });
  }

  /**
   * Sets the permission bits of `rel`, never through a symlink.
   * @throws ELOOP (FilesystemLoop) when the final component (or a parent) is a symlink
   */
  chmod(rel: string | Uint8Array, mode: number): void {
    const parsed = this.#parse(rel);
    const bits = mode & 0o7777;
    if (parsed.name === null) {
      this.#onRootItself(parsed, (fd, label) => {
        check(() => libc().fchmod(fd, bits), "fchmod", label);
      });
      return;
    }
    this.#inParent(parsed, (parentFd, name, label) => {
      const { errno } = chmodFallback
        ? { errno: ERRNO.ENOSYS }
        : attempt(() => libc().fchmodat2(FCHMODAT2, parentFd, name, bits, AT.SYMLINK_NOFOLLOW));
      if (errno === 0) return;
      if (errno === ERRNO.ENOSYS) return chmodThroughPathFd(parentFd, name, bits, label);
      if (errno === ERRNO.EOPNOTSUPP && isSymlinkAt(parentFd, name, label)) {
        throw symlinkRefused("fchmodat2", label);
      }
      throw errnoError(errno, "fchmodat2", label);
    });
  }

  /** Sets access and modification time of `rel` to `mtimeMs`; a final symlink gets its own times. */
  utime(rel: string | Uint8Array, mtimeMs: number): void {
    const parsed = this.#parse(rel);
    const times = timespecPair(mtimeMs);
    if (parsed.name === null) {
      this.#onRootItself(parsed, (fd, label) => {
        check(() => libc().futimens(fd, times), "futimens", label);
      });
      return;
    }
    this.#inParent(parsed, (parentFd, name, label) => {
      check(
        () => libc().utimensat(parentFd, name, times, AT.SYMLINK_NOFOLLOW),
        "utimensat",
        label,
      );
    });
  }

  #onRootItself(parsed: RelPath, action: (fd: number, label: string) => void): void {
    const label = this.#labelOf(parsed);
    const fd = this.#openDir(parsed, label);
    try {
      action(fd, label);
    } finally {
      closeQuietly(fd);
    }
  }

  /** Lists the folder `rel` (`""` for the root), names as raw bytes and as text. */
  readdir(rel: string | Uint8Array): DirEntry[] {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const fd = this.#openDir(parsed, label);
    try {
      return readDirFd(fd, label);
    } finally {
      closeQuietly(fd);
    }
  }

  /**
   * Lists the folder `rel` (`""` for the root) and describes each entry with
   * `statx(folder, name, AT_SYMLINK_NOFOLLOW)` and, for a symlink,
   * `readlinkat(folder, name)`, relative to the one open folder: a name from
   * the listing has no `/`, so nothing is resolved but the entry itself, and a
   * final symlink is described, never followed. One call per entry instead
   * of an `openat2` + `statx` + `close` ({@link lstat}): about three times
   * faster for a walk. An entry that vanished or cannot be described carries
   * the `error` instead of `info`.
   */
  readdirInfo(rel: string | Uint8Array): DirEntryInfo[] {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const fd = this.#openDir(parsed, label);
    try {
      const entries: DirEntryInfo[] = readDirFd(fd, label);
      for (const entry of entries) describeAt(fd, entry, label);
      return entries;
    } finally {
      closeQuietly(fd);
    }
  }

  /** `fsync` of the folder `rel`, so creates and renames in it are durable (off the main thread). */
  async syncDir(rel: string | Uint8Array): Promise<void> {
    const parsed = this.#parse(rel);
    const label = this.#labelOf(parsed);
    const folder = new NativeFile(this.#openDir(parsed, label), label);
    try {
      await folder.sync();
    } finally {
      folder.close();
    }
  }

  /**
   * `syncfs` of the file system holding the root (off the main thread). A
   * failure is reported as EIO: errno is not readable from the pool thread.
   */
  async syncfs(): Promise<void> {
    const label = this.#path;
    const fd = this.#open(Uint8Array.of(0x2e), DIR_FLAGS, 0, label);
    try {
      if (await libc().syncfsAsync(fd) < 0) {
        throw errnoError(ERRNO.EIO, "syncfs", label, "errno not readable off the main thread");
      }
    } finally {
      closeQuietly(fd);
    }
  }

  /** True while the root's path still names the pinned folder (same device and inode). */
  stillPinned(): boolean {
    if (this.#closed) return false;
    try {
      const now = statxAt(AT.FDCWD, this.#path, 0, this.#path);
      return now.kind === "dir" && now.dev === this.#dev && now.ino === this.#ino;
    } catch {
      return false;
    }
  }

  /** Releases the pinned descriptor; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.release();
    this.#closed = true;
    closeQuietly(this.#rootFd);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function symlinkRefused(syscall: string, label: string): Error {
  return errnoError(ERRNO.ELOOP, syscall, label, "refused: the final component is a symlink");
}

function isSymlinkAt(parentFd: number, name: Uint8Array, label: string): boolean {
  try {
    return statxAt(parentFd, name.subarray(0, -1), AT.SYMLINK_NOFOLLOW, label).kind === "symlink";
  } catch {
    return false;
  }
}

/**
 * chmod before Linux 6.6 (no `fchmodat2`): pin the entry with an `O_PATH |
 * O_NOFOLLOW` descriptor, refuse a symlink, and chmod the pinned inode through
 * its `/proc/self/fd` magic link (what glibc's own `fchmodat` emulation does).
 */
function chmodThroughPathFd(parentFd: number, name: Uint8Array, bits: number, label: string): void {
  const fd = check(() => libc().openat(parentFd, name, PATH_FLAGS, 0), "openat", label);
  try {
    if (fstatInfo(fd, label).kind === "symlink") throw symlinkRefused("chmod", label);
    const magic = cString(`/proc/self/fd/${fd}`);
    check(() => libc().chmod(magic, bits), "chmod", label);
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Test hook: when `on`, {@link Beneath.chmod} takes the path it takes before
 * Linux 6.6 (no `fchmodat2`), so both paths are exercised on a new kernel.
 */
export function useChmodFallbackForTests(on: boolean): void {
  chmodFallback = on;
}
