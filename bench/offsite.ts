// deno-lint-ignore-file no-console
/**
 * The off-site benchmark, `deno task bench:offsite` (issue 16): the backup
 * into an S3 bucket against `rclone sync` and `restic backup` into the same
 * server, side by side in one run, in interleaved rounds (bench/measure.ts),
 * every run into a fresh bucket.
 *
 * 1. Initial upload of 10,000 files of 4 KiB in 100 folders: `backup --once`
 *    vs `rclone sync` vs `restic backup` (its repository in a bucket of the
 *    same server). Goal: backup ÷ rclone ≤ 1.00.
 * 2. One file of 1 GiB (`--big-mib` for quick runs): the same three.
 *    Goal: backup ÷ rclone ≤ 1.00.
 * 3. A pass with no change over 10,000 files: `backup --once` vs
 *    `rclone sync --dry-run`. Goal: backup ÷ rclone ≤ 0.50.
 * 4. A folder of 1,000 of those files renamed: the bytes each tool uploads.
 *    Goal: 0 bytes of file content from the backup.
 *
 * Besides the timed runs, each command runs once more through a counting
 * proxy (bench/s3count.ts): the requests by kind, the bytes uploaded and the
 * most requests in flight at once, which is what explains a ratio.
 *
 * The server is the Ceph RGW of `bash tools/servers/ceph.sh start` (or any
 * S3 endpoint in `AWS_ENDPOINT_URL`, with `AWS_ACCESS_KEY_ID` and
 * `AWS_SECRET_ACCESS_KEY`). rclone and restic come from Debian
 * (`apt-get install -y rclone restic`); as root, the benchmark installs them
 * when missing. Buckets are removed as soon as the next run starts (the test
 * server keeps its objects in memory) and at the end.
 *
 * Progress goes to stderr; the results (markdown) to stdout and to
 * bench/out/offsite.md, raw figures to bench/out/offsite.json.
 *
 * Usage: deno task bench:offsite [--runs N] [--warmup N] [--files N] [--big-mib N]
 *          [--only 1,2,3,4] [--dir PARENT] [--keep] [--rev REV]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import { type Case, DENO, exec, OUT_DIR, type Sample, timeCases } from "./measure.ts";
import { fmtMs, fmtRatio, fmtSample, pick, resultsPage, type Section, table } from "./report.ts";
import { makeBigFile, makeTree, OLD_MTIME_S } from "./trees.ts";
import { expectPass as passDid, lastPass, type PassInfo, snapshot } from "./run.ts";
import { type Counter, type Counts, fmtRequests, startCounter } from "./s3count.ts";
import { REMOTE_PERMS, S3_ENV } from "../testing/s3.ts";

const MIB = 1 << 20;
/** The key prefix of every backup in its bucket. */
const PREFIX = "bench";

const HELP =
  `deno task bench:offsite [--runs N] [--warmup N] [--files N] [--big-mib N] [--only 1,2,3,4]
                         [--dir PARENT] [--keep] [--rev REV]

  --runs N       measured runs per command (default 3)
  --warmup N     unmeasured runs per command first (default 1)
  --files N      small files in benchmarks 1, 3 and 4 (default 10000, a multiple of 100)
  --big-mib N    size of the large file of benchmark 2 in MiB (default 1024)
  --only LIST    benchmarks to run, e.g. 1,3 (default 1,2,3,4; 4 runs on 3's setup)
  --dir PARENT   where the temp folder goes (default the system temp folder)
  --keep         keep the temp folder (for inspection)
  --rev REV      measure a commit (git archive) instead of the working tree

The S3 server: AWS_ENDPOINT_URL (default ${S3_ENV.AWS_ENDPOINT_URL}, started by
\`bash tools/servers/ceph.sh start\`), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
Needs rclone and restic on PATH (\`apt-get install -y rclone restic\`; installed
when missing and run as root).`;

/** Shared settings and state of a run. */
interface Ctx {
  tmp: string;
  runs: number;
  warmup: number;
  /** The S3 server, as the tools reach it for timed runs. */
  endpoint: string;
  /** The counting proxy in front of it. */
  counter: Counter;
  client: S3Client;
  /** main.ts of the snapshot being measured. */
  main: string;
  /** An empty rclone config file (the remote is configured by environment variables). */
  rcloneConf: string;
  /** The Ceph config for `radosgw-admin` (fast bucket removal), when this is that server. */
  cephConf: string | null;
  /** Buckets that exist now. */
  live: Set<string>;
  /** This run's tag, in every bucket name. */
  tag: string;
}

/** The three tools. */
type Tool = "backup" | "rclone" | "restic";

/** A run through the counting proxy. */
interface Counted {
  name: string;
  ms: number;
  counts: Counts;
}

function progress(name: string, ms: number, warmup: boolean): void {
  console.error(`    ${name}: ${fmtMs(ms)}${warmup ? " (warm-up)" : ""}`);
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MIB) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / MIB).toFixed(1)} MiB`;
}

// ---------------------------------------------------------------- buckets

/** A bucket name of this run (3 to 63 lowercase characters). */
function bucketName(ctx: Ctx, label: string): string {
  return `ob-${ctx.tag}-${label}`;
}

/** Removes a bucket and everything in it (radosgw-admin when available: server-side, no GC wait). */
async function removeBucket(ctx: Ctx, bucket: string): Promise<void> {
  ctx.live.delete(bucket);
  if (ctx.cephConf !== null) {
    const r = await exec([
      "radosgw-admin",
      "-c",
      ctx.cephConf,
      "-n",
      "client.rgw.backup",
      "--admin-socket=",
      "--log-file=/dev/null",
      "bucket",
      "rm",
      `--bucket=${bucket}`,
      "--purge-objects",
      "--bypass-gc",
    ], true);
    if (r.code === 0) return;
  }
  const c = ctx.client;
  let token: string | undefined;
  try {
    do {
      const res = await c.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      const keys = (res.Contents ?? []).flatMap((o) => o.Key ? [{ Key: o.Key }] : []);
      if (keys.length > 0) {
        await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    const ups = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of ups.Uploads ?? []) {
      await c.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }),
      );
    }
    await c.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== "NoSuchBucket") throw err;
  }
}

/** Removes every bucket of this run that exists. */
async function removeAll(ctx: Ctx): Promise<void> {
  for (const b of [...ctx.live]) await removeBucket(ctx, b);
}

/** A fresh, empty bucket called `bucket` (removed first if it exists). */
async function freshBucket(ctx: Ctx, bucket: string): Promise<void> {
  if (ctx.live.has(bucket)) await removeBucket(ctx, bucket);
  await ctx.client.send(new CreateBucketCommand({ Bucket: bucket }));
  ctx.live.add(bucket);
}

/** How many keys a bucket holds under `prefix`, the backup's own `RESERVED_DIR` aside. */
async function countKeys(ctx: Ctx, bucket: string, prefix = ""): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const res = await ctx.client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    n += (res.Contents ?? []).filter((o) => !o.Key?.includes(`${RESERVED_DIR}/`)).length;
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return n;
}

// ---------------------------------------------------------------- the tools

/** The folder the backup's log and state of `bucket` live in, below the cache `cache`. */
function cacheDest(cache: string, bucket: string): string {
  return `${cache}/s3/${bucket}/${PREFIX}`;
}

/** `backup --once` of `src` into `bucket` with the cache in `cache`. */
function backupOnce(
  ctx: Ctx,
  src: string,
  bucket: string,
  cache: string,
  endpoint: string,
): Pick<Case, "cmd" | "env"> {
  return {
    cmd: [
      DENO,
      "run",
      "--quiet",
      ...REMOTE_PERMS,
      ctx.main,
      "--src",
      src,
      "--dest",
      `s3://${bucket}/${PREFIX}`,
      "--once",
      "--quiet",
    ],
    env: { AWS_ENDPOINT_URL: endpoint, BACKUP_CACHE_DIR: cache, NO_COLOR: "1" },
  };
}

/** `rclone ARGS` against the server at `endpoint` (the remote `rgw:`, set by environment). */
function rclone(ctx: Ctx, args: string[], endpoint: string): Pick<Case, "cmd" | "env"> {
  return {
    cmd: ["rclone", "--config", ctx.rcloneConf, ...args],
    // rclone's AWS SDK refuses any AWS_CA_BUNDLE with its own HTTP transport ("unsupported
    // transport"); the endpoint is plain HTTP anyway.
    env: { RCLONE_CONFIG_RGW_ENDPOINT: endpoint, AWS_CA_BUNDLE: "" },
  };
}

/** `restic ARGS` on the repository in `bucket`. */
function restic(
  ctx: Ctx,
  bucket: string,
  args: string[],
  endpoint: string,
): Pick<Case, "cmd" | "env"> {
  return {
    cmd: [
      "restic",
      "-r",
      `s3:${endpoint}/${bucket}`,
      "--cache-dir",
      `${ctx.tmp}/restic-cache/${bucket}`,
      "--quiet",
      ...args,
    ],
    env: {},
  };
}

/** Checks the last pass of a backup did what was expected; returns it (there must be one). */
function expectPass(dir: string, want: Partial<PassInfo>, label: string): PassInfo {
  if (lastPass(dir) === null) {
    throw new Error(`${label}: no PASS line in ${dir}/${RESERVED_DIR}/backup.log`);
  }
  return passDid(dir, want, label)!;
}

/** The last PASS line of a backup's log, as written. */
function passLine(dir: string): string {
  try {
    const text = Deno.readTextFileSync(`${dir}/${RESERVED_DIR}/backup.log`);
    return text.split("\n").findLast((l) => /PASS \d+ \(/.test(l))?.replace(/^\[[^\]]*\] /, "") ??
      "";
  } catch {
    return "";
  }
}

/**
 * The three cases of an upload benchmark (1 and 2), each into a fresh bucket
 * (and a fresh cache, a fresh restic repository) made untimed before each run.
 */
function uploadCases(
  ctx: Ctx,
  id: string,
  src: string,
  files: number,
  endpoint: string,
): Record<Tool, Case> {
  const b = (t: Tool) => bucketName(ctx, `${id}-${t}`);
  const cache = `${ctx.tmp}/cache-${id}`;
  const clean = async (tool: Tool) => {
    await removeAll(ctx); // the server keeps objects in memory: one tool's upload at a time
    await freshBucket(ctx, b(tool));
  };
  return {
    backup: {
      name: "backup --once",
      ...backupOnce(ctx, src, b("backup"), cache, endpoint),
      prepare: async () => {
        await clean("backup");
        await Deno.remove(cache, { recursive: true }).catch(() => {});
      },
      verify: () =>
        void expectPass(cacheDest(cache, b("backup")), { copied: files, errors: 0 }, id),
    },
    rclone: {
      name: "rclone sync",
      ...rclone(ctx, ["sync", src, `rgw:${b("rclone")}/${PREFIX}`], endpoint),
      prepare: () => clean("rclone"),
    },
    restic: {
      name: "restic backup",
      ...restic(ctx, b("restic"), ["backup", src], endpoint),
      prepare: async () => {
        await clean("restic");
        const init = restic(ctx, b("restic"), ["init"], endpoint);
        await exec(init.cmd, false, init.env);
      },
    },
  };
}

/**
 * Runs each case once through the counting proxy; writes each run's requests to
 * bench/out/offsite-trace-ID-NAME.json.
 */
async function countRuns(ctx: Ctx, id: string, cases: Case[]): Promise<Counted[]> {
  const out: Counted[] = [];
  for (const c of cases) {
    const { prepare, ...once } = c;
    await prepare?.();
    ctx.counter.reset();
    const [s] = await timeCases([once], {
      runs: 1,
      warmup: 0,
      onRun: (name, ms) => console.error(`    ${name} (counted): ${fmtMs(ms)}`),
    });
    out.push({ name: c.name, ms: s!.median, counts: ctx.counter.counts() });
    // Every request of the run (start, end, kind, path), for a closer look at where time went.
    const slug = c.name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
    Deno.mkdirSync(OUT_DIR, { recursive: true });
    Deno.writeTextFileSync(
      `${OUT_DIR}/offsite-trace-${id}-${slug}.json`,
      JSON.stringify(ctx.counter.trace()),
    );
  }
  return out;
}

/** The table of counted runs. */
function countTable(runs: Counted[]): string {
  return table(
    ["Command (through the proxy)", "Wall", "Requests", "Uploaded", "Most in flight"],
    runs.map((r) => [
      `\`${r.name}\``,
      fmtMs(r.ms),
      fmtRequests(r.counts),
      fmtBytes(r.counts.bodyBytes),
      String(r.counts.peakInFlight),
    ]),
  );
}

function ratioRows(samples: Sample[], backup: Sample): string[][] {
  return samples.map((s) => [
    `\`${s.name}\``,
    fmtSample(s),
    s === backup ? "1.00x" : fmtRatio(backup.median / s.median),
  ]);
}

/** Benchmark 1 or 2: uploads into fresh buckets, timed, then counted. */
async function benchUpload(
  ctx: Ctx,
  id: "1" | "2",
  title: string,
  src: string,
  files: number,
): Promise<Section> {
  const timed = uploadCases(ctx, id, src, files, ctx.endpoint);
  const samples = await timeCases([timed.backup, timed.rclone, timed.restic], {
    runs: ctx.runs,
    warmup: ctx.warmup,
    onRun: progress,
  });
  console.error(`[${id}] once more each, through the counting proxy`);
  const viaProxy = uploadCases(ctx, id, src, files, ctx.counter.url);
  const counted = await countRuns(ctx, id, [viaProxy.backup, viaProxy.rclone]);
  const rcloneKeys = await countKeys(ctx, bucketName(ctx, `${id}-rclone`));
  // rclone also copies the marker file the backup leaves in its source (`.backup-source`).
  if (rcloneKeys < files) throw new Error(`${id}: rclone's bucket holds ${rcloneKeys} keys`);
  counted.push(...await countRuns(ctx, id, [viaProxy.restic]));
  await removeAll(ctx);

  const backup = pick(samples, "backup --once");
  const ratio = backup.median / pick(samples, "rclone sync").median;
  const resticRatio = backup.median / pick(samples, "restic backup").median;
  const markdown = [
    `## ${id}. ${title}`,
    "",
    "Every run starts from a fresh bucket (and for the backup an empty cache folder, for restic a",
    "fresh repository made by `restic init`), untimed. Medians of the measured runs, with the range.",
    "",
    table(["Command", "Median (min–max)", "backup ÷ this"], ratioRows(samples, backup)),
    "",
    `Goal: backup ÷ \`rclone sync\` ≤ 1.00. Measured: **${fmtRatio(ratio)}**: ${
      ratio <= 1 ? "met" : "missed"
    }. Against \`restic backup\`: ${fmtRatio(resticRatio)}.`,
    "",
    "The same commands once more through the counting proxy (bench/s3count.ts): requests by kind",
    "(COPY is a PUT with `x-amz-copy-source`, LIST a bucket-level GET), request body bytes, and the",
    "most requests in flight at once. The proxy adds its own latency to the wall time.",
    "",
    countTable(counted),
  ].join("\n");
  return {
    id,
    markdown,
    goals: [{
      id,
      goal: `${title}: backup ÷ \`rclone sync\` ≤ 1.00`,
      measured: fmtRatio(ratio),
      met: ratio <= 1,
    }],
    data: { samples, counted },
  };
}

// ---------------------------------------------------------------- benchmarks 3 and 4

/** The tree of benchmarks 3 and 4, backed up and synced. */
interface Synced {
  src: string;
  files: number;
  moveFiles: number;
  cache: string;
  backupBucket: string;
  rcloneBucket: string;
}

/**
 * A tree of `files` files: one folder `move/` of a tenth of them (the one
 * benchmark 4 renames), the rest in folders of 100; backed up and synced
 * (untimed).
 */
async function setupSynced(ctx: Ctx, files: number): Promise<Synced> {
  const src = `${ctx.tmp}/b3/src`;
  const moveFiles = files / 10;
  console.error(`[3] writing ${files} files of 4 KiB (${moveFiles} of them in one folder)`);
  makeTree(src, { dirs: (files - moveFiles) / 100, filesPerDir: 100, fileBytes: 4096 });
  makeTree(`${src}/move`, { dirs: 1, filesPerDir: moveFiles, fileBytes: 4096 });
  Deno.utimeSync(src, OLD_MTIME_S, OLD_MTIME_S);
  const cache = `${ctx.tmp}/cache-3`;
  const backupBucket = bucketName(ctx, "3-backup");
  const rcloneBucket = bucketName(ctx, "3-rclone");
  await freshBucket(ctx, backupBucket);
  await freshBucket(ctx, rcloneBucket);
  console.error("    initial backup and rclone sync (untimed)");
  const b = backupOnce(ctx, src, backupBucket, cache, ctx.endpoint);
  await exec(b.cmd, false, b.env);
  expectPass(cacheDest(cache, backupBucket), { copied: files, errors: 0 }, "3 setup");
  const r = rclone(ctx, ["sync", src, `rgw:${rcloneBucket}/${PREFIX}`], ctx.endpoint);
  await exec(r.cmd, false, r.env);
  return { src, files, moveFiles, cache, backupBucket, rcloneBucket };
}

const NO_CHANGE: Partial<PassInfo> = { copied: 0, deleted: 0, dirs: 0, updated: 0, errors: 0 };

async function benchNoChange(ctx: Ctx, t: Synced): Promise<Section> {
  const dest = cacheDest(t.cache, t.backupBucket);
  const backupCase = (endpoint: string): Case => ({
    name: "backup --once",
    ...backupOnce(ctx, t.src, t.backupBucket, t.cache, endpoint),
    verify: () => void expectPass(dest, NO_CHANGE, "3"),
  });
  const dryCase = (endpoint: string): Case => ({
    name: "rclone sync --dry-run",
    ...rclone(ctx, ["sync", "--dry-run", t.src, `rgw:${t.rcloneBucket}/${PREFIX}`], endpoint),
  });
  console.error("[3] the first pass after the upload, and rclone's, through the counting proxy");
  const first = await countRuns(ctx, "3", [
    { ...backupCase(ctx.counter.url), name: "backup --once (first process after the upload)" },
    dryCase(ctx.counter.url),
  ]);
  console.error(`[3] pass with no change over ${t.files} files`);
  const startup: Case = {
    name: "backup --help (Deno start-up only)",
    cmd: [DENO, "run", "--quiet", ...REMOTE_PERMS, ctx.main, "--help"],
  };
  const samples = await timeCases([backupCase(ctx.endpoint), dryCase(ctx.endpoint), startup], {
    runs: ctx.runs,
    warmup: ctx.warmup,
    onRun: progress,
  });
  console.error("[3] a later pass, through the counting proxy");
  const later = await countRuns(ctx, "3", [
    { ...backupCase(ctx.counter.url), name: "backup --once (a later process)" },
  ]);
  const pass = expectPass(dest, NO_CHANGE, "3");

  const backup = pick(samples, "backup --once");
  const dry = pick(samples, "rclone sync --dry-run");
  const start = pick(samples, "backup --help (Deno start-up only)");
  const ratio = backup.median / dry.median;
  const markdown = [
    `## 3. Pass with no change over ${t.files.toLocaleString("en")} files`,
    "",
    `The tree: ${
      (t.files - t.moveFiles) / 100
    } folders of 100 files and one folder of ${t.moveFiles}`,
    "(4 KiB each), backed up and synced untimed; every backup run is checked to have copied,",
    "deleted and updated nothing. The backup keeps its cache folder between runs, as on the",
    "machine that runs it; rclone has no state but the bucket.",
    "",
    table(["Command", "Median (min–max)", "backup ÷ this"], ratioRows(samples, backup)),
    "",
    `Goal: backup ÷ \`rclone sync --dry-run\` ≤ 0.50. Measured: **${fmtRatio(ratio)}**: ${
      ratio <= 0.5 ? "met" : "missed"
    }. Deno start-up and module load are ${
      fmtMs(start.median)
    } of it; the pass itself logged ${pass.seconds} s (scan, plan, apply).`,
    "",
    "Counted through the proxy: the first pass of a new process after the initial upload, rclone's",
    "dry run, and a pass of a later process (after the timed runs):",
    "",
    countTable([...first, ...later]),
  ].join("\n");
  return {
    id: "3",
    markdown,
    goals: [{
      id: "3",
      goal: "no change: backup ÷ `rclone sync --dry-run` ≤ 0.50",
      measured: fmtRatio(ratio),
      met: ratio <= 0.5,
    }],
    data: { samples, counted: [...first, ...later], pass },
  };
}

async function benchRename(ctx: Ctx, t: Synced): Promise<Section> {
  console.error(`[4] renaming a folder of ${t.moveFiles} files; one pass of each, counted`);
  Deno.renameSync(`${t.src}/move`, `${t.src}/moved`);
  const dest = cacheDest(t.cache, t.backupBucket);
  const counted = await countRuns(ctx, "4", [
    {
      name: "backup --once",
      ...backupOnce(ctx, t.src, t.backupBucket, t.cache, ctx.counter.url),
      verify: () => void expectPass(dest, { copied: 0, errors: 0 }, "4"),
    },
    {
      name: "rclone sync",
      ...rclone(ctx, ["sync", t.src, `rgw:${t.rcloneBucket}/${PREFIX}`], ctx.counter.url),
    },
  ]);
  const line = passLine(dest);
  const under = (folder: string) => `${PREFIX}/${folder}/`;
  const [backupNew, backupOld, rcloneNew, rcloneOld] = await Promise.all([
    countKeys(ctx, t.backupBucket, under("moved")),
    countKeys(ctx, t.backupBucket, under("move")),
    countKeys(ctx, t.rcloneBucket, under("moved")),
    countKeys(ctx, t.rcloneBucket, under("move")),
  ]);
  if (rcloneNew !== t.moveFiles || rcloneOld !== 0) {
    throw new Error(`4: rclone's bucket holds ${rcloneNew} new and ${rcloneOld} old keys`);
  }
  // Folder markers: the backup keeps one per folder (moved/ and moved/d0000/).
  if (backupNew < t.moveFiles || backupOld !== 0) {
    throw new Error(`4: the backup's bucket holds ${backupNew} new and ${backupOld} old keys`);
  }
  const b = counted[0]!.counts;
  const met = b.dataBytes === 0;
  const markdown = [
    `## 4. A folder of ${t.moveFiles.toLocaleString("en")} files renamed`,
    "",
    `On benchmark 3's tree and buckets, \`move/\` is renamed \`moved/\`; then one pass of each`,
    "through the counting proxy, which counts every request body the client sends: the bytes",
    "uploaded are counted at the client's side of the connection, not read from the server's",
    `statistics. File bytes are the PUT bodies to file keys; the backup's journal and lease (keys`,
    `under \`${PREFIX}/${RESERVED_DIR}/\`) are counted apart. The buckets are then listed: both hold`,
    `the files under \`moved/\` and nothing under \`move/\`.`,
    "",
    table(
      ["Command", "Wall (through the proxy)", "Requests", "File bytes", "Journal bytes"],
      counted.map((r) => [
        `\`${r.name}\``,
        fmtMs(r.ms),
        fmtRequests(r.counts),
        fmtBytes(r.counts.dataBytes),
        fmtBytes(r.counts.reservedBytes),
      ]),
    ),
    "",
    `The backup's own summary of the pass: \`${line}\`.`,
    "",
    `Goal: 0 bytes of file content uploaded by the backup. Measured: **${
      fmtBytes(b.dataBytes)
    }** (and ${fmtBytes(b.reservedBytes)} of journal): ${met ? "met" : "missed"}.`,
  ].join("\n");
  return {
    id: "4",
    markdown,
    goals: [{
      id: "4",
      goal: `rename of a ${t.moveFiles}-file folder: 0 bytes of files uploaded`,
      measured: fmtBytes(b.dataBytes),
      met,
    }],
    data: { counted, passLine: line },
  };
}

// ---------------------------------------------------------------- the run

/** rclone and restic on PATH: installs them from Debian as root, else says how. */
async function ensureAnchors(): Promise<void> {
  const has = async (cmd: string) =>
    (await exec(["sh", "-c", `command -v ${cmd}`], true)).code === 0;
  const missing = [];
  for (const cmd of ["rclone", "restic"]) if (!(await has(cmd))) missing.push(cmd);
  if (missing.length === 0) return;
  if (Deno.uid() !== 0 || !(await has("apt-get"))) {
    throw new Error(`${missing.join(" and ")} missing: run \`apt-get install -y rclone restic\``);
  }
  console.error(`installing ${missing.join(" ")} (apt-get)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await exec(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq"], false, env);
  await exec(
    ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", ...missing],
    false,
    env,
  );
}

/** Fails with the fix when nothing answers at `endpoint`. */
async function ensureServer(endpoint: string): Promise<void> {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
  } catch {
    throw new Error(
      `no S3 server at ${endpoint}: start one with \`bash tools/servers/ceph.sh start\``,
    );
  }
}

/** The Ceph config of tools/servers/ceph.sh, when radosgw-admin can use it. */
async function findCephConf(endpoint: string): Promise<string | null> {
  const conf = `${Deno.env.get("BACKUP_CEPH_DIR") ?? "/tmp/backup-ceph"}/ceph.conf`;
  const port = Deno.env.get("BACKUP_CEPH_PORT") ?? "7480";
  if (new URL(endpoint).port !== port) return null;
  try {
    Deno.statSync(conf);
  } catch {
    return null;
  }
  const r = await exec(["sh", "-c", "command -v radosgw-admin"], true);
  return r.code === 0 ? conf : null;
}

async function machine(ctx: Ctx): Promise<[string, string][]> {
  const first = (text: string): string => text.trim().split("\n")[0] ?? "";
  const cpu = /Model name:\s*(.*)/.exec((await exec(["lscpu"])).stdout)?.[1] ?? "?";
  const rgw = await exec(["sh", "-c", "radosgw --version"], true);
  return [
    ["Date", new Date().toISOString()],
    ["CPU", `${(await exec(["nproc"])).stdout.trim()} cores (\`nproc\`), ${cpu}`],
    ["Memory", `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`],
    [
      "Load average at the start (1, 5, 15 min)",
      Deno.loadavg().map((l) => l.toFixed(2)).join(", "),
    ],
    ["Deno", Deno.version.deno],
    ["S3 server", `${ctx.endpoint}${rgw.code === 0 ? `, ${first(rgw.stdout)}` : ""}`],
    [
      "rclone",
      `${
        first((await exec(["rclone", "version"])).stdout)
      } (defaults: --transfers 4, --checkers 8)`,
    ],
    ["restic", first((await exec(["restic", "version"])).stdout)],
  ];
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      warmup: { type: "string" },
      files: { type: "string" },
      "big-mib": { type: "string" },
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
  const whole = (name: string, text: string | undefined, dflt: number, min: number): number => {
    const n = Number(text ?? dflt);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`--${name} must be a whole number ≥ ${min}`);
    }
    return n;
  };
  const runs = whole("runs", values.runs, 3, 1);
  const warmup = whole("warmup", values.warmup, 1, 0);
  const files = whole("files", values.files, 10_000, 100);
  if (files % 100 !== 0 || files > 99_900) {
    throw new Error("--files must be a multiple of 100, at most 99,900 (folders of 100 files)");
  }
  const bigMiB = whole("big-mib", values["big-mib"], 1024, 1);
  const only = new Set((values.only ?? "1,2,3,4").split(",").map((s) => s.trim()));

  await ensureAnchors();
  const endpoint = Deno.env.get("AWS_ENDPOINT_URL") ?? S3_ENV.AWS_ENDPOINT_URL!;
  await ensureServer(endpoint);
  // The tools' common environment: the backup and restic read AWS_*, rclone its RCLONE_CONFIG_*.
  const access = Deno.env.get("AWS_ACCESS_KEY_ID") ?? S3_ENV.AWS_ACCESS_KEY_ID!;
  const secret = Deno.env.get("AWS_SECRET_ACCESS_KEY") ?? S3_ENV.AWS_SECRET_ACCESS_KEY!;
  const region = Deno.env.get("AWS_REGION") ?? S3_ENV.AWS_REGION!;
  for (
    const [k, v] of Object.entries({
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: access,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_REGION: region,
      RESTIC_PASSWORD: "offsite-bench",
      RCLONE_CONFIG_RGW_TYPE: "s3",
      RCLONE_CONFIG_RGW_PROVIDER: "Ceph",
      RCLONE_CONFIG_RGW_ENV_AUTH: "false",
      RCLONE_CONFIG_RGW_ACCESS_KEY_ID: access,
      RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: secret,
      RCLONE_CONFIG_RGW_REGION: region,
    })
  ) Deno.env.set(k, v);

  const started = performance.now();
  const prefix = "backup-offsite-";
  const tmp = await Deno.makeTempDir(values.dir ? { dir: values.dir, prefix } : { prefix });
  const counter = await startCounter(endpoint, `/${RESERVED_DIR}/`);
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region,
    credentials: { accessKeyId: access, secretAccessKey: secret },
  });
  const ctx: Ctx = {
    tmp,
    runs,
    warmup,
    endpoint,
    counter,
    client,
    main: `${tmp}/program/main.ts`,
    rcloneConf: `${tmp}/rclone.conf`,
    cephConf: await findCephConf(endpoint),
    live: new Set(),
    tag: crypto.randomUUID().slice(0, 8),
  };
  Deno.writeTextFileSync(ctx.rcloneConf, "");
  let interrupted = false;
  const cleanup = async () => {
    await removeAll(ctx).catch((err) => console.error(`could not remove buckets: ${err}`));
    await counter.close();
    if (!values.keep) Deno.removeSync(tmp, { recursive: true });
  };
  const onSignal = () => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    console.error(`interrupted; removing the buckets and ${tmp}`);
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  const sections: Section[] = [];
  let env: [string, string][];
  try {
    const version = await snapshot(`${tmp}/program`, values.rev);
    env = [...await machine(ctx), ["Program measured", version]];
    if (only.has("1")) {
      const src = `${tmp}/b1/src`;
      console.error(`[1] initial upload: writing ${files} files of 4 KiB in 100 folders`);
      makeTree(src, { dirs: 100, filesPerDir: files / 100, fileBytes: 4096 });
      const title = `Initial upload of ${files.toLocaleString("en")} files of 4 KiB in 100 folders`;
      sections.push(await benchUpload(ctx, "1", title, src, files));
      Deno.removeSync(`${tmp}/b1`, { recursive: true });
    }
    if (only.has("2")) {
      const src = `${tmp}/b2/src`;
      Deno.mkdirSync(src, { recursive: true });
      console.error(`[2] one file of ${bigMiB} MiB`);
      makeBigFile(`${src}/big.bin`, bigMiB * MIB);
      const size = bigMiB >= 1024 ? `${bigMiB / 1024} GiB` : `${bigMiB} MiB`;
      sections.push(await benchUpload(ctx, "2", `One file of ${size}`, src, 1));
      Deno.removeSync(`${tmp}/b2`, { recursive: true });
    }
    if (only.has("3") || only.has("4")) {
      const synced = await setupSynced(ctx, files);
      if (only.has("3")) sections.push(await benchNoChange(ctx, synced));
      if (only.has("4")) sections.push(await benchRename(ctx, synced));
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await cleanup();
  }
  const elapsed = performance.now() - started;
  env.push(["Load average at the end", Deno.loadavg().map((l) => l.toFixed(2)).join(", ")]);
  const markdown = resultsPage({
    title: "Off-site benchmark results",
    produced:
      `Produced by \`deno task bench:offsite\` (${runs} measured runs per command after ${warmup} warm-up, interleaved; ${
        fmtMs(elapsed)
      } in all).`,
    env,
  }, sections);
  console.log(markdown);
  Deno.mkdirSync(OUT_DIR, { recursive: true });
  Deno.writeTextFileSync(`${OUT_DIR}/offsite.md`, markdown);
  Deno.writeTextFileSync(
    `${OUT_DIR}/offsite.json`,
    JSON.stringify(
      {
        env: Object.fromEntries(env),
        runs,
        warmup,
        files,
        bigMiB,
        sections: Object.fromEntries(sections.map((s) => [s.id, s.data])),
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`written to ${OUT_DIR}/offsite.md and offsite.json`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (err) {
    console.error(`bench:offsite: ${err instanceof Error ? err.message : String(err)}`);
    Deno.exit(1);
  }
}
