/**
 * For the users of the older scripts (issue 15, part 2), through the CLI: the errors-only log,
 * scheduled passes, the checksum script's JSON config run as it is, and the interactive start.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { put, runCli, startDaemon, tempDir, waitFor } from "../testing/helpers.ts";

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("--error-log gets the warnings and errors only; the main log gets everything", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  Deno.symlinkSync("/etc/hostname", `${t.path}/src/.backupignore`); // a warning at every pass
  const r = await runCli([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--once",
    "--error-log",
    `${t.path}/errors.log`,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const errors = Deno.readTextFileSync(`${t.path}/errors.log`);
  assertMatch(errors, /WARNING: CANNOT READ EXCLUDE RULES: \.backupignore/);
  assert(!/PASS 1|BACKUP STARTED|FILE CREATED/.test(errors), errors);
  assertEquals(Deno.statSync(`${t.path}/errors.log`).mode! & 0o777, 0o600);
  const main = Deno.readTextFileSync(`${t.path}/dest/.backup/backup.log`);
  assertMatch(main, /PASS 1/);
  assertMatch(main, /WARNING: CANNOT READ EXCLUDE RULES/);

  const inSource = await runCli([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--once",
    "--error-log",
    `${t.path}/src/errors.log`,
  ]);
  assertEquals(inSource.code, 2);
  assertMatch(inSource.stderr, /--error-log ".*src\/errors\.log": .*put it elsewhere/);
});

Deno.test("--schedule runs full passes at its times (a seconds field here), shown by status", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const dest = `${t.path}/dest`;
  const d = startDaemon([
    "--src",
    `${t.path}/src`,
    "--dest",
    dest,
    "--schedule",
    "*/2 * * * * *",
    "--schedule-tz",
    "UTC",
    "--no-watch",
    "--interval",
    "3600", // the schedule, not the interval, decides
  ]);
  try {
    await waitFor(
      () => /SCHEDULE \*\/2 \* \* \* \* \* \(UTC\): next full pass at/.test(d.output()),
      {
        what: "the schedule line",
      },
    );
    const before = d.output();
    assert(!before.includes("PASS 1"), "no pass at start with --no-watch: " + before);
    await waitFor(() => exists(`${dest}/a.txt`), { what: "the first scheduled pass" });
    put(`${t.path}/src/b.txt`, "b");
    await waitFor(() => exists(`${dest}/b.txt`), { what: "a later scheduled pass" });
    const s = await runCli(["status", "--dest", dest, "--json"]);
    assertEquals(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout);
    assertEquals([status.schedule.cron, status.schedule.zone], ["*/2 * * * * *", "UTC"]);
    const next = Date.parse(status.schedule.nextRun);
    assert(next > Date.now() - 5_000 && next < Date.now() + 5_000, status.schedule.nextRun);
    assertEquals(new Date(next).getUTCSeconds() % 2, 0);
    const human = await runCli(["status", "--dest", dest]);
    assertMatch(
      human.stdout,
      /next run: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(schedule "\*\/2 \* \* \* \* \*" \(UTC\)\)/,
    );
  } finally {
    assertEquals(await d.stop(), 0, d.output());
  }
  const stopped = JSON.parse((await runCli(["status", "--dest", dest, "--json"])).stdout);
  assertEquals(stopped.schedule.nextRun, null, "a stopped daemon runs nothing");
});

Deno.test("--schedule: a bad expression or zone is a usage error naming the flag", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const roots = ["--src", `${t.path}/src`, "--dest", `${t.path}/dest`];
  const bad = await runCli([...roots, "--schedule", "every night"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--schedule must be a cron expression of five fields/);
  const zone = await runCli([...roots, "--schedule", "0 2 * * *", "--schedule-tz", "Mars/Base"]);
  assertEquals(zone.code, 2);
  assertMatch(zone.stderr, /--schedule-tz must be a time zone name/);
  assert(!exists(`${t.path}/dest`), "nothing was created");
});
