import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { type OptionTable, parseStrict, refuseRepeated, str, strs } from "./args.ts";

const OPTIONS: OptionTable = {
  interval: { type: "string" },
  dest: { type: "string" },
  exclude: { type: "string", multiple: true },
  once: { type: "boolean" },
};

Deno.test("parseStrict: a flag that takes a value takes a negative number after it", () => {
  const p = parseStrict(["--interval", "-3", "--exclude", "-.5", "--once"], OPTIONS, "backup");
  assertEquals([str(p, "interval"), strs(p, "exclude"), p.values.once], ["-3", ["-.5"], true]);
  // Nothing after `--` is touched.
  const q = parseStrict(["--once", "--", "--interval", "-3"], OPTIONS, "backup", true);
  assertEquals([str(q, "interval"), q.positionals], [undefined, ["--interval", "-3"]]);
});

Deno.test("parseStrict: a missing value or one starting with '-' is a one-line error naming the flag", () => {
  for (
    const [argv, message] of [
      [["--exclude", "-x"], `--exclude needs a value, not "-x"`],
      [["--exclude", "a", "--exclude", "--once"], `--exclude needs a value, not "--once"`],
      [["--exclude", "--interval", "-3"], `--exclude needs a value, not "--interval"`],
      [["--once", "-3"], "Unknown option '-3'"],
    ] as const
  ) {
    const err = assertThrows(() => parseStrict([...argv], OPTIONS, "backup"), UsageError);
    assertEquals(err.message.split("\n").length, 1, err.message);
    assertEquals(err.message.startsWith(message), true, err.message);
  }
});

Deno.test("refuseRepeated: a one-value flag given twice is refused with both values; repeatable ones pass", () => {
  refuseRepeated(["--exclude", "a", "--exclude=b", "--once", "--", "--once"], OPTIONS, "backup");
  assertThrows(
    () => refuseRepeated(["--interval", "5", "--interval=6"], OPTIONS, "backup"),
    UsageError,
    '--interval is given twice ("5", then "6"); give it once',
  );
  assertThrows(
    () => refuseRepeated(["--once", "--once"], OPTIONS, "x"),
    UsageError,
    "--once is given twice;",
  );
});

Deno.test("parseStrict: a path flag starting with ~ (not expanded after = or in quotes) is refused", () => {
  for (const argv of [["--dest=~/bk"], ["--dest", "~"], ["--dest", "~ana/bk"]]) {
    assertThrows(() => parseStrict(argv, OPTIONS, "backup"), UsageError, 'starts with "~"');
  }
  assertEquals(
    str(parseStrict(["--dest", "/home/ana/~bk"], OPTIONS, "backup"), "dest"),
    "/home/ana/~bk",
  );
});
