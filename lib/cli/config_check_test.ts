import { assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { parseConfigArgs, runConfigCheck } from "./config_check.ts";

Deno.test("config check: a path it cannot look at is reported as such, not as missing", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/backup.jsonc`;
  Deno.writeTextFileSync(
    config,
    JSON.stringify({
      log: { file: `${dir.path}/locked-logs/backup.log` },
      jobs: [{
        name: "docs",
        source: `${dir.path}/locked-src/docs`,
        destination: `${dir.path}/out`,
        excludeFrom: [`${dir.path}/locked-rules/rules`],
      }],
    }),
  );
  const fs = new FaultyFileSystem(new DenoFileSystem(), [{
    point: "lstat",
    path: "/locked-",
    error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
  }]);
  const lines: string[] = [];
  const code = runConfigCheck(config, { fs, cwd: dir.path, out: (line) => lines.push(line) });
  const text = lines.join("\n");
  assertEquals(code, EXIT.USAGE, text);
  assertMatch(
    text,
    /warning: job "docs": cannot check source .*locked-src\/docs: permission denied/,
  );
  assertMatch(text, /warning: job "docs": cannot check excludeFrom .*rules: permission denied/);
  assertMatch(text, /error: .*log: cannot check the folder of "file" .*locked-logs: permission/);
  assertEquals(text.includes("does not exist"), false, text);
});

const real = new DenoFileSystem();

/** Runs `config check` on `text` written to `root/backup.jsonc`; returns the code and lines. */
function check(root: string, text: string): { code: number; lines: string[] } {
  put(`${root}/backup.jsonc`, text);
  const lines: string[] = [];
  const code = runConfigCheck("backup.jsonc", { fs: real, cwd: root, out: (l) => lines.push(l) });
  return { code, lines };
}

Deno.test("parseConfigArgs takes `check FILE` and refuses anything else", () => {
  assertEquals(parseConfigArgs(["check", "backup.jsonc"]), "backup.jsonc");
  assertThrows(() => parseConfigArgs(["lint", "x"]), UsageError, 'unknown config command "lint"');
  assertThrows(() => parseConfigArgs([]), UsageError, 'unknown config command ""');
  assertThrows(() => parseConfigArgs(["check"]), UsageError, "missing FILE");
  assertThrows(() => parseConfigArgs(["check", "a", "b"]), UsageError, 'unexpected argument "b"');
  assertThrows(() => parseConfigArgs(["check", "a", "--nope"]), UsageError);
});

Deno.test("runConfigCheck prints one line a job and a summary for a valid file", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/docs`);
  Deno.mkdirSync(`${tmp.path}/logs`);
  put(`${tmp.path}/excludes.txt`, "*.tmp\n");
  const { code, lines } = check(
    tmp.path,
    `{
      "log": { "file": "logs/backup.log" },
      "jobs": [
        { "name": "docs", "source": "docs", "destination": "out/docs", "interval": 5,
          "exclude": ["*.bak"], "excludeFrom": "excludes.txt" },
        { "name": "pics", "source": "pics", "destination": "out/pics", "enabled": false,
          "watch": false, "destSweep": 3 },
      ],
    }`,
  );
  assertEquals(lines, [
    `ok   docs: ${tmp.path}/docs -> ${tmp.path}/out/docs, every 5 s, 2 exclude rules`,
    `off  pics: ${tmp.path}/pics -> ${tmp.path}/out/pics, every 60 s, no watcher, destination listed once in 3 full passes`,
    `${tmp.path}/backup.jsonc is valid: 2 jobs, 1 enabled; shared log ${tmp.path}/logs/backup.log`,
  ]);
  assertEquals(code, EXIT.OK);
});

Deno.test("runConfigCheck warns about a missing source or exclude file, but the file is valid", async () => {
  await using tmp = await tempDir();
  const { code, lines } = check(
    tmp.path,
    `{ "jobs": [{ "name": "docs", "source": "/no/such/src", "destination": "out",
        "excludeFrom": "missing.txt" }] }`,
  );
  assertEquals(lines.slice(1), [
    `warning: job "docs": source /no/such/src does not exist (the job waits for it)`,
    `warning: job "docs": excludeFrom ${tmp.path}/missing.txt does not exist (the job retries until it does)`,
    `${tmp.path}/backup.jsonc is valid: 1 job, 1 enabled`,
  ]);
  assertEquals(code, EXIT.OK);
});

Deno.test("runConfigCheck fails with exit 2 for a log whose folder is missing, and for bad keys", async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/src`);
  const noLogDir = check(
    tmp.path,
    `{ "log": { "file": "nowhere/backup.log" },
       "jobs": [{ "name": "a", "source": "src", "destination": "out" }] }`,
  );
  assertEquals(noLogDir.code, EXIT.USAGE);
  assertEquals(noLogDir.lines.slice(-2), [
    `error: ${tmp.path}/backup.jsonc: log: the folder of "file" ${tmp.path}/nowhere does not exist; create it or pick another`,
    "1 problem; fix them and check again",
  ]);
  const badKeys = check(
    tmp.path,
    `{ "jobs": [
        { "name": "a", "source": "src", "destination": "out", "interval": 0 },
        { "name": "b", "source": "src", "destination": "out2", "colour": "red" }
      ] }`,
  );
  assertEquals(badKeys.code, EXIT.USAGE);
  assertEquals(badKeys.lines.length, 3, badKeys.lines.join("\n"));
  assertEquals(badKeys.lines[2], "2 problems; fix them and check again");
  assertEquals(badKeys.lines.slice(0, 2).every((l) => l.startsWith("error: ")), true);
});
