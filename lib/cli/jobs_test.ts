import { assertEquals, assertIncludes, assertRejects, assertThrows } from "../../testing/assert.ts";
import { assertMirror, put, tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { ConfigError } from "./config.ts";
import { type JobsDeps, parseJobsArgs, retrySeconds, runJobs } from "./jobs.ts";
import { asConfigKeys, loadConfig, selectJobs } from "./config_load.ts";

const real = new DenoFileSystem();

/** Writes a config of `jobs` (plus `extra` top-level keys) to `root/c.jsonc`. */
function config(root: string, jobs: Record<string, unknown>[], extra: object = {}): string {
  put(`${root}/c.jsonc`, JSON.stringify({ ...extra, jobs }));
  return "c.jsonc";
}

Deno.test("parseJobsArgs takes --config and --job, and passes the other flags on to every job", () => {
  assertEquals(
    parseJobsArgs([
      "--config",
      "c.jsonc",
      "--job",
      "a",
      "--once",
      "--exclude",
      "*.tmp",
      "--exclude",
      "*.bak",
      "--interval",
      "5",
      "--log-file",
      "/var/log/b.log",
      "--verbose",
    ]),
    {
      config: "c.jsonc",
      only: ["a"],
      overrides: [
        "--once",
        "--exclude",
        "*.tmp",
        "--exclude",
        "*.bak",
        "--interval",
        "5",
        "--verbose",
      ],
      logFile: "/var/log/b.log",
      logJson: false,
      console: "verbose",
      dryRun: false,
      json: false,
    },
  );
});

Deno.test("parseJobsArgs refuses --src/--dest, one-backup flags without one --job, and bad flags", () => {
  const refused: [string[], string][] = [
    [["--once"], "--config needs a file"],
    [["--config", "c", "--src", "s"], "--src cannot be used with --config"],
    [["--config", "c", "--dest", "d"], "--dest cannot be used with --config"],
    [["--config", "c", "--adopt-dest"], "--adopt-dest acts on one backup"],
    [["--config", "c", "--job", "a", "--job", "b", "--confirm-deletes"], "exactly one --job NAME"],
    [["--config", "c", "--quiet", "--verbose"], "cannot be used together"],
    [["--config", "c", "--nope"], ""],
  ];
  for (const [argv, message] of refused) {
    assertThrows(() => parseJobsArgs(argv), UsageError, message);
  }
  assertEquals(parseJobsArgs(["--config", "c", "--job", "a", "--rebuild-journal"]).only, ["a"]);
});

Deno.test("loadConfig resolves the file against cwd and refuses one it cannot read", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src`);
  const file = config(tmp.path, [{ name: "a", source: "src", destination: "dest" }]);
  const loaded = loadConfig(real, file, tmp.path);
  assertEquals(loaded.path, `${tmp.path}/c.jsonc`);
  assertEquals(loaded.jobs.map((j) => [j.source, j.destination]), [[
    `${tmp.path}/src`,
    `${tmp.path}/dest`,
  ]]);
  assertThrows(
    () => loadConfig(real, "missing.jsonc", tmp.path),
    UsageError,
    "cannot read the config file",
  );
  put(`${tmp.path}/latin1.jsonc`, new Uint8Array([0x7b, 0xe9, 0x7d]));
  assertThrows(
    () => loadConfig(real, "latin1.jsonc", tmp.path),
    UsageError,
    "cannot read the config file",
  );
});

Deno.test("loadConfig checks the overrides against every job", async () => {
  await using tmp = await tempDir();
  const file = config(tmp.path, [{ name: "a", source: "/s", destination: "/d" }]);
  const err = assertThrows(
    () => loadConfig(real, file, tmp.path, ["--interval", "0"]),
    ConfigError,
  );
  assertIncludes(err.problems.join("\n"), "interval");
});

Deno.test("loadConfig refuses nested or equal folders, whether the source exists or not", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src`);
  const file = config(tmp.path, [
    { name: "inside", source: "src", destination: "src/backup" },
    { name: "same", source: "later", destination: "later" },
    { name: "below", source: "later2/sub", destination: "later2" },
  ]);
  const err = assertThrows(() => loadConfig(real, file, tmp.path), ConfigError);
  const path = `${tmp.path}/c.jsonc`;
  assertEquals(err.problems.length, 3, err.problems.join("\n"));
  assertIncludes(
    err.problems[0]!,
    `${path}: job "inside": "destination" "${tmp.path}/src/backup" is inside "source"`,
  );
  assertEquals(
    err.problems[1],
    `${path}: job "same": "source" and "destination" are the same folder; pick another "destination"`,
  );
  assertEquals(
    err.problems[2],
    `${path}: job "below": "source" is inside "destination"; pick one outside it`,
  );
});

Deno.test("loadConfig refuses a shared log file inside a job's source or destination", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src`);
  const file = config(tmp.path, [{ name: "a", source: "src", destination: "dest" }], {
    log: { file: "src/backup.log" },
  });
  const err = assertThrows(() => loadConfig(real, file, tmp.path), ConfigError);
  assertIncludes(
    err.problems[0]!,
    `log: "file" ${tmp.path}/src/backup.log is refused for job "a": it is inside the source`,
  );
});

Deno.test("selectJobs takes the named jobs (even switched off) or every enabled one", async () => {
  await using tmp = await tempDir();
  const loaded = loadConfig(
    real,
    config(tmp.path, [
      { name: "a", source: "/s/a", destination: "/d/a" },
      { name: "b", source: "/s/b", destination: "/d/b", enabled: false },
      { name: "c", source: "/s/c", destination: "/d/c" },
    ]),
    tmp.path,
  );
  assertEquals(selectJobs(loaded, []).map((j) => j.name), ["a", "c"]);
  assertEquals(selectJobs(loaded, ["c", "b"]).map((j) => j.name), ["b", "c"], "in file order");
  assertThrows(() => selectJobs(loaded, ["x"]), UsageError, `has no job "x" (jobs: a, b, c)`);
  const off = loadConfig(
    real,
    config(tmp.path, [
      { name: "b", source: "/s/b", destination: "/d/b", enabled: false },
    ]),
    tmp.path,
  );
  assertThrows(() => selectJobs(off, []), UsageError, "every job is switched off");
});

Deno.test("asConfigKeys names the file's keys instead of the flags", () => {
  assertEquals(
    asConfigKeys("--dest is inside --src; --exclude-from x"),
    '"destination" is inside "source"; "excludeFrom" x',
  );
});

Deno.test("retrySeconds waits the job's interval, within 5 s and 5 min", () => {
  assertEquals([retrySeconds(1), retrySeconds(5), retrySeconds(60), retrySeconds(3600)], [
    5,
    5,
    60,
    300,
  ]);
});

Deno.test("runJobs --once runs every enabled job into its own mirror and exits 0", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/a/one.txt`, "1");
  put(`${tmp.path}/b/sub/two.txt`, "2");
  put(`${tmp.path}/c/three.txt`, "3");
  Deno.mkdirSync(`${tmp.path}/out`); // only the last folder of a destination is created
  const file = config(tmp.path, [
    { name: "a", source: "a", destination: "out/a", watch: false },
    { name: "b", source: "b", destination: "out/b", watch: false },
    { name: "c", source: "c", destination: "out/c", enabled: false },
  ]);
  const deps: JobsDeps = {
    fs: real,
    cwd: tmp.path,
    out: () => {},
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
    onReload: () => () => {},
  };
  assertEquals(await runJobs(parseJobsArgs(["--config", file, "--once"]), deps), EXIT.OK);
  assertMirror(`${tmp.path}/a`, `${tmp.path}/out/a`);
  assertMirror(`${tmp.path}/b`, `${tmp.path}/out/b`);
  assertEquals([...Deno.readDirSync(`${tmp.path}/out`)].map((e) => e.name).sort(), ["a", "b"]);
  await assertRejects(
    () => runJobs(parseJobsArgs(["--config", file, "--once", "--job", "x"]), deps),
    UsageError,
    'has no job "x"',
  );
});
