// deno-lint-ignore-file no-console
/**
 * Live-change benchmark (issue 3, section 5), `deno task bench:watch`: the
 * daemon runs as a subprocess, exactly as a user starts it
 * (`deno run --allow-ffi --allow-read --allow-write --allow-env=BACKUP_DEBUG main.ts
 * --src A --dest B --interval 600 --quiet`), and this script changes A and
 * watches B from outside.
 *
 * Long on purpose (about 1,100 lines): the daemon's latency, missed-event and
 * idle measurements share one subprocess harness and one report, so they
 * stay in one run.
 *
 * 1. Change-to-destination latency: N changes (default 200), one at a time,
 *    creates and modifications of 100 B to 64 KiB. The clock starts right
 *    after the file is closed in A and stops when B holds the file with the
 *    new content (bytes compared, polled every ~2 ms). The next change comes
 *    20 ms after the previous one arrived, so this measures latency, not
 *    throughput.
 * 2. A folder of 10,000 files renamed in A, nested (100 folders × 100 files)
 *    and flat (10,000 files in one folder), 3 renames each: time from the
 *    rename until B has the new name with every file and no old name; bytes
 *    copied for it, from the journal records appended after the rename
 *    (copy intents, `bytes` of `done` records), and whether B's files kept
 *    their inodes (a rename does, a copy does not).
 * 3. CPU while idle: `utime + stime` of the daemon (`/proc/PID/stat`) over
 *    30 s with no change, on a settled tree of 10,000 files, with
 *    `--interval 600` (no interval pass in the window) and `--interval 5`
 *    (the cost of interval passes).
 *
 * The program is copied into the temp folder first (the working tree, or a
 * commit with `--rev`), so that a run measures one version even while the
 * working tree is being edited.
 *
 * Progress goes to stderr, the results (a markdown section for
 * docs/benchmarks.md) to stdout, and to `--out FILE` when given. Everything
 * runs in one temp folder, removed at the end; the daemons are stopped in
 * any case.
 *
 * Usage: deno task bench:watch [--only latency,rename,idle] [--changes N]
 *        [--idle-seconds S] [--dir PARENT] [--keep] [--out FILE] [--rev REV]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import { DENO, ROOT } from "./measure.ts";
import { untilRenamed } from "./scale_rename.ts";

/** What the daemon needs of the project (copied into the temp folder). */
const PROGRAM_FILES = ["main.ts", "lib", "deno.json", "deno.lock"];
/** The permissions the README gives the daemon. */
const DAEMON_PERMS = ["--allow-ffi", "--allow-read", "--allow-write", "--allow-env=BACKUP_DEBUG"];
/** The fixtures' mtime (2024-01-01), so that no fixture file is racy. */
const OLD_MTIME_S = 1_704_067_200;
/** Files in the trees that are renamed and watched while idle. */
const TREE_FILES = 10_000;
/** Size of every fixture file. */
const FIXTURE_BYTES = 1024;
/** Bounds of the sizes written by the latency benchmark. */
const MIN_CHANGE_BYTES = 100;
const MAX_CHANGE_BYTES = 64 * 1024;
/** Pause after a change arrived before the next one. */
const GAP_MS = 20;
/** A change not in B after this long counts as not arrived (and is checked again at the end). */
const CHANGE_TIMEOUT_MS = 5_000;
/** A rename not complete in B after this long counts as failed. */
const RENAME_TIMEOUT_MS = 30_000;
const RENAME_RUNS = 3;

const HELP = `deno task bench:watch [--only latency,rename,idle] [--changes N] [--idle-seconds S]
                      [--dir PARENT] [--keep] [--out FILE] [--rev REV]

  --only LIST       benchmarks to run (default latency,rename,idle)
  --changes N       changes timed by the latency benchmark (default 200)
  --idle-seconds S  length of each idle CPU window (default 30)
  --dir PARENT      where the temp folder goes (default the system temp folder)
  --keep            keep the temp folder (for inspection)
  --out FILE        also write the markdown section to FILE
  --rev REV         measure a commit (git archive) instead of the working tree`;

const decoder = new TextDecoder();

/** Waits `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Progress line on stderr. */
function progress(text: string): void {
  console.error(`[bench:watch] ${text}`);
}

/** Runs a command and returns its stdout; throws when it fails. */
async function run(cmd: string[]): Promise<string> {
  const [program, ...args] = cmd;
  const out = await new Deno.Command(program!, { args, stdin: "null", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`\`${cmd.join(" ")}\` exited ${out.code}: ${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

/** Nearest-rank percentile (`p` in 0..100) of a non-empty list. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

/** Median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `345 ms` below a second, `1.23 s` above. */
function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A markdown table. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Fills `buf` with pseudo-random bytes from `seed` (xorshift32). */
function fillPseudoRandom(buf: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < buf.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
}

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Equal byte arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes `count` files of {@link FIXTURE_BYTES} into `dir` (created), all with an old mtime. */
function writeFiles(dir: string, count: number, prefix: string, seed: number): void {
  Deno.mkdirSync(dir, { recursive: true });
  const body = new Uint8Array(FIXTURE_BYTES);
  fillPseudoRandom(body, seed);
  const view = new DataView(body.buffer);
  const width = String(count - 1).length;
  for (let j = 0; j < count; j++) {
    const path = `${dir}/${prefix}${String(j).padStart(width, "0")}.bin`;
    view.setUint32(0, seed);
    view.setUint32(4, j);
    Deno.writeFileSync(path, body);
    Deno.utimeSync(path, OLD_MTIME_S, OLD_MTIME_S);
  }
  Deno.utimeSync(dir, OLD_MTIME_S, OLD_MTIME_S);
}

/** Nested tree: 100 folders `dNN` of 100 files. */
function makeNestedTree(root: string): void {
  for (let i = 0; i < 100; i++) writeFiles(`${root}/d${String(i).padStart(2, "0")}`, 100, "f", i);
  Deno.utimeSync(root, OLD_MTIME_S, OLD_MTIME_S);
}

/** Relative paths of the files under `root`, with their inodes. */
function listFiles(root: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string, rel: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(`${dir}/${e.name}`, r);
      else if (e.isFile) out.set(r, Deno.lstatSync(`${dir}/${e.name}`).ino ?? -1);
    }
  };
  walk(root, "");
  return out;
}

/** Counts the files under `root` (no stat calls: readDir only). */
function countFiles(root: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(root)) {
    if (e.isDirectory) n += countFiles(`${root}/${e.name}`);
    else if (e.isFile) n++;
  }
  return n;
}

/** The part of `DEST/.backup/status.json` this script reads. */
interface Status {
  passes: number;
  updatedAt: string;
  lastPass: { trigger: string; durationMs: number; [k: string]: unknown } | null;
  totals: { copied: number; bytes: number; deleted: number; failed: number };
}

/** One journal record, loosely typed. */
interface JRecord {
  seq: number;
  type: string;
  op?: string;
  path?: string;
  from?: string;
  ref?: number;
  kind?: string;
  bytes?: number;
  reason?: string;
}

/** A running daemon. */
class Daemon {
  readonly dest: string;
  readonly interval: number;
  readonly cmd: string[];
  #child: Deno.ChildProcess;
  #stderr: Promise<string>;
  #exited = false;
  #status: Promise<Deno.CommandStatus>;

  /** Starts `programDir/main.ts` on `src` and `dest`. */
  constructor(programDir: string, src: string, dest: string, interval: number) {
    this.dest = dest;
    this.interval = interval;
    this.cmd = [
      DENO,
      "run",
      ...DAEMON_PERMS,
      `${programDir}/main.ts`,
      "--src",
      src,
      "--dest",
      dest,
      "--interval",
      String(interval),
      "--quiet",
    ];
    const [program, ...args] = this.cmd;
    this.#child = new Deno.Command(program!, {
      args,
      cwd: programDir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#status = this.#child.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** Process id: `deno run` executes the program in its own process. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Throws when the daemon has exited. */
  async assertAlive(): Promise<void> {
    if (!this.#exited) return;
    const s = await this.#status;
    throw new Error(`daemon exited (${s.code}): ${(await this.#stderr).trim().slice(0, 2000)}`);
  }

  /** The status file, or null before the first pass. */
  status(): Status | null {
    try {
      return JSON.parse(
        Deno.readTextFileSync(`${this.dest}/${RESERVED_DIR}/status.json`),
      ) as Status;
    } catch {
      return null;
    }
  }

  /** Waits for the first pass, then until nothing has been written for `quietMs`. */
  async settle(timeoutMs: number, quietMs: number): Promise<void> {
    const t0 = performance.now();
    while ((this.status()?.passes ?? 0) < 1) {
      await this.assertAlive();
      if (performance.now() - t0 > timeoutMs) throw new Error("daemon: no first pass in time");
      await sleep(20);
    }
    await this.quiet(quietMs, timeoutMs);
  }

  /** Waits until the journal and status file stop changing for `quietMs`. */
  async quiet(quietMs: number, timeoutMs: number): Promise<void> {
    const t0 = performance.now();
    let sig = this.#signature();
    let since = performance.now();
    while (performance.now() - since < quietMs) {
      await this.assertAlive();
      if (performance.now() - t0 > timeoutMs) throw new Error("daemon: never went quiet");
      await sleep(20);
      const now = this.#signature();
      if (now !== sig) {
        sig = now;
        since = performance.now();
      }
    }
  }

  #signature(): string {
    const dir = `${this.dest}/${RESERVED_DIR}/journal`;
    let sig = this.status()?.updatedAt ?? "";
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (e.name.endsWith(".jsonl")) {
          sig += `|${e.name}:${Deno.statSync(`${dir}/${e.name}`).size}`;
        }
      }
    } catch { /* not yet created */ }
    return sig;
  }

  /** Every journal record in the segments (checkpoints aside), in seq order. */
  journal(): JRecord[] {
    const dir = `${this.dest}/${RESERVED_DIR}/journal`;
    const names = [...Deno.readDirSync(dir)]
      .map((e) => e.name)
      .filter((n) => /^\d+\.jsonl$/.test(n))
      .sort();
    const out: JRecord[] = [];
    for (const name of names) {
      for (const line of Deno.readTextFileSync(`${dir}/${name}`).split("\n")) {
        if (!line) continue;
        try {
          out.push(JSON.parse(line) as JRecord);
        } catch { /* a line being written */ }
      }
    }
    return out;
  }

  /** Last seq in the journal (0 when empty). */
  lastSeq(): number {
    return this.journal().reduce((m, r) => Math.max(m, r.seq), 0);
  }

  /** utime + stime of the daemon, in clock ticks (through `cat`: Deno needs --allow-all for /proc). */
  async cpuTicks(): Promise<number> {
    const stat = await run(["cat", `/proc/${this.pid}/stat`]);
    // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(rest[11]) + Number(rest[12]);
  }

  /** Stops the daemon (SIGTERM, then SIGKILL after 10 s). Never throws. */
  async stop(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 10_000);
      await this.#status;
      clearTimeout(timer);
    }
    await this.#stderr.catch(() => "");
  }

  /** Standard error so far (after {@link Daemon.stop}). */
  stderr(): Promise<string> {
    return this.#stderr;
  }

  /** Lines of the log file matching `re`. */
  logLines(re: RegExp): string[] {
    try {
      return Deno.readTextFileSync(`${this.dest}/${RESERVED_DIR}/backup.log`).split("\n").filter((
        l,
      ) => re.test(l));
    } catch {
      return [];
    }
  }
}

// ---------------------------------------------------------------------------
// 1. Latency

/** One timed change. */
interface Change {
  i: number;
  kind: "create" | "modify";
  rel: string;
  bytes: number;
  /** ms from close to complete in B, or null when not there within the timeout. */
  ms: number | null;
}

/** Result of the latency benchmark. */
interface LatencyResult {
  changes: Change[];
  lateArrivals: number;
  passes: number;
  /** Pass numbers of the first and last pass of the benchmark. */
  passRange: [number, number];
  /** The log file already held the last pass's summary line right after the benchmark. */
  logCaughtUp: boolean;
  /** From the log, read once the daemon has stopped: passes by trigger in the range. */
  triggers: Record<string, number>;
  /** Sum of "N missed by the watcher" over the passes in the range. */
  missed: number;
  wallMs: number;
}

/** Waits until `path` holds exactly `want`; returns the ms since `t0`, or null on timeout. */
async function waitForContent(path: string, want: Uint8Array, t0: number): Promise<number | null> {
  while (true) {
    let have: Uint8Array | null = null;
    try {
      have = Deno.readFileSync(path);
    } catch { /* not there yet */ }
    const now = performance.now();
    if (have && sameBytes(have, want)) return now - t0;
    if (now - t0 > CHANGE_TIMEOUT_MS) return null;
    await sleep(1);
  }
}

async function benchLatency(d: Daemon, src: string, n: number): Promise<LatencyResult> {
  const dest = d.dest;
  const random = rng(0xc0ffee);
  const created: string[] = [];
  const changes: Change[] = [];
  const passes0 = d.status()?.passes ?? 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    // Sizes log-uniform over 100 B..64 KiB; the first two are the bounds.
    const bytes = i === 0
      ? MIN_CHANGE_BYTES
      : i === 1
      ? MAX_CHANGE_BYTES
      : Math.round(MIN_CHANGE_BYTES * (MAX_CHANGE_BYTES / MIN_CHANGE_BYTES) ** random());
    let kind: Change["kind"];
    let rel: string;
    if (i % 2 === 0) {
      kind = "create";
      rel = `live/l${i % 10}/c${String(i).padStart(4, "0")}.bin`;
    } else if (i % 4 === 1 || created.length === 0) {
      kind = "modify";
      const dir = Math.floor(random() * 100);
      const file = Math.floor(random() * 100);
      rel = `tree/d${String(dir).padStart(2, "0")}/f${String(file).padStart(2, "0")}.bin`;
    } else {
      kind = "modify";
      rel = created[Math.floor(random() * created.length)]!;
    }
    const body = new Uint8Array(bytes);
    fillPseudoRandom(body, 0x5eed + i);
    new DataView(body.buffer).setUint32(0, i);
    Deno.writeFileSync(`${src}/${rel}`, body); // open, write, close
    const t0 = performance.now();
    const ms = await waitForContent(`${dest}/${rel}`, body, t0);
    changes.push({ i, kind, rel, bytes, ms });
    if (kind === "create") created.push(rel);
    if (ms === null) {
      progress(`  change ${i} (${kind} ${rel}, ${bytes} B) not in B after ${CHANGE_TIMEOUT_MS} ms`);
      await d.assertAlive();
    }
    if ((i + 1) % 50 === 0) progress(`  ${i + 1}/${n} changes`);
    await sleep(GAP_MS);
  }
  const wallMs = performance.now() - started;
  // Did the late ones arrive in the end (with a later change's pass)?
  await d.quiet(500, 15_000);
  let lateArrivals = 0;
  for (const c of changes) {
    if (c.ms !== null) continue;
    const want = Deno.readFileSync(`${src}/${c.rel}`);
    try {
      if (sameBytes(Deno.readFileSync(`${dest}/${c.rel}`), want)) lateArrivals++;
    } catch { /* still missing */ }
  }
  return {
    changes,
    lateArrivals,
    passes: (d.status()?.passes ?? 0) - passes0,
    passRange: [passes0 + 1, d.status()?.passes ?? 0],
    logCaughtUp: d.logLines(new RegExp(`PASS ${d.status()?.passes ?? 0} `)).length > 0,
    triggers: {},
    missed: 0,
    wallMs,
  };
}

// ---------------------------------------------------------------------------
// 2. Rename

/** One timed rename of a folder. */
interface RenameRun {
  shape: string;
  from: string;
  to: string;
  files: number;
  /** ms from the rename until B was complete, or null on timeout. */
  ms: number | null;
  /** ms the final completeness check took (included in `ms`). */
  checkMs: number;
  copyIntents: number;
  copiedBytes: number;
  moves: string[];
  otherOps: Record<string, number>;
  inodesKept: number;
  passes: number;
  /** Duration of the last pass after the rename (the one that moved, when it is the only one). */
  passMs: number | null;
  /** The daemon's CPU time (utime + stime) from the rename until B was complete, in ms. */
  cpuMs: number;
}

/** Times the rename of `src/from` to `src/to` and checks what the daemon did for it. */
async function timeRename(
  d: Daemon,
  src: string,
  from: string,
  to: string,
  shape: string,
): Promise<RenameRun> {
  const dest = d.dest;
  const before = listFiles(`${dest}/${from}`);
  const seq0 = d.lastSeq();
  const passes0 = d.status()?.passes ?? 0;
  const ticks0 = await d.cpuTicks();
  Deno.renameSync(`${src}/${from}`, `${src}/${to}`);
  const { ms, checkMs } = await untilRenamed(dest, from, to, before.size, RENAME_TIMEOUT_MS);
  // Clock ticks are 10 ms (USER_HZ 100); CPU time does not grow with the load of the machine.
  const cpuMs = ((await d.cpuTicks()) - ticks0) * 10;
  if (ms === null) await d.assertAlive();
  await d.quiet(500, 30_000);
  const records = d.journal().filter((r) => r.seq > seq0);
  const intents = new Map<number, JRecord>();
  const otherOps: Record<string, number> = {};
  const moves: string[] = [];
  let copyIntents = 0;
  let copiedBytes = 0;
  for (const r of records) {
    if (r.type === "intent") {
      intents.set(r.seq, r);
      if (r.op === "copy") copyIntents++;
      else if (r.op === "move") moves.push(`${r.from} -> ${r.path} (${r.reason})`);
      else {
        const k = `${r.op ?? "?"} (${r.kind ?? "?"})`;
        otherOps[k] = (otherOps[k] ?? 0) + 1;
      }
    } else if (r.type === "done" && typeof r.bytes === "number") {
      copiedBytes += r.bytes;
    }
  }
  let inodesKept = 0;
  const after = listFiles(`${dest}/${to}`);
  for (const [rel, ino] of before) if (after.get(rel) === ino) inodesKept++;
  return {
    shape,
    from,
    to,
    files: before.size,
    ms,
    checkMs,
    copyIntents,
    copiedBytes,
    moves,
    otherOps,
    inodesKept,
    passes: (d.status()?.passes ?? 0) - passes0,
    passMs: d.status()?.lastPass?.durationMs ?? null,
    cpuMs,
  };
}

// ---------------------------------------------------------------------------
// 3. Idle CPU

/** One idle window. */
interface IdleResult {
  interval: number;
  seconds: number;
  ticks: number;
  cpuS: number;
  percent: number;
  passes: number;
  lastPassMs: number | null;
  files: number;
  /** Ticks in each {@link IDLE_BUCKET_S} s slice of the window. */
  buckets: number[];
}

/** The idle window is read in slices of this many seconds, to show when the CPU was used. */
const IDLE_BUCKET_S = 5;

async function measureIdle(
  d: Daemon,
  seconds: number,
  tck: number,
  files: number,
): Promise<IdleResult> {
  const p0 = d.status()?.passes ?? 0;
  const ticks0 = await d.cpuTicks();
  const t0 = performance.now();
  const buckets: number[] = [];
  let last = ticks0;
  for (let k = 1; k * IDLE_BUCKET_S <= seconds; k++) {
    await sleep(Math.max(0, t0 + k * IDLE_BUCKET_S * 1000 - performance.now()));
    const now = await d.cpuTicks();
    buckets.push(now - last);
    last = now;
  }
  await sleep(Math.max(0, t0 + seconds * 1000 - performance.now()));
  const ticks1 = await d.cpuTicks();
  if (ticks1 !== last) buckets.push(ticks1 - last);
  const wall = (performance.now() - t0) / 1000;
  await d.assertAlive();
  const st = d.status();
  const ticks = ticks1 - ticks0;
  return {
    interval: d.interval,
    seconds: wall,
    ticks,
    cpuS: ticks / tck,
    percent: (ticks / tck) / wall * 100,
    passes: (st?.passes ?? 0) - p0,
    lastPassMs: st?.lastPass?.durationMs ?? null,
    files,
    buckets,
  };
}

// ---------------------------------------------------------------------------
// Report

/**
 * Copies the program into `dir` (created): the working tree, or commit `rev`.
 *
 * @returns what was copied, for the report
 * @throws Error when git or the copy fails
 */
async function snapshot(dir: string, rev: string | undefined): Promise<string> {
  Deno.mkdirSync(dir, { recursive: true });
  if (rev !== undefined) {
    const hash = (await run(["git", "-C", ROOT, "rev-parse", "--short", `${rev}^{commit}`])).trim();
    const tar = `${dir}.tar`;
    await run(["git", "-C", ROOT, "archive", "-o", tar, hash, "--", ...PROGRAM_FILES]);
    await run(["tar", "-x", "-f", tar, "-C", dir]);
    Deno.removeSync(tar);
    return `commit ${hash}`;
  }
  await run(["cp", "-R", ...PROGRAM_FILES.map((f) => `${ROOT}/${f}`), `${dir}/`]);
  try {
    const head = (await run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])).trim();
    const dirty = (await run(["git", "-C", ROOT, "status", "--porcelain", "--", ...PROGRAM_FILES]))
      .trim();
    return dirty ? `working tree (commit ${head} + uncommitted changes)` : `commit ${head}`;
  } catch {
    return "working tree";
  }
}

/** Facts about the machine and the program measured. */
async function machine(program: string): Promise<string[][]> {
  const nproc = (await run(["nproc"])).trim();
  const cpu = /model name\s*:\s*(.*)/.exec(await run(["cat", "/proc/cpuinfo"]))?.[1] ?? "?";
  const memGiB = (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1);
  const watches = (await run(["cat", "/proc/sys/fs/inotify/max_user_watches"])).trim();
  const load = (await run(["cat", "/proc/loadavg"])).trim().split(" ").slice(0, 3).join(" ");
  return [
    ["Date", new Date().toISOString()],
    ["CPU", `${nproc} cores (\`nproc\`), ${cpu}`],
    ["Memory", `${memGiB} GiB`],
    ["Kernel", Deno.osRelease()],
    ["Deno", Deno.version.deno],
    ["inotify max_user_watches", watches],
    ["Program measured", program],
    ["Load average at the end (1, 5, 15 min)", load],
  ];
}

function yesNo(ok: boolean): string {
  return ok ? "yes" : "**no**";
}

function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: "latency,rename,idle" },
      changes: { type: "string", default: "200" },
      "idle-seconds": { type: "string", default: "30" },
      dir: { type: "string" },
      keep: { type: "boolean", default: false },
      out: { type: "string" },
      rev: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return Promise.resolve();
  }
  const only = new Set(values.only.split(",").map((s) => s.trim()));
  for (const o of only) {
    if (!["latency", "rename", "idle"].includes(o)) throw new Error(`--only: unknown "${o}"`);
  }
  const changes = Number(values.changes);
  const idleSeconds = Number(values["idle-seconds"]);
  if (!(changes >= 1) || !(idleSeconds > 0)) throw new Error("bad --changes or --idle-seconds");
  return bench({
    only,
    changes,
    idleSeconds,
    dir: values.dir,
    keep: values.keep,
    out: values.out,
    rev: values.rev,
  });
}

async function bench(o: {
  only: Set<string>;
  changes: number;
  idleSeconds: number;
  dir: string | undefined;
  keep: boolean;
  out: string | undefined;
  rev: string | undefined;
}): Promise<void> {
  const started = performance.now();
  const tck = Number((await run(["getconf", "CLK_TCK"])).trim()) || 100;
  const tmp = await Deno.makeTempDir({
    prefix: "backup-bench-watch-",
    ...(o.dir ? { dir: o.dir } : {}),
  });
  progress(`temp folder ${tmp}`);
  const daemons: Daemon[] = [];
  let program = "";
  const start = (src: string, dest: string, interval: number) => {
    const d = new Daemon(`${tmp}/program`, src, dest, interval);
    daemons.push(d);
    return d;
  };
  let latency: LatencyResult | null = null;
  const renames: RenameRun[] = [];
  const idle: IdleResult[] = [];
  const oddities: string[] = [];
  try {
    program = await snapshot(`${tmp}/program`, o.rev);
    progress(`measuring ${program}`);
    // Source 1: tree/ (100 × 100 files) and live/ (10 folders × 10 files).
    const src = `${tmp}/src`;
    const dest = `${tmp}/dest`;
    const needTree = o.only.has("latency") || o.only.has("idle") || o.only.has("rename");
    if (needTree) {
      progress("writing tree/ (10,000 files) and live/ (100 files)");
      makeNestedTree(`${src}/tree`);
      for (let k = 0; k < 10; k++) writeFiles(`${src}/live/l${k}`, 10, "f", 1000 + k);
      Deno.utimeSync(`${src}/live`, OLD_MTIME_S, OLD_MTIME_S);
      Deno.utimeSync(src, OLD_MTIME_S, OLD_MTIME_S);

      const d1 = start(src, dest, 600);
      const t0 = performance.now();
      await d1.settle(120_000, 2_000);
      progress(
        `daemon --interval 600 (pid ${d1.pid}) settled; first pass + 2 s quiet in ${
          fmtMs(performance.now() - t0)
        }`,
      );
      if (o.only.has("idle")) {
        progress(`idle CPU, --interval 600, ${o.idleSeconds} s`);
        idle.push(await measureIdle(d1, o.idleSeconds, tck, TREE_FILES + 100));
      }
      if (o.only.has("latency")) {
        progress(`latency, ${o.changes} changes`);
        latency = await benchLatency(d1, src, o.changes);
      }
      if (o.only.has("rename")) {
        const names = ["tree", "tree-r1", "tree-r2", "tree"];
        for (let k = 0; k < RENAME_RUNS; k++) {
          await d1.quiet(1_000, 30_000);
          progress(`rename (nested) ${names[k]} -> ${names[k + 1]}`);
          renames.push(await timeRename(d1, src, names[k]!, names[k + 1]!, "nested, 100 × 100"));
        }
      }
      await d1.stop();
      if (latency) {
        // The log file is complete only now (it is buffered while the daemon runs).
        const [from, to] = latency.passRange;
        for (const line of d1.logLines(/ PASS \d+ \(/)) {
          const m = / PASS (\d+) \((\w+)\):.*?(?:, (\d+) missed by the watcher)?(?: in [\d.]+ s)$/
            .exec(line);
          if (!m || Number(m[1]) < from || Number(m[1]) > to) continue;
          latency.triggers[m[2]!] = (latency.triggers[m[2]!] ?? 0) + 1;
          latency.missed += Number(m[3] ?? 0);
        }
        if (!latency.logCaughtUp) {
          oddities.push(
            `the log file (DEST/.backup/backup.log) lagged: right after the latency benchmark it did ` +
              `not yet hold the summary of pass ${to} (it did once the daemon had stopped)`,
          );
        }
      }
      const err1 = (await d1.stderr()).trim();
      if (err1) oddities.push(`daemon --interval 600 wrote to stderr: ${err1.slice(0, 500)}`);
      const warn1 = d1.logLines(/WARN|WATCHER FAILED|WATCH LIMIT/i);
      if (warn1.length) oddities.push(`log warnings: ${warn1.slice(0, 5).join(" / ")}`);

      if (o.only.has("idle")) {
        const d2 = start(src, dest, 5);
        await d2.settle(120_000, 2_000);
        progress(`daemon --interval 5 (pid ${d2.pid}) settled; idle CPU, ${o.idleSeconds} s`);
        idle.push(await measureIdle(d2, o.idleSeconds, tck, countFiles(src)));
        await d2.stop();
      }
    }

    if (o.only.has("rename")) {
      // Source 2: flat/ (10,000 files in one folder).
      const src2 = `${tmp}/src2`;
      const dest2 = `${tmp}/dest2`;
      progress("writing flat/ (10,000 files in one folder)");
      writeFiles(`${src2}/flat`, TREE_FILES, "f", 7);
      Deno.utimeSync(src2, OLD_MTIME_S, OLD_MTIME_S);
      const d3 = start(src2, dest2, 600);
      await d3.settle(120_000, 2_000);
      const names = ["flat", "flat-r1", "flat-r2", "flat"];
      for (let k = 0; k < RENAME_RUNS; k++) {
        await d3.quiet(1_000, 30_000);
        progress(`rename (flat) ${names[k]} -> ${names[k + 1]}`);
        renames.push(await timeRename(d3, src2, names[k]!, names[k + 1]!, "flat, 10,000 in one"));
      }
      await d3.stop();
    }
  } finally {
    for (const d of daemons) await d.stop();
    if (o.keep) progress(`kept ${tmp}`);
    else await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const totalS = (performance.now() - started) / 1000;
  const md = await report({
    latency,
    renames,
    idle,
    oddities,
    tck,
    totalS,
    changes: o.changes,
    program,
  });
  console.log(md);
  if (o.out) Deno.writeTextFileSync(o.out, md + "\n");
}

async function report(r: {
  latency: LatencyResult | null;
  renames: RenameRun[];
  idle: IdleResult[];
  oddities: string[];
  tck: number;
  totalS: number;
  changes: number;
  program: string;
}): Promise<string> {
  const out: string[] = [];
  out.push("## Live changes (issue 3)", "");
  out.push(
    `Command: \`${["deno task bench:watch", ...Deno.args].join(" ")}\` (bench/watch.ts), ` +
      `${r.totalS.toFixed(0)} s in all. The daemon runs as a subprocess, as users start it:`,
    "",
    "```sh",
    "deno run --allow-ffi --allow-read --allow-write --allow-env=BACKUP_DEBUG main.ts --src A --dest B --interval 600 --quiet",
    "```",
    "",
  );
  out.push(table(["Machine", ""], await machine(r.program)), "");

  const goals: string[][] = [];
  if (r.latency) {
    const ok = r.latency.changes.filter((c) => c.ms !== null).map((c) => c.ms!);
    const lost = r.latency.changes.length - ok.length;
    const p50 = ok.length ? percentile(ok, 50) : NaN;
    const p99 = ok.length ? percentile(ok, 99) : NaN;
    goals.push(
      ["change → B, p50", "< 0.3 s", fmtMs(p50), yesNo(lost === 0 && p50 < 300)],
      ["change → B, p99", "< 1 s", fmtMs(p99), yesNo(lost === 0 && p99 < 1000)],
    );
  }
  const nested = r.renames.filter((x) => x.shape.startsWith("nested"));
  const flat = r.renames.filter((x) => x.shape.startsWith("flat"));
  for (const group of [nested, flat]) {
    if (!group.length) continue;
    const times = group.map((x) => x.ms ?? Infinity);
    const bytes = group.reduce((s, x) => s + x.copiedBytes, 0);
    const copies = group.reduce((s, x) => s + x.copyIntents, 0);
    goals.push([
      `rename of a folder of 10,000 files (${group[0]!.shape}), slowest of ${group.length}`,
      "< 1 s, 0 bytes copied",
      `${fmtMs(Math.max(...times))}, ${bytes} bytes (${copies} copies)`,
      yesNo(Math.max(...times) < 1000 && bytes === 0 && copies === 0),
    ]);
  }
  for (const i of r.idle) {
    goals.push([
      `CPU while idle, ${i.files} files, --interval ${i.interval}`,
      i.interval >= 600 ? "about 0" : "(cost of interval passes)",
      `${i.cpuS.toFixed(2)} s in ${i.seconds.toFixed(1)} s (${i.percent.toFixed(2)} %)`,
      i.interval >= 600 ? yesNo(i.percent < 0.5) : "",
    ]);
  }
  out.push("### Goals", "", table(["What", "Goal", "Measured", "Met"], goals), "");

  if (r.latency) {
    const L = r.latency;
    const ok = L.changes.filter((c) => c.ms !== null);
    const row = (name: string, cs: Change[]): string[] => {
      const ms = cs.map((c) => c.ms!);
      return ms.length
        ? [
          name,
          String(ms.length),
          fmtMs(percentile(ms, 50)),
          fmtMs(percentile(ms, 90)),
          fmtMs(percentile(ms, 99)),
          fmtMs(Math.max(...ms)),
          fmtMs(Math.min(...ms)),
        ]
        : [name, "0", "", "", "", "", ""];
    };
    const small = ok.filter((c) => c.bytes < 4096);
    const large = ok.filter((c) => c.bytes >= 4096);
    out.push(
      `### Change-to-destination latency (${r.changes} changes)`,
      "",
      "Each change writes one file in A (open, write, close; creates in `live/lN/`, modifications of",
      "the 10,000-file `tree/` and of files created earlier; sizes log-uniform from 100 B to 64 KiB).",
      "The clock starts right after the close and stops when the file in B has the new bytes",
      `(polled every ~2 ms); the next change follows ${GAP_MS} ms after. With \`--interval 600\` no`,
      "interval pass falls in the run: changes reach B through the watcher's hints alone.",
      "",
      table(["Changes", "n", "p50", "p90", "p99", "max", "min"], [
        row("all", ok),
        row("creates", ok.filter((c) => c.kind === "create")),
        row("modifications", ok.filter((c) => c.kind === "modify")),
        row("< 4 KiB", small),
        row("≥ 4 KiB", large),
      ]),
      "",
      `${L.changes.length - ok.length} of ${L.changes.length} changes were not in B within ${
        CHANGE_TIMEOUT_MS / 1000
      } s` +
        (L.changes.length > ok.length ? ` (${L.lateArrivals} of them arrived later)` : "") +
        `; the daemon ran ${L.passes} passes for them (${
          Object.entries(L.triggers).map(([k, v]) => `${v} ${k}`).join(", ") || "none logged"
        }), and their summaries count ${L.missed} change(s) missed by the watcher; ` +
        `${(L.wallMs / 1000).toFixed(1)} s in all.`,
      "",
    );
    const slow = [...ok].sort((a, b) => b.ms! - a.ms!).slice(0, 5);
    out.push(
      "Slowest changes: " +
        slow.map((c) => `#${c.i} ${c.kind} ${c.bytes} B: ${fmtMs(c.ms!)}`).join("; ") + ".",
      "",
    );
  }

  if (r.renames.length) {
    out.push(
      "### Folder of 10,000 files renamed",
      "",
      "Time from `rename()` in A until B has the new name with every file and the old name is gone",
      "(checked by `lstat` of both names, then a count of the files under the new name; the count's",
      "own time is included). Copies and bytes are from the journal records appended after the",
      "rename; inodes kept compares B's inodes before and after (a rename keeps them).",
      "",
      table(
        [
          "Folder",
          "Rename",
          "Time",
          "of it, check",
          "Copies",
          "Bytes copied",
          "Other ops",
          "Inodes kept",
          "Passes",
          "Pass took",
          "Daemon CPU",
          "Journal moves",
        ],
        r.renames.map((x) => [
          x.shape,
          `${x.from} → ${x.to}`,
          x.ms === null ? `not done in ${RENAME_TIMEOUT_MS / 1000} s` : fmtMs(x.ms),
          fmtMs(x.checkMs),
          String(x.copyIntents),
          String(x.copiedBytes),
          Object.entries(x.otherOps).map(([k, v]) => `${v} ${k}`).join(", ") || "none",
          `${x.inodesKept} / ${x.files}`,
          String(x.passes),
          x.passMs === null ? "" : fmtMs(x.passMs),
          fmtMs(x.cpuMs),
          x.moves.join("; ") || "none",
        ]),
      ),
      "",
    );
    const all = r.renames.filter((x) => x.ms !== null).map((x) => x.ms!);
    if (all.length) out.push(`Median of all ${all.length} renames: ${fmtMs(median(all))}.`, "");
    out.push(
      "Daemon CPU is its `utime + stime` (`/proc/PID/stat`) from the rename until B was complete:",
      "on a loaded machine the time can be several times the CPU the daemon was given.",
      "",
    );
  }

  if (r.idle.length) {
    out.push(
      "### CPU while idle",
      "",
      "`utime + stime` of the daemon process from `/proc/PID/stat` (all threads; clock tick",
      `1/${r.tck} s, so the resolution is ${
        (1000 / r.tck).toFixed(0)
      } ms of CPU) over a window with no change,`,
      "after the first pass and 2 s without journal writes.",
      "",
      table(
        [
          "--interval",
          "Files",
          "Window",
          "CPU",
          "CPU %",
          `Ticks per ${IDLE_BUCKET_S} s`,
          "Passes in window",
          "Last pass took",
        ],
        r.idle.map((i) => [
          String(i.interval),
          String(i.files),
          `${i.seconds.toFixed(1)} s`,
          `${i.cpuS.toFixed(2)} s (${i.ticks} ticks)`,
          `${i.percent.toFixed(2)} %`,
          i.buckets.join(" "),
          String(i.passes),
          i.lastPassMs === null ? "" : fmtMs(i.lastPassMs),
        ]),
      ),
      "",
    );
    const five = r.idle.find((i) => i.interval < 600);
    if (five && five.passes > 0) {
      out.push(
        `With \`--interval ${five.interval}\`, each full pass over ${five.files} files costs about ` +
          `${(five.cpuS / five.passes).toFixed(2)} s of CPU.`,
        "",
      );
    }
  }
  if (r.oddities.length) out.push("Oddities: " + r.oddities.join("; "), "");
  return out.join("\n").trimEnd();
}

if (import.meta.main) {
  await main();
}
