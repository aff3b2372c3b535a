/**
 * loadConfig, selectJobs and asConfigKeys beyond jobs_test.ts (which covers
 * reading, overrides, nested folders by text and through a real source, a log
 * file in a source, and the basic selection): symlinked destinations, roots
 * that are not folders, a source whose existence cannot be told, problems of
 * several jobs at once, a log file in a destination.
 */

import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { ConfigError } from "./config.ts";
import { asConfigKeys, loadConfig, selectJobs } from "./config_load.ts";

const real = new DenoFileSystem();

/** Writes a config of `jobs` (plus `extra` top-level keys) to `root/c.jsonc`. */
function config(root: string, jobs: Record<string, unknown>[], extra: object = {}): string {
  put(`${root}/c.jsonc`, JSON.stringify({ ...extra, jobs }));
  return "c.jsonc";
}

Deno.test("loadConfig resolves a destination symlink: one pointing into the source is refused, in the file's words", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src/inner`, { recursive: true });
  Deno.symlinkSync(`${tmp.path}/src/inner`, `${tmp.path}/link`);
  const file = config(tmp.path, [{ name: "a", source: "src", destination: "link" }]);
  const err = assertThrows(() => loadConfig(real, file, tmp.path), ConfigError);
  assertEquals(err.problems.length, 1);
  assertIncludes(err.problems[0]!, `job "a": "destination" "${tmp.path}/link" is inside "source"`);
  assertEquals(err.problems[0]!.includes("--"), false, "no flag names: " + err.problems[0]);
});

Deno.test("loadConfig refuses a destination that exists and is not a folder", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src`);
  put(`${tmp.path}/file`, "x");
  const file = config(tmp.path, [{ name: "a", source: "src", destination: "file" }]);
  const err = assertThrows(() => loadConfig(real, file, tmp.path), ConfigError);
  assertIncludes(err.problems[0]!, "it exists and is not a folder");
});

Deno.test("loadConfig judges a source it cannot look at by the paths' text, without refusing the file", async () => {
  await using tmp = await tempDir();
  const fs = new FaultyFileSystem(real, [{
    point: "lstat",
    path: "/hidden",
    error: () => new Deno.errors.PermissionDenied("EACCES"),
  }]);
  // A destination that resolves into the source: only a look at the real folders can tell.
  Deno.mkdirSync(`${tmp.path}/hidden/src/inner`, { recursive: true });
  Deno.symlinkSync(`${tmp.path}/hidden/src/inner`, `${tmp.path}/link`);
  const file = config(tmp.path, [{ name: "a", source: "hidden/src", destination: "link" }]);
  assertThrows(() => loadConfig(real, file, tmp.path), ConfigError, "is inside");
  assertEquals(loadConfig(fs, file, tmp.path).jobs.map((job) => job.name), ["a"]);
  const nested = config(tmp.path, [{
    name: "a",
    source: "hidden/src",
    destination: "hidden/src/backup",
  }]);
  const err = assertThrows(() => loadConfig(fs, nested, tmp.path), ConfigError);
  assertEquals(err.problems, [
    `${tmp.path}/c.jsonc: job "a": "destination" is inside "source"; pick one outside the source`,
  ]);
});

Deno.test("loadConfig lists the problems of every job at once, and a shared log file per job it harms", async () => {
  await using tmp = await tempDir();
  const file = config(tmp.path, [
    { name: "one", source: "x", destination: "x" },
    { name: "two", source: "y", destination: "y/in" },
    { name: "three", source: "s3", destination: "d3" },
  ], { log: { file: "d3/backup.log" } });
  const err = assertThrows(() => loadConfig(real, file, tmp.path), ConfigError);
  assertEquals(err.problems.length, 3, err.problems.join("\n"));
  assertIncludes(err.problems[0]!, 'job "one": "source" and "destination" are the same folder');
  assertIncludes(err.problems[1]!, 'job "two": "destination" is inside "source"');
  assertIncludes(
    err.problems[2]!,
    `log: "file" ${tmp.path}/d3/backup.log is refused for job "three": `,
  );
  assertIncludes(err.message, "c.jsonc");
});

Deno.test("loadConfig accepts a log file outside every job's folders", async () => {
  await using tmp = await tempDir();
  const file = config(tmp.path, [
    { name: "a", source: "s1", destination: "d1" },
    { name: "b", source: "s2", destination: "d2" },
  ], { log: { file: "logs/backup.log" } });
  const loaded = loadConfig(real, file, tmp.path);
  assertEquals(loaded.log.file, `${tmp.path}/logs/backup.log`);
  assertEquals(loaded.jobs.length, 2);
});

Deno.test("loadConfig refuses an unreadable file with a UsageError, not a ConfigError", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/dir.jsonc`);
  assertThrows(() => loadConfig(real, "dir.jsonc", tmp.path), UsageError, `${tmp.path}/dir.jsonc`);
});

Deno.test("selectJobs takes a name given twice once, and names the file when nothing is enabled", async () => {
  await using tmp = await tempDir();
  const loaded = loadConfig(
    real,
    config(tmp.path, [
      { name: "a", source: "/s/a", destination: "/d/a" },
      { name: "b", source: "/s/b", destination: "/d/b" },
    ]),
    tmp.path,
  );
  assertEquals(selectJobs(loaded, ["a", "a"]).map((job) => job.name), ["a"]);
  assertThrows(() => selectJobs(loaded, ["a", "zz"]), UsageError, 'has no job "zz"');
});

Deno.test("asConfigKeys replaces every flag name and leaves other text alone", () => {
  assertEquals(asConfigKeys("--src a, --src b"), '"source" a, "source" b');
  assertEquals(
    asConfigKeys("--exclude-from f and --dest d"),
    '"excludeFrom" f and "destination" d',
  );
  assertEquals(asConfigKeys("nothing to change"), "nothing to change");
  assertEquals(
    asConfigKeys("--dest-sweep 0 beside --dest d"),
    '"destSweep" 0 beside "destination" d',
  );
});
