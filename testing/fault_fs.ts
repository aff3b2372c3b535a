/**
 * A fault-injecting {@link FileSystem} for tests: wraps a real one and throws
 * a chosen error on the Nth matching call or for a chosen path, or "crashes"
 * (every later call throws {@link SimulatedCrash}) after N mutating calls.
 *
 * `openSource` (a source file opened for copying or hashing) is the `open`
 * point too, as it was before it had a method of its own: a rule on `open`
 * with a source path fires there; an `effect` on it runs before the real
 * open, so a test can swap the file for a FIFO between a scan and a copy.
 *
 * @module
 */

import type { FileHandle, FileInfo, FileSystem, OpenOptions, Watch } from "../lib/base/fs.ts";

/** Names of the operations a rule can target (port methods plus handle methods). */
export type FaultPoint =
  | "lstat"
  | "readDir"
  | "readLink"
  | "realPath"
  | "mkdir"
  | "chmod"
  | "utime"
  | "lutime"
  | "symlink"
  | "rename"
  | "remove"
  | "open"
  | "syncDir"
  | "readFile"
  | "watch"
  | "read"
  | "write"
  | "sync"
  | "truncate";

/** One fault to inject. */
export interface FaultRule {
  /** Operation to fail. */
  point: FaultPoint;
  /** Only calls whose path contains this string (or matches this regexp). Default: any. */
  path?: string | RegExp;
  /** Fail the Nth matching call (1-based); default: every matching call. */
  nth?: number;
  /** The error to throw; a rule with only an `effect` throws nothing. */
  error?: () => Error;
  /** Runs when the rule fires, before the error, with the call's path (e.g. changes a file under a copy). */
  effect?: (path: string) => void;
  /** For `write`: write this many bytes of the data first (a short write), then throw. */
  partialBytes?: number;
}

class PartialWrite extends Error {
  constructor(readonly bytes: number, readonly error: Error) {
    super("partial write");
  }
}

/** Thrown by every call once a simulated crash point is passed. */
export class SimulatedCrash extends Error {
  override name = "SimulatedCrash";
}

/** Whether `err` is a simulated crash, thrown as it is or wrapped (as the `cause`) by a caller. */
export function isSimulatedCrash(err: unknown): boolean {
  return err instanceof SimulatedCrash ||
    (err instanceof Error && err.cause instanceof SimulatedCrash);
}

const MUTATING = new Set<FaultPoint>([
  "mkdir",
  "chmod",
  "utime",
  "lutime",
  "symlink",
  "rename",
  "remove",
  "write",
  "sync",
  "truncate",
  "syncDir",
]);

/** Wraps a file system and injects faults. */
export class FaultyFileSystem implements FileSystem {
  #inner: FileSystem;
  #rules: { rule: FaultRule; seen: number }[] = [];
  #mutations = 0;
  #crashAfter: number | null = null;
  #crashed = false;
  /** Calls per operation, for assertions. */
  readonly calls: Map<FaultPoint, number> = new Map();

  /** Wraps `inner`, with optional initial rules. */
  constructor(inner: FileSystem, rules: FaultRule[] = []) {
    this.#inner = inner;
    for (const r of rules) this.addRule(r);
  }

  /** Adds a rule. */
  addRule(rule: FaultRule): void {
    this.#rules.push({ rule, seen: 0 });
  }

  /** Removes every rule (the crash point stays). */
  clearRules(): void {
    this.#rules = [];
  }

  /** After `n` more mutating calls, every call throws {@link SimulatedCrash}. */
  crashAfter(n: number): void {
    this.#crashAfter = this.#mutations + n;
  }

  /** True once the simulated crash happened. */
  get crashed(): boolean {
    return this.#crashed;
  }

  /** Checks rules and the crash point for one call. */
  check(point: FaultPoint, path: string): void {
    if (this.#crashed) throw new SimulatedCrash(`crashed before ${point} ${path}`);
    this.calls.set(point, (this.calls.get(point) ?? 0) + 1);
    if (MUTATING.has(point)) {
      this.#mutations++;
      if (this.#crashAfter !== null && this.#mutations > this.#crashAfter) {
        this.#crashed = true;
        throw new SimulatedCrash(`crashed at ${point} ${path}`);
      }
    }
    for (const r of this.#rules) {
      if (r.rule.point !== point) continue;
      const p = r.rule.path;
      if (p !== undefined && !(typeof p === "string" ? path.includes(p) : p.test(path))) continue;
      r.seen++;
      if (r.rule.nth === undefined || r.rule.nth === r.seen) {
        r.rule.effect?.(path);
        const error = r.rule.error;
        if (!error) continue;
        if (r.rule.partialBytes !== undefined) {
          throw new PartialWrite(r.rule.partialBytes, error());
        }
        throw error();
      }
    }
  }

  #wrap(handle: FileHandle, path: string): FileHandle {
    const check = (p: FaultPoint) => this.check(p, path);
    return {
      read: async (buf) => (check("read"), await handle.read(buf)),
      readSync: (buf) => (check("read"), handle.readSync(buf)),
      writeAll: async (data) => {
        try {
          check("write");
        } catch (err) {
          if (!(err instanceof PartialWrite)) throw err;
          await handle.writeAll(data.subarray(0, err.bytes));
          throw err.error;
        }
        await handle.writeAll(data);
      },
      writeAllSync: (data) => {
        try {
          check("write");
        } catch (err) {
          if (!(err instanceof PartialWrite)) throw err;
          handle.writeAllSync(data.subarray(0, err.bytes));
          throw err.error;
        }
        handle.writeAllSync(data);
      },
      stat: () => handle.stat(),
      utime: (ms) => (check("utime"), handle.utime(ms)),
      truncate: (len) => (check("truncate"), handle.truncate(len)),
      sync: async () => (check("sync"), await handle.sync()),
      tryLock: () => handle.tryLock(),
      close: () => handle.close(),
    };
  }

  lstat(path: string): FileInfo {
    this.check("lstat", path);
    return this.#inner.lstat(path);
  }
  readDir(path: string): string[] {
    this.check("readDir", path);
    return this.#inner.readDir(path);
  }
  readLink(path: string): string {
    this.check("readLink", path);
    return this.#inner.readLink(path);
  }
  realPath(path: string): string {
    this.check("realPath", path);
    return this.#inner.realPath(path);
  }
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): void {
    this.check("mkdir", path);
    this.#inner.mkdir(path, options);
  }
  chmod(path: string, mode: number): void {
    this.check("chmod", path);
    this.#inner.chmod(path, mode);
  }
  utime(path: string, mtimeMs: number): void {
    this.check("utime", path);
    this.#inner.utime(path, mtimeMs);
  }
  lutime(path: string, mtimeMs: number): void {
    this.check("lutime", path);
    this.#inner.lutime(path, mtimeMs);
  }
  symlink(target: string, path: string): void {
    this.check("symlink", path);
    this.#inner.symlink(target, path);
  }
  rename(from: string, to: string): void {
    this.check("rename", to);
    this.#inner.rename(from, to);
  }
  remove(path: string, options?: { recursive?: boolean }): void {
    this.check("remove", path);
    this.#inner.remove(path, options);
  }
  async open(path: string, options?: OpenOptions): Promise<FileHandle> {
    this.check("open", path);
    return this.#wrap(await this.#inner.open(path, options), path);
  }
  openSync(path: string, options?: OpenOptions): FileHandle {
    this.check("open", path);
    return this.#wrap(this.#inner.openSync(path, options), path);
  }
  openSource(path: string): FileHandle {
    this.check("open", path);
    return this.#wrap(this.#inner.openSource(path), path);
  }
  async syncDir(path: string): Promise<void> {
    this.check("syncDir", path);
    await this.#inner.syncDir(path);
  }
  readFile(path: string): Uint8Array {
    this.check("readFile", path);
    return this.#inner.readFile(path);
  }
  watch(path: string): Watch {
    this.check("watch", path);
    return this.#inner.watch(path);
  }
}
