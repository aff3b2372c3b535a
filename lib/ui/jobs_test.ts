import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { configJobs, SINGLE_JOB, singleJob } from "./jobs.ts";

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

Deno.test("jobs: a backup in a bucket is refused with the way out", () => {
  assertThrows(() => singleJob("/s", "s3://bucket/p", 5), UsageError, "drop --ui");
});
