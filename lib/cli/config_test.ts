import { assert, assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { parseRunArgs } from "./run_args.ts";

const check = (argv: string[]) => void parseRunArgs(argv);

function problems(text: string): string[] {
  const err = assertThrows(() => parseConfig(text, "/etc/backup.jsonc", check), ConfigError);
  return (err as ConfigError).problems;
}

Deno.test("parseConfig reads jobs with comments, trailing commas, defaults and relative paths", () => {
  const config = parseConfig(
    `// my backups
    {
      "log": { "file": "logs/backup.log", "json": true },
      "defaults": { "interval": 30, "exclude": ["*.tmp"] },
      "jobs": [
        /* the documents */
        { "name": "docs", "source": "/home/ana/Documents", "destination": "/mnt/usb/docs",
          "interval": 5, "exclude": ["cache/"], "enabled": true },
        { "name": "photos", "source": "photos", "destination": "/mnt/usb/photos",
          "enabled": false, "watch": false, "maxDelete": 10, "keepVersions": 10 },
      ],
    }`,
    "/etc/backup/backup.jsonc",
    check,
  );
  assertEquals(config.log, { file: "/etc/backup/logs/backup.log", json: true });
  assertEquals(config.jobs.map((j) => [j.name, j.enabled, j.source, j.destination]), [
    ["docs", true, "/home/ana/Documents", "/mnt/usb/docs"],
    ["photos", false, "/etc/backup/photos", "/mnt/usb/photos"],
  ]);
  const docs = parseRunArgs(config.jobs[0]!.argv);
  assertEquals([docs.interval, docs.exclude, docs.watch], [5, ["*.tmp", "cache/"], true]);
  const photos = parseRunArgs(config.jobs[1]!.argv);
  assertEquals([photos.interval, photos.watch, photos.deleteLimits.maxCount], [30, false, 10]);
  assertEquals(photos.keepVersions !== null, true, "keepVersions: 10 keeps the newest 10");
});

Deno.test("parseConfig names the line, the job and the key of every problem at once", () => {
  const found = problems(`{
  "jobs": [
    { "name": "docs", "source": "/a", "destination": "/b", "intervall": 5 },
    { "name": "pics", "source": "/c", "destination": "/d", "interval": 0 },
    { "name": "music", "source": "~/Music", "destination": "/e" },
    { "name": "x", "source": "/f", "destination": "/g", "maxDelete": "ten" },
    { "source": "/h", "destination": "/i" },
    { "name": "bad name", "source": "/j", "destination": "/k", "bogus": 1 },
    { "name": "y", "source": "/l", "destination": "/m", "interval": 0, "maxDeletePercent": 200 }
  ]
}`);
  assertEquals(found, [
    `/etc/backup.jsonc:3: job "docs": unknown key "intervall"; known keys: name, enabled, source, ` +
    `destination, interval, watch, exclude, excludeFrom, deleteExcluded, maxDelete, ` +
    `maxDeletePercent, keepSetuid, journalMaxMb, keepVersions, onPass, onError, hookTimeout, ` +
    `schedule, scheduleTz, verifyEvery, destSweep`,
    `/etc/backup.jsonc:4: job "pics": "interval" must be a number of seconds above 0, not "0"`,
    `/etc/backup.jsonc:5: job "music": "source" starts with "~", which is not expanded here; write the full path`,
    `/etc/backup.jsonc:6: job "x": "maxDelete" must be a number, not string "ten"`,
    `/etc/backup.jsonc:7: jobs[4]: "name" is missing; give each job a short name of letters, digits, ".", "_" or "-"`,
    // A bad name does not hide the job's other problems, nor one bad value the next.
    `/etc/backup.jsonc:8: jobs[5]: "name" cannot be string "bad name"; give each job a short name of letters, digits, ".", "_" or "-"`,
    `/etc/backup.jsonc:8: jobs[5]: unknown key "bogus"; known keys: name, enabled, source, ` +
    `destination, interval, watch, exclude, excludeFrom, deleteExcluded, maxDelete, ` +
    `maxDeletePercent, keepSetuid, journalMaxMb, keepVersions, onPass, onError, hookTimeout, ` +
    `schedule, scheduleTz, verifyEvery, destSweep`,
    `/etc/backup.jsonc:9: job "y": "interval" must be a number of seconds above 0, not "0"`,
    `/etc/backup.jsonc:9: job "y": "maxDeletePercent" must be a whole number from 0 to 100, not "200"`,
  ]);
});

Deno.test("parseConfig reports syntax errors with their line", () => {
  assertEquals(problems(`{\n  "jobs": [\n    { "name": "a" "source": "/x" }\n  ]\n}`), [
    "/etc/backup.jsonc:3: not valid JSON: comma expected",
  ]);
  assertEquals(problems(""), ["/etc/backup.jsonc:1: not valid JSON: value expected"]);
  assertEquals(problems("[]"), [
    `/etc/backup.jsonc:1: the file must hold an object with a "jobs" list`,
  ]);
});

Deno.test("parseConfig refuses missing keys, duplicate names and unknown top-level keys", () => {
  assertEquals(
    problems(`{ "job": [], "jobs": [
      { "name": "a", "source": "/s1" },
      { "name": "b", "source": "/s2", "destination": "/d2" },
      { "name": "b", "source": "/s3", "destination": "/d3" } ] }`),
    [
      `/etc/backup.jsonc:1: unknown key "job"; known keys: log, defaults, jobs, $schema`,
      `/etc/backup.jsonc:2: job "a": "destination" is missing`,
      `/etc/backup.jsonc:4: job "b": the name is used by another job`,
    ],
  );
  assertEquals(problems(`{ "jobs": [] }`), [
    `/etc/backup.jsonc:1: "jobs" must be a list of at least one job`,
  ]);
});

Deno.test("parseConfig refuses jobs that share or nest destinations, or back up a backup", () => {
  const found = problems(`{ "jobs": [
    { "name": "a", "source": "/home/a", "destination": "/mnt/usb" },
    { "name": "b", "source": "/home/b", "destination": "/mnt/usb/b" },
    { "name": "c", "source": "/srv", "destination": "/mnt/c" },
    { "name": "d", "source": "/home/d", "destination": "/srv/backup-d" }
  ] }`);
  assertEquals(found.length, 2);
  assert(found[0]!.includes(`job "b": "destination" overlaps job "a"'s destination /mnt/usb`));
  assert(found[1]!.includes(`job "d": "destination" /srv/backup-d is inside job "c"'s source`));
});

Deno.test("parseConfig checks types of log settings and the options in defaults", () => {
  const found = problems(`{
  "log": { "file": 3, "level": "debug" },
  "defaults": { "name": "x", "watch": "no" },
  "jobs": [ { "name": "a", "source": "/s", "destination": "/d" } ]
}`);
  assertEquals(found, [
    `/etc/backup.jsonc:2: log: unknown key "level"; known keys: file, json, errorFile`,
    `/etc/backup.jsonc:2: log: "file" must be a path, not number 3`,
    `/etc/backup.jsonc:3: defaults: "name" belongs in a job, not in "defaults"`,
    `/etc/backup.jsonc:3: defaults: "watch" must be true or false, not string "no"`,
  ]);
});

Deno.test("parseConfig: a job's own value replaces the default's, false included; lists add up", () => {
  const config = parseConfig(
    `{
      "defaults": { "deleteExcluded": true, "watch": false, "keepSetuid": true, "interval": 9,
                    "exclude": ["*.tmp"] },
      "jobs": [
        { "name": "a", "source": "/s", "destination": "/d", "deleteExcluded": false,
          "watch": true, "keepSetuid": false, "interval": 2, "exclude": ["x/"] },
        { "name": "b", "source": "/s2", "destination": "/d2" }
      ]
    }`,
    "/etc/backup.jsonc",
    check,
  );
  const a = parseRunArgs(config.jobs[0]!.argv);
  assertEquals([a.deleteExcluded, a.watch, a.keepSetuid, a.interval, a.exclude], [
    false,
    true,
    false,
    2,
    ["*.tmp", "x/"],
  ]);
  const b = parseRunArgs(config.jobs[1]!.argv);
  assertEquals([b.deleteExcluded, b.watch, b.keepSetuid, b.interval], [true, false, true, 9]);
});

Deno.test("parseConfig: a problem in defaults is reported once; ~ is refused in every path", () => {
  assertEquals(
    problems(`{
  "log": { "file": "~/backup.log" },
  "defaults": { "maxDelete": "x", "excludeFrom": ["~/rules"] },
  "jobs": [ { "name": "a", "source": "/s", "destination": "/d" },
            { "name": "b", "source": "/t", "destination": "/e" } ]
}`),
    [
      `/etc/backup.jsonc:2: log: "file" starts with "~", which is not expanded here; write the full path`,
      `/etc/backup.jsonc:3: defaults: "maxDelete" must be a number, not string "x"`,
      `/etc/backup.jsonc:3: defaults: "excludeFrom" starts with "~", which is not expanded here; write the full path`,
    ],
  );
});

Deno.test("parseConfig: a negative number gets the key's own message; a value may start with '-'", () => {
  assertEquals(
    problems(`{
  "jobs": [
    { "name": "a", "source": "/s1", "destination": "/d1", "onPass": "true", "hookTimeout": -1 },
    { "name": "b", "source": "/s2", "destination": "/d2", "keepVersions": -5 },
    { "name": "c", "source": "/s3", "destination": "/d3", "interval": -3 }
  ]
}`),
    [
      `/etc/backup.jsonc:3: job "a": "hookTimeout" must be a number of seconds above 0, not "-1"`,
      `/etc/backup.jsonc:4: job "b": "keepVersions" takes an age like 30d, 12h, 2w or 90m (minutes), ` +
      `or a number of versions per file like 10, not "-5"`,
      `/etc/backup.jsonc:5: job "c": "interval" must be a number of seconds above 0, not "-3"`,
    ],
  );
  const config = parseConfig(
    `{ "jobs": [ { "name": "a", "source": "/-s", "destination": "/-d",
                   "exclude": ["-draft.txt", "--old"], "onPass": "-x" } ] }`,
    "/etc/backup.jsonc",
    check,
  );
  const a = parseRunArgs(config.jobs[0]!.argv);
  assertEquals([config.jobs[0]!.source, config.jobs[0]!.destination], ["/-s", "/-d"]);
  assertEquals([a.exclude, a.hooks.onPass], [["-draft.txt", "--old"], "-x"]);
});

Deno.test("parseConfig refuses a file nested past 64 levels, by a scan that cannot overflow the stack", () => {
  const deep = `{\n "jobs": ${"[".repeat(100_000)}${"]".repeat(100_000)} }`;
  assertEquals(problems(deep), [
    `/etc/backup.jsonc:2: nested more than 64 levels deep; a config file needs 4 (the file's object, its "jobs" list, a job, an "exclude" list)`,
  ]);
  const inString = `{ "jobs": [ { "name": "a", "source": "/s", "destination": "/d", "exclude": ["${
    "[".repeat(200)
  }"] } ] }`;
  assertEquals(parseConfig(inString, "/etc/backup.jsonc", check).jobs.length, 1, "[ in a string");
});

Deno.test("parseConfig checks overlaps among 2,000 jobs in linear time, and still finds them", () => {
  const jobs = Array.from({ length: 2000 }, (_, i) => ({
    name: `j${i}`,
    source: `/home/u${i}`,
    destination: `/mnt/backups/d${i}`,
  }));
  const started = performance.now();
  assertEquals(parseConfig(JSON.stringify({ jobs }), "/c.json", check).jobs.length, 2000);
  assert(performance.now() - started < 5000, `${(performance.now() - started).toFixed(0)} ms`);
  jobs.push({ name: "late", source: "/home/late", destination: "/mnt/backups/d7/inner" });
  jobs.push({ name: "inside", source: "/srv", destination: "/home/u3/backup" });
  const found = problems(JSON.stringify({ jobs }, null, 1));
  assertEquals(found.length, 2);
  // In the order of the earlier job of each pair, as before.
  assert(
    found[0]!.includes(`job "inside": "destination" /home/u3/backup is inside job "j3"'s source`),
  );
  assert(found[1]!.includes(`job "late": "destination" overlaps job "j7"'s destination`));
});

Deno.test("a jobs file takes schedule and scheduleTz, and log.errorFile; bad values name the key", () => {
  const text = `{
  "log": { "errorFile": "errors.log" },
  "defaults": { "schedule": "0 2 * * *", "scheduleTz": "UTC" },
  "jobs": [
    { "name": "a", "source": "/a", "destination": "/b" },
    { "name": "c", "source": "/c", "destination": "/d", "schedule": "nightly" },
  ]
}`;
  const err = assertThrows(() => parseConfig(text, "/etc/b.jsonc", parseRunArgs), ConfigError);
  assertEquals(err.problems.length, 1);
  assertMatch(
    err.problems[0]!,
    /^\/etc\/b\.jsonc:6: job "c": "schedule" must be a cron expression/,
  );
  const ok = parseConfig(text.replace('"nightly"', '"0 3 * * 1"'), "/etc/b.jsonc", parseRunArgs);
  assertEquals(ok.log.errorFile, "/etc/errors.log");
  const [a, c] = ok.jobs.map((j) => parseRunArgs(j.argv).schedule);
  assertEquals([a?.text, a?.zone, c?.text, c?.zone], ["0 2 * * *", "UTC", "0 3 * * 1", "UTC"]);
});

Deno.test("a jobs file takes destSweep from defaults or a job; a bad value names the key", () => {
  const text = `{
  "defaults": { "destSweep": 4 },
  "jobs": [
    { "name": "a", "source": "/a", "destination": "/b" },
    { "name": "c", "source": "/c", "destination": "/d", "destSweep": 1 },
    { "name": "e", "source": "/e", "destination": "/f", "destSweep": 0 },
  ]
}`;
  const err = assertThrows(() => parseConfig(text, "/etc/b.jsonc", parseRunArgs), ConfigError);
  assertEquals(err.problems, [
    `/etc/b.jsonc:6: job "e": "destSweep" must be a whole number from 1, not "0"`,
  ]);
  const ok = parseConfig(text.replace('"destSweep": 0', '"destSweep": 2'), "/etc/b.jsonc", check);
  assertEquals(ok.jobs.map((j) => parseRunArgs(j.argv).destSweep), [4, 1, 2]);
  // A flag beside --config comes after the job's arguments and wins (lib/cli/jobs.ts).
  assertEquals(parseRunArgs([...ok.jobs[1]!.argv, "--dest-sweep", "7"]).destSweep, 7);
});
