/**
 * For the users of the older scripts (issue 15, part 2), through the CLI: the errors-only log,
 * scheduled passes, the checksum script's JSON config run as it is, and the interactive start.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import {
  MAIN,
  pathExists,
  put,
  ROOT,
  RUN_PERMS,
  runCli,
  startDaemon,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

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
  const main = Deno.readTextFileSync(`${t.path}/dest/${RESERVED_DIR}/backup.log`);
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

  const same = await runCli([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--once",
    "--log-file",
    `${t.path}/both.log`,
    "--error-log",
    `${t.path}/both.log`,
  ]);
  assertEquals(same.code, 2);
  assertMatch(same.stderr, /--error-log ".*both\.log" is the log file itself/);
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
    "--json",
  ]);
  try {
    await waitFor(
      () => /SCHEDULE \*\/2 \* \* \* \* \* \(UTC\): next full pass at/.test(d.output()),
      { what: "the schedule line", timeoutMs: 30_000 },
    );
    const before = d.output();
    assert(!before.includes("PASS 1"), "no pass at start with --no-watch: " + before);
    const start = before.split("\n").find((l) => l.startsWith('{"event":"start"'));
    assertEquals(JSON.parse(start!).schedule, "*/2 * * * * *");
    await waitFor(() => pathExists(`${dest}/a.txt`), {
      what: "the first scheduled pass",
      timeoutMs: 30_000,
    });
    put(`${t.path}/src/b.txt`, "b");
    await waitFor(() => pathExists(`${dest}/b.txt`), {
      what: "a later scheduled pass",
      timeoutMs: 30_000,
    });
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
  assert(!pathExists(`${t.path}/dest`), "nothing was created");
});

/** The checksum script's file, as its users have it. */
function oldConfig(dir: string, over: Record<string, unknown> = {}): string {
  const path = `${dir}/backup_config.json`;
  Deno.writeTextFileSync(
    path,
    JSON.stringify(
      {
        run_enabled: "Y",
        source_dirs: [`${dir}/Documents`, "Pictures"],
        dest_dirs: [`${dir}/usb/Documents`, "usb/Pictures"],
        log_file: `${dir}/backup.log`,
        error_log_file: `${dir}/backup_errors.log`,
        sleep_time: 30,
        ...over,
      },
      null,
      2,
    ),
  );
  return path;
}

Deno.test("the checksum script's backup_config.json runs as it is: pairs in order, .stfolder left out, two logs", async () => {
  await using t = await tempDir();
  put(`${t.path}/Documents/a.txt`, "a");
  put(`${t.path}/Documents/.stfolder/marker`, "syncthing");
  put(`${t.path}/Pictures/p/1.jpg`, "jpg");
  Deno.symlinkSync("/etc/hostname", `${t.path}/Pictures/.backupignore`); // one warning
  Deno.mkdirSync(`${t.path}/usb`); // the disk is mounted: only the last folders are created
  const config = oldConfig(t.path);
  const r = await runCli(["--config", config, "--once"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(Deno.readTextFileSync(`${t.path}/usb/Documents/a.txt`), "a");
  assertEquals(Deno.readTextFileSync(`${t.path}/usb/Pictures/p/1.jpg`), "jpg");
  assert(
    !pathExists(`${t.path}/usb/Documents/.stfolder`),
    ".stfolder is left out, as the script did",
  );
  const log = Deno.readTextFileSync(`${t.path}/backup.log`);
  assertMatch(log, /\[Documents\] BACKUP STARTED: .*, every 30 s/);
  assertMatch(log, /\[Pictures\] FILE CREATED: p\/1\.jpg/);
  const errors = Deno.readTextFileSync(`${t.path}/backup_errors.log`);
  assertMatch(errors, /\[Pictures\] WARNING: CANNOT READ EXCLUDE RULES/);
  assert(!/FILE CREATED|PASS 1/.test(errors), errors);

  // `config check` says what each old key became.
  const check = await runCli(["config", "check", config]);
  assertEquals(check.code, 0, check.stdout);
  for (
    const line of [
      /note: .* is in the checksum script's format/,
      /"run_enabled" "Y": every job is enabled/,
      /"source_dirs"\[1\] and "dest_dirs"\[1\]: job "Pictures": .*\/Pictures -> .*\/usb\/Pictures/,
      /"sleep_time" 30: a full pass every 30 s \("interval"\)/,
      /"\.stfolder" is left out of every job/,
      /"error_log_file" .*: the errors-only log \("log\.errorFile"\)/,
      /^ok +Documents: .* every 30 s, 1 exclude rule$/m,
    ]
  ) assertMatch(check.stdout, line);
});

Deno.test("config convert prints the equivalent jobs file, which runs the same jobs", async () => {
  await using t = await tempDir();
  put(`${t.path}/Documents/a.txt`, "a");
  put(`${t.path}/Pictures/b.txt`, "b");
  const config = oldConfig(t.path, { run_enabled: "N" });
  const r = await runCli(["config", "convert", config], { cwd: t.path });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^\/\/ Converted by `backup config convert` from /);
  Deno.writeTextFileSync(`${t.path}/backup.jsonc`, r.stdout);
  const check = await runCli(["config", "check", `${t.path}/backup.jsonc`]);
  assertEquals(check.code, 0, check.stdout);
  assertMatch(
    check.stdout,
    /^off +Documents: .*\/Documents -> .*\/usb\/Documents, every 30 s, 1 exclude rule$/m,
  );
  assertMatch(check.stdout, /^off +Pictures: .*\/Pictures -> .*\/usb\/Pictures, every 30 s/m);
  assertMatch(check.stdout, /errors-only log .*backup_errors\.log/);
  // run_enabled "N": nothing runs, with the reason in the old file's words.
  const off = await runCli(["--config", config, "--once"]);
  assertEquals(off.code, 2);
  assertMatch(off.stderr, /"run_enabled" is not "Y", so every folder is switched off/);
  // A jobs file is not converted again.
  const again = await runCli(["config", "convert", `${t.path}/backup.jsonc`]);
  assertEquals(again.code, 2);
  assertMatch(again.stderr, /already a jobs file/);
});

Deno.test("the old file: lists of different lengths are an error naming both, with the line", async () => {
  await using t = await tempDir();
  put(`${t.path}/Documents/a.txt`, "a");
  const config = oldConfig(t.path, { dest_dirs: [`${t.path}/usb/Documents`] });
  for (const args of [["config", "check", config], ["--config", config, "--once"]]) {
    const r = await runCli(args);
    assertEquals(r.code, 2, r.stdout + r.stderr);
    assertMatch(
      r.stdout + r.stderr,
      /backup_config\.json:\d+: "source_dirs" has 2 folder\(s\) but "dest_dirs" has 1; they are paired in order/,
    );
  }
  assert(!pathExists(`${t.path}/usb`), "nothing ran");
});

/**
 * Runs `backup ARGS` under a pseudo-terminal (`script -qec`), answering each question once it
 * has been asked as often as its place in `answers` says; returns the exit code and the output.
 */
async function onTerminal(
  args: string[],
  answers: [question: string, answer: string][],
): Promise<{ code: number; output: string }> {
  const command = [Deno.execPath(), "run", "--quiet", ...RUN_PERMS, MAIN, ...args].map((w) =>
    `'${w.replaceAll("'", `'\\''`)}'`
  ).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let output = "";
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += dec.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const writer = child.stdin.getWriter();
  const asked = (question: string) => output.split(question).length - 1;
  const seen = new Map<string, number>();
  try {
    for (const [question, answer] of answers) {
      const n = (seen.get(question) ?? 0) + 1;
      seen.set(question, n);
      await waitFor(() => asked(question) >= n, {
        what: `question ${n} "${question}"`,
        timeoutMs: 30_000, // deno starts under a loaded machine
      });
      await writer.write(new TextEncoder().encode(answer + "\n"));
    }
    const status = await child.status;
    await pumps;
    return { code: status.code, output };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await writer.close().catch(() => {});
  }
}

Deno.test("on a terminal without folders, backup asks for them, checks them as the flags are, shows the command and runs it", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const r = await onTerminal(["--once"], [
    ["Source folder:", `${t.path}/missing`],
    ["Source folder:", `${t.path}/src`],
    ["Backup folder:", `${t.path}/src/inside`],
    ["Backup folder:", `${t.path}/usb`],
  ]);
  assertEquals(r.code, 0, r.output);
  assertMatch(r.output, /backup: Cannot back up ".*\/missing": not found; check --src/);
  assertMatch(r.output, /backup: --dest ".*\/src\/inside" is inside --src ".*\/src"/);
  assertMatch(r.output, new RegExp(`backup --src ${t.path}/src --dest ${t.path}/usb --once`));
  assertEquals(Deno.readTextFileSync(`${t.path}/usb/a.txt`), "a");
});

Deno.test("without a terminal, no folders is the usage error it was", async () => {
  const r = await runCli(["--once"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /missing --src DIR/);
  assert(!r.stdout.includes("Source folder:"));
});

Deno.test("--error-log beside --config overrides the file's log.errorFile", async () => {
  await using t = await tempDir();
  put(`${t.path}/docs/a.txt`, "a");
  Deno.symlinkSync("/etc/hostname", `${t.path}/docs/.backupignore`);
  Deno.writeTextFileSync(
    `${t.path}/backup.jsonc`,
    JSON.stringify({
      log: { errorFile: "file-errors.log" },
      jobs: [{ name: "docs", source: "docs", destination: "out" }],
    }),
  );
  const r = await runCli([
    "--config",
    `${t.path}/backup.jsonc`,
    "--once",
    "--error-log",
    `${t.path}/flag-errors.log`,
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    Deno.readTextFileSync(`${t.path}/flag-errors.log`),
    /\[docs\] WARNING: CANNOT READ EXCLUDE RULES/,
  );
  assert(!pathExists(`${t.path}/file-errors.log`), "the flag wins over the file");
});

Deno.test("the old file over the script's own mirrors: check says how to adopt each, and adopting works", async () => {
  await using t = await tempDir();
  put(`${t.path}/Documents/a.txt`, "a");
  put(`${t.path}/Pictures/b.txt`, "b");
  put(`${t.path}/usb/Documents/a.txt`, "a"); // what the checksum script left
  put(`${t.path}/usb/Documents/gone.txt`, "deleted from the source since");
  const config = oldConfig(t.path);
  const check = await runCli(["config", "check", config]);
  assertEquals(check.code, 0, check.stdout);
  assertMatch(
    check.stdout,
    /warning: job "Documents": ".*\/usb\/Documents" is not empty and was never a backup .*; to make it this job's mirror once: backup --config .*backup_config\.json --job Documents --adopt-dest --once/,
  );
  assert(!/job "Pictures": .*not empty/.test(check.stdout), check.stdout);
  const refused = await runCli(["--config", config, "--once"]);
  assertEquals(refused.code, 2, refused.stderr);
  assertEquals(Deno.readTextFileSync(`${t.path}/usb/Pictures/b.txt`), "b", "the other job ran");
  const adopt = await runCli(["--config", config, "--job", "Documents", "--adopt-dest", "--once"]);
  assertEquals(adopt.code, 0, adopt.stderr);
  assert(!pathExists(`${t.path}/usb/Documents/gone.txt`));
  const again = await runCli(["--config", config, "--once"]);
  assertEquals(again.code, 0, again.stderr);
});
