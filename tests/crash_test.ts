/**
 * Crash-recovery tests, black box: the daemon is killed with SIGKILL at random
 * moments (during churn, and during the initial full copy), restarted with
 * `--once`, and the destination must then mirror the source byte for byte,
 * hold no temp files, and carry a journal that `backup journal verify` accepts.
 *
 * Long on purpose (about 600 lines): the kill -9 harness (random moments,
 * restart, byte-for-byte comparison) is shared by every case here.
 *
 * Every random choice (tree shape, churn, kill delays) comes from one seeded
 * PRNG. The seed is in every assertion message; run again with
 * `CRASH_SEED=<seed>` to replay the same inputs (kill timing stays real time).
 *
 * @module
 */

import {
  assertMirror,
  type Daemon,
  leftoverTemps,
  runCli,
  startDaemon,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

// ---------------------------------------------------------------- randomness

/** mulberry32: small, fast, seedable; good enough to pick test inputs. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** In [0, 1). */
  next(): number {
    return this.u32() / 2 ** 32;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.u32();
    return new Uint8Array(words.buffer, 0, n);
  }
}

function seedFromEnv(): number {
  const given = Deno.env.get("CRASH_SEED");
  if (given !== undefined && given !== "") return Number(given) >>> 0;
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

// ---------------------------------------------------------------- the source tree

const FILE_MODES = [0o644, 0o644, 0o644, 0o644, 0o600, 0o755, 0o444, 0o640];
const DIR_MODES = [0o755, 0o755, 0o755, 0o750, 0o700];
/** Never touched by churn: guarantees an empty folder and a nested empty folder exist. */
const KEEP = "keep";
/** A few names that are valid UTF-8 but not plain ASCII, or have spaces and dots. */
const ODD_NAMES = [
  "with space.txt",
  "naïve café.md",
  "日本語.bin",
  ".hidden",
  "a.b.c",
  "UPPER.TXT",
];

function randomSize(rng: Rng, big = false): number {
  const r = rng.next();
  if (r < 0.04) return 0;
  if (r < (big ? 0.3 : 0.6)) return rng.int(1, 4096);
  if (r < (big ? 0.75 : 0.9)) return rng.int(4097, 64 * 1024);
  return rng.int(64 * 1024 + 1, 200 * 1024);
}

function depthOf(rel: string): number {
  return rel === "" ? 0 : rel.split("/").length;
}

function joinRel(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

function isUnder(rel: string, dir: string): boolean {
  return rel === dir || rel.startsWith(`${dir}/`);
}

/** The source as the test shaped it: what churn may pick from (never `keep/`). */
class SourceTree {
  readonly root: string;
  readonly rng: Rng;
  files = new Set<string>();
  dirs = new Set<string>([""]);
  links = new Set<string>();
  #names = 0;

  constructor(root: string, rng: Rng) {
    this.root = root;
    this.rng = rng;
  }

  abs(rel: string): string {
    return `${this.root}/${rel}`;
  }

  /** A new name; now and then an odd one (spaces, non-ASCII, leading dot). */
  fresh(prefix: string, ext = ".bin"): string {
    const n = this.#names++;
    return n % 97 === 5 ? `${prefix}${n} ${this.rng.pick(ODD_NAMES)}` : `${prefix}${n}${ext}`;
  }

  writeFile(rel: string, size: number, mode = this.rng.pick(FILE_MODES)): void {
    const abs = this.abs(rel);
    try {
      Deno.chmodSync(abs, 0o644); // a read-only file must stay writable when not root
    } catch { /* new file */ }
    Deno.writeFileSync(abs, this.rng.bytes(size));
    Deno.chmodSync(abs, mode);
    this.files.add(rel);
  }

  mkdir(rel: string): void {
    Deno.mkdirSync(this.abs(rel));
    Deno.chmodSync(this.abs(rel), this.rng.pick(DIR_MODES));
    this.dirs.add(rel);
  }

  symlink(rel: string): void {
    const r = this.rng.next();
    const up = "../".repeat(depthOf(rel) - 1);
    const files = [...this.files];
    const target = r < 0.5 && files.length > 0
      ? `${up}${this.rng.pick(files)}`
      : r < 0.75
      ? `does-not-exist-${this.#names++}`
      : r < 0.9
      ? "/etc/hostname"
      : ".";
    Deno.symlinkSync(target, this.abs(rel));
    this.links.add(rel);
  }

  removePath(rel: string): void {
    Deno.removeSync(this.abs(rel), { recursive: true });
    for (const set of [this.files, this.dirs, this.links]) {
      for (const p of [...set]) if (isUnder(p, rel)) set.delete(p);
    }
  }

  /** Folders new entries may go into, not too deep. */
  dirChoices(maxDepth = 5): string[] {
    return [...this.dirs].filter((d) => depthOf(d) < maxDepth);
  }

  /** Builds the initial tree: nested folders, `files` files, a few symlinks, empty folders. */
  build(files: number, options: { big?: boolean } = {}): void {
    const folders = Math.ceil(files / 15);
    for (let i = 0; i < folders; i++) {
      this.mkdir(joinRel(this.rng.pick(this.dirChoices(4)), this.fresh("dir", "")));
    }
    const dirs = [...this.dirs];
    for (let i = 0; i < files; i++) {
      this.writeFile(
        joinRel(this.rng.pick(dirs), this.fresh("f")),
        randomSize(this.rng, options.big),
      );
    }
    for (let i = 0; i < 8; i++) this.symlink(joinRel(this.rng.pick(dirs), this.fresh("link")));
    this.mkdir(joinRel(this.rng.pick(dirs), this.fresh("empty", "")));
    Deno.mkdirSync(this.abs(`${KEEP}/empty/also-empty`), { recursive: true });
    Deno.chmodSync(this.abs(`${KEEP}/empty`), 0o750);
    Deno.writeFileSync(this.abs(`${KEEP}/stable.txt`), new TextEncoder().encode("stays\n"));
  }

  /**
   * Changes the tree: creates, modifies, deletes, renames, chmods and touches
   * files, creates and deletes folders, changes kinds, adds and retargets
   * symlinks. `scale` multiplies the file counts.
   */
  churn(scale: number): void {
    const rng = this.rng;
    const n = (lo: number, hi: number) => Math.max(1, Math.round(rng.int(lo, hi) * scale));
    const someFile = () => this.files.size > 0 ? rng.pick([...this.files]) : null;

    for (let i = n(10, 30); i > 0; i--) {
      this.writeFile(joinRel(rng.pick(this.dirChoices()), this.fresh("new")), randomSize(rng));
    }
    for (let i = n(10, 30); i > 0; i--) {
      const f = someFile();
      if (f === null) break;
      const r = rng.next();
      if (r < 0.4) {
        this.writeFile(f, randomSize(rng));
      } else if (r < 0.7) {
        const size = Deno.statSync(this.abs(f)).size; // same size, new content
        this.writeFile(f, size);
      } else {
        const mode = Deno.statSync(this.abs(f)).mode! & 0o7777;
        Deno.chmodSync(this.abs(f), 0o644);
        Deno.writeFileSync(this.abs(f), rng.bytes(rng.int(1, 3000)), { append: true });
        Deno.chmodSync(this.abs(f), mode);
      }
    }
    for (let i = n(5, 20); i > 0; i--) {
      const f = someFile();
      if (f !== null) this.removePath(f);
    }
    for (let i = n(2, 6); i > 0; i--) {
      const f = someFile();
      if (f !== null) Deno.chmodSync(this.abs(f), rng.pick(FILE_MODES));
    }
    for (let i = n(2, 6); i > 0; i--) {
      const f = someFile();
      // A past mtime with milliseconds: the content stays, only the time changes.
      const t = new Date(Date.now() - rng.int(60_000, 400 * 86_400_000));
      if (f !== null) Deno.utimeSync(this.abs(f), t, t);
    }
    for (let i = n(1, 4); i > 0; i--) {
      const f = someFile();
      if (f === null) break;
      const to = joinRel(rng.pick(this.dirChoices()), this.fresh("moved"));
      Deno.renameSync(this.abs(f), this.abs(to));
      this.files.delete(f);
      this.files.add(to);
    }
    if (rng.chance(0.5)) {
      // Delete a whole folder (a small one: a mass delete is a different feature).
      const small = [...this.dirs].filter((d) =>
        d !== "" &&
        [...this.files, ...this.dirs, ...this.links].filter((p) => isUnder(p, d)).length <= 40
      );
      if (small.length > 0) this.removePath(rng.pick(small));
    }
    if (rng.chance(0.6)) {
      // A new folder tree, sometimes with an empty folder in it.
      let dir = joinRel(rng.pick(this.dirChoices(4)), this.fresh("tree", ""));
      this.mkdir(dir);
      for (let level = rng.int(0, 2); level > 0; level--) {
        dir = joinRel(dir, this.fresh("sub", ""));
        this.mkdir(dir);
      }
      for (let i = rng.int(3, 15); i > 0; i--) {
        this.writeFile(joinRel(dir, this.fresh("t")), randomSize(rng));
      }
      if (rng.chance(0.5)) this.mkdir(joinRel(dir, this.fresh("void", "")));
    }
    if (rng.chance(0.3)) {
      // Kind changes: a file becomes a folder, or a small folder becomes a file.
      const f = someFile();
      if (rng.chance(0.5) && f !== null) {
        this.removePath(f);
        this.mkdir(f);
        this.writeFile(joinRel(f, this.fresh("inside")), randomSize(rng));
      } else {
        const leaves = [...this.dirs].filter((d) =>
          d !== "" &&
          ![...this.dirs, ...this.files, ...this.links].some((p) => p.startsWith(`${d}/`))
        );
        if (leaves.length > 0) {
          const d = rng.pick(leaves);
          this.removePath(d);
          this.writeFile(d, randomSize(rng));
        }
      }
    }
    if (rng.chance(0.4)) {
      // Symlinks: a new one, a retargeted one, or a file replaced by one.
      const r = rng.next();
      if (r < 0.4 || this.links.size === 0) {
        this.symlink(joinRel(rng.pick(this.dirChoices()), this.fresh("ln")));
      } else if (r < 0.8) {
        const l = rng.pick([...this.links]);
        this.removePath(l);
        this.symlink(l);
      } else {
        const f = someFile();
        if (f !== null) {
          this.removePath(f);
          this.symlink(f);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- the journal, read by the test

/** The fields of a journal record this test looks at. */
interface Rec {
  seq: number;
  type: string;
  op?: string;
  path?: string;
  ref?: number;
}

/** Every complete, parseable record of the journal, in order (a torn last line is left out). */
function readRecords(dest: string): Rec[] {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /^\d{8}\.jsonl$/.test(n));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const out: Rec[] = [];
  for (const name of names.sort()) {
    for (const line of Deno.readTextFileSync(`${dir}/${name}`).split("\n")) {
      if (line === "") continue;
      try {
        out.push(JSON.parse(line) as Rec);
      } catch { /* torn tail: the restart truncates it */ }
    }
  }
  return out;
}

/** What the journal says about copies: files whose copy completed, intents left open. */
interface Progress {
  /** Paths with a `done` copy. */
  copied: Set<string>;
  /** Intents without a completion. */
  open: number;
  /** Highest seq. */
  lastSeq: number;
}

function progress(records: Rec[]): Progress {
  const intents = new Map<number, Rec>();
  const copied = new Set<string>();
  let lastSeq = 0;
  for (const r of records) {
    lastSeq = Math.max(lastSeq, r.seq);
    if (r.type === "intent") intents.set(r.seq, r);
    if ((r.type === "done" || r.type === "failed") && r.ref !== undefined) {
      const intent = intents.get(r.ref);
      intents.delete(r.ref);
      if (r.type === "done" && intent?.op === "copy" && intent.path !== undefined) {
        copied.add(intent.path);
      }
    }
  }
  return { copied, open: intents.size, lastSeq };
}

/** Intents of the operation `op` written after `afterSeq`. */
function intentsAfter(records: Rec[], afterSeq: number, op: string): number {
  return records.filter((r) => r.seq > afterSeq && r.type === "intent" && r.op === op).length;
}

/** Total size of the journal's segment files (0 when there is no journal yet). */
function journalBytes(dest: string): number {
  const dir = `${dest}/${RESERVED_DIR}/journal`;
  let total = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (/^\d{8}\.jsonl$/.test(e.name)) total += Deno.statSync(`${dir}/${e.name}`).size;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return total;
}

// ---------------------------------------------------------------- driving the program

function countFiles(root: string): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile) n++;
      else if (e.isDirectory) walk(`${dir}/${e.name}`);
    }
  };
  walk(root);
  return n;
}

/** `CRASH_VERSIONS=1` runs with `--keep-versions`: replaced and deleted files go through versions. */
const VERSION_ARGS = Deno.env.get("CRASH_VERSIONS") ? ["--keep-versions", "5"] : [];

function spawnDaemon(src: string, dest: string): Daemon {
  return startDaemon(["--src", src, "--dest", dest, "--interval", "1", "--quiet", ...VERSION_ARGS]);
}

/** Waits for `cond` while the daemon runs; fails at once, with its output, if it exits. */
async function whileAlive(
  d: Daemon,
  cond: () => boolean,
  what: string,
  intervalMs = 2,
): Promise<void> {
  let exited = false;
  d.child.status.then(() => {
    exited = true;
  });
  await waitFor(() => exited || cond(), { timeoutMs: 60_000, intervalMs, what });
  if (exited) {
    const code = await d.stop();
    throw new Error(
      `daemon exited by itself with code ${code} waiting for ${what}:\n${d.output()}`,
    );
  }
}

/** True once the daemon holds the destination's lock (its pid is in the lock file). */
function holdsLock(d: Daemon, dest: string): boolean {
  try {
    return Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/lock`).trim() === String(d.child.pid);
  } catch {
    return false;
  }
}

/** SIGKILLs the daemon; fails when it had already died on its own. */
async function kill9(d: Daemon, ctx: string): Promise<void> {
  await d.stop("SIGKILL");
  const status = await d.child.status;
  assertEquals(
    status.signal,
    "SIGKILL",
    `daemon ended with code ${status.code} before the kill (${ctx}):\n${d.output()}`,
  );
}

async function verifyJournal(dest: string, ctx: string): Promise<void> {
  const r = await runCli(["journal", "verify", "--dest", dest]);
  assertEquals(r.code, 0, `journal verify exited ${r.code} (${ctx}):\n${r.stdout}${r.stderr}`);
}

async function runOnce(src: string, dest: string, ctx: string): Promise<void> {
  const r = await runCli([
    "--src",
    src,
    "--dest",
    dest,
    "--interval",
    "1",
    "--once",
    "--quiet",
    ...VERSION_ARGS,
  ]);
  assertEquals(r.code, 0, `--once exited ${r.code} (${ctx}):\n${r.stdout}${r.stderr}`);
}

/** The three invariants after a restart: mirror, no temp files, sound journal. */
async function checkInvariants(src: string, dest: string, ctx: string): Promise<void> {
  try {
    assertMirror(src, dest);
  } catch (err) {
    throw new Error(`${ctx}: ${(err as Error).message}`, { cause: err });
  }
  const temps = leftoverTemps(dest);
  assertEquals(temps, [], `temp files left (${ctx}): ${temps.join(", ")}`);
  await verifyJournal(dest, ctx);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------- the tests

/** Kill points in the churn test: 100 in CI; `deno task soak` runs 500 (CRASH_ROUNDS). */
const ROUNDS = Number(Deno.env.get("CRASH_ROUNDS") ?? "100");

Deno.test(`kill -9 at ${ROUNDS} random moments during churn: restart converges byte for byte`, async () => {
  const seed = seedFromEnv();
  const rng = new Rng(seed);
  const dir = await tempDir("backup-crash-churn-");
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  let daemon: Daemon | null = null;
  /** Rounds whose kill left intents open or temp files behind: mid-operation kills. */
  const midOperation: number[] = [];
  try {
    Deno.mkdirSync(src);
    const tree = new SourceTree(src, rng);
    tree.build(2000);
    for (let round = 1; round <= ROUNDS; round++) {
      const ctx = `seed ${seed}, round ${round}; replay with CRASH_SEED=${seed}`;
      // Half of the churn lands while no daemon runs, half while its first pass runs.
      if (round > 1) tree.churn(0.5);
      // Where the kill delay counts from: the lock (start-up, replay, scan, apply or idle),
      // or this run's first journal write (mostly inside the apply phase).
      const fromWrite = rng.chance(0.6);
      const base = journalBytes(dest);
      const d = daemon = spawnDaemon(src, dest);
      await whileAlive(d, () => holdsLock(d, dest), `the lock (${ctx})`);
      tree.churn(0.5);
      if (fromWrite) {
        await whileAlive(d, () => journalBytes(dest) > base, `a journal write (${ctx})`);
      }
      await sleep(fromWrite ? rng.int(0, 60) : rng.int(0, 400)); // the kill moment: test input
      await kill9(d, ctx);
      daemon = null;
      if (progress(readRecords(dest)).open > 0 || leftoverTemps(dest).length > 0) {
        midOperation.push(round);
      }
      await verifyJournal(dest, `right after the kill, ${ctx}`); // a torn tail is allowed
      await runOnce(src, dest, ctx);
      await checkInvariants(src, dest, `after --once, ${ctx}`);
    }
    assert(
      midOperation.length > 0,
      `no kill landed in the middle of an operation: the test exercised nothing (seed ${seed})`,
    );
    // A converged mirror is left alone: one more --once copies and deletes nothing.
    const ctx = `final --once, seed ${seed}`;
    const last = progress(readRecords(dest)).lastSeq;
    await runOnce(src, dest, ctx);
    const records = readRecords(dest);
    assertEquals(intentsAfter(records, last, "copy"), 0, `copies on a converged mirror (${ctx})`);
    assertEquals(
      intentsAfter(records, last, "delete"),
      0,
      `deletes on a converged mirror (${ctx})`,
    );
    await checkInvariants(src, dest, ctx);
  } finally {
    if (daemon) await daemon.stop("SIGKILL");
    await dir.cleanup();
  }
});

Deno.test("kill -9 during the initial full copy: --once resumes it without recopying everything", async () => {
  const seed = seedFromEnv();
  const rng = new Rng(seed ^ 0x5eed);
  const dir = await tempDir("backup-crash-initial-");
  const src = `${dir.path}/src`;
  const dest = `${dir.path}/dest`;
  let daemon: Daemon | null = null;
  try {
    Deno.mkdirSync(src);
    new SourceTree(src, rng).build(2000, { big: true });
    const files = countFiles(src);
    let before = progress([]);
    let midCopyKills = 0;
    for (let kill = 1; kill <= 3; kill++) {
      const ctx = `seed ${seed}, kill ${kill}; replay with CRASH_SEED=${seed}`;
      const d = daemon = spawnDaemon(src, dest);
      await whileAlive(d, () => holdsLock(d, dest), `the lock (${ctx})`);
      // A random point of the copy: after a random share of the remaining files, plus jitter.
      const remaining = files - before.copied.size;
      const target = before.copied.size + Math.ceil(remaining * (0.05 + 0.55 * rng.next()));
      await whileAlive(
        d,
        () => progress(readRecords(dest)).copied.size >= target,
        `${target} completed copies (${ctx})`,
        10,
      );
      await sleep(rng.int(0, 40));
      await kill9(d, ctx);
      daemon = null;
      const records = readRecords(dest);
      const after = progress(records);
      if (after.copied.size > 0 && after.copied.size < files) midCopyKills++;
      // This run skipped what earlier runs had completed.
      const copies = intentsAfter(records, before.lastSeq, "copy");
      assert(
        copies <= files - before.copied.size,
        `run ${kill} wrote ${copies} copy intents, but ${before.copied.size} of ${files} files ` +
          `were already copied (${ctx})`,
      );
      await verifyJournal(dest, `right after the kill, ${ctx}`);
      before = after;
    }
    assert(midCopyKills > 0, `no kill landed in the middle of the copy (seed ${seed})`);

    const ctx = `final --once, seed ${seed}`;
    await runOnce(src, dest, ctx);
    const records = readRecords(dest);
    const copies = intentsAfter(records, before.lastSeq, "copy");
    // Only meaningful when copies had completed before the kill (always so with the kill
    // points above, but checked rather than assumed).
    if (before.copied.size > 0) {
      assert(
        copies < files,
        `the restart recopied everything: ${copies} copy intents for ${files} files (${ctx})`,
      );
      assert(
        copies <= files - before.copied.size,
        `the restart wrote ${copies} copy intents, but ${before.copied.size} of ${files} files ` +
          `were already copied before the kill (${ctx})`,
      );
    }
    assertEquals(progress(records).open, 0, `intents left open after --once (${ctx})`);
    await checkInvariants(src, dest, ctx);
  } finally {
    if (daemon) await daemon.stop("SIGKILL");
    await dir.cleanup();
  }
});
