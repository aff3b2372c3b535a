/**
 * Black-box tests of issue 13's "smaller breaks" (point 6): each one a promise a user hit broken.
 *
 * @module
 */

import { assert, assertEquals, assertIncludes } from "../testing/assert.ts";
import {
  put,
  runCli,
  snapshot,
  startDaemon,
  stopWithin,
  tempDir,
  waitFor,
} from "../testing/helpers.ts";
import { copyIntent } from "../testing/records.ts";
import { journalDir, RESERVED_DIR } from "../lib/base/layout.ts";
import { encodeRecord, type JournalRecord } from "../lib/journal/record.ts";

/** A one-line error on stderr that includes `part`. */
function assertOneLine(stderr: string, part: string): void {
  assertEquals(stderr.trim().split("\n").length, 1, stderr);
  assertIncludes(stderr, part);
}

Deno.test("smaller breaks: two SIGINTs within a second (the terminal's and deno task's) are one clean stop, exit 0", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  // A hook still running makes the stop take a while, so the second signal lands during it.
  const daemon = startDaemon([
    "--src",
    `${t.path}/src`,
    "--dest",
    `${t.path}/dest`,
    "--on-pass",
    "sleep 2",
  ]);
  await waitFor(() => daemon.output().includes("PASS 1 (scan)"), { what: "the first pass" });
  daemon.child.kill("SIGINT");
  // Apart enough for the kernel to deliver two signals (two pending SIGINTs merge into one).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const stopped = await stopWithin(daemon, 15_000, "SIGINT");
  assertEquals([stopped.code, stopped.killed], [0, false], daemon.output());
  assertIncludes(daemon.output(), "BACKUP STOPPED");
});

Deno.test("smaller breaks: --dry-run into a destination the run would refuse says so and why, exit 2 as the run, nothing written", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  put(`${src}/a.txt`, "a");
  put(`${t.path}/photos/cat.jpg`, "meow");
  const before = snapshot(`${t.path}/photos`, []);
  const dry = await runCli(["--src", src, "--dest", `${t.path}/photos`, "--dry-run"]);
  const run = await runCli(["--src", src, "--dest", `${t.path}/photos`, "--once"]);
  assertEquals([dry.code, run.code], [2, 2], dry.stdout + dry.stderr);
  assertOneLine(dry.stderr, "--dry-run: the run would be refused: ");
  assertIncludes(
    dry.stderr,
    `is not empty and was never a backup (1 entry, no ${RESERVED_DIR}/ folder)`,
  );
  assertEquals(dry.stdout, "", "no plan");
  assertEquals(snapshot(`${t.path}/photos`, []), before);
  const adopt = await runCli([
    "--src",
    src,
    "--dest",
    `${t.path}/photos`,
    "--dry-run",
    "--adopt-dest",
  ]);
  assertEquals(adopt.code, 0, adopt.stderr);
  assertIncludes(adopt.stdout, "delete");
  const parent = await runCli(["--src", src, "--dest", `${t.path}/no/such/dest`, "--dry-run"]);
  assertEquals(parent.code, 2);
  assertOneLine(parent.stderr, `the run would be refused: cannot create the destination`);
  const fresh = await runCli(["--src", src, "--dest", `${t.path}/new`, "--dry-run"]);
  assertEquals(fresh.code, 0, "a destination to create is fine: " + fresh.stderr);
});

Deno.test("smaller breaks: status on a corrupt journal says a start refuses it (exit 3), not that the next start re-checks", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  // An unfinished intent, then a damaged record with a sound one after it: corrupt in the middle.
  const seg = `${journalDir(dest)}/00000001.jsonl`;
  const lines = Deno.readTextFileSync(seg).trimEnd().split("\n");
  const last = JSON.parse(lines[lines.length - 1]!).seq as number;
  const stamp = (r: object, seq: number) =>
    encodeRecord({ ...r, seq, ts: new Date().toISOString() } as JournalRecord);
  const intent = stamp(copyIntent("b.txt"), last + 1);
  const after = stamp(copyIntent("c.txt"), last + 3);
  Deno.writeTextFileSync(seg, `${intent}\n{"seq": garbage}\n${after}\n`, { append: true });
  const status = await runCli(["status", "--dest", dest]);
  assertEquals(status.code, 3, status.stdout + status.stderr);
  assertIncludes(status.stdout, "CORRUPT: journal segment 00000001.jsonl");
  assertIncludes(status.stdout, "a start refuses this journal (exit 3)");
  assertIncludes(status.stdout, "1 operation before the corruption");
  assert(!status.stdout.includes("the next start"), status.stdout);
  const start = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(start.code, 3, "as status says: " + start.stderr);
});

Deno.test("smaller breaks: a racy file re-checked unchanged is no update (not logged, counted or planned); symlinks created are counted; counts are singular for 1", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a"); // written just now: racy at its copy, so the next pass re-checks it
  Deno.symlinkSync("a.txt", `${src}/link`);
  const first = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(first.code, 0, first.stderr);
  assertIncludes(
    first.stdout,
    "1 copied (1 B), 0 moved, 0 deleted, 0 folders created, 1 symlink created, 0 updated, 0 errors",
  );
  const dry = await runCli(["--src", src, "--dest", dest, "--dry-run"]);
  assertEquals(dry.code, 0, dry.stderr);
  assert(!/^meta/m.test(dry.stdout), dry.stdout);
  assertIncludes(dry.stdout, "0 symlinks to create, 0 metadata updates");
  const second = await runCli(["--src", src, "--dest", dest, "--once"]);
  assertEquals(second.code, 0, second.stderr);
  assert(!second.stdout.includes("METADATA UPDATED"), second.stdout);
  assertIncludes(
    second.stdout,
    "0 copied (0 B), 0 moved, 0 deleted, 0 folders created, 0 symlinks created, 0 updated, 0 errors",
  );
  const status = await runCli(["status", "--dest", dest]);
  assertIncludes(status.stdout, "totals:      1 pass since");
});

Deno.test("smaller breaks: --src twice, --job without --config, --dest=~/bk: one-line usage errors (exit 2), nothing created", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  put(`${src}/a.txt`, "a");
  const cases: [string[], string][] = [
    [
      ["--src", src, "--src", `${t.path}/other`, "--dest", `${t.path}/d`],
      `--src is given twice ("${src}", then "${t.path}/other")`,
    ],
    [["--src", src, "--dest", `${t.path}/d`, "--once", "--once"], "--once is given twice"],
    [["--src", src, "--dest", `${t.path}/d`, "--job", "docs"], "--job needs --config FILE"],
    [["status", "--dest", `${t.path}/d`, "--job", "docs"], "--job needs --config FILE"],
    [
      ["--src", src, "--dest=~/bk", "--once"],
      `--dest "~/bk" starts with "~", which is not expanded here`,
    ],
    [["--src", src, "--dest", "~/bk", "--dry-run"], `--dest "~/bk" starts with "~"`],
    [["--src=~", "--dest", `${t.path}/d`], `--src "~" starts with "~"`],
  ];
  for (const [args, part] of cases) {
    const r = await runCli(args, { cwd: t.path });
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertOneLine(r.stderr, part);
  }
  assertEquals([...Deno.readDirSync(t.path)].map((e) => e.name), ["src"], "no ~ folder, no d");
});

Deno.test("smaller breaks: /proc paths get the backup's own one-line error, not Deno's --allow-all advice", async () => {
  await using t = await tempDir();
  put(`${t.path}/src/a.txt`, "a");
  for (
    const args of [
      ["--src", "/proc/self", "--dest", `${t.path}/d`, "--once"],
      ["--src", `${t.path}/src`, "--dest", "/proc/self/x", "--once"],
      ["--src", `${t.path}/src`, "--dest", "/proc/x", "--dry-run"],
      ["status", "--dest", "/proc/self"],
    ]
  ) {
    const r = await runCli(args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert(!/allow-all/.test(r.stderr), r.stderr);
  }
});

Deno.test("smaller breaks: config check lists every problem of a file in one run", async () => {
  await using t = await tempDir();
  Deno.mkdirSync(`${t.path}/home`);
  const file = `${t.path}/backup.jsonc`;
  Deno.writeTextFileSync(
    file,
    JSON.stringify({
      jobs: [
        // A bad name used to hide the unknown key.
        { name: "bad name!", source: "home", destination: "out/a", bogus: 1 },
        // interval: 0 used to show only once the other problems were fixed, and the
        // destination inside its own source only once the overlap below was.
        { name: "b", source: "home", destination: "home/bk", interval: 0, maxDelete: "x" },
        { name: "c", source: "x", destination: "out/c" },
        { name: "d", source: "y", destination: "out/c" },
      ],
    }),
  );
  const r = await runCli(["config", "check", file]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  for (
    const part of [
      `jobs[0]: "name" cannot be string "bad name!"`,
      `jobs[0]: unknown key "bogus"`,
      `job "b": "interval" must be a number of seconds above 0`,
      `job "b": "maxDelete" must be a number`,
      `job "d": "destination" is the same as job "c"'s destination`,
      `job "b": "destination" "${t.path}/home/bk" is inside "source"`,
      "6 problems; fix them and check again",
    ]
  ) assertIncludes(r.stdout, part);
});

Deno.test("smaller breaks: journal replay --dry-run with nothing unfinished says so, not an empty list", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  put(`${src}/a.txt`, "a");
  assertEquals((await runCli(["--src", src, "--dest", dest, "--once"])).code, 0);
  const r = await runCli(["journal", "replay", "--dest", dest, "--dry-run"]);
  assertEquals(r.code, 0, r.stderr);
  assertIncludes(r.stdout, "- no unfinished operations to close");
  assert(!r.stdout.includes("re-check their paths:"), r.stdout);
});
