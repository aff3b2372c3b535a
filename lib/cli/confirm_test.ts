/** `backup confirm`: its arguments (with a config file too), and its refusals. */

import { assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { parseConfirmArgs, runConfirm } from "./confirm.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const fs = new DenoFileSystem();

Deno.test("parseConfirmArgs: --dest, or --config with exactly one --job; nothing else", async () => {
  await using t = await tempDir();
  const deps = { fs, cwd: t.path };
  assertEquals(parseConfirmArgs(["--dest", "d"], deps), { dest: "d", json: false });
  assertEquals(parseConfirmArgs(["--dest", "d", "--json"], deps), { dest: "d", json: true });
  assertThrows(() => parseConfirmArgs([], deps), UsageError, "missing --dest DIR");
  assertThrows(
    () => parseConfirmArgs(["--job", "a"], deps),
    UsageError,
    "--job goes with --config",
  );
  Deno.mkdirSync(`${t.path}/src`);
  Deno.writeTextFileSync(
    `${t.path}/backup.jsonc`,
    JSON.stringify({ jobs: [{ name: "docs", source: "src", destination: "dst" }] }),
  );
  assertEquals(parseConfirmArgs(["--config", "backup.jsonc", "--job", "docs"], deps), {
    dest: `${t.path}/dst`,
    json: false,
    config: "backup.jsonc",
  });
  assertThrows(
    () => parseConfirmArgs(["--config", "backup.jsonc"], deps),
    UsageError,
    "needs exactly one --job NAME",
  );
  assertThrows(
    () => parseConfirmArgs(["--config", "backup.jsonc", "--job", "nope"], deps),
    UsageError,
    'no job "nope"',
  );
});

Deno.test("runConfirm refuses a folder that holds no backup, and a backup no daemon runs on", async () => {
  await using t = await tempDir();
  const lines: string[] = [];
  const deps = { fs, cwd: t.path, out: (line: string) => lines.push(line) };
  const none = assertThrows(() => runConfirm({ dest: "x", json: false }, deps), UsageError);
  assertIncludes(none.message, "no backup in");
  Deno.mkdirSync(`${t.path}/x/${RESERVED_DIR}`, { recursive: true });
  const idle = assertThrows(() => runConfirm({ dest: "x", json: false }, deps), UsageError);
  assertIncludes(idle.message, "no backup daemon runs on");
  assertIncludes(idle.message, "--confirm-deletes");
  assertEquals(lines, []);
});
