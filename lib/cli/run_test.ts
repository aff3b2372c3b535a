import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { assertMirror, put, tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { MAX_TIMER_SECONDS } from "../base/timing.ts";
import { DEFAULT_JOURNAL_MAX_BYTES } from "../journal/compact.ts";
import { jobLoggers } from "./jobs.ts";
import { excludePatterns, runBackup, type RunDeps } from "./run.ts";
import { DEFAULT_INTERVAL, parseJournalMaxMb, parseRunArgs } from "./run_args.ts";

const real = new DenoFileSystem();

function deps(cwd: string, lines: string[] = []): RunDeps {
  return {
    fs: real,
    cwd,
    logs: jobLoggers("test"),
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
    out: (line) => lines.push(line),
  };
}

Deno.test("parseRunArgs gives the documented defaults", () => {
  const opts = parseRunArgs(["--src", "s", "--dest", "d"]);
  assertEquals(opts, {
    src: "s",
    dest: "d",
    dryRun: false,
    json: false,
    exclude: [],
    excludeFrom: [],
    deleteExcluded: false,
    interval: DEFAULT_INTERVAL,
    once: false,
    watch: true,
    rebuildJournal: false,
    newSource: false,
    adoptDest: false,
    confirmDeletes: false,
    keepSetuid: false,
    deleteLimits: { maxCount: 100, maxShare: 0.5 },
    journalMaxBytes: DEFAULT_JOURNAL_MAX_BYTES,
    hooks: { timeoutMs: 60_000 },
    logFile: undefined,
    logJson: false,
    console: "normal",
    keepVersions: null,
  });
});

Deno.test("parseRunArgs reads every flag", () => {
  const opts = parseRunArgs([
    "--src=s",
    "--dest=d",
    "--interval=0.5",
    "--once",
    "--no-watch",
    "--rebuild-journal",
    "--new-source",
    "--adopt-dest",
    "--confirm-deletes",
    "--keep-setuid",
    "--max-delete=7",
    "--max-delete-percent=20",
    "--journal-max-mb=0.5",
    "--log-file=/tmp/b.log",
    "--log-json",
    "--quiet",
    "--json",
    "--exclude=*.tmp",
    "--exclude=build/",
    "--exclude-from=ex.txt",
    "--delete-excluded",
    "--on-pass=true",
    "--on-error=false",
    "--hook-timeout=5",
    "--keep-versions=2w",
  ]);
  assertEquals(
    [opts.interval, opts.once, opts.watch, opts.rebuildJournal, opts.newSource, opts.adoptDest],
    [0.5, true, false, true, true, true],
  );
  assertEquals([opts.confirmDeletes, opts.keepSetuid, opts.deleteLimits], [true, true, {
    maxCount: 7,
    maxShare: 0.2,
  }]);
  assertEquals([opts.journalMaxBytes, opts.logFile, opts.logJson, opts.console, opts.json], [
    512 * 1024,
    "/tmp/b.log",
    true,
    "quiet",
    true,
  ]);
  assertEquals([opts.exclude, opts.excludeFrom, opts.deleteExcluded], [
    ["*.tmp", "build/"],
    ["ex.txt"],
    true,
  ]);
  assertEquals(opts.hooks, { timeoutMs: 5000, onPass: "true", onError: "false" });
  assertEquals(opts.keepVersions?.text, "2w");
  assertEquals(parseRunArgs(["--src", "s", "--dry-run"]).dest, "", "a dry run needs no --dest");
});

Deno.test("parseRunArgs refuses missing roots, stray arguments and bad values", () => {
  const refused: [string[], string][] = [
    [["--dest", "d"], "missing --src DIR"],
    [["--src", "s"], "missing --dest DIR"],
    [["--src", "s", "--dest", "d", "extra"], "Unexpected argument 'extra'"],
    [
      ["--src", "s", "--dest", "d", "--interval", "0"],
      "--interval must be a number of seconds above 0",
    ],
    [["--src", "s", "--dest", "d", "--interval", "1e3"], "--interval must be a number"],
    [
      ["--src", "s", "--dest", "d", "--interval", String(MAX_TIMER_SECONDS + 1)],
      `--interval must be at most ${MAX_TIMER_SECONDS} seconds`,
    ],
    [["--src", "s", "--dest", "d", "--quiet", "--verbose"], "cannot be used together"],
    [["--src", "s", "--dest", "d", "--max-delete", "-1"], "--max-delete must be a whole number"],
    [["--src", "s", "--dest", "d", "--max-delete-percent", "101"], "from 0 to 100"],
    [["--src", "s", "--dest", "d", "--hook-timeout", "5"], "--hook-timeout goes with"],
    [["--src", "s", "--dest", "d", "--on-pass", " "], "--on-pass needs a command"],
    [["--src", "s", "--dest", "d", "--keep-versions", "forever"], "--keep-versions takes"],
    [["--src", "s", "--dest", "d", "--colour"], ""],
  ];
  for (const [argv, message] of refused) {
    assertThrows(() => parseRunArgs(argv), UsageError, message);
  }
});

Deno.test("parseJournalMaxMb takes MiB above 0, fractions too, into bytes", () => {
  assertEquals(parseJournalMaxMb(undefined), DEFAULT_JOURNAL_MAX_BYTES);
  assertEquals(parseJournalMaxMb("64"), 64 * 1024 * 1024);
  assertEquals(parseJournalMaxMb(".25"), 256 * 1024);
  assertEquals(parseJournalMaxMb("0.0000001"), 1, "never below one byte");
  for (const raw of ["0", "-1", "abc", "1e3", ""]) {
    assertThrows(() => parseJournalMaxMb(raw), UsageError, "--journal-max-mb must be");
  }
});

Deno.test("excludePatterns reads --exclude-from files first, relative to cwd, then --exclude", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/one.txt`, "# comment\n*.tmp\n\nbuild/\n");
  put(`${tmp.path}/two.txt`, "cache/\n");
  const opts = parseRunArgs([
    "--src=s",
    "--dest=d",
    "--exclude=*.bak",
    "--exclude-from=one.txt",
    `--exclude-from=${tmp.path}/two.txt`,
  ]);
  assertEquals(excludePatterns(opts, deps(tmp.path)), ["*.tmp", "build/", "cache/", "*.bak"]);
  const missing = parseRunArgs(["--src=s", "--dest=d", "--exclude-from=nope.txt"]);
  assertThrows(
    () => excludePatterns(missing, deps(tmp.path)),
    UsageError,
    "cannot read --exclude-from",
  );
});

Deno.test("runBackup --once mirrors a source into a new destination and exits 0", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "alpha");
  put(`${tmp.path}/src/sub/b.txt`, "bravo");
  put(`${tmp.path}/src/skip.tmp`, "excluded");
  Deno.symlinkSync("a.txt", `${tmp.path}/src/link`);
  const opts = parseRunArgs([
    "--src=src",
    "--dest=dest",
    "--once",
    "--no-watch",
    "--exclude=*.tmp",
  ]);
  assertEquals(await runBackup(opts, deps(tmp.path)), EXIT.OK);
  Deno.removeSync(`${tmp.path}/src/skip.tmp`);
  assertMirror(`${tmp.path}/src`, `${tmp.path}/dest`);
});

Deno.test("runBackup --dry-run prints the plan and writes nothing", async () => {
  await using tmp = await tempDir();
  put(`${tmp.path}/src/a.txt`, "alpha");
  const lines: string[] = [];
  const opts = parseRunArgs(["--src=src", "--dest=dest", "--dry-run"]);
  assertEquals(await runBackup(opts, deps(tmp.path, lines)), EXIT.OK);
  assertIncludes(lines.join("\n"), "a.txt");
  assertEquals([...Deno.readDirSync(tmp.path)].map((e) => e.name), ["src"]);
});
