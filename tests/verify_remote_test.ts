/**
 * Black-box tests of `backup verify --repair` on a backup in a bucket
 * (`--dest s3://BUCKET/PREFIX`), against the Ceph RGW of tools/servers/ceph.sh:
 * an object's bytes are replaced behind the same size and metadata, verify finds
 * it, `--repair` recopies it from the source (journaled, with the lease held),
 * and a second verify is clean. A running daemon on the prefix, on this machine
 * or another, makes `--repair` refuse with the words a local backup gets.
 */

import { assert, assertEquals, assertIncludes, assertMatch } from "../testing/assert.ts";
import { jsonLines, put, waitFor } from "../testing/helpers.ts";
import { runRemote, S3_IGNORE, type S3Case, s3Case, startRemoteDaemon } from "../testing/s3.ts";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";

const opts = { ignore: S3_IGNORE, sanitizeResources: false, sanitizeOps: false };

/** Replaces the bytes of `key` with `body` (same length), keeping its metadata (mode, mtime, hash). */
async function rot(client: S3Client, bucket: string, key: string, body: string): Promise<void> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  assertEquals(head.ContentLength, body.length, `${key}: the rotten bytes must keep the size`);
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: head.Metadata ?? {} }),
  );
}

/** The bytes of `key`, as text. */
async function textOf(client: S3Client, bucket: string, key: string): Promise<string> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return await res.Body!.transformToString();
}

/** A source of old (not racy) files in `t.src`, backed up once into `t.url` with `t.cache`. */
async function backedUp(t: S3Case): Promise<void> {
  const { src, url, cache } = t;
  put(`${src}/rot.txt`, "12345678");
  put(`${src}/good.txt`, "good bytes");
  put(`${src}/sub/edited.txt`, "first words");
  for (const f of ["rot.txt", "good.txt", "sub/edited.txt"]) {
    Deno.utimeSync(`${src}/${f}`, 1_600_000_000, 1_600_000_000);
  }
  const res = await runRemote(["--src", src, "--dest", url, "--once"], { BACKUP_CACHE_DIR: cache });
  assertEquals(res.code, 0, res.stdout + res.stderr);
}

Deno.test(
  "verify --repair on a bucket: a rotten object is recopied from the source, journaled; one whose source changed is reported",
  opts,
  async () => {
    await using dir = await s3Case("v", "backup-verify-s3-");
    const { client, bucket, src, url } = dir;
    await backedUp(dir);
    await rot(client, bucket, "v/rot.txt", "87654321");
    // Damaged too, but its source changed since (new size): no recopy can give back what was
    // copied; the next pass copies the new version.
    await rot(client, bucket, "v/sub/edited.txt", "FIRST WORDS");
    put(`${src}/sub/edited.txt`, "second, longer words");
    // The source edited behind the same size and mtime: the backup is right, no pass sees it.
    put(`${src}/good.txt`, "GOOD BYTES");
    Deno.utimeSync(`${src}/good.txt`, 1_600_000_000, 1_600_000_000);
    // The repair runs from another machine (an empty cache): journal and lease from the bucket.
    const other = { BACKUP_CACHE_DIR: `${dir.path}/other-cache` };

    const found = await runRemote(["verify", "--dest", url, "--json"], other);
    assertEquals(found.code, 7, found.stdout + found.stderr);
    const mismatches = jsonLines(found.stdout).filter((l) => l.type === "mismatch");
    assertEquals(mismatches.map((m) => [m.path, m.problem, m.source, m.repairable]), [
      ["good.txt", "source-differs", "differs", false],
      ["rot.txt", "damaged", "same", true],
      ["sub/edited.txt", "damaged", "changed", false],
    ]);
    assertEquals(jsonLines(found.stdout).at(-1)!.dest, url);

    const repair = await runRemote(["verify", "--dest", url, "--repair"], other);
    assertEquals(repair.code, 7, repair.stdout + repair.stderr);
    assertIncludes(repair.stdout, "REPAIRED rot.txt");
    assertMatch(repair.stdout, /NOT REPAIRED sub\/edited\.txt: .*the source changed since/);
    assertIncludes(repair.stdout, `in ${url} against the journal and the source ${src}`);
    assertMatch(repair.stdout, /NOT REPAIRED good\.txt: the source differs/);
    assertIncludes(repair.stdout, "1 repaired, 2 not repaired");
    // From a machine that never ran the daemon, its --exclude rules are unknown: said so.
    assertIncludes(repair.stdout, "note: this machine never ran this backup");
    assertEquals(await textOf(client, bucket, "v/rot.txt"), "12345678");
    // Only the damaged file's folder was passed over: the edited file waits for a pass.
    assertEquals(await textOf(client, bucket, "v/sub/edited.txt"), "FIRST WORDS");

    // The recopy is in the bucket's journal, read from a third machine.
    const third = { BACKUP_CACHE_DIR: `${dir.path}/third-cache` };
    const shown = await runRemote(
      ["journal", "show", "--dest", url, "--path", "rot.txt", "--op", "copy", "--json"],
      third,
    );
    assertEquals(shown.code, 0, shown.stderr);
    assertEquals(jsonLines(shown.stdout).length, 2, shown.stdout);

    const still = await runRemote(["verify", "--dest", url, "--json"], third);
    assertEquals(still.code, 7, still.stdout + still.stderr);
    assertEquals(
      jsonLines(still.stdout).filter((l) => l.type === "mismatch").map((m) => m.path),
      ["good.txt", "sub/edited.txt"],
    );
    put(`${src}/good.txt`, "good bytes");
    Deno.utimeSync(`${src}/good.txt`, 1_600_000_000, 1_600_000_000);
    // The daemon's next pass copies the edited file's new version; then all is clean.
    const pass = await runRemote(["--src", src, "--dest", url, "--once"], other);
    assertEquals(pass.code, 0, pass.stdout + pass.stderr);
    const clean = await runRemote(["verify", "--dest", url], third);
    assertEquals(clean.code, 0, clean.stdout + clean.stderr);
    assertIncludes(clean.stdout, "verified 3 files");
    assertIncludes(clean.stdout, "all match");
  },
);

Deno.test(
  "verify --repair on a bucket refuses while a daemon runs on the prefix, here or elsewhere (exit 5)",
  opts,
  async () => {
    await using dir = await s3Case("busy", "backup-verify-s3-");
    const { client, bucket, src, cache, url } = dir;
    await backedUp(dir);
    await rot(client, bucket, "busy/rot.txt", "87654321");
    const daemon = startRemoteDaemon(
      ["--src", src, "--dest", url, "--interval", "3600", "--no-watch"],
      { BACKUP_CACHE_DIR: cache },
    );
    try {
      await waitFor(() => daemon.output().includes("PASS 1"), {
        timeoutMs: 60_000,
        what: "the daemon's first pass",
      });
      // This machine: the cache folder's lock. Another machine: the bucket's lease.
      for (const env of [{ BACKUP_CACHE_DIR: cache }, { BACKUP_CACHE_DIR: `${dir.path}/b` }]) {
        const repair = await runRemote(["verify", "--dest", url, "--repair"], env);
        assertEquals(repair.code, 5, repair.stdout + repair.stderr);
        assertEquals(repair.stderr.trim().split("\n").length, 1, repair.stderr);
        assertIncludes(repair.stderr, url);
        assertIncludes(
          repair.stderr,
          "--repair needs the backup to itself; stop the daemon and run it again",
        );
      }
      // Verify alone still works beside it; nothing was recopied.
      const look = await runRemote(["verify", "--dest", url], {
        BACKUP_CACHE_DIR: `${dir.path}/b`,
      });
      assertEquals(look.code, 7, look.stdout + look.stderr);
      assertIncludes(look.stdout, "MISMATCH rot.txt: damaged");
      assertEquals(await textOf(client, bucket, "busy/rot.txt"), "87654321");
    } finally {
      assertEquals(await daemon.stop(), 0, daemon.output());
    }
    // Stopped: the repair runs in the daemon's own cache folder, with its recorded settings.
    const repair = await runRemote(["verify", "--dest", url, "--repair"], {
      BACKUP_CACHE_DIR: cache,
    });
    assertEquals(repair.code, 0, repair.stdout + repair.stderr);
    assertIncludes(repair.stdout, "REPAIRED rot.txt");
    assert(!repair.stdout.includes("note:"), repair.stdout);
    assertEquals(await textOf(client, bucket, "busy/rot.txt"), "12345678");
  },
);

Deno.test(
  "the daemon's rolling verification reads a bucket: a rotten object is logged as an error and recopied by the next full pass",
  opts,
  async () => {
    await using dir = await s3Case("roll", "backup-verify-s3-");
    const { client, bucket, src, cache, url } = dir;
    await backedUp(dir);
    const daemon = startRemoteDaemon(
      ["--src", src, "--dest", url, "--interval", "3", "--no-watch", "--verify-every", "2s"],
      { BACKUP_CACHE_DIR: cache },
    );
    try {
      await waitFor(() => daemon.output().includes("VERIFY ROUND DONE"), {
        timeoutMs: 60_000,
        what: "a first round",
      });
      await rot(client, bucket, "roll/rot.txt", "87654321");
      await waitFor(
        () =>
          daemon.output().includes("VERIFY MISMATCH: rot.txt: damaged, the destination is wrong"),
        { timeoutMs: 60_000, what: "the mismatch logged as an error" },
      );
      await waitFor(async () => (await textOf(client, bucket, "roll/rot.txt")) === "12345678", {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "the recopy by the next full pass",
      });
      // On the daemon's machine, status reads its cache folder: running, with the verification.
      const here = await runRemote(["status", "--dest", url, "--json"], {
        BACKUP_CACHE_DIR: cache,
      });
      assertEquals(here.code, 0, here.stderr);
      const live = JSON.parse(here.stdout);
      assertEquals([live.dest, live.running, live.verify.periodMs], [url, true, 2000]);
      assert(live.verify.lastRound !== null && live.lastPass !== null, here.stdout);
      // Another machine reads the journal from the bucket: no daemon there, no status file.
      const away = await runRemote(["status", "--dest", url, "--json"], {
        BACKUP_CACHE_DIR: `${dir.path}/other`,
      });
      assertEquals(away.code, 0, away.stderr);
      const far = JSON.parse(away.stdout);
      assertEquals([far.dest, far.running, far.verify], [url, false, null]);
      // A config job in a bucket: the same status as --dest.
      const config = `${dir.path}/backup.jsonc`;
      Deno.writeTextFileSync(
        config,
        JSON.stringify({ jobs: [{ name: "roll", source: src, destination: url }] }),
      );
      const jobs = await runRemote(["status", "--config", config], { BACKUP_CACHE_DIR: cache });
      assertEquals(jobs.code, 0, jobs.stderr);
      assertIncludes(jobs.stdout, `backup status of ${url}`);
      assertMatch(jobs.stdout, /daemon: +running/);
      assertMatch(jobs.stdout, /verify: +every 2s; .*last full round finished/);
    } finally {
      assertEquals(await daemon.stop(), 0, daemon.output());
    }
    // Stopped: the journal from the bucket, the last status this machine's daemon left.
    const after = await runRemote(["status", "--dest", url], { BACKUP_CACHE_DIR: cache });
    assertEquals(after.code, 0, after.stderr);
    assertMatch(after.stdout, /daemon: +not running \(last: pid \d+/);
    assertMatch(after.stdout, /verify: .*\(the daemon is not running\)/);
  },
);
