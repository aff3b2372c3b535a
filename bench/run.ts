// deno-lint-ignore-file no-console
/**
 * The benchmark suite, `deno task bench`: the backup against rsync and cp,
 * side by side in one run, on fixtures in one temp folder that is removed at
 * the end.
 *
 * Long on purpose (about 800 lines): one file is one run, so every fixture,
 * anchor and ratio in docs/benchmarks.md comes from the same process and
 * the same moment on a noisy machine.
 *
 * 1. Initial backup of 10,000 files of 4 KiB: `backup --once` vs `rsync -a`
 *    (and `rsync -a` + `sync`, `rsync -a --fsync`, which pay for durability).
 * 2. A pass with no change over 100,000 files: `backup --once` vs
 *    `rsync -a --dry-run`, with Deno start-up and a phase breakdown; plus the
 *    pass that follows a backup of just-modified files (racy re-check).
 * 3. One 1 GiB file: `backup --once` vs `cp` + `sync`.
 * 4. Peak memory with 100,000 files tracked, in `--once` runs and in the daemon.
 *
 * Progress goes to stderr; the results (markdown) to stdout and to
 * bench/out/results.md, raw timings to bench/out/results.json.
 *
 * The program is copied into the temp folder first (the working tree, or a
 * commit with `--rev`), so that a run measures one version even while the
 * working tree is being edited.
 *
 * Usage: deno task bench [--runs N] [--only 1,2,3,4] [--dir PARENT] [--keep] [--rev REV]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import {
  type Case,
  DENO,
  evictFile,
  exec,
  median,
  OUT_DIR,
  peakRss,
  ROOT,
  type Sample,
  syncAll,
  timeCases,
  watchDaemon,
} from "./measure.ts";
import {
  fmtKiB,
  fmtMs,
  fmtRatio,
  fmtSample,
  pick,
  resultsPage,
  type Section,
  table,
} from "./report.ts";
import { makeBigFile, makeTree, touchFiles, type TreeShape } from "./trees.ts";
import { RACY_WINDOW_MS } from "../lib/engine/apply.ts";
import { MARKER_NAME } from "../lib/base/layout.ts";

/** The permissions and V8 flags the README and the `backup` task give the program. */
const DOCUMENTED_PERMS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--v8-flags=--max-semi-space-size=2,--heap-growing-percent=10",
];

const SMALL: TreeShape = { dirs: 100, filesPerDir: 100, fileBytes: 4096 };
const MANY: TreeShape = { dirs: 1000, filesPerDir: 100, fileBytes: 16 };
const BIG_BYTES = 1 << 30;
const MIB = 1 << 20;

const HELP = `deno task bench [--runs N] [--only 1,2,3,4] [--dir PARENT] [--keep] [--rev REV]

  --runs N      measured runs per command (default 5; the racy pass uses at most 3)
  --only LIST   benchmarks to run, e.g. 1,3 or 2b (default all; 2 includes 2b)
  --dir PARENT  where the temp folder goes (default the system temp folder)
  --keep        keep the temp folder (for inspection)
  --rev REV     measure a commit (git archive) instead of the working tree`;

/** Shared settings of a run. */
interface Ctx {
  /** Temp folder of this run. */
  tmp: string;
  /** Measured runs per command. */
  runs: number;
  /** Permission flags the program is run with. */
  perms: string[];
  /** main.ts of the snapshot being measured. */
  main: string;
  /** bench/phases.ts in the snapshot. */
  phases: string;
}

/** Counts from the summary line a pass writes to the log. */
export interface PassInfo {
  copied: number;
  deleted: number;
  dirs: number;
  updated: number;
  errors: number;
  seconds: number;
}

/** Where each count sits in the pass summary line, found by name so that added fields do not matter. */
const PASS_FIELDS: Record<keyof PassInfo, RegExp> = {
  copied: /(\d+) copied/,
  deleted: /(\d+) deleted/,
  dirs: /(\d+) folders created/,
  updated: /(\d+) updated/,
  errors: /(\d+) errors/,
  seconds: / in ([\d.]+) s\b/,
};

function progress(name: string, ms: number, warmup: boolean): void {
  console.error(`    ${name}: ${fmtMs(ms)}${warmup ? " (warm-up)" : ""}`);
}

function backupCmd(ctx: Ctx, src: string, dest: string, extra: string[] = []): string[] {
  return [DENO, "run", ...ctx.perms, ctx.main, "--src", src, "--dest", dest, ...extra];
}

function onceCmd(ctx: Ctx, src: string, dest: string): string[] {
  return backupCmd(ctx, src, dest, ["--once", "--quiet"]);
}

async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/** Reads the last pass summary of a destination's log; null when there is none it can read. */
export function lastPass(dest: string): PassInfo | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/backup.log`);
  } catch {
    return null;
  }
  const line = text.split("\n").findLast((l) => /PASS \d+ \(/.test(l));
  if (line === undefined) return null;
  const info: Partial<PassInfo> = {};
  for (const [key, re] of Object.entries(PASS_FIELDS)) {
    const m = re.exec(line);
    if (!m) return null;
    info[key as keyof PassInfo] = Number(m[1]);
  }
  return info as PassInfo;
}

let warnedNoPassLine = false;

/**
 * Checks that the last pass into `dest` did what the benchmark expects.
 *
 * @throws Error when it did something else (the timing would be meaningless)
 */
export function expectPass(dest: string, want: Partial<PassInfo>, label: string): PassInfo | null {
  const got = lastPass(dest);
  if (!got) {
    if (!warnedNoPassLine) console.error(`  warning: no PASS line in ${dest}; runs not verified`);
    warnedNoPassLine = true;
    return null;
  }
  for (const [k, v] of Object.entries(want)) {
    if (got[k as keyof PassInfo] !== v) {
      throw new Error(`${label}: the pass did not do what was expected: ${JSON.stringify(got)}`);
    }
  }
  return got;
}

/** Confirms that two trees hold the same files (the program's own `.backup*` names aside). */
async function sameTrees(a: string, b: string): Promise<void> {
  await exec(["diff", "-rq", "-x", ".backup*", a, b]);
}

// ---------------------------------------------------------------- benchmark 1

async function benchInitial(ctx: Ctx, hasFsync: boolean): Promise<Section> {
  const base = `${ctx.tmp}/b1`;
  const src = `${base}/src`;
  console.error(`[1] initial backup: writing ${SMALL.dirs * SMALL.filesPerDir} files of 4 KiB`);
  makeTree(src, SMALL);
  await syncAll();
  const fresh = (dest: string) => async () => {
    await removeTree(dest);
    // The source guard's marker of the last run would make the next one refuse a new, empty
    // destination as an unmounted disk: every run is a first backup.
    await removeTree(`${src}/${MARKER_NAME}`);
    await syncAll();
  };
  const dest = (name: string): string => `${base}/${name}`;
  const files = SMALL.dirs * SMALL.filesPerDir;
  const cases: Case[] = [
    {
      name: "backup --once",
      cmd: onceCmd(ctx, src, dest("backup")),
      prepare: fresh(dest("backup")),
      verify: () => void expectPass(dest("backup"), { copied: files, errors: 0 }, "1"),
    },
    {
      name: "backup --once, deno -A",
      cmd: [
        DENO,
        "run",
        "-A",
        ctx.main,
        "--src",
        src,
        "--dest",
        dest("backup-A"),
        "--once",
        "--quiet",
      ],
      prepare: fresh(dest("backup-A")),
    },
    {
      name: "rsync -a",
      cmd: ["rsync", "-a", `${src}/`, `${dest("rsync")}/`],
      prepare: fresh(dest("rsync")),
    },
    {
      name: "rsync -a, then sync",
      cmd: ["sh", "-c", 'rsync -a "$0/" "$1/" && sync', src, dest("rsync-sync")],
      prepare: fresh(dest("rsync-sync")),
    },
  ];
  if (hasFsync) {
    cases.push({
      name: "rsync -a --fsync",
      cmd: ["rsync", "-a", "--fsync", `${src}/`, `${dest("rsync-fsync")}/`],
      prepare: fresh(dest("rsync-fsync")),
    });
  }
  const samples = await timeCases(cases, { runs: ctx.runs, onRun: progress });
  await sameTrees(src, dest("backup"));
  await sameTrees(src, dest("rsync"));
  await removeTree(base);

  const backup = pick(samples, "backup --once");
  const rsync = pick(samples, "rsync -a");
  const rows = samples.map((s) => [
    `\`${s.name}\``,
    fmtSample(s),
    s === backup ? "1.00x" : fmtRatio(backup.median / s.median),
  ]);
  const ratio = backup.median / rsync.median;
  const markdown = [
    `## 1. Initial backup: ${files.toLocaleString("en")} files of 4 KiB in ${SMALL.dirs} folders`,
    "",
    "Each run starts from an empty destination (removed, then `sync`, untimed); the source stays in",
    "the page cache. Times are medians of the measured runs, with the range.",
    "",
    table(["Command", "Median (min–max)", "backup ÷ this"], rows),
    "",
    `Goal: backup ÷ \`rsync -a\` ≤ 1.00. Measured: **${fmtRatio(ratio)}**: ${
      ratio <= 1 ? "met" : "missed"
    }.`,
    "",
    "`rsync -a` does not fsync: its files are still in the page cache when it exits. The backup",
    "fsyncs every file, every touched folder and its journal before it exits, so `rsync -a, then",
    "sync` and `rsync -a --fsync` are the like-for-like comparisons. `deno -A` is the same",
    "program with Deno's permission checks off (see docs/benchmarks.md).",
  ].join("\n");
  return {
    id: "1",
    markdown,
    goals: [{
      id: "1",
      goal: "initial backup ÷ `rsync -a` ≤ 1.00",
      measured: fmtRatio(ratio),
      met: ratio <= 1,
    }],
    data: { samples },
  };
}

// ---------------------------------------------------------------- benchmarks 2 and 4

interface ManyTree {
  src: string;
  backupDest: string;
  rsyncDest: string;
  initialBackup: { ms: number; maxRssKiB: number; method: string };
  initialRsync: { ms: number; maxRssKiB: number; method: string };
}

async function setupMany(ctx: Ctx): Promise<ManyTree> {
  const base = `${ctx.tmp}/b2`;
  const src = `${base}/src`;
  const files = MANY.dirs * MANY.filesPerDir;
  console.error(`[2] writing ${files} tiny files in ${MANY.dirs} folders`);
  makeTree(src, MANY);
  const backupDest = `${base}/backup`;
  const rsyncDest = `${base}/rsync`;
  await syncAll();
  console.error("    initial backup (one run, also measured for memory)");
  const initialBackup = await peakRss(onceCmd(ctx, src, backupDest), `${base}/time.txt`);
  expectPass(backupDest, { copied: files, errors: 0 }, "2 setup");
  console.error(`    ${fmtMs(initialBackup.ms)}, max RSS ${fmtKiB(initialBackup.maxRssKiB)}`);
  await syncAll();
  const initialRsync = await peakRss(
    ["rsync", "-a", `${src}/`, `${rsyncDest}/`],
    `${base}/time.txt`,
  );
  console.error(`    initial rsync -a: ${fmtMs(initialRsync.ms)}`);
  await syncAll();
  const itemized = await exec(["rsync", "-ai", "--dry-run", `${src}/`, `${rsyncDest}/`]);
  if (itemized.stdout.trim() !== "") throw new Error("rsync copy is not in sync");
  return { src, backupDest, rsyncDest, initialBackup, initialRsync };
}

async function benchNoChange(ctx: Ctx, tree: ManyTree): Promise<Section> {
  const { src, backupDest, rsyncDest } = tree;
  const files = MANY.dirs * MANY.filesPerDir;
  const passSeconds: number[] = [];
  const cases: Case[] = [
    {
      name: "backup --once",
      cmd: onceCmd(ctx, src, backupDest),
      prepare: syncAll,
      verify: () => {
        const p = expectPass(
          backupDest,
          { copied: 0, deleted: 0, dirs: 0, updated: 0, errors: 0 },
          "2",
        );
        if (p) passSeconds.push(p.seconds);
      },
    },
    {
      name: "rsync -a --dry-run",
      cmd: ["rsync", "-a", "--dry-run", `${src}/`, `${rsyncDest}/`],
      prepare: syncAll,
    },
    { name: "rsync -a", cmd: ["rsync", "-a", `${src}/`, `${rsyncDest}/`], prepare: syncAll },
    { name: "backup --help (start-up only)", cmd: [DENO, "run", ...ctx.perms, ctx.main, "--help"] },
  ];
  console.error(`[2] pass with no change over ${files} files`);
  const samples = await timeCases(cases, { runs: ctx.runs, onRun: progress });
  // The warm-up pass is logged too; keep the measured ones.
  const measuredPass = passSeconds.slice(-ctx.runs).map((s) => s * 1000);

  console.error("[2] phase breakdown (in-process, read only)");
  const phaseRuns: Record<string, number>[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await exec([DENO, "run", ...ctx.perms, ctx.phases, src, backupDest]);
    phaseRuns.push(JSON.parse(r.stdout));
  }
  const ph = (k: string): number => median(phaseRuns.map((r) => r[k] ?? 0));

  const backup = pick(samples, "backup --once");
  const dry = pick(samples, "rsync -a --dry-run");
  const startup = pick(samples, "backup --help (start-up only)");
  const ratio = dry.median / backup.median;
  const passCost = backup.median - startup.median;
  const rows = samples.map((s) => [
    `\`${s.name}\``,
    fmtSample(s),
    s === startup ? "" : fmtRatio(dry.median / s.median),
  ]);
  const phases: [string, number][] = [
    ["Deno start-up, module load, exit (`backup --help`)", startup.median],
    [
      `Journal replay (${ph("records").toLocaleString("en")} records, ${
        (ph("journalBytes") / MIB).toFixed(1)
      } MiB)`,
      ph("replayMs"),
    ],
    [
      `Source walk, each folder compared with the state (${
        ph("kept").toLocaleString("en")
      } entries kept)`,
      ph("scanSourceMs"),
    ],
    ["Destination: the rolling sweep", ph("scanDestMs")],
    ["Plan (the folders that differ)", ph("planMs")],
  ];
  const accounted = phases.reduce((a, [, ms]) => a + ms, 0);
  phases.push(["Rest: lock, log set-up and flush, hasher, GC", backup.median - accounted]);
  const markdown = [
    `## 2. Pass with no change over ${
      files.toLocaleString("en")
    } files (${MANY.dirs} folders × ${MANY.filesPerDir})`,
    "",
    "Both destinations are in sync (set up untimed: an initial `backup --once` and `rsync -a`), and",
    "every backup run is checked to have copied, deleted and updated nothing. The source files have",
    "old mtimes, so no entry is racy.",
    "",
    table(["Command", "Median (min–max)", "rsync --dry-run ÷ this"], rows),
    "",
    `Goal (issue 14: the backup in at most 0.8x rsync's time): \`rsync -a --dry-run\` ÷ backup ≥ 1.25. Measured: **${
      fmtRatio(ratio)
    }**: ${ratio >= 1.25 ? "met" : "missed"}.`,
    "",
    `\`backup --once\` includes Deno start-up (${fmtMs(startup.median)}) and the journal replay.`,
    `Without start-up the pass costs ${fmtMs(passCost)}, so rsync ÷ pass = ${
      fmtRatio(dry.median / passCost)
    }. The pass time the program logs itself (scan, plan, apply; no replay) was ${
      measuredPass.length > 0
        ? `${fmtMs(median(measuredPass))} (median)`
        : "not readable from the log"
    }.`,
    "",
    "Where the time of one `backup --once` goes (phases: median of 3 in-process runs of",
    "bench/phases.ts, which calls the program's own replay and `preparePass`: walk, sweep, plan):",
    "",
    table(
      ["Phase", "ms", "Share"],
      phases.map(([k, ms]) => [k, ms.toFixed(0), `${(100 * ms / backup.median).toFixed(0)} %`]),
    ),
  ].join("\n");
  return {
    id: "2",
    markdown,
    goals: [{
      id: "2",
      goal: "no-change pass: `rsync -a --dry-run` ÷ backup ≥ 1.25 (backup ≤ 0.8x rsync)",
      measured: fmtRatio(ratio),
      met: ratio >= 1.25,
    }],
    data: { samples, passMs: measuredPass, phases: phaseRuns },
  };
}

async function benchRacy(ctx: Ctx): Promise<Section> {
  const base = `${ctx.tmp}/b2r`;
  const src = `${base}/src`;
  const dest = `${base}/backup`;
  const files = SMALL.dirs * SMALL.filesPerDir;
  console.error(`[2b] pass right after a backup of ${files} just-modified files`);
  makeTree(src, SMALL);
  // A copy is racy while |now - mtime| < 2 s (lib/engine/apply.ts isRacy). An mtime 1.9 s ahead gives
  // the untimed copy a ~3.9 s window; the timed pass then starts once the window has closed, so
  // it re-hashes every file the copy marked racy and settles it.
  const ahead = 1_900;
  const racyCounts: number[] = [];
  const cases: Case[] = [
    {
      name: "pass after copying just-modified files",
      cmd: onceCmd(ctx, src, dest),
      prepare: async () => {
        await removeTree(dest);
        await removeTree(`${src}/${MARKER_NAME}`);
        const touched = Date.now();
        touchFiles(src, SMALL, ahead);
        await exec(onceCmd(ctx, src, dest));
        expectPass(dest, { copied: files }, "2b copy");
        await syncAll();
        const closes = touched + ahead + RACY_WINDOW_MS + 100;
        await new Promise((r) => setTimeout(r, Math.max(0, closes - Date.now())));
      },
      verify: () => {
        const got = expectPass(dest, { copied: 0, errors: 0 }, "2b racy");
        if (got && got.updated === 0) {
          throw new Error("2b racy: no file was racy; the untimed copy outlasted the window");
        }
        if (got) racyCounts.push(got.updated);
      },
    },
    {
      name: "next pass (settled)",
      cmd: onceCmd(ctx, src, dest),
      prepare: syncAll,
      verify: () => void expectPass(dest, { copied: 0, updated: 0, errors: 0 }, "2b settled"),
    },
  ];
  const samples = await timeCases(cases, {
    runs: Math.min(ctx.runs, 3),
    rotate: false,
    onRun: progress,
  });
  await removeTree(base);
  const [racy, settled] = samples as [Sample, Sample];
  const rechecked = racyCounts.length ? median(racyCounts) : files;
  const perFileUs = (racy.median - settled.median) / rechecked * 1000;
  const markdown = [
    `### 2b. The pass after a backup of just-modified files (${
      files.toLocaleString("en")
    } × 4 KiB)`,
    "",
    "A file copied while its mtime is less than 2 s from the clock is marked racy and re-hashed",
    "by the next pass (design §5). Here every source file gets an mtime 1.9 s ahead and is backed",
    "up, untimed; once the window has closed, the next pass is timed, which re-checks every file",
    `the copy marked racy (median ${rechecked.toLocaleString("en")} of ${
      files.toLocaleString("en")
    }), and then the pass after it.`,
    "",
    table(["`backup --once`", "Median (min–max)"], samples.map((s) => [s.name, fmtSample(s)])),
    "",
    `The racy pass cost ${fmtRatio(racy.median / settled.median)} a settled pass, about ${
      perFileUs.toFixed(0)
    } µs per re-checked file: each is re-hashed, then given a journaled metadata update (intent`,
    "and done records, chmod, utime) although nothing changed.",
  ].join("\n");
  return { id: "2b", markdown, goals: [], data: { samples, perFileUs } };
}

async function benchMemory(ctx: Ctx, tree: ManyTree): Promise<Section> {
  const { src, backupDest } = tree;
  console.error("[4] peak memory with 100,000 files tracked");
  const once = await peakRss(onceCmd(ctx, src, backupDest), `${ctx.tmp}/time.txt`);
  console.error(`    no-change --once: ${fmtKiB(once.maxRssKiB)}`);
  const help = await peakRss(
    [DENO, "run", ...ctx.perms, ctx.main, "--help"],
    `${ctx.tmp}/time.txt`,
  );
  const logFile = `${ctx.tmp}/daemon.log`;
  const daemon = await watchDaemon(
    backupCmd(ctx, src, backupDest, ["--interval", "1", "--quiet", "--log-file", logFile]),
    { logFile, passPattern: /PASS 1 /, extraMs: 6000, timeoutMs: 120_000 },
  );
  console.error(`    daemon: VmHWM ${fmtKiB(daemon.hwmKiB)}, VmRSS ${fmtKiB(daemon.rssKiB)}`);
  // Issue 14: under 100 MB for 100,000 files, in the initial copy and in the daemon's steady state.
  const limitKiB = 100e6 / 1024;
  const rows = [
    [
      "`backup --once`, initial backup of 100,000 files",
      fmtKiB(tree.initialBackup.maxRssKiB),
      fmtMs(tree.initialBackup.ms),
      tree.initialBackup.method,
    ],
    ["`backup --once`, pass with no change", fmtKiB(once.maxRssKiB), fmtMs(once.ms), once.method],
    [
      `daemon (\`--interval 1\`), peak after ${fmtMs(daemon.ranMs)} (first pass logged at ${
        fmtMs(daemon.firstPassMs)
      })`,
      fmtKiB(daemon.hwmKiB),
      "",
      "VmHWM from /proc/PID/status",
    ],
    ["daemon, resident when stopped (between passes)", fmtKiB(daemon.rssKiB), "", "VmRSS"],
    [
      "`backup --help` (Deno and modules, no files)",
      fmtKiB(help.maxRssKiB),
      fmtMs(help.ms),
      help.method,
    ],
    [
      "`rsync -a`, initial copy (reference)",
      fmtKiB(tree.initialRsync.maxRssKiB),
      fmtMs(tree.initialRsync.ms),
      tree.initialRsync.method,
    ],
  ];
  const peak = Math.max(daemon.hwmKiB, once.maxRssKiB, tree.initialBackup.maxRssKiB);
  const markdown = [
    "## 4. Peak memory with 100,000 files tracked",
    "",
    table(["Run", "Max RSS", "Wall", "Measured by"], rows),
    "",
    `Goal (issue 14): peak RSS under 100 MB with 100,000 files, initial copy, no-change pass and daemon. Measured (the highest): **${
      fmtKiB(peak)
    }**: ${peak < limitKiB ? "met" : "missed"}.`,
  ].join("\n");
  return {
    id: "4",
    markdown,
    goals: [{
      id: "4",
      goal: "peak RSS with 100,000 files (initial copy, no-change pass, daemon) < 100 MB",
      measured: fmtKiB(peak),
      met: peak < limitKiB,
    }],
    data: {
      initialBackup: tree.initialBackup,
      initialRsync: tree.initialRsync,
      once,
      help,
      daemon,
    },
  };
}

// ---------------------------------------------------------------- benchmark 3

async function benchBigFile(ctx: Ctx): Promise<Section> {
  const base = `${ctx.tmp}/b3`;
  const src = `${base}/src`;
  const dest = `${base}/backup`;
  const cpDir = `${base}/cp`;
  console.error("[3] writing one 1 GiB file");
  Deno.mkdirSync(src, { recursive: true });
  Deno.mkdirSync(cpDir);
  makeBigFile(`${src}/big.bin`, BIG_BYTES);
  let dropped = true;
  const reset = (path: string) => async () => {
    await removeTree(path);
    await removeTree(`${src}/${MARKER_NAME}`);
    // Only the source file's pages: with the whole page cache dropped, the backup's
    // run also re-read Deno and its modules from disk (0.6–0.8 s of start-up) where
    // `cp` reads one small binary, and the ratio measured start-up, not throughput.
    dropped = (await evictFile(`${src}/big.bin`)) && dropped;
  };
  const cases: Case[] = [
    {
      name: "backup --once",
      cmd: onceCmd(ctx, src, dest),
      prepare: reset(dest),
      verify: () => void expectPass(dest, { copied: 1, errors: 0 }, "3"),
    },
    {
      name: "cp, then sync",
      cmd: ["sh", "-c", 'cp "$0" "$1" && sync', `${src}/big.bin`, `${cpDir}/big.bin`],
      prepare: reset(`${cpDir}/big.bin`),
    },
  ];
  const samples = await timeCases(cases, { runs: ctx.runs, onRun: progress });
  await exec(["cmp", `${src}/big.bin`, `${dest}/big.bin`]);
  await removeTree(base);
  const [backup, cp] = samples as [Sample, Sample];
  const mibps = (s: Sample): string => `${(BIG_BYTES / MIB / (s.median / 1000)).toFixed(0)} MiB/s`;
  const ratio = cp.median / backup.median;
  const markdown = [
    "## 3. One 1 GiB file",
    "",
    dropped
      ? "Before every run the destination is removed, then `sync` and the source file's pages dropped (`dd iflag=nocache count=0`): both read the source from disk; the programs themselves stay cached, as a running daemon's are."
      : "Before every run the destination is removed and `sync`ed; the source file's pages could not be dropped, so it may be read from memory.",
    "",
    table(
      ["Command", "Median (min–max)", "Throughput"],
      samples.map((s) => [`\`${s.name}\``, fmtSample(s), mibps(s)]),
    ),
    "",
    `Goal (issue 14): backup throughput ≥ 0.90 × that of \`cp\` + \`sync\`. Measured: **${
      fmtRatio(ratio)
    }**: ${ratio >= 0.9 ? "met" : "missed"}.`,
  ].join("\n");
  return {
    id: "3",
    markdown,
    goals: [{
      id: "3",
      goal: "1 GiB file: backup throughput ÷ `cp` + `sync` ≥ 0.90",
      measured: fmtRatio(ratio),
      met: ratio >= 0.9,
    }],
    data: { samples, cacheDropped: dropped },
  };
}

// ---------------------------------------------------------------- the run

/**
 * Copies the program into `dir` so that one run measures one version while
 * the working tree may be edited: the working tree as it is, or the commit
 * `rev` (bench/phases.ts always from the working tree).
 */
export async function snapshot(dir: string, rev: string | undefined): Promise<string> {
  Deno.mkdirSync(`${dir}/bench`, { recursive: true });
  const head = (await exec(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], true)).stdout
    .trim();
  if (rev !== undefined) {
    await exec(["sh", "-c", 'git -C "$0" archive "$1" | tar -x -C "$2"', ROOT, rev, dir]);
  } else {
    for (const part of ["main.ts", "deno.json", "deno.lock", "lib"]) {
      await exec(["cp", "-r", `${ROOT}/${part}`, `${dir}/${part}`]);
    }
  }
  await exec(["cp", `${ROOT}/bench/phases.ts`, `${dir}/bench/phases.ts`]);
  if (rev !== undefined) {
    const full = (await exec(["git", "-C", ROOT, "rev-parse", "--short", rev])).stdout.trim();
    return `commit ${full}`;
  }
  const dirty = (await exec(
    ["git", "-C", ROOT, "status", "--porcelain", "--", "main.ts", "lib"],
    true,
  ))
    .stdout.trim() !== "";
  return head
    ? `working tree at commit ${head}${dirty ? " with uncommitted changes" : ""}`
    : "working tree";
}

async function backupPerms(main: string): Promise<{ perms: string[]; note: string | null }> {
  const plain = await exec([DENO, "run", ...DOCUMENTED_PERMS, main, "--version"], true);
  if (plain.code === 0) return { perms: DOCUMENTED_PERMS, note: null };
  const perms = [...DOCUMENTED_PERMS, "--allow-sys"];
  const withSys = await exec([DENO, "run", ...perms, main, "--version"], true);
  if (withSys.code !== 0) throw new Error(`backup does not start: ${plain.stderr.trim()}`);
  return {
    perms,
    note:
      `With the documented flags (\`${
        DOCUMENTED_PERMS.join(" ")
      }\`) the program exits ${plain.code}: ` +
      `"${plain.stderr.trim()}". The benchmarks add \`--allow-sys\`.`,
  };
}

async function machine(tmp: string): Promise<[string, string][]> {
  const first = (text: string): string => text.trim().split("\n")[0] ?? "";
  const cpu = /Model name:\s*(.*)/.exec((await exec(["lscpu"])).stdout)?.[1] ?? "?";
  const [device, fstype, size, options] = (await exec([
    "findmnt",
    "-n",
    "-o",
    "SOURCE,FSTYPE,SIZE,OPTIONS",
    "--target",
    tmp,
  ])).stdout.trim().split(/\s+/);
  const rsync = first((await exec(["rsync", "--version"])).stdout);
  return [
    ["Date", new Date().toISOString()],
    ["CPU", `${(await exec(["nproc"])).stdout.trim()} cores (\`nproc\`), ${cpu}`],
    ["Memory", `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`],
    ["Kernel", Deno.osRelease()],
    ["Disk of the temp folder", `${device}, ${fstype}, ${size}, mounted ${options}`],
    ["Temp folder", tmp],
    ["Deno", Deno.version.deno],
    ["rsync", rsync],
  ];
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      only: { type: "string" },
      dir: { type: "string" },
      keep: { type: "boolean" },
      rev: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const runs = Number(values.runs ?? 5);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1`);
  const only = new Set((values.only ?? "1,2,3,4").split(",").map((s) => s.trim()));

  const started = performance.now();
  const hasFsync = (await exec(["rsync", "--help"], true)).stdout.includes("--fsync");
  const prefix = "backup-bench-";
  const tmp = await Deno.makeTempDir(values.dir ? { dir: values.dir, prefix } : { prefix });
  const cleanup = () => {
    if (!values.keep) Deno.removeSync(tmp, { recursive: true });
  };
  const onSignal = () => {
    console.error(`interrupted; removing ${tmp}`);
    cleanup();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  const sections: Section[] = [];
  let env: [string, string][];
  let note: string | null;
  try {
    const program = `${tmp}/program`;
    const version = await snapshot(program, values.rev);
    const main = `${program}/main.ts`;
    const perms = await backupPerms(main);
    note = perms.note;
    const ctx: Ctx = { tmp, runs, perms: perms.perms, main, phases: `${program}/bench/phases.ts` };
    env = [...await machine(tmp), ["Program measured", version]];
    if (only.has("1")) sections.push(await benchInitial(ctx, hasFsync));
    if (only.has("2") || only.has("4")) {
      const tree = await setupMany(ctx);
      if (only.has("2")) sections.push(await benchNoChange(ctx, tree));
      if (only.has("4")) sections.push(await benchMemory(ctx, tree));
      await removeTree(`${tmp}/b2`);
    }
    // Under load the racy window can close before the pass starts: say so, keep the other results.
    if (only.has("2") || only.has("2b")) {
      sections.push(await orNotMeasured("2b", () => benchRacy(ctx)));
    }
    if (only.has("3")) sections.push(await benchBigFile(ctx));
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    cleanup();
  }
  const elapsed = performance.now() - started;
  sections.sort((a, b) => a.id.localeCompare(b.id));
  const markdown = resultsPage({
    title: "Benchmark results",
    produced:
      `Produced by \`deno task bench\` (${runs} measured runs per command after one warm-up, interleaved; ${
        fmtMs(elapsed)
      } in all).`,
    env,
    note,
  }, sections);
  console.log(markdown);
  Deno.mkdirSync(OUT_DIR, { recursive: true });
  Deno.writeTextFileSync(`${OUT_DIR}/results.md`, markdown);
  Deno.writeTextFileSync(
    `${OUT_DIR}/results.json`,
    JSON.stringify(
      {
        env: Object.fromEntries(env),
        runs,
        note,
        sections: Object.fromEntries(sections.map((s) => [s.id, s.data])),
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`written to ${OUT_DIR}/results.md and results.json`);
}

/**
 * Runs one benchmark; if it fails its own check (a load that defeats its set-up), a section that
 * says why it was not measured, so that the other benchmarks' results are still written.
 */
async function orNotMeasured(id: string, run: () => Promise<Section>): Promise<Section> {
  try {
    return await run();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(`bench: ${id} not measured: ${reason}`);
    return { id, markdown: `### ${id}. Not measured\n\n${reason}\n`, goals: [], data: { reason } };
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
