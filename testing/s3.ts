/**
 * Helpers for the black-box tests of `--dest s3://...` against the Ceph RGW
 * that `tools/servers/ceph.sh start` runs on 127.0.0.1:7480 (`.ci/run` starts
 * it). Without the server the tests are ignored, except in CI
 * (`BACKUP_CI=1`), where they fail loudly. The CLI runners and the checks
 * here ({@link runRemote}, {@link once}, {@link assertRestores}) serve the
 * Azure tests too (testing/azure.ts), with its environment on top.
 *
 * @module
 */

import {
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type MultipartUpload,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  assertMirror,
  type CliResult,
  type Daemon,
  followDaemon,
  MAIN,
  put,
  ROOT,
  tempDir,
  waitFor,
} from "./helpers.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import { createHasher } from "../lib/base/hash.ts";

/** The environment the CLI gets to reach the test server (tools/servers/ceph.sh env). */
export const S3_ENV: Record<string, string> = {
  AWS_ENDPOINT_URL: Deno.env.get("BACKUP_TEST_S3_ENDPOINT") ?? "http://127.0.0.1:7480",
  AWS_ACCESS_KEY_ID: "backuptestkey",
  AWS_SECRET_ACCESS_KEY: "backuptestsecret",
  AWS_REGION: "us-east-1",
};

/** The permissions of the CLI with a remote destination (README "Off-site"). */
export const REMOTE_PERMS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
  "--allow-sys=osRelease",
];

/** True when the server at `url` answers HTTP at all. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** Whether the S3 tests are ignored: no server, and not in CI (where they must fail instead). */
export const S3_IGNORE = !(await answers(S3_ENV.AWS_ENDPOINT_URL!)) &&
  Deno.env.get("BACKUP_CI") !== "1";

/** A client of the test server, for the tests' own looks into the bucket. */
export function testClient(): S3Client {
  return new S3Client({
    endpoint: S3_ENV.AWS_ENDPOINT_URL!,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: {
      accessKeyId: S3_ENV.AWS_ACCESS_KEY_ID!,
      secretAccessKey: S3_ENV.AWS_SECRET_ACCESS_KEY!,
    },
  });
}

/** Creates a fresh bucket with a random name; fails loudly when the server is missing. */
export async function newBucket(client: S3Client): Promise<string> {
  const name = `bt-${crypto.randomUUID().slice(0, 12)}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    throw new Error(
      `no S3 server at ${S3_ENV.AWS_ENDPOINT_URL} (run tools/servers/ceph.sh start): ${err}`,
    );
  }
  return name;
}

/** Every key of a bucket (under `prefix`). */
export async function keysOf(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Puts one object (a stray the backup did not write). */
export async function putKey(
  client: S3Client,
  bucket: string,
  key: string,
  body: string,
): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** The command and environment of a CLI run against the test server. */
function command(args: string[], env: Record<string, string>, piped: boolean): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...REMOTE_PERMS, MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: piped ? "piped" : "null",
    stderr: piped ? "piped" : "null",
    env: { NO_COLOR: "1", ...S3_ENV, ...env },
  });
}

/** Runs `backup ARGS` against the test server (`env` on top: BACKUP_CACHE_DIR, wrong keys...). */
export async function runRemote(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await command(args, env, true).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Starts `backup ARGS` against the test server in the background. */
export function startRemoteDaemon(args: string[], env: Record<string, string> = {}): Daemon {
  return followDaemon(command(args, env, true).spawn());
}

/** The xxh128 of `data`, as the backup writes it into an object's metadata. */
export async function xxh128(data: Uint8Array): Promise<string> {
  const hasher = await createHasher();
  hasher.init();
  hasher.update(data);
  return hasher.digest();
}

/**
 * Restores the whole backup at `url` on a "new machine" (an empty cache) and checks it mirrors
 * `src` (`env` on top, e.g. another store's credentials).
 */
export async function assertRestores(
  url: string,
  src: string,
  name: string,
  env: Record<string, string> = {},
): Promise<void> {
  await using machine = await tempDir("backup-remote-newmachine-");
  const out = `${machine.path}/out`;
  const res = await runRemote(["restore", "--dest", url, "", "--to", out], {
    ...env,
    BACKUP_CACHE_DIR: `${machine.path}/cache`,
  });
  assertEquals(res.code, 0, res.stderr);
  assertMirror(src, `${out}/${name}`);
}

/** One `--once` pass into `url` with the cache in `cache`; returns stdout and stderr. */
export async function once(
  src: string,
  url: string,
  cache: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<string> {
  const res = await runRemote(["--src", src, "--dest", url, "--once", ...extra], {
    ...env,
    BACKUP_CACHE_DIR: cache,
  });
  assertEquals(res.code, 0, res.stdout + res.stderr);
  return res.stdout + res.stderr;
}

/** A tree with every kind of entry: files (one 0600), nested folders, an empty one, a symlink. */
export function seedTree(src: string): void {
  put(`${src}/a/one.txt`, "one");
  put(`${src}/a/b/two.txt`, "two two");
  put(`${src}/top.bin`, new Uint8Array(300_000).map((_, i) => i % 251));
  Deno.mkdirSync(`${src}/empty/deeper`, { recursive: true });
  Deno.symlinkSync("a/one.txt", `${src}/link`);
  Deno.chmodSync(`${src}/a/one.txt`, 0o600);
}

/**
 * Every kind of change to {@link seedTree}'s tree: content, mode, mtime, delete, a file becoming
 * a folder, a new symlink target, a folder removed, a new empty folder.
 */
export function changeEverything(src: string): void {
  put(`${src}/a/b/two.txt`, "two changed");
  Deno.chmodSync(`${src}/top.bin`, 0o640);
  Deno.utimeSync(`${src}/a/one.txt`, new Date(2020, 1, 2), new Date(2020, 1, 2));
  Deno.removeSync(`${src}/link`);
  Deno.symlinkSync("top.bin", `${src}/link`);
  Deno.removeSync(`${src}/empty`, { recursive: true });
  Deno.mkdirSync(`${src}/fresh`);
  Deno.removeSync(`${src}/top.bin`);
  put(`${src}/top.bin/inside.txt`, "now a folder");
}

/**
 * Checks that a pass with nothing to do uploaded, moved and deleted nothing. (Files changed under
 * 2 s ago are racy: their re-hash may record an "updated" each, a metadata copy, no upload.)
 */
export function assertIdle(output: string): void {
  assertMatch(
    output,
    /PASS 1 \(scan\): 0 copied \(0 B\), 0 moved, 0 deleted, 0 folders created, 0 symlinks created, \d+ updated, 0 errors/,
  );
}

/**
 * The whole round on a store: {@link seedTree} into `src`, a first pass into `url` (under the
 * store's `prefix`, listed with `keys`) that copies every kind of entry and a journal, a restore,
 * {@link changeEverything}, a pass, a restore, and an idle pass. `afterFirst` looks at the store
 * after the first pass; `env` on top (another store's credentials).
 */
export async function assertEveryChange(
  src: string,
  url: string,
  cache: string,
  prefix: string,
  keys: (prefix: string) => Promise<string[]>,
  env: Record<string, string> = {},
  afterFirst: () => Promise<void> = async () => {},
): Promise<void> {
  const name = prefix.split("/").pop()!;
  seedTree(src);
  assertMatch(await once(src, url, cache, [], env), /PASS 1 \(scan\): 3 copied/);
  const stored = await keys(`${prefix}/`);
  for (const k of ["a/one.txt", "a/b/two.txt", "top.bin", "link", "empty/", "empty/deeper/"]) {
    assert(stored.includes(`${prefix}/${k}`), `missing object ${k}: ${stored.join(", ")}`);
  }
  assert(
    stored.some((k) => k.startsWith(`${prefix}/${RESERVED_DIR}/journal/`)),
    "no journal in the store",
  );
  await afterFirst();
  await assertRestores(url, src, name, env);

  changeEverything(src);
  await once(src, url, cache, [], env);
  await assertRestores(url, src, name, env);
  assertIdle(await once(src, url, cache, [], env));
}

/**
 * Runs a daemon on `url` as machine A, checks that a `--once` from machine B (its own cache
 * folder, so only the bucket's lease keeps it out) is refused with exit 5 in one line, then that
 * B may write once A stopped and released the lease. `env` on top (another store's credentials).
 */
export async function assertSecondWriterRefused(
  src: string,
  url: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<void> {
  const first = startRemoteDaemon(
    ["--src", src, "--dest", url, "--interval", "60", "--no-watch"],
    { ...env, BACKUP_CACHE_DIR: `${dir}/machine-a` },
  );
  const machineB = { ...env, BACKUP_CACHE_DIR: `${dir}/machine-b` };
  try {
    await waitFor(() => /PASS 1/.test(first.output()), { timeoutMs: 30_000, what: "first pass" });
    const second = await runRemote(["--src", src, "--dest", url, "--once"], machineB);
    assertEquals(second.code, 5, second.stderr);
    assertEquals(second.stderr.trim().split("\n").length, 1, second.stderr);
    assertMatch(second.stderr, /in use by process \d+ of machine/);
  } finally {
    assertEquals(await first.stop(), 0, first.output());
  }
  const later = await runRemote(["--src", src, "--dest", url, "--once"], machineB);
  assertEquals(later.code, 0, later.stderr);
}

/**
 * Backs up `count` files in `src/photos` to `url` (prefix `m`), renames the folder, and checks the
 * next pass moved it by server-side copies: nothing uploaded, no key left under the old name, every
 * one under the new, and a restore equal to the source. `keys(prefix)` lists the store's keys.
 */
export async function assertFolderMoveServerSide(
  src: string,
  url: string,
  cache: string,
  count: number,
  keys: (prefix: string) => Promise<string[]>,
  env: Record<string, string> = {},
): Promise<void> {
  for (let i = 0; i < count; i++) put(`${src}/photos/p${i}.jpg`, `photo ${i} `.repeat(50));
  await once(src, url, cache, [], env);
  Deno.renameSync(`${src}/photos`, `${src}/pictures`);
  const err = await once(src, url, cache, ["--verbose"], env);
  assertMatch(err, /FOLDER MOVED: photos -> pictures/);
  assertMatch(err, /0 copied \(0 B\), 1 moved/);
  const left = await keys("m/");
  assertEquals(left.filter((k) => k.startsWith("m/photos/")), [], "the old folder's keys are left");
  assertEquals(left.filter((k) => k.startsWith("m/pictures/p")).length, count);
  await assertRestores(url, src, "m", env);
}

/**
 * Stops the server under a running `daemon` (`stop`), waits until the daemon says it waits for
 * it, starts the server again (`start`), and waits until the daemon says it is back and the pass
 * that waited ends by itself. (The next full pass is paced to ten times that pass's duration,
 * outage included, so the caller checks convergence with a pass of its own.)
 */
export async function rideOutage(
  daemon: Daemon,
  stop: () => Promise<void>,
  start: () => Promise<void>,
): Promise<void> {
  await stop();
  await waitFor(() => /OFFSITE UNREACHABLE/.test(daemon.output()), {
    timeoutMs: 90_000,
    what: "the job to say it waits for the server",
  });
  await start();
  await waitFor(() => /OFFSITE BACK/.test(daemon.output()), {
    timeoutMs: 90_000,
    what: "the job to resume",
  });
  await waitFor(() => /PASS 1 \(scan\)/.test(daemon.output().split("OFFSITE BACK")[1] ?? ""), {
    timeoutMs: 120_000,
    what: "the waiting pass to end",
  });
}

/** One test's bucket and folders on the test server; disposing it deletes the folders. */
export interface S3Case extends AsyncDisposable {
  /** A client of the test server (the one that made the bucket). */
  client: S3Client;
  /** A fresh bucket. */
  bucket: string;
  /** A fresh temporary folder. */
  path: string;
  /** `path/src`, the source (not created). */
  src: string;
  /** `path/cache`, the cache folder. */
  cache: string;
  /** `s3://BUCKET/prefix`. */
  url: string;
  /** Every key of the bucket under `prefix` ({@link keysOf}). */
  keys(prefix?: string): Promise<string[]>;
  /** The multipart uploads begun and not yet completed or aborted in the bucket, under `prefix`. */
  uploads(prefix?: string): Promise<MultipartUpload[]>;
}

/**
 * A fresh bucket and temporary folder for one test, the backup under `prefix` (the S3 twin of
 * testing/azure.ts's `azureCase`); `tmp` names the temporary folder.
 */
export async function s3Case(prefix: string, tmp = "backup-s3-"): Promise<S3Case> {
  const client = testClient();
  const bucket = await newBucket(client);
  const dir = await tempDir(tmp);
  return {
    client,
    bucket,
    path: dir.path,
    src: `${dir.path}/src`,
    cache: `${dir.path}/cache`,
    url: `s3://${bucket}/${prefix}`,
    keys: (under = "") => keysOf(client, bucket, under),
    uploads: async (under = "") =>
      (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: under })))
        .Uploads ?? [],
    [Symbol.asyncDispose]: dir.cleanup,
  };
}
