import { assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { acquireLock, prepareReserved } from "../dest/reserved.ts";
import { remoteCache, runRemoteStatus } from "./status_remote.ts";

const fs = new DenoFileSystem();

Deno.test("runRemoteStatus: a daemon of this machine running on the bucket is read from its cache folder, shown by its URL", async () => {
  await using t = await tempDir();
  const before = Deno.env.get("BACKUP_CACHE_DIR");
  Deno.env.set("BACKUP_CACHE_DIR", t.path);
  try {
    const url = "s3://bucket/home/docs";
    const cache = remoteCache(url);
    assertEquals(cache, `${t.path}/s3/bucket/home%2Fdocs`);
    prepareReserved(fs, cache);
    const w = await JournalWriter.open(fs, journalDir(cache), { source: "/data/docs" });
    await w.close();
    // Held as a daemon holds it: no request goes to the bucket (there is no server here).
    const lock = acquireLock(fs, cache);
    try {
      const lines: string[] = [];
      const code = await runRemoteStatus({ dest: url, json: true }, {
        fs,
        cwd: "/",
        out: (l) => lines.push(l),
      });
      assertEquals(code, 0);
      const s = JSON.parse(lines[0]!);
      assertEquals([s.dest, s.running, s.pid, s.source], [url, true, Deno.pid, "/data/docs"]);
    } finally {
      lock.release();
    }
  } finally {
    if (before === undefined) Deno.env.delete("BACKUP_CACHE_DIR");
    else Deno.env.set("BACKUP_CACHE_DIR", before);
  }
});
