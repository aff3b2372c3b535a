import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { parseJobsStatusArgs, runJobsStatus } from "./status_jobs.ts";

const real = new DenoFileSystem();

/** A destination whose journal holds one unfinished copy. */
async function backedUp(dest: string): Promise<void> {
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/data/src" });
  await w.append([{
    type: "intent",
    op: "copy",
    path: "open.txt",
    kind: "file",
    size: 1,
    mtime: 1,
    mode: 0o644,
    ino: 1,
    reason: "scan",
  }]);
  await w.close();
}

Deno.test("parseJobsStatusArgs needs --config, takes --job and --json, and refuses --dest", () => {
  assertEquals(parseJobsStatusArgs(["--config", "c.jsonc", "--job", "a", "--job", "b"]), {
    config: "c.jsonc",
    only: ["a", "b"],
    json: false,
  });
  assertThrows(() => parseJobsStatusArgs(["--json"]), UsageError, "--config needs a file");
  assertThrows(
    () => parseJobsStatusArgs(["--config", "c", "--dest", "d"]),
    UsageError,
    "--dest cannot be used with --config",
  );
});

Deno.test("runJobsStatus prints each job's status, and says which never ran", async () => {
  await using tmp = await tempDir();
  await backedUp(`${tmp.path}/dest-a`);
  Deno.writeTextFileSync(
    `${tmp.path}/c.jsonc`,
    JSON.stringify({
      jobs: [
        { name: "a", source: "/data/a", destination: "dest-a" },
        { name: "b", source: "/data/b", destination: "dest-b" },
        { name: "off", source: "/data/c", destination: "dest-c", enabled: false },
      ],
    }),
  );
  const lines: string[] = [];
  const deps = { fs: real, cwd: tmp.path, out: (l: string) => lines.push(l) };
  assertEquals(await runJobsStatus({ config: "c.jsonc", only: [], json: true }, deps), EXIT.OK);
  const reports = lines.map((l) => JSON.parse(l));
  assertEquals(reports.map((r) => r.job), ["a", "b"], "enabled jobs only");
  assertEquals(reports[0].unfinished, 1);
  assertEquals(reports[1].backedUp, false);
  assertIncludes(reports[1].reason, `no backup in "${tmp.path}/dest-b"`);
  lines.length = 0;
  await runJobsStatus({ config: "c.jsonc", only: ["off"], json: false }, deps);
  assertEquals(lines[0], `== job off: /data/c -> ${tmp.path}/dest-c`);
  assertIncludes(lines[1]!, "no backup in");
});
