/**
 * The initial copy in chunks (issue 14): a pass that can only create, walked,
 * planned and applied a chunk of folders at a time, so that its memory is
 * bounded by a chunk, not by the tree.
 *
 * A full pass is pure creation when the state tracks nothing, no path is in
 * doubt, and the destination holds nothing but the reserved folder (and the
 * backup's leftover temp files): nothing can be deleted, moved, verified or
 * updated, and every source entry becomes a `mkdir`, `copy` or `symlink`, each
 * folder then a `meta` (its mode and mtime) once all it holds is written.
 * {@link ChunkedWalk} walks the source depth first, one folder listing
 * (`scanTree` with `shallow`) at a time, and hands out chunks of about
 * `chunkOps` operations: the creations of the folders it listed (folder
 * creations first, then files and symlinks), then the `meta` of each folder
 * whose whole subtree has been handed out, deepest first. A folder's `meta`
 * therefore comes after everything inside it, across chunk boundaries, and
 * nothing later touches that folder. A chunk holds whole folder listings: a
 * folder of more than `chunkOps` entries makes one chunk of its size.
 *
 * What the walk keeps between chunks is the folders still to list and the
 * folders listed whose subtree is not finished (with their entry, for their
 * `meta`): about the tree's depth times its width of folders, not its files.
 *
 * @module
 */

import type { FileSystem, Kind } from "../base/fs.ts";
import type { Entry, ScanResult } from "../base/scan.ts";
import type { FileOp } from "./pass_plan.ts";
import { isNotFound } from "../base/fs.ts";
import { describeError, UsageError } from "../base/errors.ts";
import { emptyScan, scanTree } from "../base/scan.ts";
import { parentOf } from "../base/paths.ts";

/**
 * Operations per chunk by default: about 0.4 MB of planned operations. 2,000, not 10,000: a
 * chunk's operations live until it is applied (old space by then), and at 100,000 files the copy
 * peaked 13-17 MiB lower with 2,000 (500 was no lower), for about 5 % more CPU at 10,000 files
 * (docs/benchmarks.md, branch `lean`).
 */
export const CHUNK_OPS = 2_000;

/** The environment variable that sets the chunk size (a test and benchmark knob; 0 turns chunking off). */
export const CHUNK_OPS_ENV = "BACKUP_CHUNK_OPS";

/**
 * The chunk size from `BACKUP_CHUNK_OPS` when it is set and the program may read it (the
 * program's own `--allow-env=BACKUP_DEBUG` does not let it: {@link CHUNK_OPS} then); 0 turns
 * the chunked initial copy off (the whole plan at once, as before).
 *
 * @throws UsageError when it is set to anything but a whole number
 */
export function chunkOpsFromEnv(): number {
  let text: string | undefined;
  try {
    const allowed = Deno.permissions.querySync({ name: "env", variable: CHUNK_OPS_ENV });
    if (allowed.state !== "granted") return CHUNK_OPS;
    text = Deno.env.get(CHUNK_OPS_ENV);
  } catch {
    return CHUNK_OPS;
  }
  if (text === undefined || text === "") return CHUNK_OPS;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(
      `${CHUNK_OPS_ENV}=${text}: not a whole number of operations; unset it (it is a test knob)`,
    );
  }
  return n;
}

/** What a chunk brings. */
export interface Chunk {
  /** Its operations, in the order to run them. */
  ops: FileOp[];
  /**
   * What its listings found besides entries: unreadable entries and folders, names that are
   * not UTF-8, excluded entries left out (`skipped`), the reserved name at the top. Its
   * `entries` are empty.
   */
  problems: ScanResult;
  /** Folders handed out as `mkdir` in an earlier chunk that were gone when listed. */
  vanished: string[];
}

/** A folder listed, waiting for its subtree: its entry (for its `meta`) and how many child folders are not finished. */
interface OpenFolder {
  entry: Entry | null;
  open: number;
}

/** Where a chunked walk reads and what it leaves out. */
export interface ChunkedWalkOptions {
  /** File system port (the source is read through it). */
  fs: FileSystem;
  /** Absolute source root. */
  source: string;
  /** Entries to leave out (the pass's excludes). */
  skip: (rel: string, kind: Kind) => boolean;
  /** About how many operations a chunk holds (at least one folder listing). */
  chunkOps: number;
}

/**
 * Walks the source depth first and plans it a chunk at a time ({@link next}). The root is
 * listed by the first call: when it cannot be, that call throws.
 */
export class ChunkedWalk {
  readonly #o: ChunkedWalkOptions;
  /** Folders to list, with their entry (null for the root); the last is listed next. */
  readonly #stack: [string, Entry | null][] = [["", null]];
  /** Folders listed whose subtree is not finished, by path. */
  readonly #open = new Map<string, OpenFolder>();
  /** Operations planned so far. */
  #planned = 0;

  /** A walk of `options.source`; nothing is read before {@link next}. */
  constructor(options: ChunkedWalkOptions) {
    this.#o = options;
  }

  /** Operations handed out so far. */
  get planned(): number {
    return this.#planned;
  }

  /**
   * The next chunk, or null when the walk is done.
   *
   * @throws Deno.errors.* when the first call cannot list the source root.
   */
  next(): Chunk | null {
    if (this.#stack.length === 0) return null;
    const mkdirs: FileOp[] = [];
    const files: FileOp[] = [];
    const metas: FileOp[] = [];
    const problems = emptyScan();
    const vanished: string[] = [];
    while (this.#stack.length > 0 && mkdirs.length + files.length < this.#o.chunkOps) {
      const [dir, entry] = this.#stack.pop()!;
      const listed = this.#list(dir, problems, vanished);
      let children = 0;
      if (listed !== null) {
        for (const [rel, child] of listed.entries) {
          switch (child.kind) {
            case "dir":
              mkdirs.push({ op: "mkdir", path: rel, src: child });
              this.#stack.push([rel, child]);
              children++;
              break;
            case "file":
              files.push({ op: "copy", path: rel, src: child });
              break;
            case "symlink":
              files.push({ op: "symlink", path: rel, src: child });
              break;
            default:
              break; // FIFOs, sockets, devices are not carried over
          }
        }
      }
      if (children > 0) this.#open.set(dir, { entry, open: children });
      else this.#finished(dir, entry, metas);
    }
    const ops = [...mkdirs, ...files, ...metas];
    this.#planned += ops.length;
    return { ops, problems, vanished };
  }

  /**
   * One folder's listing, its problems added to `problems`; null when it could not be listed
   * (gone since its parent was: noted in `vanished`; unreadable: in `problems.unreadable`).
   */
  #list(dir: string, problems: ScanResult, vanished: string[]): ScanResult | null {
    const { fs, source, skip } = this.#o;
    let listed: ScanResult;
    try {
      listed = scanTree(fs, source, { under: dir, shallow: true, skip });
    } catch (err) {
      if (dir === "") throw err;
      if (isNotFound(err)) vanished.push(dir);
      else problems.unreadable.set(dir, describeError(err));
      return null;
    }
    for (const [rel, reason] of listed.unreadable) problems.unreadable.set(rel, reason);
    for (const [folder, count] of listed.badNames) {
      problems.badNames.set(folder, (problems.badNames.get(folder) ?? 0) + count);
    }
    problems.skipped += listed.skipped;
    problems.reservedSkipped ||= listed.reservedSkipped;
    return listed;
  }

  /** `dir`'s subtree is handed out: its `meta` (not the root's), and its parent's count goes down. */
  #finished(dir: string, entry: Entry | null, metas: FileOp[]): void {
    let at = dir;
    let src = entry;
    while (at !== "") {
      if (src !== null) metas.push({ op: "meta", path: at, src });
      const parent = parentOf(at);
      const open = this.#open.get(parent);
      if (open === undefined) return; // the root, listed last, or a parent not listed (cannot be)
      if (--open.open > 0) return;
      this.#open.delete(parent);
      at = parent;
      src = open.entry;
    }
    this.#open.delete("");
  }
}

/** What decides whether a full pass is pure creation. */
export interface FirstCopyCheck {
  /** Entries the state tracks. */
  tracked: number;
  /** Paths in doubt after a crash. */
  suspects: number;
  /** The destination's folders are real ones (not a bucket's markers). */
  realFolders: boolean;
  /** Lists the destination's root (its direct children and the backup's leftover temp files). */
  listRoot: () => Promise<ScanResult>;
}

/**
 * The destination root's listing when a full pass is pure creation (nothing tracked, nothing
 * in doubt, a destination of real folders whose root holds no entry: only the reserved folder
 * and perhaps leftover temp files); null otherwise, or when the root cannot be listed (the
 * ordinary pass then reports it).
 */
export async function firstCopyRoot(check: FirstCopyCheck): Promise<ScanResult | null> {
  if (check.tracked > 0 || check.suspects > 0 || !check.realFolders) return null;
  try {
    const root = await check.listRoot();
    return root.entries.size === 0 ? root : null;
  } catch {
    return null;
  }
}
