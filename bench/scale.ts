// deno-lint-ignore-file no-console
/**
 * The scale benchmark, `deno task bench:scale` (100,000 files) and
 * `deno task bench:million` (1,000,000 files): the backup against rsync and
 * cp on one large tree of tiny files, side by side in one run.
 *
 * 1. Initial copy: `backup --once` vs `rsync -a` vs `cp -a` + `sync`, one
 *    run each, with wall time and peak RSS (GNU time's `ru_maxrss`).
 * 2. A pass with no change: `backup --once` vs `rsync -a --dry-run`,
 *    interleaved runs (median), and the peak RSS of each.
 * 3. The daemon with `--interval 5` over the tree: CPU (utime + stime from
 *    `/proc/PID/stat`, all threads) over an idle window of
 *    `BENCH_IDLE_SECONDS` (default 300) with nothing changing, its full
 *    passes, and its peak RSS (`VmHWM`, steady state with several passes);
 *    then 20 single-file changes, one at a time, timed from the write in
 *    the source until the destination holds the new bytes (the watcher's
 *    latency on that tree); then `--passes` full passes back to back (each
 *    forced by rewriting a comment-only `.backupignore`, which makes the
 *    watcher ask for one), with the daemon's RSS after every pass: the heap
 *    growth between passes; last, a folder of 10,000 files renamed in the
 *    source, timed until the destination shows the new name, with the bytes
 *    the journal says were copied for it (bench/scale_rename.ts).
 *
 * The tree is made once under a cache folder (`--cache`, default
 * `$XDG_CACHE_HOME/backup-bench` or `~/.cache/backup-bench`) and reused by
 * every measurement, and by a later run given `--keep`; otherwise it is
 * removed at the end. The program is copied first (see bench/run.ts), so a
 * run measures one version while the working tree is edited.
 *
 * Usage: deno task bench:scale [--files N] [--runs N] [--cache DIR] [--keep] [--skip-initial]
 *        [--passes N] [--daemon-only]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import {
  DENO,
  exec,
  median,
  peakRss,
  procMemory,
  ROOT,
  type Sample,
  syncAll,
  timeCases,
} from "./measure.ts";
import { fmtKiB, fmtMs, fmtRatio, fmtSample, table } from "./report.ts";
import { dirName, fileName, makeTree, type TreeShape } from "./trees.ts";
import { type RenameResult, timeFolderRename } from "./scale_rename.ts";

/** The permissions the README gives the program, and its V8 flags (README, `deno task backup`). */
const PERMS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env=BACKUP_DEBUG",
  "--v8-flags=--max-semi-space-size=2,--heap-growing-percent=10",
];
/** Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;
/** Single-file changes timed through the watcher. */
const CHANGES = 20;
/** Where the full passes are forced: a changed exclude file makes the daemon look at everything. */
const FORCE_FILE = ".backupignore";
/** A forced full pass not ended after this long stops the benchmark. */
const FORCED_PASS_TIMEOUT_MS = 20 * 60_000;
/** A change that has not arrived after this long counts as missed by the watcher. */
const CHANGE_TIMEOUT_MS = 20_000;

const HELP = `deno task bench:scale [--files N] [--runs N] [--cache DIR] [--keep] [--skip-initial]
                      [--passes N] [--daemon-only]

  --files N       files in the tree (default 100000; bench:million gives 1000000),
                  in N/100 folders up to 100,000 files, else 1,000 folders
  --runs N        measured runs of the no-change pass (default 3, after one warm-up)
  --cache DIR     where the tree is made once and reused (default ~/.cache/backup-bench)
  --keep          keep the tree and the copies in the cache for the next run
  --skip-initial  do not time the initial copies (needs copies kept by --keep)
  --passes N      full passes forced in the daemon after the changes, RSS after each
                  (default 3; each forced by rewriting a comment-only .backupignore)
  --daemon-only   only the daemon part, on a tree and backup kept by --keep

  BENCH_IDLE_SECONDS  length of the daemon's idle window (default 300)`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

function shapeFor(files: number): TreeShape {
  const dirs = files <= 100_000 ? Math.max(1, Math.round(files / 100)) : 1000;
  return { dirs, filesPerDir: Math.round(files / dirs), fileBytes: 16 };
}

async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
}

/** utime + stime of `pid` in ticks (all threads), through `cat`: Deno reads /proc only with -A. */
async function cpuTicks(pid: number): Promise<number> {
  const text = (await exec(["cat", `/proc/${pid}/stat`])).stdout;
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The `passes` and last full pass duration from the daemon's status file. */
function status(dest: string): { passes: number; lastMs: number | null; trigger: string } {
  try {
    const s = JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/status.json`));
    return {
      passes: Number(s.passes ?? 0),
      lastMs: s.lastPass?.durationMs ?? null,
      trigger: String(s.lastPass?.trigger ?? ""),
    };
  } catch {
    return { passes: 0, lastMs: null, trigger: "" };
  }
}

/** Waits until `path` holds `want`; ms since `t0`, or null after {@link CHANGE_TIMEOUT_MS}. */
async function arrival(path: string, want: string, t0: number): Promise<number | null> {
  for (;;) {
    let have: string | null = null;
    try {
      have = Deno.readTextFileSync(path);
    } catch { /* not yet */ }
    const now = performance.now();
    if (have === want) return now - t0;
    if (now - t0 > CHANGE_TIMEOUT_MS) return null;
    await sleep(2);
  }
}

/** The daemon's memory right after one of its passes ended (seen in its status file). */
interface PassMemory {
  /** The pass's number in the daemon's run (1 is the first). */
  pass: number;
  /** What started it: the daemon's start, its own pacing in the idle window, or a forced full pass. */
  why: "start" | "idle" | "forced";
  /** Seconds since the daemon started. */
  atS: number;
  /** What the status file says started it: `scan` (a full pass) or `watch`. */
  trigger: string;
  /** That pass's duration from the status file. */
  passMs: number | null;
  rssKiB: number;
  hwmKiB: number;
}

interface DaemonResult {
  idleS: number;
  /** RSS after each pass seen (the first, then each one in the idle window). */
  perPass: PassMemory[];
  cpuS: number;
  percent: number;
  fullPasses: number;
  lastPassMs: number | null;
  hwmKiB: number;
  rssKiB: number;
  latencies: number[];
  missed: number;
  /** The 10,000-file folder rename, after the forced passes (not in the figures above). */
  rename: RenameResult;
}

async function daemon(
  main: string,
  src: string,
  dest: string,
  shape: TreeShape,
  idleS: number,
  forced: number,
): Promise<DaemonResult> {
  // The --once runs left a status file: the daemon's first pass is the one it writes anew.
  await removeTree(`${dest}/${RESERVED_DIR}/status.json`);
  const child = new Deno.Command(DENO, {
    args: ["run", ...PERMS, main, "--src", src, "--dest", dest, "--interval", "5", "--quiet"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const perPass: PassMemory[] = [];
  const t0 = performance.now();
  /** Samples the daemon's memory when its status file shows a pass not yet sampled. */
  const sample = async (why: PassMemory["why"]): Promise<void> => {
    const s = status(dest);
    if (s.passes <= (perPass.at(-1)?.pass ?? 0)) return;
    const mem = await procMemory(child.pid);
    const row = {
      pass: s.passes,
      why,
      trigger: s.trigger,
      atS: (performance.now() - t0) / 1000,
      passMs: s.lastMs,
      rssKiB: mem?.rss ?? 0,
      hwmKiB: mem?.hwm ?? 0,
    };
    perPass.push(row);
    console.error(
      `  pass ${row.pass} at ${row.atS.toFixed(0)} s (${
        row.passMs === null ? "?" : fmtMs(row.passMs)
      }): RSS ${fmtKiB(row.rssKiB)}, peak ${fmtKiB(row.hwmKiB)}`,
    );
  };
  try {
    while (status(dest).passes < 1) {
      if (performance.now() - t0 > 30 * 60_000) throw new Error("daemon: no first pass in 30 min");
      await sleep(200);
    }
    await sample("start");
    console.error(`  daemon up, first pass after ${fmtMs(performance.now() - t0)}; settling 10 s`);
    await sleep(10_000);
    const p0 = status(dest).passes;
    const c0 = await cpuTicks(child.pid);
    const w0 = performance.now();
    // Idle, but the status file is looked at twice a second (a file read: no cost to the daemon).
    while (performance.now() - w0 < idleS * 1000) {
      await sample("idle");
      await sleep(Math.min(500, Math.max(0, idleS * 1000 - (performance.now() - w0))));
    }
    const c1 = await cpuTicks(child.pid);
    const wall = (performance.now() - w0) / 1000;
    const after = status(dest);
    console.error(`  idle: ${(c1 - c0) / TICKS_PER_S} s CPU in ${wall.toFixed(1)} s`);
    const latencies: number[] = [];
    let missed = 0;
    for (let i = 0; i < CHANGES; i++) {
      const rel = `${dirName(i % shape.dirs)}/${fileName(i)}`;
      const body = `change ${i} at ${Date.now()}\n`;
      const t = performance.now();
      Deno.writeTextFileSync(`${src}/${rel}`, body);
      const ms = await arrival(`${dest}/${rel}`, body, t);
      if (ms === null) missed++;
      else latencies.push(ms);
      await sleep(200);
    }
    // Several full passes back to back, forced by rewriting an exclude file (a comment only): the
    // pacing alone gives one full pass per 10 x its duration, too few to see the heap grow.
    for (let k = 1; k <= forced; k++) {
      await sleep(1000);
      const before = status(dest).passes;
      const tf = performance.now();
      Deno.writeTextFileSync(`${src}/${FORCE_FILE}`, `# bench:scale forced full pass ${k}\n`);
      // The next full pass (trigger `scan`) after the write; a watcher's pass may come between.
      for (;;) {
        const s = status(dest);
        if (s.passes > before && s.trigger === "scan") break;
        if (performance.now() - tf > FORCED_PASS_TIMEOUT_MS) {
          throw new Error("forced pass timed out");
        }
        await sleep(200);
      }
      await sample("forced");
    }
    const mem = await procMemory(child.pid);
    const rename = await timeFolderRename(
      child.pid,
      src,
      dest,
      `${src}-rename-scratch`,
      (line) => console.error(line),
    );
    return {
      idleS: wall,
      perPass,
      cpuS: (c1 - c0) / TICKS_PER_S,
      percent: (c1 - c0) / TICKS_PER_S / wall * 100,
      fullPasses: after.passes - p0,
      lastPassMs: after.lastMs,
      hwmKiB: mem?.hwm ?? 0,
      rssKiB: mem?.rss ?? 0,
      latencies,
      missed,
      rename,
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await removeTree(`${src}/${FORCE_FILE}`);
    await removeTree(`${dest}/${FORCE_FILE}`);
    await removeTree(`${src}-rename-scratch`);
  }
}

/** The daemon's part of the results page. */
function daemonSection(d: DaemonResult): string[] {
  return [
    "## Daemon, `--interval 5`",
    "",
    table(["What", "Measured"], [
      ["idle window", `${d.idleS.toFixed(1)} s`],
      ["CPU in it", `${d.cpuS.toFixed(2)} s (${d.percent.toFixed(1)} % of one core)`],
      ["full passes in it", String(d.fullPasses)],
      ["last pass took", d.lastPassMs === null ? "–" : fmtMs(d.lastPassMs)],
      ["peak RSS (VmHWM) / RSS at the end", `${fmtKiB(d.hwmKiB)} / ${fmtKiB(d.rssKiB)}`],
      [
        "RSS growth, first → last pass sampled",
        d.perPass.length > 1
          ? `${fmtKiB(d.perPass.at(-1)!.rssKiB - d.perPass[0]!.rssKiB)} over ${
            d.perPass.at(-1)!.pass - d.perPass[0]!.pass
          } passes`
          : "– (one pass only: give --passes)",
      ],
      [
        `change → destination (${CHANGES} changes)`,
        d.latencies.length > 0
          ? `p50 ${fmtMs(median(d.latencies))}, p99 ${
            fmtMs(percentile(d.latencies, 99))
          }, ${d.missed} missed`
          : `${d.missed} missed`,
      ],
      [
        `${d.rename.files.toLocaleString("en")}-file folder renamed → destination`,
        `${d.rename.ms === null ? "not complete in time" : fmtMs(d.rename.ms)} (${
          fmtMs(d.rename.checkMs)
        } of it the final count), ${d.rename.copiedBytes} bytes copied, ${d.rename.moves} moves, ${d.rename.copies} copies${
          Object.entries(d.rename.otherOps).map(([op, k]) => `, ${k} ${op}`).join("")
        }; daemon CPU ${fmtMs(d.rename.cpuMs)}, ${d.rename.passes} passes`,
      ],
    ]),
    "",
    "### Memory after each pass (RSS from `/proc/PID/status` when the status file counts it)",
    "",
    table(
      ["Pass", "Why", "Trigger", "Ended at", "Pass took", "RSS", "Peak RSS so far"],
      d.perPass.map((p) => [
        String(p.pass),
        p.why,
        p.trigger,
        `${p.atS.toFixed(0)} s`,
        p.passMs === null ? "–" : fmtMs(p.passMs),
        fmtKiB(p.rssKiB),
        fmtKiB(p.hwmKiB),
      ]),
    ),
    "",
  ];
}

async function snapshot(dir: string): Promise<string> {
  Deno.mkdirSync(dir, { recursive: true });
  for (const part of ["main.ts", "deno.json", "deno.lock", "lib"]) {
    await exec(["cp", "-r", `${ROOT}/${part}`, `${dir}/${part}`]);
  }
  const head = (await exec(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], true)).stdout
    .trim();
  const dirty = (await exec(["git", "-C", ROOT, "status", "--porcelain", "--", "main.ts", "lib"]))
    .stdout.trim() !== "";
  return `working tree at commit ${head}${dirty ? " with uncommitted changes" : ""}`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: "string" },
      runs: { type: "string" },
      cache: { type: "string" },
      keep: { type: "boolean" },
      "skip-initial": { type: "boolean" },
      "daemon-only": { type: "boolean" },
      passes: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(HELP);
  const files = Number(values.files ?? 100_000);
  const runs = Number(values.runs ?? 3);
  const forcedPasses = Number(values.passes ?? 3);
  const daemonOnly = values["daemon-only"] === true;
  const idleS = Number(Deno.env.get("BENCH_IDLE_SECONDS") ?? 300);
  if (!(files > 0) || !(runs >= 1) || !(idleS > 0) || !(forcedPasses >= 0)) {
    throw new Error("bad --files, --runs, --passes or BENCH_IDLE_SECONDS");
  }
  const home = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  const cache = values.cache ?? `${home}/backup-bench`;
  const shape = shapeFor(files);
  const n = shape.dirs * shape.filesPerDir;
  Deno.mkdirSync(cache, { recursive: true });
  const started = performance.now();
  const program = `${cache}/program`;
  await removeTree(program);
  const version = await snapshot(program);
  const mainTs = `${program}/main.ts`;
  const src = `${cache}/tree-${shape.dirs}x${shape.filesPerDir}`;
  const marker = `${src}.complete`;
  const backupDest = `${src}-backup`;
  const rsyncDest = `${src}-rsync`;
  const cpDest = `${src}-cp`;
  const time = `${cache}/time.txt`;
  const once = (dest: string) => [DENO, "run", ...PERMS, mainTs, "--src", src, "--dest", dest];
  const lines: string[] = [];
  try {
    let fresh = false;
    try {
      Deno.statSync(marker);
      console.error(`[0] reusing the tree ${src}`);
    } catch {
      if (daemonOnly) {
        throw new Error(`--daemon-only: no kept tree at ${src}; run with --keep first`);
      }
      console.error(`[0] writing ${n.toLocaleString("en")} files in ${shape.dirs} folders`);
      await removeTree(src);
      const t = performance.now();
      makeTree(src, shape);
      await syncAll();
      Deno.writeTextFileSync(marker, "");
      console.error(`    ${fmtMs(performance.now() - t)}`);
      fresh = true;
    }
    const initial: [string, { ms: number; maxRssKiB: number }][] = [];
    if (daemonOnly && fresh) {
      throw new Error(`--daemon-only: no kept tree in ${cache}; run with --keep first`);
    }
    if ((!values["skip-initial"] && !daemonOnly) || fresh) {
      for (
        const [name, dest, cmd] of [
          ["`backup --once`", backupDest, [...once(backupDest), "--once", "--quiet"]],
          ["`rsync -a`", rsyncDest, ["rsync", "-a", `${src}/`, `${rsyncDest}/`]],
          ["`cp -a`, then `sync`", cpDest, ["sh", "-c", 'cp -a "$0" "$1" && sync', src, cpDest]],
        ] as [string, string, string[]][]
      ) {
        await removeTree(dest);
        await syncAll();
        console.error(`[1] initial copy: ${name}`);
        const run = await peakRss(cmd, time);
        console.error(`    ${fmtMs(run.ms)}, peak RSS ${fmtKiB(run.maxRssKiB)}`);
        initial.push([name, run]);
      }
      await removeTree(cpDest);
    }
    if (daemonOnly) {
      console.error(
        `[3] daemon only, idle for ${idleS} s, ${CHANGES} changes, ${forcedPasses} forced passes`,
      );
      const d = await daemon(mainTs, src, backupDest, shape, idleS, forcedPasses);
      lines.push(
        `# Scale benchmark, daemon only: ${n.toLocaleString("en")} files in ${shape.dirs} folders`,
        "",
        `\`deno task bench:scale --files ${files} --daemon-only --passes ${forcedPasses}\`, ${version}, ${
          new Date().toISOString()
        } (load average at the end: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}).`,
        "",
        ...daemonSection(d),
      );
      return writeOut(lines.join("\n"), `scale-${files}-daemon.md`);
    }
    console.error("[2] pass with no change");
    const samples: Sample[] = await timeCases([
      { name: "backup --once", cmd: [...once(backupDest), "--once", "--quiet"], prepare: syncAll },
      {
        name: "rsync -a --dry-run",
        cmd: ["rsync", "-a", "--dry-run", `${src}/`, `${rsyncDest}/`],
        prepare: syncAll,
      },
    ], {
      runs,
      onRun: (name, ms, w) => console.error(`    ${name}: ${fmtMs(ms)}${w ? " (warm-up)" : ""}`),
    });
    const backupRss = await peakRss([...once(backupDest), "--once", "--quiet"], time);
    const rsyncRss = await peakRss(["rsync", "-a", "--dry-run", `${src}/`, `${rsyncDest}/`], time);
    console.error(`[3] daemon, --interval 5, idle for ${idleS} s, then ${CHANGES} changes`);
    const d = await daemon(mainTs, src, backupDest, shape, idleS, forcedPasses);

    const [b, r] = [samples[0]!, samples[1]!];
    const noChangeRatio = b.median / r.median;
    const initialRatio = initial.length > 0 ? initial[0]![1].ms / initial[1]![1].ms : NaN;
    const p50 = median(d.latencies);
    lines.push(
      `# Scale benchmark: ${n.toLocaleString("en")} files in ${shape.dirs} folders`,
      "",
      `\`deno task bench:scale --files ${files}\`, ${version}, ${new Date().toISOString()}, ${
        fmtMs(performance.now() - started)
      } in all (load average at the end: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")}).`,
      "",
      "## Initial copy (one run each)",
      "",
      initial.length > 0
        ? table(
          ["Command", "Time", "Peak RSS", "backup ÷ this"],
          initial.map(([name, run]) => [
            name,
            fmtMs(run.ms),
            fmtKiB(run.maxRssKiB),
            fmtRatio(initial[0]![1].ms / run.ms),
          ]),
        )
        : "(skipped: --skip-initial with a kept tree)",
      "",
      `## Pass with no change (median of ${runs})`,
      "",
      table(["Command", "Median (min–max)", "Peak RSS"], [
        ["`backup --once`", fmtSample(b), fmtKiB(backupRss.maxRssKiB)],
        ["`rsync -a --dry-run`", fmtSample(r), fmtKiB(rsyncRss.maxRssKiB)],
      ]),
      "",
      ...daemonSection(d),
      "## Goals",
      "",
      table(["Goal", "Measured", "Met"], [
        [
          "initial copy ≤ 1.5x `rsync -a`",
          fmtRatio(initialRatio),
          initialRatio <= 1.5 ? "yes" : "no",
        ],
        [
          "no-change pass ≤ 0.8x `rsync -a --dry-run`",
          fmtRatio(noChangeRatio),
          noChangeRatio <= 0.8 ? "yes" : "no",
        ],
        [
          `peak RSS < ${files > 100_000 ? 500 : 100} MB (once, daemon)`,
          `${fmtKiB(backupRss.maxRssKiB)}, ${fmtKiB(d.hwmKiB)}`,
          Math.max(backupRss.maxRssKiB, d.hwmKiB, initial[0]?.[1].maxRssKiB ?? 0) * 1024 <
              (files > 100_000 ? 500e6 : 100e6)
            ? "yes"
            : "no",
        ],
        ["idle CPU < 10 % of one core", `${d.percent.toFixed(1)} %`, d.percent < 10 ? "yes" : "no"],
        ["watcher p50 < 0.3 s", fmtMs(p50), p50 < 300 && d.missed === 0 ? "yes" : "no"],
        [
          "10,000-file folder rename < 1 s, 0 bytes copied",
          `${
            d.rename.ms === null ? "not in time" : fmtMs(d.rename.ms)
          }, ${d.rename.copiedBytes} bytes`,
          d.rename.ms !== null && d.rename.ms < 1000 && d.rename.copiedBytes === 0 ? "yes" : "no",
        ],
      ]),
      "",
    );
  } finally {
    if (!values.keep) {
      for (const p of [src, backupDest, rsyncDest, cpDest, marker, program, time]) {
        await removeTree(p);
      }
    }
  }
  writeOut(lines.join("\n"), `scale-${files}.md`);
}

/** Prints the results page and writes it to bench/out/`name`. */
function writeOut(markdown: string, name: string): void {
  console.log(markdown);
  const out = `${ROOT}/bench/out`;
  Deno.mkdirSync(out, { recursive: true });
  Deno.writeTextFileSync(`${out}/${name}`, markdown);
  console.error(`written to ${out}/${name}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    console.error(`bench:scale: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
