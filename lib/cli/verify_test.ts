import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { parseSample, parseVerifyArgs } from "./verify.ts";

Deno.test("parseVerifyArgs: --dest, or --config with one --job; the rest as given", () => {
  assertEquals(parseVerifyArgs(["--dest", "/b"]), {
    dest: "/b",
    src: null,
    config: null,
    sample: 100,
    json: false,
    repair: false,
  });
  const all = parseVerifyArgs(["--dest=/b", "--src", "/a", "--sample", "5%", "--json", "--repair"]);
  assertEquals([all.src, all.sample, all.json, all.repair], ["/a", 5, true, true]);
  const job = parseVerifyArgs(["--config", "/etc/b.jsonc", "--job", "docs"]);
  assertEquals([job.dest, job.config], [null, { file: "/etc/b.jsonc", job: "docs" }]);
});

Deno.test("parseVerifyArgs: refuses what cannot mean one backup", () => {
  const refused: [string[], string][] = [
    [[], "missing --dest DIR"],
    [["--config", "/c"], "exactly one --job"],
    [["--config", "/c", "--job", "a", "--job", "b"], "exactly one --job"],
    [["--dest", "/b", "--job", "a"], "--job needs --config"],
    [["--config", "/c", "--job", "a", "--src", "/a"], "not both"],
    [["--dest", "/b", "--bogus"], "backup verify --help"],
  ];
  for (const [argv, words] of refused) assertThrows(() => parseVerifyArgs(argv), UsageError, words);
});

Deno.test("parseSample: a percentage above 0, at most 100", () => {
  assertEquals(parseSample(undefined), 100);
  assertEquals(parseSample("12.5"), 12.5);
  assertEquals(parseSample("100%"), 100);
  for (const bad of ["0", "101", "-5", "half", ""]) {
    assertThrows(() => parseSample(bad), UsageError, "--sample");
  }
});
