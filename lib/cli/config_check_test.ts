import { assertEquals, assertMatch } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { EXIT } from "../base/errors.ts";
import { runConfigCheck } from "./config_check.ts";

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
