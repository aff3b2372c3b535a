/**
 * The value types of the FileSystem port (`fs.ts`): what `lstat` tells, the
 * kinds of entries, and an open file. Kept apart from the port itself so that
 * the native-call layer (`native/`), which implements {@link FileHandle}, and
 * the port, which opens source files through that layer, do not import each
 * other. `fs.ts` re-exports every name here; import them from there.
 *
 * @module
 */

/** The kinds of entries the backup knows. `other` covers sockets, FIFOs and devices. */
export type Kind = "file" | "dir" | "symlink" | "other";

/** What `lstat` tells about one path. Times are milliseconds since the epoch. */
export interface FileInfo {
  /** Entry kind; symlinks are never followed. */
  kind: Kind;
  /** Size in bytes (0 for folders). */
  size: number;
  /** Modification time, milliseconds (Deno reports millisecond precision). */
  mtimeMs: number;
  /** Status-change time, milliseconds (whole seconds on Linux through Deno). */
  ctimeMs: number;
  /** Permission bits including setuid, setgid and sticky (`mode & 0o7777`). */
  mode: number;
  /** Inode number. */
  ino: number;
  /** Device number. */
  dev: number;
}

/** An open file. Mirrors the subset of `Deno.FsFile` the backup uses. */
export interface FileHandle {
  /** Reads into `buf`; resolves to the byte count or `null` at end of file. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Synchronous read, for small files. */
  readSync(buf: Uint8Array): number | null;
  /** Writes all of `data` (loops over short writes). */
  writeAll(data: Uint8Array): Promise<void>;
  /** Synchronous {@link FileHandle.writeAll}. */
  writeAllSync(data: Uint8Array): void;
  /** `fstat` of the open file. */
  stat(): FileInfo;
  /**
   * The `fstat` taken when the file was opened, where the opener took one (the native layer
   * checks the descriptor's kind by it): a caller comparing the open file with a scan needs no
   * second `fstat`. Absent otherwise: call {@link FileHandle.stat}.
   */
  readonly opened?: FileInfo;
  /** Sets access and modification time to `mtimeMs`. */
  utime(mtimeMs: number): void;
  /** Truncates the file to `len` bytes. */
  truncate(len: number): void;
  /** `fsync`: data and metadata are on disk when it resolves. */
  sync(): Promise<void>;
  /** Takes an exclusive advisory lock (flock) without waiting; false when another process holds it. */
  tryLock(): boolean;
  /** Closes the handle; safe to call twice. */
  close(): void;
  /**
   * Where the file holds data (`SEEK_DATA`/`SEEK_HOLE`), ordered, covering every
   * byte that is not a hole. Absent where holes cannot be found (the fallback).
   */
  dataSegments?(): DataSegment[];
  /** Reads at `offset` without moving the file offset; `null` at the end. Present with {@link dataSegments}. */
  readAt?(buf: Uint8Array, offset: number): Promise<number | null>;
  /** Writes all of `data` at `offset` without moving the file offset; bytes skipped stay holes. */
  writeAllAt?(data: Uint8Array, offset: number): Promise<void>;
}

/** A run of bytes of a file that may hold data ({@link FileHandle.dataSegments}). */
export interface DataSegment {
  /** First byte. */
  offset: number;
  /** Length in bytes (> 0). */
  length: number;
}
