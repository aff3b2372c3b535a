/**
 * parseRunArgs and OPTIONS beyond what run_test.ts covers (defaults, every
 * flag, the main refusals, parseJournalMaxMb): boundaries of the numeric
 * flags, --verbose, and the flag table itself.
 */

import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { MAX_TIMER_SECONDS } from "../base/timing.ts";
import { OPTIONS, parseRunArgs } from "./run_args.ts";

const ROOTS = ["--src", "s", "--dest", "d"];

Deno.test("parseRunArgs: --verbose sets the console to verbose", () => {
  assertEquals(parseRunArgs([...ROOTS, "--verbose"]).console, "verbose");
  assertEquals(parseRunArgs([...ROOTS, "--quiet"]).console, "quiet");
});

Deno.test("parseRunArgs takes the interval's bounds: just above 0 and exactly the timer's limit", () => {
  assertEquals(parseRunArgs([...ROOTS, "--interval", "0.001"]).interval, 0.001);
  assertEquals(parseRunArgs([...ROOTS, "--interval", " 5 "]).interval, 5);
  assertEquals(
    parseRunArgs([...ROOTS, "--interval", String(MAX_TIMER_SECONDS)]).interval,
    MAX_TIMER_SECONDS,
  );
  for (const raw of ["-1", "abc", "", "0x10", "Infinity"]) {
    assertThrows(() => parseRunArgs([...ROOTS, "--interval", raw]), UsageError, "--interval");
  }
});

Deno.test("parseRunArgs: delete limits take 0 and 100 percent, refuse fractions", () => {
  assertEquals(
    parseRunArgs([...ROOTS, "--max-delete", "0", "--max-delete-percent", "0"]).deleteLimits,
    { maxCount: 0, maxShare: 0 },
  );
  assertEquals(parseRunArgs([...ROOTS, "--max-delete-percent", "100"]).deleteLimits.maxShare, 1);
  assertThrows(
    () => parseRunArgs([...ROOTS, "--max-delete", "1.5"]),
    UsageError,
    '--max-delete must be a whole number, not "1.5"',
  );
  assertThrows(
    () => parseRunArgs([...ROOTS, "--max-delete-percent", "2.5"]),
    UsageError,
    "--max-delete-percent must be a whole number from 0 to 100",
  );
});

Deno.test("parseRunArgs refuses a bad --journal-max-mb and a dry run without --src", () => {
  assertThrows(
    () => parseRunArgs([...ROOTS, "--journal-max-mb", "0"]),
    UsageError,
    "--journal-max-mb must be",
  );
  assertThrows(() => parseRunArgs(["--dry-run"]), UsageError, "missing --src DIR");
});

Deno.test("parseRunArgs: a dry run keeps a --dest given, --exclude repeats in order", () => {
  const opts = parseRunArgs([
    ...ROOTS,
    "--dry-run",
    "--exclude",
    "b",
    "--exclude",
    "a",
    "--exclude-from",
    "x",
    "--exclude-from",
    "y",
  ]);
  assertEquals([opts.dryRun, opts.dest], [true, "d"]);
  assertEquals([opts.exclude, opts.excludeFrom], [["b", "a"], ["x", "y"]]);
});

Deno.test("OPTIONS: the value flags are strings, the exclude flags repeat, the rest are switches", () => {
  const values = Object.entries(OPTIONS).filter(([, spec]) => spec.type === "string").map((
    [name],
  ) => name).sort();
  assertEquals(values, [
    "compress",
    "dest",
    "dest-sweep",
    "error-log",
    "exclude",
    "exclude-from",
    "hook-timeout",
    "interval",
    "journal-max-mb",
    "keep-versions",
    "log-file",
    "max-delete",
    "max-delete-percent",
    "on-error",
    "on-pass",
    "schedule",
    "schedule-tz",
    "src",
    "verify-every",
  ]);
  const repeated = Object.entries(OPTIONS).filter(([, spec]) => spec.multiple).map(([name]) =>
    name
  );
  assertEquals(repeated.sort(), ["exclude", "exclude-from"]);
  for (const [name, spec] of Object.entries(OPTIONS)) {
    // Each switch is accepted alone (quiet and verbose together are refused: run_test.ts).
    if (spec.type === "boolean") parseRunArgs([...ROOTS, `--${name}`]);
  }
});

Deno.test("parseRunArgs: --schedule with its zone; --once is one pass now whatever the schedule", () => {
  const opts = parseRunArgs([...ROOTS, "--schedule", "0 2 * * *", "--schedule-tz", "UTC"]);
  assertEquals([opts.schedule?.text, opts.schedule?.zone], ["0 2 * * *", "UTC"]);
  assertEquals(parseRunArgs([...ROOTS, "--schedule", "0 2 * * *", "--once"]).schedule, undefined);
  assertThrows(
    () => parseRunArgs([...ROOTS, "--schedule-tz", "UTC"]),
    UsageError,
    "--schedule-tz needs --schedule",
  );
  assertThrows(
    () => parseRunArgs([...ROOTS, "--schedule", "daily"]),
    UsageError,
    "--schedule must",
  );
  assertEquals(parseRunArgs([...ROOTS, "--error-log", "e.log"]).errorLog, "e.log");
});

Deno.test("--verify-every takes a period with a unit (or seconds), refused otherwise", () => {
  assertEquals(parseRunArgs([...ROOTS]).verifyEveryMs, undefined);
  assertEquals(parseRunArgs([...ROOTS, "--verify-every", "30d"]).verifyEveryMs, 30 * 86_400_000);
  assertEquals(parseRunArgs([...ROOTS, "--verify-every", "90"]).verifyEveryMs, 90_000);
  for (const bad of ["0", "0.5s", "3w", "-1d", "soon", "4000d"]) {
    assertThrows(
      () => parseRunArgs([...ROOTS, "--verify-every", bad]),
      UsageError,
      "--verify-every",
    );
  }
});

Deno.test("--dest-sweep takes a whole number of full passes from 1, refused otherwise", () => {
  assertEquals(parseRunArgs([...ROOTS]).destSweep, undefined);
  assertEquals(parseRunArgs([...ROOTS, "--dest-sweep", "1"]).destSweep, 1);
  assertEquals(parseRunArgs([...ROOTS, "--dest-sweep", "24"]).destSweep, 24);
  for (const bad of ["0", "2.5", "-1", "many", "2000000"]) {
    assertThrows(() => parseRunArgs([...ROOTS, "--dest-sweep", bad]), UsageError, "--dest-sweep");
  }
});

Deno.test("--compress zstd|gzip is for a bucket only", () => {
  const bucket = ["--src", "/a", "--dest", "s3://bk1/p"];
  assertEquals(parseRunArgs([...bucket, "--compress", "zstd"]).compress, "zstd");
  assertEquals(parseRunArgs([...bucket, "--compress", "gzip"]).compress, "gzip");
  assertEquals(parseRunArgs(bucket).compress, undefined);
  assertThrows(() => parseRunArgs([...bucket, "--compress", "lz4"]), UsageError);
  assertThrows(() => parseRunArgs([...ROOTS, "--compress", "zstd"]), UsageError);
});
