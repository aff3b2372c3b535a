/** openFileLimit against the shell's own `ulimit -n` (a child inherits the limit). */

import { assertEquals } from "../../../testing/assert.ts";
import { openFileLimit } from "./limits.ts";

Deno.test("openFileLimit gives the soft limit a child shell reports, and follows a lower one", async () => {
  const ulimit = async (script: string) => {
    const out = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const shell = await ulimit("ulimit -Sn");
  const ours = openFileLimit();
  assertEquals(ours === Infinity ? "unlimited" : String(ours), shell);
  // A lowered limit, read by the program in a child process.
  const code = `import { openFileLimit } from "${new URL("./limits.ts", import.meta.url).href}";
console.log(openFileLimit());`;
  const child = await ulimit(
    `ulimit -n 300 && exec "${Deno.execPath()}" eval --quiet '${code}'`,
  );
  assertEquals(child, "300");
});
