/**
 * The config file's folders through the CLI: what the daemon would refuse for
 * good (a destination inside its source, a source that is a file) is refused
 * by `config check` and by `backup --config` alike, with exit 2.
 */

import { assert, assertEquals, assertMatch } from "../testing/assert.ts";
import { put, runCli, tempDir } from "../testing/helpers.ts";
import { LEGACY_RESERVED_DIR, RESERVED_DIR } from "../lib/base/layout.ts";

function writeConfig(path: string, config: unknown): void {
  Deno.writeTextFileSync(path, JSON.stringify(config, null, 2));
}

Deno.test("config: folders the daemon would refuse are errors for config check and --config", async () => {
  await using t = await tempDir();
  put(`${t.path}/home/a.txt`, "a");
  put(`${t.path}/file.txt`, "not a folder");
  const cases: [Record<string, string>, RegExp][] = [
    [{ source: "home", destination: "home/bk" }, /"destination" .* is inside "source"/],
    [{ source: "home", destination: "home" }, /"source" and "destination" are the same folder/],
    [{ source: "home", destination: "." }, /"source" .* is inside "destination"/],
    [{ source: "file.txt", destination: "out" }, /not a folder; "source" must name a folder/],
    // A source that does not exist yet is checked by the paths' text.
    [{ source: "later", destination: "later/bk" }, /"destination" is inside "source"/],
  ];
  for (const [folders, message] of cases) {
    const file = `${t.path}/backup.jsonc`;
    writeConfig(file, { jobs: [{ name: "j", ...folders }] });
    const check = await runCli(["config", "check", file]);
    assertEquals(check.code, 2, `${JSON.stringify(folders)}: ${check.stdout}`);
    assertMatch(check.stdout, new RegExp(`error: .*backup\\.jsonc: job "j": .*${message.source}`));
    const run = await runCli(["--config", file, "--once"]);
    assertEquals(run.code, 2, `${JSON.stringify(folders)}: ${run.stderr}`);
    assertEquals(run.stderr.trim().split("\n").length, 1, run.stderr);
    assertMatch(run.stderr, message);
  }
  assert(!Deno.readDirSync(`${t.path}/home`).some((e) => e.name === "bk"), "nothing was created");
});

Deno.test("a log file whose folder is missing: an error for config check; one line naming it, exit 2, nothing created", async () => {
  await using t = await tempDir();
  put(`${t.path}/docs/a.txt`, "a");
  const file = `${t.path}/backup.jsonc`;
  writeConfig(file, {
    log: { file: "no/such/folder/backup.log" },
    jobs: [{ name: "docs", source: "docs", destination: "out" }],
  });
  const check = await runCli(["config", "check", file]);
  assertEquals(check.code, 2, check.stdout);
  assertMatch(
    check.stdout,
    /error: .*: log: the folder of "file" .*no\/such\/folder does not exist/,
  );
  const runs = [
    ["--config", file, "--once"],
    [
      "--src",
      `${t.path}/docs`,
      "--dest",
      `${t.path}/out`,
      "--once",
      "--log-file",
      `${t.path}/x/y.log`,
    ],
  ];
  for (const args of runs) {
    const r = await runCli(args);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertMatch(r.stderr, /cannot open the log file ".*(no\/such\/folder\/backup|x\/y)\.log"/);
  }
  assert(!Deno.readDirSync(t.path).some((e) => e.name === "out"), "no destination was created");
});

Deno.test("a log file inside a source or a mirror is refused (a pass that never settles, a deleted log)", async () => {
  await using t = await tempDir();
  put(`${t.path}/s/a.txt`, "a");
  const file = `${t.path}/backup.jsonc`;
  writeConfig(file, {
    log: { file: "s/shared.log" },
    jobs: [{ name: "j", source: "s", destination: "out" }],
  });
  const check = await runCli(["config", "check", file]);
  assertEquals(check.code, 2, check.stdout);
  assertMatch(
    check.stdout,
    /log: "file" .*s\/shared\.log is refused for job "j": it is inside the source/,
  );
  assertEquals((await runCli(["--config", file, "--once"])).code, 2);
  const single = (log: string) =>
    runCli(["--src", `${t.path}/s`, "--dest", `${t.path}/out`, "--once", "--log-file", log]);
  const cases: [string, string][] = [["s/x.log", "the source"], ["out/x.log", "the destination"]];
  for (const [log, where] of cases) {
    const r = await single(`${t.path}/${log}`);
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertMatch(r.stderr, new RegExp(`--log-file ".*${log}": it is inside ${where}`));
  }
  // Beside the journal, in the reserved folder, is fine.
  const ok = await single(`${t.path}/out/${RESERVED_DIR}/extra.log`);
  assertEquals(ok.code, 0, ok.stderr);
  assert(
    Deno.readTextFileSync(`${t.path}/out/${RESERVED_DIR}/extra.log`).includes("BACKUP STARTED"),
  );
});

Deno.test("config: an older destination in a config keeps .backup reserved for every job; renaming its folder ends that", async () => {
  await using t = await tempDir();
  const [srcA, srcB, destA, destB] = ["srcA", "srcB", "destA", "destB"].map((n) =>
    `${t.path}/${n}`
  );
  put(`${srcA}/a.txt`, "a");
  put(`${srcB}/b.txt`, "b");
  put(`${srcB}/.backup/notes.txt`, "mine");
  for (const [src, dest] of [[srcA, destA], [srcB, destB]]) {
    assertEquals((await runCli(["--src", src!, "--dest", dest!, "--once"])).code, 0);
  }
  assertEquals(Deno.readTextFileSync(`${destB}/.backup/notes.txt`), "mine", "backed up alone");
  // destA as a destination made before the rename looks.
  Deno.renameSync(`${destA}/${RESERVED_DIR}`, `${destA}/${LEGACY_RESERVED_DIR}`);
  put(`${srcB}/.backup/notes.txt`, "changed");
  const file = `${t.path}/backup.jsonc`;
  writeConfig(file, {
    jobs: [
      { name: "a", source: srcA, destination: destA },
      { name: "b", source: srcB, destination: destB },
    ],
  });
  const mixed = await runCli(["--config", file, "--once"]);
  assertEquals(mixed.code, 0, mixed.stderr);
  assertMatch(
    mixed.stderr,
    /\[b\] WARNING: SKIPPED: a folder at the top of the source has the backup's reserved name/,
  );
  assertEquals(Deno.readTextFileSync(`${destB}/.backup/notes.txt`), "mine", "the documented limit");
  // The way out docs/security.md gives: rename the older destination's reserved folder.
  Deno.renameSync(`${destA}/${LEGACY_RESERVED_DIR}`, `${destA}/${RESERVED_DIR}`);
  put(`${srcA}/a.txt`, "a, changed");
  const renamed = await runCli(["--config", file, "--once"]);
  assertEquals(renamed.code, 0, renamed.stderr);
  assert(!renamed.stderr.includes("SKIPPED"), renamed.stderr);
  assertEquals(Deno.readTextFileSync(`${destB}/.backup/notes.txt`), "changed");
  assertEquals(Deno.readTextFileSync(`${destA}/a.txt`), "a, changed", "the older backup goes on");
  const verify = await runCli(["journal", "verify", "--dest", destA!]);
  assertEquals(verify.code, 0, verify.stdout);
});
