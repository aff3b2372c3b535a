import { assertRejects } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { Logger } from "../base/logger.ts";
import { runUiCommand } from "./command.ts";

const quiet = { info() {}, error() {}, warn() {}, debug() {} } as unknown as Logger;

Deno.test("runUiCommand: one of --dest or --config; --job needs --config; a folder without a journal", async () => {
  const deps = {
    fs: new DenoFileSystem(),
    cwd: "/",
    err: () => {},
    log: quiet,
    signal: AbortSignal.abort(),
  };
  await assertRejects(() => runUiCommand([], deps), UsageError);
  await assertRejects(() => runUiCommand(["--dest", "/a", "--config", "/b"], deps), UsageError);
  await assertRejects(() => runUiCommand(["--dest", "/tmp", "--job", "x"], deps), UsageError);
  await assertRejects(() => runUiCommand(["--dest", "/no/such/backup"], deps), UsageError);
});
