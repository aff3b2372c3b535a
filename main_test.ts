import { assertEquals } from "./testing/assert.ts";
import { ROOT, runCli } from "./testing/helpers.ts";
import { VERSION } from "./main.ts";
import { HELP as RUN_HELP } from "./lib/cli/run.ts";
import { HELP as JOURNAL_HELP } from "./lib/cli/journal.ts";
import { HELP as STATUS_HELP } from "./lib/cli/status.ts";
import { HELP as CONFIG_HELP } from "./lib/cli/config_check.ts";
import { HELP as RESTORE_HELP } from "./lib/cli/restore.ts";

Deno.test("VERSION is the version in deno.json", () => {
  assertEquals(VERSION, JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).version);
});

Deno.test("main routes --help to each command's own help, before any other argument is checked", async () => {
  const cases: [string[], string][] = [
    [["--help"], RUN_HELP],
    [["-h", "--no-such-flag"], RUN_HELP],
    [["journal", "show", "--help"], JOURNAL_HELP],
    [["status", "--help", "--bogus"], STATUS_HELP],
    [["config", "-h"], CONFIG_HELP],
    [["restore", "--help", "extra", "args"], RESTORE_HELP],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, help], i) => {
    const run = runs[i]!;
    assertEquals([run.code, run.stderr], [0, ""], args.join(" "));
    assertEquals(run.stdout, help + "\n", args.join(" "));
  });
});
