import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { jobLoggers } from "./jobs.ts";
import { OP_NAMES, parseJournalArgs, runJournal } from "./journal.ts";

const NOW = Date.UTC(2024, 5, 1, 12);

Deno.test("parseJournalArgs reads show with every filter", () => {
  assertEquals(
    parseJournalArgs([
      "show",
      "--dest",
      "b",
      "--path",
      "./docs/",
      "--since",
      "2h",
      "--until",
      "now",
      "--op",
      "copy,move",
      "--op",
      "held",
      "--failed",
      "--limit",
      "5",
      "--json",
    ], NOW),
    {
      action: "show",
      dest: "b",
      path: "docs",
      since: NOW - 2 * 3600_000,
      until: NOW,
      ops: ["copy", "move", "held"],
      failed: true,
      limit: 5,
      json: true,
    },
  );
  assertEquals(parseJournalArgs(["show", "--dest", "b"], NOW), {
    action: "show",
    dest: "b",
    path: null,
    since: null,
    until: null,
    ops: [],
    failed: false,
    limit: null,
    json: false,
  });
});

Deno.test("parseJournalArgs reads why, verify, replay and compact", () => {
  assertEquals(parseJournalArgs(["why", "--dest", "b", "a.txt"]), {
    action: "why",
    dest: "b",
    path: "a.txt",
    json: false,
  });
  assertEquals(parseJournalArgs(["verify", "--dest", "b", "--json"]), {
    action: "verify",
    dest: "b",
    json: true,
  });
  assertEquals(parseJournalArgs(["replay", "--dest", "b", "--dry-run"]), {
    action: "replay",
    dest: "b",
    dryRun: true,
    json: false,
  });
  assertEquals(parseJournalArgs(["compact", "--dest", "b"]), {
    action: "compact",
    dest: "b",
    json: false,
  });
});

Deno.test("parseJournalArgs refuses unknown commands, missing --dest, bad filters and stray arguments", () => {
  const refused: [string[], string][] = [
    [[], 'unknown journal command ""'],
    [["list", "--dest", "b"], 'unknown journal command "list"'],
    [["show"], "missing --dest DIR"],
    [["show", "--dest", "b", "--op", "rename"], `--op takes ${OP_NAMES.join(", ")}; not "rename"`],
    [["show", "--dest", "b", "--limit", "0"], "--limit must be a whole number above 0"],
    [["show", "--dest", "b", "--since", "yesterday"], "--since takes a time like"],
    [["show", "--dest", "b", "extra"], 'unexpected argument "extra"'],
    [["why", "--dest", "b"], "missing PATH"],
    [["why", "--dest", "b", "a", "c"], 'unexpected argument "c"; give one PATH'],
    [["verify", "--dest", "b", "--failed"], ""],
    [["replay", "--dest", "b", "--limit", "3"], ""],
  ];
  for (const [argv, message] of refused) {
    assertThrows(() => parseJournalArgs(argv, NOW), UsageError, message);
  }
});

Deno.test("runJournal runs the sub-command it is given", async () => {
  await using tmp = await tempDir();
  const w = await JournalWriter.open(new DenoFileSystem(), journalDir(tmp.path), { source: "/s" });
  await w.close();
  const lines: string[] = [];
  const code = await runJournal({ action: "verify", dest: tmp.path, json: false }, {
    fs: new DenoFileSystem(),
    cwd: "/",
    out: (line) => lines.push(line),
    logs: jobLoggers("test"),
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
  });
  assertEquals([code, lines], [EXIT.OK, ["journal OK: 1 record in 1 segment, last seq 1"]]);
});
