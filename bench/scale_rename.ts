/**
 * Issue 14's "keep what is met" on a large tree: a folder of 10,000 files
 * (100 folders of 100) renamed under a running daemon, timed from the rename
 * until the destination shows the new name with every file and not the old
 * one, with what the journal recorded for it (bytes copied, copies, moves).
 * `bench/scale.ts` runs it in its daemon phase; `bench/watch.ts` times the
 * same rename on a small tree.
 *
 * The folder is written beside the source, moved in whole, and backed up by
 * the daemon before the timed rename; it is removed from the source at the
 * end and the daemon's delete awaited, so that a tree kept by `--keep` and its
 * backup stay as they were. (The mass-delete guard lets that delete through
 * while the folder is at most half the backup: trees of 10,000 files and up.)
 *
 * @module
 */

import { RESERVED_DIR } from "../lib/base/layout.ts";
import { exec } from "./measure.ts";
import { makeTree, type TreeShape } from "./trees.ts";

/** The folder renamed: 100 folders of 100 files of 16 bytes. */
export const RENAME_SHAPE: TreeShape = { dirs: 100, filesPerDir: 100, fileBytes: 16 };
/** Its name in the source before the rename. */
export const RENAME_FROM = "bench-rename-from";
/** Its name after. */
export const RENAME_TO = "bench-rename-to";
/** The folder's backup, the rename, or the delete at the end, not seen after this long, fails. */
const STEP_TIMEOUT_MS = 10 * 60_000;
/** The daemon counts as settled when its journal and status file stayed the same this long. */
const QUIET_MS = 2000;

/** What one timed rename measured. */
export interface RenameResult {
  /** Files in the folder. */
  files: number;
  /** ms from the rename until the destination was complete; null when not in time. */
  ms: number | null;
  /** ms of the final check that the destination was complete (part of `ms`). */
  checkMs: number;
  /** The daemon's CPU (utime + stime) from the rename until complete, in ms. */
  cpuMs: number;
  /** Sum of `bytes` of the `done` records journaled for the rename. */
  copiedBytes: number;
  /** `copy` intents journaled for it. */
  copies: number;
  /** `move` intents journaled for it. */
  moves: number;
  /** Any other intents, by op. */
  otherOps: Record<string, number>;
  /** Passes the daemon counted from the rename until settled. */
  passes: number;
}

/** One journal record, the fields read here. */
interface JRecord {
  seq: number;
  type: string;
  op?: string;
  bytes?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Files under `root`, or -1 when it changes under the count. */
function countFiles(root: string): number {
  try {
    let n = 0;
    for (const e of Deno.readDirSync(root)) {
      if (e.isDirectory) {
        const m = countFiles(`${root}/${e.name}`);
        if (m < 0) return -1;
        n += m;
      } else if (e.isFile) n++;
    }
    return n;
  } catch {
    return -1;
  }
}

/** The size of each journal segment (`N.jsonl`) of the backup in `dest`. */
export function journalMark(dest: string): Map<string, number> {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  const out = new Map<string, number>();
  for (const e of Deno.readDirSync(dir)) {
    if (/^\d+\.jsonl$/.test(e.name)) out.set(e.name, Deno.statSync(`${dir}/${e.name}`).size);
  }
  return out;
}

/**
 * The complete records appended to the journal of `dest` since `mark` (from
 * {@link journalMark}): each segment is read from the size it had then (a new
 * segment, or one that shrank, from its start), so a journal of millions of
 * records is not read whole; only records with a seq above `seq0` are kept.
 */
export function journalSince(dest: string, mark: Map<string, number>, seq0: number): JRecord[] {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  const decoder = new TextDecoder();
  const out: JRecord[] = [];
  for (const [name, size] of [...journalMark(dest)].sort(([a], [b]) => a.localeCompare(b))) {
    const from = (mark.get(name) ?? 0) <= size ? (mark.get(name) ?? 0) : 0;
    if (from === size) continue;
    const file = Deno.openSync(`${dir}/${name}`);
    try {
      file.seekSync(from, Deno.SeekMode.Start);
      const buf = new Uint8Array(size - from);
      let got = 0;
      while (got < buf.length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      for (const line of decoder.decode(buf.subarray(0, got)).split("\n")) {
        try {
          const r = JSON.parse(line) as JRecord;
          if (r.seq > seq0) out.push(r);
        } catch { /* the last line, being written, or an empty one */ }
      }
    } finally {
      file.close();
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The highest seq in the journal of `dest` (its newest segment's last 64 KiB), 0 when none. */
export function lastSeq(dest: string): number {
  const mark = journalMark(dest);
  const newest = [...mark.keys()].sort((a, b) => a.localeCompare(b)).at(-1);
  if (newest === undefined) return 0;
  // Every other segment counts as read to its end.
  const tail = new Map(mark);
  tail.set(newest, Math.max(0, mark.get(newest)! - 65_536));
  return journalSince(dest, tail, 0).reduce((m, r) => Math.max(m, r.seq), 0);
}

/** What the daemon's status file says of its passes. */
function passes(dest: string): { passes: number; updatedAt: string } {
  try {
    const s = JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/status.json`));
    return { passes: Number(s.passes ?? 0), updatedAt: String(s.updatedAt ?? "") };
  } catch {
    return { passes: 0, updatedAt: "" };
  }
}

/** Waits until the journal's segments and the status file of `dest` stay the same {@link QUIET_MS}. */
async function quiet(dest: string, what: string): Promise<void> {
  const t0 = performance.now();
  const sig = () => JSON.stringify([passes(dest).updatedAt, [...journalMark(dest)]]);
  let last = sig();
  let since = performance.now();
  while (performance.now() - since < QUIET_MS) {
    if (performance.now() - t0 > STEP_TIMEOUT_MS) {
      throw new Error(`${what}: the daemon never settled`);
    }
    await sleep(50);
    const now = sig();
    if (now !== last) {
      last = now;
      since = performance.now();
    }
  }
}

/** Waits until `done()` holds, or throws naming `what` after {@link STEP_TIMEOUT_MS}. */
async function until(done: () => boolean, what: string): Promise<void> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > STEP_TIMEOUT_MS) throw new Error(`${what}: not seen in time`);
    await sleep(100);
  }
}

/** When a rename in the source was seen complete in the destination. */
export interface Renamed {
  /** ms from the call until the destination was complete; null when not within the timeout. */
  ms: number | null;
  /** ms of the final count of the files (part of `ms`). */
  checkMs: number;
}

/**
 * Called right after `from` was renamed `to` in the source: waits until
 * `dest/to` holds `files` files and `dest/from` is gone, counted once the
 * names show it (the count is timed too).
 */
export async function untilRenamed(
  dest: string,
  from: string,
  to: string,
  files: number,
  timeoutMs: number,
): Promise<Renamed> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (exists(`${dest}/${to}`) && !exists(`${dest}/${from}`)) {
      const c0 = performance.now();
      const n = countFiles(`${dest}/${to}`);
      const c1 = performance.now();
      if (n === files && !exists(`${dest}/${from}`)) return { ms: c1 - t0, checkMs: c1 - c0 };
    }
    await sleep(1);
  }
  return { ms: null, checkMs: 0 };
}

/** utime + stime of `pid` in ms (clock ticks of 10 ms), through `cat`: Deno reads /proc only with -A. */
async function cpuMs(pid: number): Promise<number> {
  const text = (await exec(["cat", `/proc/${pid}/stat`])).stdout;
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * With the daemon `pid` running from `src` to `dest`: writes the folder in
 * `scratch` (a path beside `src`, on its file system), moves it into `src`,
 * waits for its backup, then renames it in `src` and times it (see the
 * module's notes); at the end removes it and waits for the daemon's delete.
 *
 * @throws Error when a step is not seen within its timeout
 */
export async function timeFolderRename(
  pid: number,
  src: string,
  dest: string,
  scratch: string,
  log: (line: string) => void,
): Promise<RenameResult> {
  const files = RENAME_SHAPE.dirs * RENAME_SHAPE.filesPerDir;
  await Deno.remove(scratch, { recursive: true }).catch(() => {});
  makeTree(scratch, RENAME_SHAPE);
  Deno.renameSync(scratch, `${src}/${RENAME_FROM}`);
  log(
    `  rename: ${files.toLocaleString("en")} files moved into the source; waiting for the backup`,
  );
  await until(() => countFiles(`${dest}/${RENAME_FROM}`) === files, "the folder's backup");
  await quiet(dest, "the folder's backup");
  const mark = journalMark(dest);
  const seq0 = lastSeq(dest);
  const passes0 = passes(dest).passes;
  const cpu0 = await cpuMs(pid);
  Deno.renameSync(`${src}/${RENAME_FROM}`, `${src}/${RENAME_TO}`);
  const { ms, checkMs } = await untilRenamed(dest, RENAME_FROM, RENAME_TO, files, STEP_TIMEOUT_MS);
  const cpu = (await cpuMs(pid)) - cpu0;
  await quiet(dest, "the rename");
  const result: RenameResult = {
    files,
    ms,
    checkMs,
    cpuMs: cpu,
    copiedBytes: 0,
    copies: 0,
    moves: 0,
    otherOps: {},
    passes: passes(dest).passes - passes0,
  };
  for (const r of journalSince(dest, mark, seq0)) {
    if (r.type === "done" && typeof r.bytes === "number") result.copiedBytes += r.bytes;
    if (r.type !== "intent") continue;
    if (r.op === "copy") result.copies++;
    else if (r.op === "move") result.moves++;
    else result.otherOps[r.op ?? "?"] = (result.otherOps[r.op ?? "?"] ?? 0) + 1;
  }
  log(
    `  rename: ${
      ms === null ? "not complete in time" : `${ms.toFixed(0)} ms`
    }, ${result.copiedBytes} bytes copied, ${result.moves} moves, ${result.copies} copies`,
  );
  await Deno.remove(`${src}/${RENAME_TO}`, { recursive: true });
  await until(
    () => !exists(`${dest}/${RENAME_TO}`),
    "the folder's delete (held by the mass-delete guard on a tree under 10,000 files?)",
  );
  await quiet(dest, "the folder's delete");
  return result;
}
