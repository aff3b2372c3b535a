import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { DEFAULT_UI_PORT } from "./listen.ts";
import { extractUiArgs, resolveToken } from "./ui_args.ts";

Deno.test("extractUiArgs: --ui with and without a value, token flags, the rest untouched", () => {
  const a = extractUiArgs(["--src", "s", "--ui", "--dest", "d"]);
  assertEquals(a.ui.listen, { host: "127.0.0.1", port: DEFAULT_UI_PORT });
  assertEquals(a.rest, ["--src", "s", "--dest", "d"]);
  const b = extractUiArgs(["--ui", "0.0.0.0:9000", "--ui-token", "abc", "--once"]);
  assertEquals(b.ui.listen, { host: "0.0.0.0", port: 9000 });
  assertEquals(b.ui.token, "abc");
  assertEquals(b.rest, ["--once"]);
  assertEquals(extractUiArgs(["--ui=9001"]).ui.listen?.port, 9001);
  assertEquals(extractUiArgs(["--ui", "8600"]).ui.listen?.port, 8600);
  assertEquals(extractUiArgs(["--ui", "docs"]).rest, ["docs"], "a word is not an address");
  assertThrows(() => extractUiArgs(["--ui-token", "x"]), UsageError);
  assertThrows(() => extractUiArgs(["--ui", "--ui-token"]), UsageError);
});

Deno.test("resolveToken: random on loopback, required elsewhere, files must be private", () => {
  const fs = new DenoFileSystem();
  const loop = { host: "127.0.0.1", port: 1 };
  const open = { host: "0.0.0.0", port: 1 };
  assert(
    /^[0-9a-f]{48}$/.test(resolveToken({ listen: loop, token: null, tokenFile: null }, fs, "/")),
  );
  assertThrows(
    () => resolveToken({ listen: open, token: null, tokenFile: null }, fs, "/"),
    UsageError,
  );
  assertThrows(
    () => resolveToken({ listen: open, token: "short", tokenFile: null }, fs, "/"),
    UsageError,
  );
  const good = "A".repeat(20);
  assertEquals(resolveToken({ listen: open, token: good, tokenFile: null }, fs, "/"), good);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/t`, good + "\n", { mode: 0o600 });
    Deno.chmodSync(`${dir}/t`, 0o600);
    assertEquals(resolveToken({ listen: open, token: null, tokenFile: "t" }, fs, dir), good);
    Deno.chmodSync(`${dir}/t`, 0o640);
    assertThrows(
      () => resolveToken({ listen: open, token: null, tokenFile: "t" }, fs, dir),
      UsageError,
    );
    assertThrows(
      () => resolveToken({ listen: open, token: null, tokenFile: "nope" }, fs, dir),
      UsageError,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
