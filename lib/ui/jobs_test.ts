import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { configJobs, shownDest, SINGLE_JOB, singleJob, statusDir } from "./jobs.ts";

Deno.test("jobs: a single folder, and the jobs of a config file with --job", () => {
  assertEquals(singleJob("/s", "/d", 5), [{
    name: SINGLE_JOB,
    source: "/s",
    dest: "/d",
    interval: 5,
  }]);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(
      `${dir}/c.jsonc`,
      JSON.stringify({
        jobs: [
          { name: "one", source: `${dir}/s1`, destination: `${dir}/d1`, interval: 30 },
          { name: "two", source: `${dir}/s2`, destination: `${dir}/d2` },
        ],
      }),
    );
    const jobs = configJobs(new DenoFileSystem(), "c.jsonc", dir, ["two"]);
    assertEquals(jobs.map((j) => [j.name, j.source, j.dest]), [["two", `${dir}/s2`, `${dir}/d2`]]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("jobs: a backup in a bucket is read through its cache folder on this machine", () => {
  const cache = Deno.makeTempDirSync();
  const saved = Deno.env.get("BACKUP_CACHE_DIR");
  Deno.env.set("BACKUP_CACHE_DIR", cache);
  try {
    const [job] = singleJob("/s", "s3://bucket/p/q", 5);
    assertEquals(job!.remote, { url: "s3://bucket/p/q", cacheDir: `${cache}/s3/bucket/p%2Fq` });
    assertEquals(job!.dest, job!.remote!.cacheDir);
    assertEquals(statusDir(job!), job!.remote!.cacheDir);
    assertEquals(shownDest(job!), "s3://bucket/p/q");
    assertThrows(() => singleJob("/s", "s3://x/p", 5), UsageError, "not a bucket URL");
  } finally {
    if (saved === undefined) Deno.env.delete("BACKUP_CACHE_DIR");
    else Deno.env.set("BACKUP_CACHE_DIR", saved);
    Deno.removeSync(cache, { recursive: true });
  }
});
