import { assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { promptRoots, shellQuote, wantsPrompt } from "./prompt.ts";

Deno.test("wantsPrompt: on a terminal, with no --src, --dest or --config, and no sub-command", () => {
  assertEquals(wantsPrompt([], true), true);
  assertEquals(wantsPrompt(["--once", "--interval", "5"], true), true);
  assertEquals(wantsPrompt([], false), false);
  for (const given of [["--src", "a"], ["--dest=b"], ["--config", "c"], ["status"]]) {
    assertEquals(wantsPrompt(given, true), false, given.join(" "));
  }
});

Deno.test("shellQuote quotes only what a shell would split or expand", () => {
  assertEquals(shellQuote("/mnt/usb/docs"), "/mnt/usb/docs");
  assertEquals(shellQuote("/home/ana/My Docs"), "'/home/ana/My Docs'");
  assertEquals(shellQuote("it's"), `'it'\\''s'`);
});

Deno.test("promptRoots asks again until each answer passes the flags' checks", async () => {
  await using t = await tempDir();
  Deno.mkdirSync(`${t.path}/src`);
  Deno.mkdirSync(`${t.path}/full`);
  Deno.writeTextFileSync(`${t.path}/full/x`, "x");
  const answers = ["", "~/src", "missing", "src", "src/in", "full", "my usb"];
  const said: string[] = [];
  const asked: string[] = [];
  const argv = promptRoots(["--once"], {
    fs: new DenoFileSystem(),
    cwd: t.path,
    ask: (q) => (asked.push(q), answers.shift() ?? null),
    say: (line) => said.push(line),
  });
  assertEquals(argv, ["--src", "src", "--dest", "my usb", "--once"]);
  assertEquals(asked, [...Array(4).fill("Source folder:"), ...Array(3).fill("Backup folder:")]);
  assertMatch(said[0]!, /a folder is needed/);
  assertMatch(said[1]!, /"~" is not expanded here/);
  assertMatch(said[2]!, /^backup: Cannot back up "missing": not found; check --src/);
  assertMatch(said[3]!, /^backup: --dest "src\/in" is inside --src "src"/);
  assertMatch(said[4]!, /^backup: ".*\/full" is not empty and was never a backup/);
  assertEquals(said[5], "backup --src src --dest 'my usb' --once");
});

Deno.test("promptRoots: the end of the input is the missing flag's usage error", () => {
  const deps = { fs: new DenoFileSystem(), cwd: "/", ask: () => null, say: () => {} };
  assertThrows(() => promptRoots([], deps), UsageError, "missing --src DIR");
});
