import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { cleanPath, isInside, journalQuery, overview } from "./data.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR, STATUS_FILE } from "../base/layout.ts";
import { tempDir } from "../../testing/helpers.ts";
import { acquireLock } from "../dest/reserved.ts";

Deno.test("cleanPath: relative, normalised, never leaving the backup", () => {
  assertEquals(cleanPath(null), null);
  assertEquals(cleanPath("/"), null);
  assertEquals(cleanPath("./a//b/"), "a/b");
  assertThrows(() => cleanPath("a/../../b"), UsageError);
  assertThrows(() => cleanPath("a\0b"), UsageError);
});

Deno.test("journalQuery: the filters of journal show from URL parameters", () => {
  const q = journalQuery(
    new URLSearchParams("path=docs&op=copy,held&failed=1&since=2h&limit=5000"),
  );
  assertEquals(q.path, "docs");
  assertEquals(q.ops, ["copy", "held"]);
  assertEquals(q.failed, true);
  assertEquals(q.since, "2h");
  assertEquals(q.limit, 100, "a page is at most 1000; a bad size means the default");
  assertThrows(() => journalQuery(new URLSearchParams("op=format")), UsageError);
});

Deno.test("isInside: absolute paths, by whole components", () => {
  assertEquals(isInside("/a/b", "/a"), true);
  assertEquals(isInside("/a", "/a"), true);
  assertEquals(isInside("/ab", "/a"), false);
});

/** A status file as a daemon writes it, for `dest` of `source`, with `extra` on top. */
function writeStatus(
  dest: string,
  source: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const status = {
    v: 1,
    pid: 1,
    source,
    dest,
    startedAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    passes: 0,
    lastPass: null,
    totals: { copied: 0, bytes: 0, deleted: 0, failed: 0 },
    ...extra,
  };
  Deno.writeTextFileSync(`${dest}/${RESERVED_DIR}/${STATUS_FILE}`, JSON.stringify(status));
  return status;
}

Deno.test("overview: the rolling verification's line of backup status, when it is on", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/d`;
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  const status = writeStatus(dest, `${t.path}/s`, {
    verify: {
      periodMs: 86_400_000,
      round: null,
      nextRoundAt: null,
      lastRound: { endedAt: "2026-12-01T09:00:00.000Z", files: 3, bytes: 30, mismatches: 1 },
    },
  });
  const job = { name: "j", source: `${t.path}/s`, dest, interval: 5 };
  const deps = { fs: new DenoFileSystem(), cwd: t.path };
  const o = await overview(job, deps);
  assertEquals(o.verify?.startsWith("every 1d; last full round finished "), true, o.verify ?? "");
  assertEquals(o.verify?.endsWith("(3 files, 30 B, 1 mismatch) (the daemon is not running)"), true);
  Deno.writeTextFileSync(
    `${dest}/${RESERVED_DIR}/${STATUS_FILE}`,
    JSON.stringify({ ...status, verify: undefined }),
  );
  assertEquals((await overview(job, deps)).verify, null);
});

Deno.test("overview: a running daemon's --schedule gives the next full pass", async () => {
  await using t = await tempDir();
  const dest = `${t.path}/d`;
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  const nextRun = "2026-12-02T02:00:00.000Z";
  writeStatus(dest, `${t.path}/s`, {
    pid: Deno.pid,
    schedule: { cron: "0 2 * * *", zone: "UTC", nextRun },
  });
  const fs = new DenoFileSystem();
  const job = { name: "j", source: `${t.path}/s`, dest, interval: 5 };
  assertEquals((await overview(job, { fs, cwd: t.path })).nextPass, null, "not running");
  const lock = acquireLock(fs, dest);
  try {
    assertEquals((await overview(job, { fs, cwd: t.path })).nextPass, nextRun);
  } finally {
    lock.release();
  }
});
