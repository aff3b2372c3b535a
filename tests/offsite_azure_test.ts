/**
 * Black-box tests of `--dest azure://CONTAINER/PREFIX` against Azurite
 * (tools/servers/azurite.sh): the CLI is spawned on real folders, the
 * container is looked into with `@azure/storage-blob`, and results are checked
 * by restoring from the container alone into a fresh folder with an empty
 * cache (a "new machine"). The CLI runners are testing/s3.ts's, with the
 * Azure environment on top.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { put, tempDir, waitFor } from "../testing/helpers.ts";
import {
  assertEveryChange,
  assertFolderMoveServerSide,
  assertRestores as restores,
  assertSecondWriterRefused,
  once as onePass,
  rideOutage,
  runRemote,
  startRemoteDaemon,
  xxh128,
} from "../testing/s3.ts";
import {
  AZURE_ENV,
  AZURE_IGNORE,
  azureCase,
  azureClient,
  azurite,
  AZURITE_PORT,
  azuriteConnection,
  blobsOf,
  stagedBlocks,
} from "../testing/azure.ts";

const opts = { ignore: AZURE_IGNORE, sanitizeResources: false, sanitizeOps: false };

/** {@link restores} against the test Azurite. */
const assertRestores = (url: string, src: string, name: string, env = AZURE_ENV) =>
  restores(url, src, name, env);

/** One `--once` pass against the test Azurite. */
const once = (src: string, url: string, cache: string, extra: string[] = [], env = AZURE_ENV) =>
  onePass(src, url, cache, extra, env);

/** `backup ARGS` against the test Azurite. */
const run = (args: string[], env: Record<string, string> = {}) =>
  runRemote(args, { ...AZURE_ENV, ...env });

Deno.test(
  "azure: initial backup, every kind of change, restored from the container alone",
  opts,
  async () => {
    await using t = await azureCase("home/docs");
    const { container, src, cache, url } = t;
    await assertEveryChange(
      src,
      url,
      cache,
      "home/docs",
      (p) => blobsOf(container, p),
      AZURE_ENV,
      async () => {
        const one = container.getBlockBlobClient("home/docs/a/one.txt");
        const props = await one.getProperties();
        assertEquals(props.metadata?.backup_kind, "file");
        assertEquals(props.metadata?.backup_mode, "600");
        assertEquals(props.metadata?.backup_hash, await xxh128(new TextEncoder().encode("one")));
      },
    );
  },
);

Deno.test(
  "azure: a renamed folder is moved by server-side copies, no bytes uploaded",
  opts,
  async () => {
    await using t = await azureCase("m");
    const { container, src, cache, url } = t;
    await assertFolderMoveServerSide(src, url, cache, 30, (p) => blobsOf(container, p), AZURE_ENV);
  },
);

Deno.test(
  "azure: a second daemon on the same prefix is refused (exit 5, one line)",
  opts,
  async () => {
    await using t = await azureCase("shared");
    const { src, url } = t;
    put(`${src}/f.txt`, "x");
    await assertSecondWriterRefused(src, url, t.path, AZURE_ENV);
  },
);

Deno.test(
  "azure: kill -9 while a large file's blocks are staged; nothing half-written shows, a restart converges",
  opts,
  async () => {
    await using t = await azureCase("k");
    const { container, src, cache, url } = t;
    for (let i = 0; i < 200; i++) put(`${src}/d${i % 7}/f${i}.txt`, `file ${i} `.repeat(20));
    // Above the block size (16 MiB): staged blocks, committed at the end.
    put(`${src}/big.bin`, new Uint8Array(24 * 1024 * 1024).map((_, i) => (i * 7) % 256));
    const daemon = startRemoteDaemon(["--src", src, "--dest", url, "--once"], {
      ...AZURE_ENV,
      BACKUP_CACHE_DIR: cache,
    });
    await waitFor(async () => (await stagedBlocks(container, "k/big.bin")).length > 0, {
      timeoutMs: 90_000,
      intervalMs: 50,
      what: "a staged block of big.bin",
    });
    await daemon.stop("SIGKILL");
    // Staged blocks are not a blob: nothing of big.bin is visible.
    assert(!(await blobsOf(container, "k/")).includes("k/big.bin"), "a half-written big.bin");
    const err = await once(src, url, cache);
    assertMatch(err, /JOURNAL REPLAYED: \d+ records, \d+ entries, \d+ interrupted/);
    await assertRestores(url, src, "k");
  },
);

Deno.test(
  "azure: wrong credentials, a missing container, a dead endpoint, no credentials: exit 2, one line",
  opts,
  async () => {
    await using t = await azureCase("p");
    const { src, url: ours } = t;
    put(`${src}/f.txt`, "x");
    const cache = { BACKUP_CACHE_DIR: t.cache };
    const wrongKey = btoa("not the key of this account, not at all");
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(AZURITE_PORT, wrongKey) },
        ours,
        /refused the credentials.*AZURE_STORAGE_CONNECTION_STRING/,
      ],
      [{}, "azure://no-such-box/p", /container "no-such-box" does not exist/],
      [
        { AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(9) },
        ours,
        /does not answer.*BlobEndpoint/,
      ],
      [
        {
          AZURE_STORAGE_CONNECTION_STRING: "",
          AZURE_STORAGE_ACCOUNT: "devstoreaccount1",
          AZURE_STORAGE_KEY: "",
        },
        ours,
        /no Azure credentials; set AZURE_STORAGE_CONNECTION_STRING/,
      ],
      [{}, "azure://A_b/p", /not a container URL/],
    ];
    for (const [env, url, message] of cases) {
      const res = await run(["--src", src, "--dest", url, "--once"], { ...cache, ...env });
      assertEquals(res.code, 2, `${url}: ${res.stderr}`);
      assertEquals(res.stderr.trim().split("\n").length, 1, res.stderr);
      assertMatch(res.stderr, message);
    }
  },
);

Deno.test(
  "azure: the server stopped and restarted mid-pass: the job waits, then converges",
  opts,
  async () => {
    // A private Azurite, so that stopping it disturbs no other test.
    const port = 10100 + (Deno.pid % 800);
    await using t = await tempDir("backup-azure-");
    const data = `${t.path}/azurite`;
    await azurite("start", port, data);
    const env = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(port) };
    try {
      await using box = await azureCase("down", azureClient(port));
      const { container, src, cache, url } = box;
      for (let i = 0; i < 150; i++) put(`${src}/d${i % 5}/f${i}.txt`, `file ${i} `.repeat(30));
      const daemon = startRemoteDaemon(
        ["--src", src, "--dest", url, "--interval", "2", "--no-watch"],
        { ...env, BACKUP_CACHE_DIR: cache },
      );
      try {
        await waitFor(async () => (await blobsOf(container, "down/d")).length > 20, {
          timeoutMs: 60_000,
          intervalMs: 50,
          what: "the first uploads",
        });
        await rideOutage(
          daemon,
          () => azurite("halt", port, data),
          () => azurite("start", port, data),
        );
      } finally {
        await azurite("start", port, data);
        assertEquals(await daemon.stop(), 0, daemon.output());
      }
      await once(src, url, cache, [], env);
      await assertRestores(url, src, "down", env);
    } finally {
      await azurite("stop", port, data);
    }
  },
);

Deno.test(
  "azure: --compress zstd and gzip round trip; the hash is of the original bytes",
  opts,
  async () => {
    await using t = await azureCase("");
    const { container, src } = t;
    const text = "a line that repeats\n".repeat(5000);
    put(`${src}/text.txt`, text);
    put(`${src}/sub/small.txt`, "small");
    for (const codec of ["zstd", "gzip"]) {
      const url = `azure://${container.containerName}/${codec}`;
      const cache = `${t.path}/cache-${codec}`;
      await once(src, url, cache, ["--compress", codec]);
      const props = await container.getBlockBlobClient(`${codec}/text.txt`).getProperties();
      assertEquals(props.metadata?.backup_codec, codec);
      assertEquals(props.metadata?.backup_size, "100000");
      assertEquals(props.metadata?.backup_hash, await xxh128(new TextEncoder().encode(text)));
      assert((props.contentLength ?? 0) < 10_000, `not compressed: ${props.contentLength} B`);
      assertMatch(await once(src, url, cache, ["--compress", codec]), /0 copied \(0 B\)/);
      await assertRestores(url, src, codec);
    }
  },
);

Deno.test(
  "azure: dry run, status and journal why/verify read the container from a new machine; a config job",
  opts,
  async () => {
    await using t = await azureCase("r");
    const { container, src, url } = t;
    put(`${src}/a.txt`, "a");
    // Through a config job's destination.
    const config = `${t.path}/backup.jsonc`;
    Deno.writeTextFileSync(
      config,
      JSON.stringify({ jobs: [{ name: "off", source: src, destination: url }] }),
    );
    const first = await run(["--config", config, "--once"], {
      BACKUP_CACHE_DIR: `${t.path}/cache`,
    });
    assertEquals(first.code, 0, first.stdout + first.stderr);
    assert((await blobsOf(container, "r/")).includes("r/a.txt"));
    put(`${src}/b.txt`, "b");
    const fresh = { BACKUP_CACHE_DIR: `${t.path}/other-machine` };
    const dry = await run(["--src", src, "--dest", url, "--dry-run"], fresh);
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /1 to copy \(1 B\), 0 to delete/);
    const why = await run(["journal", "why", "--dest", url, "a.txt"], fresh);
    assertEquals(why.code, 0, why.stderr);
    assertMatch(why.stdout, /a\.txt/);
    for (const args of [["journal", "verify"], ["status"], ["verify"]]) {
      const res = await run([...args, "--dest", url], fresh);
      assertEquals(res.code, 0, `${args.join(" ")}: ${res.stdout}${res.stderr}`);
    }
  },
);
