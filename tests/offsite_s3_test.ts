/**
 * Black-box tests of `--dest s3://BUCKET/PREFIX` against a real Ceph RGW
 * (tools/servers/ceph.sh): the CLI is spawned on real folders, the bucket is
 * looked into with the AWS SDK, and every result is checked by restoring from
 * the bucket alone into a fresh folder with an empty cache (a "new machine").
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { put, ROOT, tempDir, waitFor } from "../testing/helpers.ts";
import {
  answers,
  assertEveryChange,
  assertFolderMoveServerSide,
  assertRestores,
  assertSecondWriterRefused,
  once,
  putKey,
  rideOutage,
  runRemote,
  S3_ENV,
  S3_IGNORE,
  s3Case,
  startRemoteDaemon,
  xxh128,
} from "../testing/s3.ts";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { RESERVED_DIR } from "../lib/base/layout.ts";

const opts = { ignore: S3_IGNORE, sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "s3: initial backup, every kind of change, restored from the bucket alone",
  opts,
  async () => {
    await using t = await s3Case("home/docs");
    const { src, cache, url } = t;
    await assertEveryChange(src, url, cache, "home/docs", t.keys);
  },
);

Deno.test(
  "s3: a renamed folder is moved by server-side copies, no bytes uploaded",
  opts,
  async () => {
    await using t = await s3Case("m");
    const { src, cache, url } = t;
    await assertFolderMoveServerSide(src, url, cache, 40, t.keys);
  },
);

Deno.test(
  "s3: a second daemon on the same prefix is refused (exit 5, one line)",
  opts,
  async () => {
    await using t = await s3Case("shared");
    const { src, url } = t;
    put(`${src}/f.txt`, "x");
    await assertSecondWriterRefused(src, url, t.path);
  },
);

Deno.test("s3: kill -9 during the uploads, then a restart converges", opts, async () => {
  await using t = await s3Case("k");
  const { src, cache, url } = t;
  for (let i = 0; i < 600; i++) put(`${src}/d${i % 7}/f${i}.txt`, `file ${i} `.repeat(20));
  put(`${src}/big.bin`, new Uint8Array(40 * 1024 * 1024).map((_, i) => (i * 7) % 256));
  const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once"], {
    BACKUP_CACHE_DIR: cache,
  });
  // Killed once some objects of the mirror are in the bucket, before the pass ends.
  await waitFor(async () => (await t.keys("k/d")).length > 30, {
    timeoutMs: 60_000,
    intervalMs: 50,
    what: "the first uploads",
  });
  await daemon.stop("SIGKILL");
  // The same machine restarts at once: its dead process's lease is taken over.
  const err = await once(src, url, cache);
  assertMatch(err, /JOURNAL REPLAYED: \d+ records, \d+ entries, \d+ interrupted/);
  await assertRestores(url, src, "k");
  const staged = await t.keys(`k/${RESERVED_DIR}/staging/`);
  assertEquals(staged.length, 0, `staging objects left: ${staged.join(", ")}`);
});

Deno.test(
  "s3: wrong credentials, a missing bucket, a dead endpoint: exit 2, one line",
  opts,
  async () => {
    await using t = await s3Case("p");
    const { client, bucket, src, url: ours } = t;
    put(`${src}/f.txt`, "x");
    const cache = { BACKUP_CACHE_DIR: t.cache };
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { AWS_SECRET_ACCESS_KEY: "wrong" },
        ours,
        /refused the credentials.*AWS_ACCESS_KEY_ID/,
      ],
      [{}, "s3://no-such-bucket-here/p", /bucket "no-such-bucket-here" does not exist/],
      [
        { AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
        ours,
        /does not answer.*AWS_ENDPOINT_URL/,
      ],
      [{}, "s3://A/p", /not a bucket URL/],
    ];
    for (const [env, url, message] of cases) {
      const res = await runRemote(["--src", src, "--dest", url, "--once"], { ...cache, ...env });
      assertEquals(res.code, 2, `${url}: ${res.stderr}`);
      assertEquals(res.stderr.trim().split("\n").length, 1, res.stderr);
      assertMatch(res.stderr, message);
    }
    // A prefix holding objects that are no backup is not taken over (its objects would go).
    await putKey(client, bucket, "theirs/keep.txt", "not ours");
    const res = await runRemote(["--src", src, "--dest", `s3://${bucket}/theirs`, "--once"], cache);
    assertEquals(res.code, 2, res.stderr);
    assertMatch(res.stderr, /never a backup.*--adopt-dest/);
  },
);

Deno.test(
  "s3: dry run, status and journal show/why/verify read the bucket from a new machine",
  opts,
  async () => {
    await using t = await s3Case("r");
    const { bucket, src, cache, url } = t;
    put(`${src}/a.txt`, "a");
    await once(src, url, cache);
    put(`${src}/b.txt`, "b");
    const fresh = { BACKUP_CACHE_DIR: `${t.path}/other-machine` };
    const dry = await runRemote(["--src", src, "--dest", url, "--dry-run"], fresh);
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /copy\s+1 B\s+b\.txt/);
    assertMatch(dry.stdout, /1 to copy \(1 B\), 0 to delete/);
    const why = await runRemote(["journal", "why", "--dest", url, "a.txt"], fresh);
    assertEquals(why.code, 0, why.stderr);
    assertMatch(why.stdout, /a\.txt/);
    const verify = await runRemote(["journal", "verify", "--dest", url], fresh);
    assertEquals(verify.code, 0, verify.stderr);
    const status = await runRemote(["status", "--dest", url], fresh);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /source:\s+\S+src/);
    const replay = await runRemote(["journal", "replay", "--dest", url], fresh);
    assertEquals(replay.code, 2, replay.stderr);
    // Nothing of a read is left in the other machine's cache but its (empty) folder.
    const left = [...Deno.readDirSync(`${t.path}/other-machine/s3/${bucket}`)].map((e) => e.name);
    assertEquals(left, ["r"]);
  },
);

Deno.test("s3: a config job's destination may be a bucket", opts, async () => {
  await using t = await s3Case("cfg");
  const { src, url } = t;
  put(`${src}/c.txt`, "c");
  const config = `${t.path}/backup.jsonc`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({ jobs: [{ name: "off", source: src, destination: url }] }),
  );
  const res = await runRemote(["--config", config, "--once"], { BACKUP_CACHE_DIR: t.cache });
  assertEquals(res.code, 0, res.stdout + res.stderr);
  assert((await t.keys("cfg/")).includes("cfg/c.txt"));
});

Deno.test(
  "s3: the server stopped and restarted mid-pass: the job waits, then converges",
  opts,
  async () => {
    await using t = await s3Case("down");
    const { src, cache, url } = t;
    for (let i = 0; i < 400; i++) put(`${src}/d${i % 5}/f${i}.txt`, `file ${i} `.repeat(30));
    const ceph = `${ROOT}/tools/servers/ceph.sh`;
    const daemon = startRemoteDaemon(
      ["--src", src, "--dest", url, "--interval", "2", "--no-watch"],
      { BACKUP_CACHE_DIR: cache },
    );
    try {
      await waitFor(async () => (await t.keys("down/d")).length > 20, {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: "the first uploads",
      });
      const rgw = async (action: string) => {
        const out = await new Deno.Command("bash", { args: [ceph, action] }).output();
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      };
      await rideOutage(daemon, () => rgw("rgw-stop"), () => rgw("rgw-start"));
    } finally {
      await new Deno.Command("bash", { args: [ceph, "rgw-start"] }).output();
      await waitFor(() => answers(S3_ENV.AWS_ENDPOINT_URL!), {
        timeoutMs: 60_000,
        what: "the gateway to answer again",
      });
      assertEquals(await daemon.stop(), 0, daemon.output());
    }
    await once(src, url, cache);
    await assertRestores(url, src, "down");
  },
);

Deno.test(
  "s3: --compress zstd and gzip round trip; the hash is of the original bytes",
  opts,
  async () => {
    await using t = await s3Case("");
    const { client, bucket, src } = t;
    put(`${src}/text.txt`, "a line that repeats\n".repeat(5000));
    // Incompressible and above the part size: a compressed multipart upload.
    const noise = new Uint8Array(20 * 1024 * 1024);
    for (let at = 0; at < noise.length; at += 65536) {
      crypto.getRandomValues(noise.subarray(at, at + 65536));
    }
    put(`${src}/noise.bin`, noise);
    for (const codec of ["zstd", "gzip"]) {
      const url = `s3://${bucket}/${codec}`;
      const cache = `${t.path}/cache-${codec}`;
      await once(src, url, cache, ["--compress", codec]);
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: `${codec}/text.txt` }),
      );
      assertEquals(head.Metadata?.["backup-codec"], codec);
      assertEquals(head.Metadata?.["backup-size"], "100000");
      assert((head.ContentLength ?? 0) < 10_000, `not compressed: ${head.ContentLength} bytes`);
      const idle = await once(src, url, cache, ["--compress", codec]);
      assertMatch(idle, /PASS 1 \(scan\): 0 copied \(0 B\)/);
      assertEquals(
        head.Metadata?.["backup-hash"],
        await xxh128(Deno.readFileSync(`${src}/text.txt`)),
      );
      await assertRestores(url, src, codec);
    }
    // A mirror in a folder stays plain.
    const local = await runRemote([
      "--src",
      src,
      "--dest",
      `${t.path}/plain`,
      "--compress",
      "zstd",
    ]);
    assertEquals(local.code, 2, local.stderr);
    assertMatch(local.stderr, /--compress is for a bucket/);
  },
);

Deno.test(
  "s3: --keep-versions keeps the old content in the bucket; restore --at brings it back",
  opts,
  async () => {
    await using t = await s3Case("ver");
    const { src, cache, url } = t;
    put(`${src}/f.txt`, "first");
    await once(src, url, cache, ["--keep-versions", "10"]);
    // A time strictly between the two passes (the journal's times are in milliseconds).
    await new Promise((r) => setTimeout(r, 1100));
    const between = new Date();
    await new Promise((r) => setTimeout(r, 1100));
    put(`${src}/f.txt`, "second, longer");
    await once(src, url, cache, ["--keep-versions", "10"]);
    assert(
      (await t.keys(`ver/${RESERVED_DIR}/versions/`)).length > 0,
      "no version kept",
    );
    await using machine = await tempDir("backup-s3-newmachine-");
    const at = between.toISOString().slice(0, 19).replace("T", " ");
    const res = await runRemote(
      ["restore", "--dest", url, "f.txt", "--at", at, "--to", `${machine.path}/out`],
      { BACKUP_CACHE_DIR: `${machine.path}/cache`, TZ: "UTC" },
    );
    assertEquals(res.code, 0, res.stdout + res.stderr);
    assertEquals(Deno.readTextFileSync(`${machine.path}/out/f.txt`), "first");
  },
);

Deno.test(
  "s3: objects changed or deleted behind the backup's back are put right (cached entries too)",
  opts,
  async () => {
    await using t = await s3Case("alt");
    const { client, bucket, src, cache, url } = t;
    put(`${src}/a.txt`, "aaa");
    put(`${src}/b.txt`, "bbb");
    // Old files, as most are: a copy within the racy window would have the next pass re-hash the
    // source, and whether that happens depends on how fast the passes follow each other.
    const past = new Date("2024-01-01T00:00:00Z");
    for (const name of ["a.txt", "b.txt"]) Deno.utimeSync(`${src}/${name}`, past, past);
    await once(src, url, cache);
    await once(src, url, cache); // the objects' entries are now in the cache folder
    // A later second: the altered object's time differs from the cached one.
    await new Promise((r) => setTimeout(r, 1100));
    await client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: "alt/a.txt",
        CopySource: `${bucket}/alt/a.txt`,
        MetadataDirective: "REPLACE",
        Metadata: { "backup-kind": "file", "backup-mode": "777", "backup-mtime": "1" },
      }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: "alt/b.txt" }));
    const err = await once(src, url, cache);
    // Both are uploaded again: b.txt is gone, and a.txt's object no longer carries the metadata
    // (hash, mtime, mode) the journal recorded, so its bytes are not trusted.
    assertMatch(err, /PASS 1 \(scan\): 2 copied \(6 B\), 0 moved, 0 deleted, .*, 0 errors/);
    await assertRestores(url, src, "alt");
  },
);

Deno.test(
  "s3: backup verify finds an object whose bytes rotted behind the same size and metadata",
  opts,
  async () => {
    await using t = await s3Case("rot");
    const { client, bucket, src, cache, url } = t;
    put(`${src}/good.txt`, "good bytes");
    put(`${src}/rot.txt`, "12345678");
    await once(src, url, cache);
    // Same length, same metadata (mode, mtime, hash): only the bytes differ.
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "rot/rot.txt" }));
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "rot/rot.txt",
        Body: "87654321",
        Metadata: head.Metadata ?? {},
      }),
    );
    // From a machine that never ran the backup: the journal comes from the bucket.
    const res = await runRemote(["verify", "--dest", url, "--json"], {
      BACKUP_CACHE_DIR: `${t.path}/other-cache`,
    });
    assertEquals(res.code, 7, res.stdout + res.stderr);
    const lines = res.stdout.trim().split("\n").map((line) => JSON.parse(line));
    const mismatches = lines.filter((line) => line.type === "mismatch");
    assertEquals(mismatches.map((m) => m.path), ["rot.txt"]);
    assertEquals(mismatches[0].expected, await xxh128(new TextEncoder().encode("12345678")));
    // --repair of a bucket: tests/verify_remote_test.ts.
  },
);
