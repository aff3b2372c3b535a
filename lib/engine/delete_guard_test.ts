/**
 * shellWord, which the hold message uses to print the exact command to type. The guard itself
 * is tested through passes in lib/engine/pass_guard_test.ts and tests/guard_test.ts.
 */

import { assertEquals } from "../../testing/assert.ts";
import { shellWord } from "./delete_guard.ts";

Deno.test("shellWord leaves plain paths alone and quotes the rest so a shell reads them back", async () => {
  assertEquals(shellWord("/mnt/usb/Documents"), "/mnt/usb/Documents");
  assertEquals(shellWord("/mnt/my disk/it's"), `'/mnt/my disk/it'\\''s'`);
  for (const path of ["/mnt/my disk/it's", "/a/$HOME/`x`", "/plain"]) {
    const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shellWord(path)}`] })
      .output();
    assertEquals(new TextDecoder().decode(out.stdout), path);
  }
});
