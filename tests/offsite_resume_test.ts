/**
 * Black-box tests of a large file's upload resumed after kill -9, against the
 * real Ceph RGW and Azurite: the daemon is run through a counting proxy
 * (bench/s3count.ts) that holds every part after the first, so the kill lands
 * with part 1 in the store and the others not; the restart must send only the
 * rest (counted by the proxy) and restore byte-identical from the bucket.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { put, waitFor } from "../testing/helpers.ts";
import {
  assertRestores,
  once,
  S3_ENV,
  S3_IGNORE,
  s3Case,
  startRemoteDaemon,
  xxh128,
} from "../testing/s3.ts";
import {
  AZURE_ENV,
  AZURE_IGNORE,
  azureCase,
  AZURITE_PORT,
  azuriteConnection,
  stagedBlocks,
} from "../testing/azure.ts";
import { startCounter } from "../bench/s3count.ts";
import { GetObjectCommand, HeadObjectCommand, ListPartsCommand } from "@aws-sdk/client-s3";
import { PART_BYTES, STAGING } from "../lib/dest/object_dest.ts";
import { parseBlockId } from "../lib/dest/azure_store.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

/** A file of three and a half parts, no two parts alike. */
function bigFile(): Uint8Array {
  const data = new Uint8Array(3 * PART_BYTES + PART_BYTES / 2);
  let x = 2463534242;
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    new DataView(data.buffer).setUint32(i, x >>> 0);
  }
  return data;
}

/** True for an S3 UploadPart request of a part numbered 2 or more. */
const laterS3Part = (method: string, url: string) =>
  method === "PUT" && /[?&]partNumber=([2-9]|\d\d+)(&|$)/.test(url);

/** True for an Azure Put Block of a block numbered 2 or more. */
function laterAzureBlock(method: string, url: string): boolean {
  if (method !== "PUT" || !url.includes("comp=block")) return false;
  const id = new URL(url, "http://x").searchParams.get("blockid");
  const parsed = id === null ? null : parseBlockId(id);
  return parsed !== null && parsed.n >= 2;
}

for (
  const { changed, compress } of [
    { changed: false, compress: [] },
    { changed: true, compress: [] },
    { changed: false, compress: ["--compress", "zstd"] },
  ]
) {
  Deno.test(
    changed
      ? "s3: kill -9 mid-upload, the source's first part changed: it is sent again, restore identical"
      : `s3: kill -9 mid-upload, a restart sends only the parts not yet up, restore identical${
        compress.length > 0 ? " (--compress zstd)" : ""
      }`,
    { ...opts, ignore: S3_IGNORE },
    async () => {
      await using t = await s3Case("r", "backup-resume-");
      const { client, bucket, src, cache, url } = t;
      const data = bigFile();
      put(`${src}/big.bin`, data);
      put(`${src}/small.txt`, "small");
      let holding = true;
      const proxy = await startCounter(S3_ENV.AWS_ENDPOINT_URL!, "/.backup/", {
        hold: (method, u) => holding && laterS3Part(method, u),
      });
      try {
        const env = { AWS_ENDPOINT_URL: proxy.url, BACKUP_CACHE_DIR: cache };
        const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once", ...compress], env);
        // Killed once part 1 is in the store (the others are held by the proxy).
        const partsUp = async () => {
          const up = (await t.uploads(`r/${STAGING}`))[0];
          if (!up) return 0;
          const parts = await client.send(
            new ListPartsCommand({ Bucket: bucket, Key: up.Key!, UploadId: up.UploadId! }),
          );
          return parts.Parts?.length ?? 0;
        };
        await waitFor(async () => (await partsUp()) >= 1, {
          timeoutMs: 90_000,
          intervalMs: 50,
          what: "part 1 of big.bin in the store",
        });
        await daemon.stop("SIGKILL");
        holding = false;
        if (changed) {
          data[1000] = data[1000]! ^ 0xff;
          put(`${src}/big.bin`, data);
        }
        proxy.reset();
        await once(src, url, cache, compress, { AWS_ENDPOINT_URL: proxy.url });
        const sent = proxy.counts().bodyBytes;
        if (changed) {
          assert(sent >= data.byteLength, `a changed part 1 is sent again (${sent} bytes sent)`);
        } else {
          assert(
            sent < data.byteLength - PART_BYTES / 2,
            `only the missing parts are sent: ${sent} bytes for a file of ${data.byteLength}`,
          );
        }
      } finally {
        await proxy.close();
      }
      await assertRestores(url, src, "r");
      assertEquals(await t.uploads(), [], "no upload left unfinished");
      assertEquals(await t.keys(`r/${STAGING}`), [], "no staging object");
    },
  );
}

Deno.test(
  "azure: kill -9 mid-upload, a restart stages only the blocks not yet up and commits the kept one",
  { ...opts, ignore: AZURE_IGNORE },
  async () => {
    await using t = await azureCase("r");
    const { container, src, cache, url } = t;
    const data = bigFile();
    put(`${src}/big.bin`, data);
    let holding = true;
    const proxy = await startCounter(`http://127.0.0.1:${AZURITE_PORT}`, "/.backup/", {
      hold: (method, u) => holding && laterAzureBlock(method, u),
    });
    const big = container.getBlockBlobClient("r/big.bin");
    let kept: string[] = [];
    try {
      const env = {
        ...AZURE_ENV,
        AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(Number(new URL(proxy.url).port)),
        BACKUP_CACHE_DIR: cache,
      };
      const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once"], env);
      const staged = () => stagedBlocks(container, "r/big.bin");
      await waitFor(async () => (await staged()).length >= 1, {
        timeoutMs: 90_000,
        intervalMs: 50,
        what: "block 1 of big.bin staged",
      });
      await daemon.stop("SIGKILL");
      holding = false;
      kept = await staged();
      proxy.reset();
      const res = await once(src, url, cache, [], env);
      assert(res.length > 0);
      const sent = proxy.counts().bodyBytes;
      assert(
        sent < data.byteLength - PART_BYTES / 2,
        `only the missing blocks are staged: ${sent} bytes for a file of ${data.byteLength}`,
      );
    } finally {
      await proxy.close();
    }
    const committed = (await big.getBlockList("committed")).committedBlocks ?? [];
    assertEquals(committed.length, 4);
    assertEquals(committed[0]!.name, kept[0], "the block staged before the kill is committed");
    await assertRestores(url, src, "r", AZURE_ENV);
  },
);

Deno.test(
  "s3: an object above the copy limit is moved by UploadPartCopy ranges, byte-identical with its metadata",
  { ...opts, ignore: S3_IGNORE },
  async () => {
    await using t = await s3Case("c", "backup-partcopy-");
    const { client, bucket, src, cache, url } = t;
    const limit = 5 * 1024 * 1024;
    const data = bigFile().subarray(0, 20 * 1024 * 1024 + 12345);
    put(`${src}/big.bin`, data);
    // An old mtime: a file written just before the first run is racy there, and the next run
    // would give its moved object its confirmed metadata by one more (multipart) copy.
    Deno.utimeSync(`${src}/big.bin`, new Date("2024-01-01"), new Date("2024-01-01"));
    const env = { BACKUP_S3_COPY_PART_LIMIT: String(limit) };
    await once(src, url, cache, [], env);
    Deno.mkdirSync(`${src}/moved`);
    Deno.renameSync(`${src}/big.bin`, `${src}/moved/big.bin`);
    const proxy = await startCounter(S3_ENV.AWS_ENDPOINT_URL!);
    try {
      await once(src, url, cache, [], { ...env, AWS_ENDPOINT_URL: proxy.url });
      const counts = proxy.counts();
      const ranges = proxy.trace().filter((t) =>
        t.kind === "COPY" && t.url.includes("partNumber=")
      );
      assertEquals(ranges.length, 5, `5 UploadPartCopy ranges: ${JSON.stringify(counts)}`);
      assert(counts.dataBytes < 64 * 1024, `no bytes through the client: ${counts.dataBytes}`);
    } finally {
      await proxy.close();
    }
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "c/moved/big.bin" }),
    );
    assertEquals(head.ContentLength, data.byteLength);
    assertEquals(head.Metadata?.["backup-hash"], await xxh128(data));
    assertEquals(head.Metadata?.["backup-kind"], "file");
    const stat = Deno.statSync(`${src}/moved/big.bin`);
    assertEquals(head.Metadata?.["backup-mtime"], String(Math.round(stat.mtime!.getTime())));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "c/moved/big.bin" }));
    assertEquals(await got.Body!.transformToByteArray(), data);
    assertEquals(await t.keys("c/big.bin"), [], "the old key is gone");
    assertEquals(await t.uploads(), [], "no upload left unfinished");
    await assertRestores(url, src, "c");
  },
);

Deno.test(
  "s3: an upload a crash left whose file is gone is aborted by the next run",
  { ...opts, ignore: S3_IGNORE },
  async () => {
    await using t = await s3Case("a", "backup-abandon-");
    const { src, cache, url } = t;
    put(`${src}/big.bin`, bigFile());
    put(`${src}/keep.txt`, "keep");
    const proxy = await startCounter(S3_ENV.AWS_ENDPOINT_URL!, "/.backup/", {
      hold: laterS3Part,
    });
    const uploads = () => t.uploads();
    try {
      const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once"], {
        AWS_ENDPOINT_URL: proxy.url,
        BACKUP_CACHE_DIR: cache,
      });
      await waitFor(async () => (await uploads()).length > 0, {
        timeoutMs: 90_000,
        intervalMs: 50,
        what: "big.bin's multipart upload",
      });
      await daemon.stop("SIGKILL");
    } finally {
      await proxy.close();
    }
    Deno.removeSync(`${src}/big.bin`);
    const out = await once(src, url, cache);
    assertMatch(out, /1 abandoned upload\(s\) no copy resumed, aborted/);
    assertEquals(await uploads(), [], "the abandoned upload is aborted");
    await assertRestores(url, src, "a");
  },
);

Deno.test(
  "azure: a new file's uncommitted blocks a crash left, the file gone, are dropped by the next run",
  { ...opts, ignore: AZURE_IGNORE },
  async () => {
    await using t = await azureCase("a");
    const { container, src, cache, url } = t;
    put(`${src}/big.bin`, bigFile());
    put(`${src}/keep.txt`, "keep");
    const proxy = await startCounter(`http://127.0.0.1:${AZURITE_PORT}`, "/.backup/", {
      hold: laterAzureBlock,
    });
    const staged = async () => (await stagedBlocks(container, "a/big.bin")).length;
    try {
      const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once"], {
        ...AZURE_ENV,
        AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(Number(new URL(proxy.url).port)),
        BACKUP_CACHE_DIR: cache,
      });
      await waitFor(async () => (await staged()) > 0, {
        timeoutMs: 90_000,
        intervalMs: 50,
        what: "a staged block of big.bin",
      });
      await daemon.stop("SIGKILL");
    } finally {
      await proxy.close();
    }
    Deno.removeSync(`${src}/big.bin`);
    const out = await once(src, url, cache, [], AZURE_ENV);
    assertMatch(out, /1 abandoned upload\(s\) no copy resumed, aborted/);
    assertEquals(await staged(), 0, "the uncommitted blocks are dropped");
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ includeUncommitedBlobs: true })) {
      names.push(b.name);
    }
    assert(!names.includes("a/big.bin"), `an uncommitted blob is left: ${names.join(", ")}`);
    await assertRestores(url, src, "a", AZURE_ENV);
  },
);
