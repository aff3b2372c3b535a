/**
 * A low limit on open files: the initial copy of 8,000 small files under `ulimit -n 480` copies
 * every file with no error. The copy helper (a worker that keeps up to three batches of temp
 * files open) is used only where the limit leaves room for it; here it must not be.
 */

import { assertEquals } from "../testing/assert.ts";
import { assertMirror, put, runCli, withRoots } from "../testing/helpers.ts";

Deno.test("ulimit -n 480: an initial copy of 8,000 files of 4 KiB copies each, with no EMFILE", async () => {
  await withRoots(async (src, dest) => {
    const body = "x".repeat(4096);
    for (let d = 0; d < 40; d++) {
      for (let f = 0; f < 200; f++) put(`${src}/d${d}/f${f}`, body);
    }
    const out = await runCli(["--src", src, "--dest", dest, "--once"], {
      via: ["sh", "-c", 'ulimit -n 480 && exec "$@"', "sh"],
    });
    assertEquals(out.stderr.match(/Too many open files.*/)?.[0] ?? null, null);
    assertEquals(out.code, 0, out.stderr);
    assertMirror(src, dest);
  });
});
