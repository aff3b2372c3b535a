import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { type OptionTable, parseStrict, str, strs } from "./args.ts";

const OPTIONS: OptionTable = {
  interval: { type: "string" },
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
