/**
 * The config file through the CLI: several jobs in one process, a failing
 * job beside working ones, flags over the file, `config check`, SIGHUP.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import {
  assertMirror,
  pathExists,
  put,
  runCli,
  startDaemon,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

function writeConfig(path: string, config: unknown): void {
  // The jobs' destinations are out/NAME: only the last folder of a destination is created.
  Deno.mkdirSync(`${path.slice(0, path.lastIndexOf("/"))}/out`, { recursive: true });
  Deno.writeTextFileSync(path, `// written by the test\n${JSON.stringify(config, null, 2)}\n`);
}

Deno.test("--config --once backs up every enabled job, each with its own journal and log", async () => {
  await using t = await tempDir();
  put(`${t.path}/docs/a.txt`, "a");
  put(`${t.path}/docs/skip.tmp`, "x");
  put(`${t.path}/pics/p/1.jpg`, "jpg");
  put(`${t.path}/off/o.txt`, "o");
  writeConfig(`${t.path}/backup.jsonc`, {
    log: { file: "shared.log" },
    jobs: [
      { name: "docs", source: "docs", destination: "out/docs", exclude: ["*.tmp"] },
      { name: "pics", source: "pics", destination: "out/pics", interval: 5 },
      { name: "off", source: "off", destination: "out/off", enabled: false },
    ],
  });
  const r = await runCli(["--config", `${t.path}/backup.jsonc`, "--once"]);
  assertEquals(r.code, 0, r.stderr);
  assert(!pathExists(`${t.path}/out/docs/skip.tmp`), "the job's exclude applies");
  assertEquals(Deno.readTextFileSync(`${t.path}/out/docs/a.txt`), "a");
  assertMirror(`${t.path}/pics`, `${t.path}/out/pics`);
  assert(!pathExists(`${t.path}/out/off`), "a switched-off job does not run");
  for (const job of ["docs", "pics"]) {
    assert(
      pathExists(`${t.path}/out/${job}/${RESERVED_DIR}/journal`),
      `${job} has its own journal`,
    );
    const own = Deno.readTextFileSync(`${t.path}/out/${job}/${RESERVED_DIR}/backup.log`);
    assertMatch(own, new RegExp(`\\[${job}\\] PASS 1`));
  }
  const shared = Deno.readTextFileSync(`${t.path}/shared.log`);
  assertMatch(shared, /\[docs\] FILE CREATED: a\.txt/);
  assertMatch(shared, /\[pics\] FILE CREATED: p\/1\.jpg/);
});

Deno.test("--config: a job whose source is missing does not stop the others", async () => {
  await using t = await tempDir();
  put(`${t.path}/docs/a.txt`, "a");
  writeConfig(`${t.path}/backup.jsonc`, {
    jobs: [
      { name: "usb", source: "not-mounted", destination: "out/usb" },
      { name: "docs", source: "docs", destination: "out/docs" },
    ],
  });
  const once = await runCli(["--config", `${t.path}/backup.jsonc`, "--once"]);
  assertEquals(once.code, 2, "the exit code is the failing job's");
  assertMatch(once.stderr, /\[usb\] ERROR: JOB FAILED: .*not-mounted.*"source"/);
  assertMirror(`${t.path}/docs`, `${t.path}/out/docs`);

  // As a daemon, the job starts once its source appears.
  const d = startDaemon(["--config", `${t.path}/backup.jsonc`, "--interval", "0.2"]);
  try {
    await waitFor(() => /JOB FAILED.*trying again every 5 s/.test(d.output()), { what: "retry" });
    put(`${t.path}/not-mounted/late.txt`, "late");
    await waitFor(() => pathExists(`${t.path}/out/usb/late.txt`), {
      timeoutMs: 20_000,
      what: "the late job to run",
    });
    put(`${t.path}/docs/b.txt`, "b");
    await waitFor(() => pathExists(`${t.path}/out/docs/b.txt`), { what: "the other job to go on" });
  } finally {
    assertEquals(await d.stop(), 0, d.output());
  }
});

Deno.test("--config: command-line flags override the file; --job picks jobs", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/keep.txt`, "k");
  put(`${t.path}/a/drop.log`, "d");
  put(`${t.path}/b/b.txt`, "b");
  writeConfig(`${t.path}/backup.jsonc`, {
    jobs: [
      { name: "a", source: "a", destination: "out/a", interval: 3600 },
      { name: "b", source: "b", destination: "out/b", enabled: false },
    ],
  });
  const plan = await runCli([
    "--config",
    `${t.path}/backup.jsonc`,
    "--job",
    "a",
    "--job",
    "b",
    "--exclude",
    "*.log",
    "--dry-run",
    "--json",
  ]);
  assertEquals(plan.code, 0, plan.stderr);
  const lines = plan.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const copies = lines.filter((l) => l.op === "copy").map((l) => `${l.job}:${l.path}`).sort();
  assertEquals(copies, ["a:keep.txt", "b:b.txt"], "--exclude from the command line applies");
  assert(Deno.readDirSync(`${t.path}/out`).next().done, "--dry-run changes nothing");

  const unknown = await runCli(["--config", `${t.path}/backup.jsonc`, "--job", "zz", "--once"]);
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /has no job "zz" \(jobs: a, b\)/);
  const both = await runCli(["--config", `${t.path}/backup.jsonc`, "--src", "a", "--once"]);
  assertEquals(both.code, 2);
  assertMatch(both.stderr, /--src cannot be used with --config/);
  const risky = await runCli(["--config", `${t.path}/backup.jsonc`, "--confirm-deletes"]);
  assertEquals(risky.code, 2);
  assertMatch(risky.stderr, /--confirm-deletes acts on one backup.*--job NAME/);
});

Deno.test("backup config check: a valid file lists its jobs, a bad one every problem with its line", async () => {
  await using t = await tempDir();
  Deno.mkdirSync(`${t.path}/docs`);
  writeConfig(`${t.path}/good.jsonc`, {
    jobs: [
      { name: "docs", source: "docs", destination: "out/docs", exclude: ["*.tmp"] },
      { name: "usb", source: "gone", destination: "out/usb", enabled: true },
    ],
  });
  const good = await runCli(["config", "check", `${t.path}/good.jsonc`]);
  assertEquals(good.code, 0, good.stderr);
  assertMatch(good.stdout, /^ok {3}docs: .*\/docs -> .*\/out\/docs, every 60 s, 1 exclude rule$/m);
  assertMatch(good.stdout, /warning: job "usb": source .*\/gone does not exist/);
  assertMatch(good.stdout, /is valid: 2 jobs, 2 enabled/);
  assert(Deno.readDirSync(`${t.path}/out`).next().done, "check runs nothing");

  Deno.writeTextFileSync(
    `${t.path}/bad.jsonc`,
    `{
  "jobs": [
    { "name": "docs", "source": "docs", "destination": "out", "interval": "5" },
    { "name": "more", "source": "docs", "destination": "out/more", "bogus": 1 }
  ]
}`,
  );
  const bad = await runCli(["config", "check", `${t.path}/bad.jsonc`]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stdout, /bad\.jsonc:3: job "docs": "interval" must be a number, not string "5"/);
  assertMatch(bad.stdout, /bad\.jsonc:4: job "more": unknown key "bogus"/);
  // Listed in the same run, though both jobs have other problems (issue 13).
  assertMatch(
    bad.stdout,
    /bad\.jsonc:4: job "more": "destination" overlaps job "docs"'s destination/,
  );
  const run = await runCli(["--config", `${t.path}/bad.jsonc`, "--once"]);
  assertEquals(run.code, 2);
  assertEquals(run.stderr.trim().split("\n").length, 1, "one line");
  assertMatch(run.stderr, /and 2 more: see `backup config check .*bad\.jsonc`/);
  const missing = await runCli(["config", "check", `${t.path}/nope.jsonc`]);
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /cannot read the config file ".*nope\.jsonc": not found/);

  // A negative number is judged by the key's own rule, in the file's words.
  Deno.writeTextFileSync(
    `${t.path}/negative.jsonc`,
    `{
  "jobs": [
    { "name": "docs", "source": "docs", "destination": "out", "onPass": "true", "hookTimeout": -1 }
  ]
}`,
  );
  const negative = await runCli(["--config", `${t.path}/negative.jsonc`, "--once"]);
  assertEquals(negative.code, 2);
  assertEquals(negative.stderr.trim().split("\n").length, 1, negative.stderr);
  assertMatch(
    negative.stderr,
    /negative\.jsonc:3: job "docs": "hookTimeout" must be a number of seconds above 0, not "-1"$/m,
  );
  assert(Deno.readDirSync(`${t.path}/out`).next().done, "a bad file runs nothing");
});

Deno.test("--config: SIGHUP reloads the file, starting new jobs and keeping a bad edit out", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/a.txt`, "a");
  put(`${t.path}/b/b.txt`, "b");
  const file = `${t.path}/backup.jsonc`;
  writeConfig(file, { jobs: [{ name: "a", source: "a", destination: "out/a" }] });
  const d = startDaemon(["--config", file, "--no-watch"]);
  try {
    await waitFor(() => pathExists(`${t.path}/out/a/a.txt`), { what: "job a" });
    Deno.writeTextFileSync(file, "{ not json");
    d.child.kill("SIGHUP");
    await waitFor(() => /CONFIG RELOAD REFUSED: .*not valid JSON/.test(d.output()), {
      what: "the refusal",
    });
    writeConfig(file, {
      jobs: [
        { name: "a", source: "a", destination: "out/a" },
        { name: "b", source: "b", destination: "out/b" },
      ],
    });
    d.child.kill("SIGHUP");
    await waitFor(() => pathExists(`${t.path}/out/b/b.txt`), { what: "job b after the reload" });
    assertMatch(
      d.output(),
      /CONFIG RELOADED .*: 1 job started, 0 restarted .*, 0 stopped, 1 unchanged/,
    );
    // Dropping a job stops it; changing one restarts it with the new settings.
    writeConfig(file, {
      jobs: [{ name: "b", source: "b", destination: "out/b", exclude: ["*.log"] }],
    });
    d.child.kill("SIGHUP");
    await waitFor(
      () => /1 restarted \(changed, or ended before\), 1 stopped, 0 unchanged/.test(d.output()),
      {
        what: "the second reload",
      },
    );
    assertMatch(d.output(), /\[a\] BACKUP STOPPED/);
    // A new shared log that cannot be opened: refused before any job is stopped.
    const starts = () => d.output().split("[b] BACKUP STARTED").length - 1;
    const before = starts();
    writeConfig(file, {
      log: { file: "no/such/folder/backup.log" },
      jobs: [{ name: "b", source: "b", destination: "out/b", interval: 7 }],
    });
    d.child.kill("SIGHUP");
    await waitFor(() => /CONFIG RELOAD REFUSED: cannot open the log file/.test(d.output()), {
      what: "the log file refusal",
    });
    assertEquals(starts(), before, "job b was not restarted");
    assert(!/\[b\] BACKUP STOPPED/.test(d.output().split("CONFIG RELOAD REFUSED: cannot")[1]!));
  } finally {
    assertEquals(await d.stop(), 0, d.output());
  }
});

Deno.test("--config: a job ended by a corrupt journal is started again by SIGHUP once rebuilt", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/a.txt`, "a");
  for (let i = 0; i < 10; i++) put(`${t.path}/b/f${i}.txt`, `file ${i}`);
  const file = `${t.path}/backup.jsonc`;
  writeConfig(file, {
    jobs: [
      { name: "a", source: "a", destination: "out/a" },
      { name: "b", source: "b", destination: "out/b" },
    ],
  });
  assertEquals((await runCli(["--config", file, "--once"])).code, 0);
  const seg = `${t.path}/out/b/${RESERVED_DIR}/journal/00000001.jsonl`;
  const bytes = Deno.readFileSync(seg);
  bytes[200]! ^= 0x20;
  Deno.writeFileSync(seg, bytes);
  const d = startDaemon(["--config", file, "--no-watch", "--interval", "0.2"]);
  try {
    await waitFor(() => /\[b\] ERROR: JOB FAILED: .*the other jobs go on/.test(d.output()), {
      what: "job b to end on its corrupt journal",
    });
    put(`${t.path}/a/a2.txt`, "a2");
    await waitFor(() => pathExists(`${t.path}/out/a/a2.txt`), { what: "job a to go on" });
    const rebuilt = await runCli([
      "--src",
      `${t.path}/b`,
      "--dest",
      `${t.path}/out/b`,
      "--once",
      "--rebuild-journal",
    ]);
    assertEquals(rebuilt.code, 0, rebuilt.stderr);
    put(`${t.path}/b/new.txt`, "new");
    d.child.kill("SIGHUP");
    await waitFor(() => pathExists(`${t.path}/out/b/new.txt`), { what: "job b after the reload" });
    assertMatch(d.output(), /1 restarted \(changed, or ended before\), 0 stopped, 1 unchanged/);
    assertMirror(`${t.path}/b`, `${t.path}/out/b`);
  } finally {
    assertEquals(await d.stop(), 0, d.output());
  }
});

Deno.test("without --config, SIGHUP does not stop the backup", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  const d = startDaemon(["--src", `${t.path}/src`, "--dest", `${t.path}/dst`, "--no-watch"]);
  try {
    await waitFor(() => pathExists(`${t.path}/dst/a.txt`), { what: "first pass" });
    d.child.kill("SIGHUP");
    await waitFor(() => /SIGHUP: nothing to reload/.test(d.output()), { what: "the SIGHUP note" });
  } finally {
    assertEquals(await d.stop(), 0, d.output());
  }
});

Deno.test("--config --json: every job's events carry its name, and stdout holds only JSON", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/1.txt`, "1");
  put(`${t.path}/b/2.txt`, "22");
  writeConfig(`${t.path}/backup.jsonc`, {
    jobs: [
      { name: "a", source: "a", destination: "out/a" },
      { name: "b", source: "b", destination: "out/b" },
      { name: "gone", source: "missing", destination: "out/gone" },
    ],
  });
  const r = await runCli(["--config", `${t.path}/backup.jsonc`, "--once", "--json"]);
  assertEquals(r.code, 2, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const of = (job: string) => events.filter((e) => e.job === job).map((e) => e.event);
  assertEquals(of("a"), ["start", "pass-start", "pass", "stop"]);
  assertEquals(of("b"), ["start", "pass-start", "pass", "stop"]);
  assertEquals(of("gone"), ["error", "stop"]);
  const pass = events.find((e) => e.job === "b" && e.event === "pass");
  assertEquals([pass.summary.copied, pass.summary.bytes], [1, 2]);
  assertEquals(events.find((e) => e.job === "gone" && e.event === "stop").code, 2);
  assertMatch(r.stderr, /\[gone\] ERROR: JOB FAILED/);
});

Deno.test("--config: a job's onPass hook gets the job's name", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/1.txt`, "1");
  writeConfig(`${t.path}/backup.jsonc`, {
    jobs: [{
      name: "docs",
      source: "a",
      destination: "out/a",
      onPass: `cat > '${t.path}/hook.json'; echo "$BACKUP_JOB" > '${t.path}/job.txt'`,
      hookTimeout: 10,
    }],
  });
  const r = await runCli(["--config", `${t.path}/backup.jsonc`, "--once"]);
  assertEquals(r.code, 0, r.stderr);
  const summary = JSON.parse(Deno.readTextFileSync(`${t.path}/hook.json`));
  assertEquals([summary.job, summary.event, summary.copied], ["docs", "pass", 1]);
  assertEquals(Deno.readTextFileSync(`${t.path}/job.txt`), "docs\n");
});

Deno.test("backup status --config reports every job, and one that never ran", async () => {
  await using t = await tempDir();
  put(`${t.path}/a/1.txt`, "1");
  writeConfig(`${t.path}/backup.jsonc`, {
    jobs: [
      { name: "a", source: "a", destination: "out/a" },
      { name: "later", source: "later", destination: "out/later" },
    ],
  });
  assertEquals(
    (await runCli(["--config", `${t.path}/backup.jsonc`, "--job", "a", "--once"])).code,
    0,
  );
  const text = await runCli(["status", "--config", `${t.path}/backup.jsonc`]);
  assertEquals(text.code, 0, text.stderr);
  assertMatch(text.stdout, /^== job a: .*\/a -> .*\/out\/a\n/m);
  assertMatch(text.stdout, /last pass: .*1 copied/);
  assertMatch(text.stdout, /== job later: [^\n]*\nno backup in ".*out\/later"/);
  const json = await runCli(["status", "--config", `${t.path}/backup.jsonc`, "--json"]);
  assertEquals(json.code, 0, json.stderr);
  const [a, later] = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals([a.job, later.job, later.backedUp], ["a", "later", false]);
  const both = await runCli(["status", "--config", `${t.path}/backup.jsonc`, "--dest", "x"]);
  assertEquals(both.code, 2);
});
