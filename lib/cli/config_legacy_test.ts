import { assert, assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { convertLegacy, isLegacyConfig, legacyOrigin, legacyWords } from "./config_legacy.ts";
import { parseRunArgs } from "./run_args.ts";

const OLD = `{
  "run_enabled": "Y",
  "source_dirs": ["/home/ana/My Docs", "pics", "/data/pics/"],
  "dest_dirs": ["/mnt/usb/docs", "out/pics", "/mnt/usb/pics2"],
  "log_file": "backup.log",
  "error_log_file": "/var/log/backup_errors.log",
  "sleep_time": 30
}`;

Deno.test("isLegacyConfig: one of the script's keys and no jobs", () => {
  assert(isLegacyConfig({ source_dirs: [] }));
  assert(!isLegacyConfig({ jobs: [], source_dirs: [] }));
  assert(!isLegacyConfig({ jobs: [] }));
});

Deno.test("parseConfig reads the checksum script's file as jobs zipped in order", () => {
  const config = parseConfig(OLD, "/etc/backup_config.json", parseRunArgs);
  assertEquals(config.jobs.map((j) => [j.name, j.enabled, j.source, j.destination]), [
    ["My-Docs", true, "/home/ana/My Docs", "/mnt/usb/docs"],
    ["pics", true, "/etc/pics", "/etc/out/pics"],
    ["pics-2", true, "/data/pics", "/mnt/usb/pics2"],
  ]);
  assertEquals(config.log, {
    json: false,
    file: "/etc/backup.log",
    errorFile: "/var/log/backup_errors.log",
  });
  const opts = parseRunArgs(config.jobs[0]!.argv);
  assertEquals([opts.interval, opts.exclude], [30, [".stfolder"]]);
  assert(config.legacy !== undefined);
  assertMatch(config.legacy.notes.join("\n"), /"sleep_time" 30: a full pass every 30 s/);
});

Deno.test("run_enabled other than Y switches every job off; absent, every job runs", () => {
  for (const [value, on] of [['"N"', false], ['"y"', true], ['""', false], ["true", true]]) {
    const text = `{"run_enabled": ${value}, "source_dirs": ["/a"], "dest_dirs": ["/b"]}`;
    assertEquals(parseConfig(text, "/c.json", parseRunArgs).jobs[0]!.enabled, on, String(value));
  }
  const none = parseConfig(`{"source_dirs": ["/a"], "dest_dirs": ["/b"]}`, "/c.json", parseRunArgs);
  assertEquals(none.jobs[0]!.enabled, true);
  assertEquals(parseRunArgs(none.jobs[0]!.argv).interval, 60);
});

Deno.test("the old file's problems name the old keys and their lines", () => {
  const text = `{
  "source_dirs": ["/a", "/b"],
  "dest_dirs": ["/x"],
  "sleep_time": "soon",
  "logfile": "x"
}`;
  const err = assertThrows(() => parseConfig(text, "/c.json", parseRunArgs), ConfigError);
  assertEquals(err.problems, [
    `/c.json:5: unknown key "logfile" in a file of the checksum script's format (its keys: ` +
    `run_enabled, source_dirs, dest_dirs, log_file, error_log_file, sleep_time); move it to a ` +
    "jobs file: see `backup config convert`",
    `/c.json:3: "source_dirs" has 2 folder(s) but "dest_dirs" has 1; they are paired in order ` +
    `(the first source into the first destination, ...), so give both lists the same length`,
    `/c.json:4: "sleep_time" must be a number of seconds above 0, not string "soon"`,
  ]);
});

Deno.test("a problem of a converted job points at its entries in the old lists", () => {
  const text = `{
  "source_dirs": ["/a",
    "/b"],
  "dest_dirs": ["/x",
    "/a/inside"]
}`;
  const err = assertThrows(() => parseConfig(text, "/c.json", parseRunArgs), ConfigError);
  assertEquals(err.problems.length, 1);
  assertMatch(
    err.problems[0]!,
    /^\/c\.json:5: job "b": "dest_dirs" entry \/a\/inside is inside job "a"'s source/,
  );
});

Deno.test("legacyOrigin and legacyWords map the jobs format back to the old keys", () => {
  assertEquals(legacyOrigin(["jobs", 2, "destination"]), ["dest_dirs", 2]);
  assertEquals(legacyOrigin(["jobs", 2, "source"]), ["source_dirs", 2]);
  assertEquals(legacyOrigin(["defaults", "interval"]), ["sleep_time"]);
  assertEquals(legacyOrigin(["log", "errorFile"]), ["error_log_file"]);
  assertEquals(
    legacyWords(`job "a": "interval" must be a number`),
    `job "a": "sleep_time" must be a number`,
  );
});

Deno.test("convertLegacy names jobs by their source folder, unique and valid", () => {
  const c = convertLegacy(
    {
      source_dirs: ["/x/.hidden", "/y/é tè", "/", "/z/a", "/w/a"],
      dest_dirs: [1, 2, 3, 4, 5].map((n) => `/d${n}`),
    },
    "/",
    () => {},
  );
  assertEquals(c.config.jobs.map((j) => j.name), ["hidden", "t", "folder", "a", "a-2"]);
});

Deno.test("the old file: one file for both logs is refused in the old keys' words", () => {
  const text = `{"source_dirs": ["/a"], "dest_dirs": ["/b"],
  "log_file": "/var/log/b.log", "error_log_file": "/var/log/b.log"}`;
  const err = assertThrows(() => parseConfig(text, "/c.json", parseRunArgs), ConfigError);
  assertEquals(err.problems, [
    `/c.json:2: "error_log_file" is the same file as "log_file"; pick another file for the errors`,
  ]);
});
