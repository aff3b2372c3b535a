/**
 * Restore: what a path of the backup held at a given time, and where its
 * bytes can still be found.
 *
 * The journal is folded twice at once: up to the time asked (what existed
 * then, with which content hash) and to its end (what the mirror holds now).
 * Every intent that moved a file into the versions folder is remembered with
 * the hash the state gave that file just before. A file is then restored from
 * the first place whose bytes hash to what it held: the mirror, a version of
 * the same path (the one displaced soonest after the time first), a version
 * of another path, another mirror file. Nothing is trusted without its hash.
 *
 * When the journal no longer reaches back to the time (a compaction dropped
 * it), the version files' own times stand in, without hashes to check.
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { exists, type FileSystem } from "../base/fs.ts";
import type { Hasher } from "../base/hash.ts";
import type { Destination, DestinationReader } from "../dest/destination.ts";
import type { StateEntry } from "../journal/state.ts";
import { CHUNK } from "../base/hash.ts";
import { MODE_MASK } from "./plan.ts";
import { isAtOrBelow, join, parentOf, unsafeReason } from "../base/paths.ts";
import { tempName } from "../base/layout.ts";
import { emptyState, foldRecord, type State } from "../journal/state.ts";
import { listVersions, versionPath } from "./versions.ts";
import { beforeRenames } from "./moves.ts";
import { readJournal } from "../journal/reader.ts";

/** A version the journal says was made. */
export interface RecordedVersion {
  /** Path relative to the versions folder. */
  vrel: string;
  /** The file it was a version of. */
  path: string;
  /** When its intent was written (ms). */
  ms: number;
  /** Content hash the state gave the file just before, if known. */
  hash?: string;
}

/** The backup's history as far as a restore needs it. */
export interface History {
  /** Entries at the time asked (meaningless when `compactedAt` is set). */
  then: Map<string, StateEntry>;
  /** Entries now. */
  now: Map<string, StateEntry>;
  /** Versions recorded in the journal. */
  versions: RecordedVersion[];
  /** Time of the checkpoint when the journal before the time asked was compacted away; else null. */
  compactedAt: string | null;
}

/**
 * Reads the journal folder `dir` (read-only: no lock, no repair) and folds
 * it up to `at` (ms) and to its end.
 *
 * @throws JournalCorruptError when the journal is damaged.
 */
export function historyAt(fs: FileSystem, dir: string, at: number): History {
  let then: State = emptyState();
  let now: State = emptyState();
  let versions: RecordedVersion[] = [];
  let compactedAt: string | null = null;
  let past = false;
  readJournal(fs, dir, {
    repair: false,
    onCheckpoint: (info) => {
      if (Date.parse(info.ts) > at) compactedAt = info.ts;
    },
    onEntry: (path, e) => {
      then.entries.set(path, e);
      now.entries.set(path, e);
    },
    onPending: (intent) => {
      then.pending.set(intent.seq, intent);
      now.pending.set(intent.seq, intent);
    },
    onReset: () => {
      then = emptyState();
      now = emptyState();
      versions = [];
    },
    onRecord: (rec) => {
      if (rec.type === "intent") {
        if (unsafeReason(rec.path) !== null) return;
        if (rec.from !== undefined && unsafeReason(rec.from) !== null) return;
        if (rec.version !== undefined && unsafeReason(rec.version) === null) {
          const e = now.entries.get(movedFrom(rec.path, now));
          const v: RecordedVersion = { vrel: rec.version, path: rec.path, ms: Date.parse(rec.ts) };
          if (e?.kind === "file" && e.hash !== undefined) v.hash = e.hash;
          versions.push(v);
        }
      }
      past ||= Date.parse(rec.ts) > at;
      if (!past) foldRecord(then, rec);
      foldRecord(now, rec);
    },
  });
  return { then: then.entries, now: now.entries, versions, compactedAt };
}

/**
 * Where the state holds the entry that sits at `path` once the pending moves are done: a
 * version intent can follow, in the same batch, the folder move that brought its file there,
 * and the state moves entries only when a move is done.
 */
function movedFrom(path: string, state: State): string {
  const moves = [...state.pending.values()].sort((a, b) => a.seq - b.seq).flatMap((p) =>
    p.op === "move" && p.from !== undefined ? [{ from: p.from, path: p.path }] : []
  );
  return beforeRenames(path, moves);
}

/** Where the bytes of one file can be read from. */
export interface Source {
  /** Path relative to the destination root: a mirror file, or a version below `.backup/versions/`. */
  rel: string;
  /** For people: `mirror` or the version's path below `.backup/versions/`. */
  label: string;
}

/** One entry to restore. */
export interface RestoreItem {
  /** Path relative to the backup root. */
  path: string;
  /** What it was at the time. */
  entry: StateEntry;
  /** Places to read a file's bytes from, best first (files only). */
  sources: Source[];
  /**
   * Set when the journal no longer tells whether this file existed at the time: it is in the
   * mirror now, changed after the time, and no version of it is kept. Nothing is restored for it.
   */
  uncertain?: true;
}

/**
 * Works out what to restore below `path` (`""`: everything) at `at`, from
 * the journal (`history`), with the places each file's bytes may be read
 * from, in the order to try them. Returns an empty list when the path did
 * not exist then.
 */
export async function planRestore(
  destination: Destination,
  history: History,
  options: { path: string; at: number },
): Promise<RestoreItem[]> {
  const { path, at } = options;
  const onDisk = await listVersions(destination, path);
  if (history.compactedAt !== null) {
    return fromVersionTimes(destination.location, history, onDisk, options);
  }
  const byHash = new Map<string, RecordedVersion[]>();
  for (const v of history.versions) {
    if (v.hash === undefined) continue;
    byHash.set(v.hash, [...(byHash.get(v.hash) ?? []), v]);
  }
  let nowByHash: Map<string, string[]> | null = null;
  const items: RestoreItem[] = [];
  for (const [p, e] of history.then) {
    if (!isAtOrBelow(p, path)) continue;
    const item: RestoreItem = { path: p, entry: e, sources: [] };
    items.push(item);
    if (e.kind !== "file") continue;
    const seen = new Set<string>();
    const add = (rel: string, label: string) => {
      if (seen.has(rel)) return;
      seen.add(rel);
      item.sources.push({ rel, label });
    };
    const cur = history.now.get(p);
    if (cur?.kind === "file" && (e.hash === undefined || cur.hash === e.hash)) add(p, "mirror");
    if (e.hash === undefined) continue; // no hash to check another copy against
    // Versions of this path, the one displaced soonest after the time first.
    const rank = (ms: number) => ms > at ? ms - at : Number.MAX_SAFE_INTEGER - (at - ms);
    const same = (byHash.get(e.hash) ?? []).filter((v) => v.path === p)
      .sort((a, b) => rank(a.ms) - rank(b.ms));
    for (const v of same) add(versionPath(destination.location, v.vrel), `version ${v.vrel}`);
    for (const v of onDisk.filter((v) => v.path === p).sort((a, b) => rank(a.ms) - rank(b.ms))) {
      add(versionPath(destination.location, v.vrel), `version ${v.vrel}`);
    }
    for (const v of byHash.get(e.hash) ?? []) {
      add(versionPath(destination.location, v.vrel), `version ${v.vrel}`);
    }
    nowByHash ??= indexByHash(history.now);
    for (const q of nowByHash.get(e.hash) ?? []) add(q, `mirror ${q}`);
  }
  return items.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

function indexByHash(entries: Map<string, StateEntry>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [p, e] of entries) {
    if (e.kind !== "file" || e.hash === undefined) continue;
    out.set(e.hash, [...(out.get(e.hash) ?? []), p]);
  }
  return out;
}

/**
 * Without the journal's history at `at`: each file is the oldest of its
 * versions made after `at`, or else the mirror's copy when its mtime is not
 * after `at`. Hashes are unknown (the entries carry none). A mirror file
 * changed after `at` with no version may have existed then with content no
 * longer kept, or been made later: it is an `uncertain` item, so that the
 * restore says so instead of leaving it out without a word.
 */
function fromVersionTimes(
  dest: string,
  history: History,
  onDisk: Awaited<ReturnType<typeof listVersions>>,
  options: { path: string; at: number },
): RestoreItem[] {
  const { path, at } = options;
  const items = new Map<string, RestoreItem>();
  const later = new Map<string, (typeof onDisk)[number]>();
  for (const v of onDisk) {
    if (v.ms <= at) continue;
    const best = later.get(v.path);
    if (!best || v.ms < best.ms || (v.ms === best.ms && v.n < best.n)) later.set(v.path, v);
  }
  for (const [p, v] of later) {
    items.set(p, {
      path: p,
      entry: { kind: "file", size: v.size, mtimeMs: v.ms, mode: 0o600, ino: 0 },
      sources: [{ rel: versionPath(dest, v.vrel), label: `version ${v.vrel}` }],
    });
  }
  for (const [p, e] of history.now) {
    if (!isAtOrBelow(p, path) || items.has(p)) continue;
    const { hash: _hash, ...rest } = e;
    if (e.mtimeMs > at) {
      if (e.kind === "file") items.set(p, { path: p, entry: rest, sources: [], uncertain: true });
      continue;
    }
    const sources = e.kind === "file" ? [{ rel: p, label: "mirror" }] : [];
    items.set(p, { path: p, entry: rest, sources });
  }
  // Versions' entries take their mode and mtime from the mirror's file when it is there.
  for (const [p, item] of items) {
    const cur = history.now.get(p);
    if (item.sources[0]?.label !== "mirror" && cur?.kind === "file") item.entry.mode = cur.mode;
  }
  return [...items.values()].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** Outcome of {@link restoreFile}. */
export type FileOutcome = { ok: true; from: Source; verified: boolean } | {
  ok: false;
  tried: number;
};

/**
 * Writes one file to `outAbs` (which must not exist) from the first of
 * `item.sources` whose bytes hash to the entry's hash (any, when it has
 * none): read from `destination`, copied to a temp file beside `outAbs` on
 * the local file system `fs`, hashed while copied, given the entry's mode and
 * mtime, fsynced, then renamed into place (the caller fsyncs the folders at
 * the end).
 *
 * @throws Deno.errors.* when the output cannot be written.
 */
export async function restoreFile(
  destination: Destination,
  fs: FileSystem,
  hasher: Hasher,
  item: RestoreItem,
  outAbs: string,
): Promise<FileOutcome> {
  const want = item.entry.hash;
  for (const from of item.sources) {
    let src: DestinationReader;
    try {
      src = await destination.openFile(from.rel);
    } catch {
      continue; // pruned, moved or replaced since the journal was read
    }
    const tmp = join(parentOf(outAbs), tempName());
    let ok = false;
    try {
      const out = fs.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
      try {
        hasher.init();
        const buf = new Uint8Array(CHUNK);
        for (;;) {
          const n = await src.read(buf);
          if (n === null) break;
          const chunk = buf.subarray(0, n);
          hasher.update(chunk);
          out.writeAllSync(chunk);
        }
        if (want !== undefined && hasher.digest() !== want) continue;
        fs.chmod(tmp, item.entry.mode & MODE_MASK);
        out.utime(item.entry.mtimeMs);
        // On disk before it takes its real name: a power cut never leaves half a file there.
        await out.sync();
      } finally {
        out.close();
      }
      // Nothing is overwritten, even what appeared since the start of the restore.
      if (exists(fs, outAbs)) {
        throw new UsageError(`${outAbs} appeared during the restore; nothing is overwritten`);
      }
      fs.rename(tmp, outAbs);
      ok = true;
      return { ok: true, from, verified: want !== undefined };
    } finally {
      src.close();
      if (!ok) {
        try {
          fs.remove(tmp);
        } catch { /* not created */ }
      }
    }
  }
  return { ok: false, tried: item.sources.length };
}
