/**
 * The README's "Building the single binary elsewhere" command is `deno task compile` with a
 * `--target` and another `--output`: the same permissions and the same `--include`, so that a
 * binary built for another machine does what the task's binary does. (`deno compile` itself
 * downloads a runtime, which this machine cannot: the command is compared, not run.)
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { ROOT } from "../testing/helpers.ts";

/** The words of a command, without `--target X` and `--output X`. */
function flags(command: string): string[] {
  const words = command.replace(/\\\n/g, " ").trim().split(/\s+/);
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "--target" || words[i] === "--output") i++;
    else kept.push(words[i]!);
  }
  return kept;
}

Deno.test("the README's cross-compile command is deno task compile with a --target", () => {
  const task = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks.compile as string;
  const readme = Deno.readTextFileSync(`${ROOT}/README.md`);
  const block = /```sh\n# on a machine that can download the runtime[^\n]*\n([\s\S]*?main\.ts)\n/
    .exec(readme);
  assert(block, "the README's cross-compile block is missing");
  assert(/--target \S+/.test(block[1]!), block[1]);
  assertEquals(flags(block[1]!), flags(task));
  // Every target the README lists is one `deno compile --target` takes.
  const listed = /`--target` is one of ([^;]+);/.exec(readme.replace(/\n/g, " "))?.[1] ?? "";
  const targets = [...listed.matchAll(/`([a-z0-9_]+-[a-z0-9_-]+)`/g)].map((m) => m[1]);
  assertEquals(targets.sort(), [
    "aarch64-apple-darwin",
    "aarch64-pc-windows-msvc",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
});
