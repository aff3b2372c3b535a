/**
 * The copy helper's worker on real files: what it stages is what the main thread's copy would
 * have staged (bytes, hash, mode, mtime, an open descriptor), and a file that is not what the
 * scan saw comes back `null` with nothing left in the staging folder.
 */

import { assert, assertEquals } from "../../testing/assert.ts";
import { CopyHelper, type HelperFile } from "./copy_helper.ts";
import { createHasher } from "./hash.ts";
import { AT, O } from "./native/constants.ts";
import { check, closeQuietly, cString, libc } from "./native/libc.ts";
import { NativeFile } from "./native/file.ts";
import { statxAt } from "./native/statx.ts";

const MTIME_MS = 1_704_067_200_123;

/** A source root with `files` files of a few bytes each; the scan's view of each. */
function source(root: string, files: number): HelperFile[] {
  const scanned: HelperFile[] = [];
  for (let i = 0; i < files; i++) {
    const rel = `d${i % 3}/f${i}.bin`;
    Deno.mkdirSync(`${root}/d${i % 3}`, { recursive: true });
    Deno.writeTextFileSync(`${root}/${rel}`, `file ${i} `.repeat(i));
    Deno.utimeSync(`${root}/${rel}`, MTIME_MS / 1000, MTIME_MS / 1000);
    const info = statxAt(AT.FDCWD, `${root}/${rel}`, AT.SYMLINK_NOFOLLOW, rel);
    scanned.push({ path: rel, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, mode: 0o640 });
  }
  return scanned;
}

/** Runs `body` with a source root, a staging folder and a helper over them. */
async function withHelper(
  files: number,
  body: (helper: CopyHelper, scanned: HelperFile[], src: string, staging: string) => Promise<void>,
): Promise<void> {
  const root = Deno.makeTempDirSync({ prefix: "copy-helper-" });
  const src = `${root}/src`;
  const staging = `${root}/staging`;
  Deno.mkdirSync(staging);
  const scanned = source(src, files);
  const fd = check(
    () => libc().openat(AT.FDCWD, cString(staging), O.PATH | O.DIRECTORY | O.CLOEXEC, 0),
    "openat",
    staging,
  );
  const helper = new CopyHelper(src, fd);
  try {
    await body(helper, scanned, src, staging);
  } finally {
    helper.close();
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test("copy helper: stages each file as the main thread would (bytes, hash, mode, mtime, open descriptor)", async () => {
  await withHelper(40, async (helper, scanned, src, staging) => {
    const asked = Date.now();
    const results = await helper.stage(scanned);
    const answered = Date.now();
    assertEquals(results.length, 40);
    const hasher = await createHasher();
    for (const [i, result] of results.entries()) {
      assert(result !== null, `file ${i} staged`);
      const file = scanned[i]!;
      const bytes = Deno.readFileSync(`${src}/${file.path}`);
      assertEquals(Deno.readFileSync(`${staging}/${result.name}`), bytes);
      hasher.init();
      hasher.update(bytes);
      assertEquals(result.hash, hasher.digest());
      // When the worker read it (what the racy check takes), not when the answer came.
      assert(
        result.readAt >= asked && result.readAt <= answered,
        `file ${i} read at ${result.readAt}`,
      );
      const info = Deno.lstatSync(`${staging}/${result.name}`);
      assertEquals(info.mode! & 0o7777, 0o640);
      assertEquals(info.mtime!.getTime(), Math.floor(MTIME_MS));
      // The descriptor is the parent's now: it is the temp file, still open.
      const handle = new NativeFile(result.fd, result.name);
      assertEquals(handle.stat().ino, info.ino);
      handle.close();
    }
    assertEquals(Deno.readDirSync(staging).toArray().length, 40);
  });
});

Deno.test("copy helper: a file unlike the scan, gone, or a symlink comes back null and leaves no temp file", async () => {
  await withHelper(6, async (helper, scanned, src, staging) => {
    const files = scanned.map((file) => ({ ...file }));
    files[0]!.mtimeMs += 1000; // changed since the scan
    files[1]!.size += 1; // grew since the scan
    Deno.removeSync(`${src}/${files[2]!.path}`); // vanished
    Deno.removeSync(`${src}/${files[3]!.path}`);
    Deno.symlinkSync("/etc/passwd", `${src}/${files[3]!.path}`); // a symlink swapped in
    files[4]!.ino += 1; // another file at that name
    const results = await helper.stage(files);
    assertEquals(results.slice(0, 5), [null, null, null, null, null]);
    const last = results[5];
    assert(last !== null && last !== undefined, "the unchanged file is staged");
    closeQuietly(last.fd);
    assertEquals(Deno.readDirSync(staging).toArray().map((e) => e.name), [last.name]);
  });
});

Deno.test("copy helper: after close, requests answer null and nothing is staged", async () => {
  await withHelper(3, async (helper, scanned, _src, staging) => {
    helper.close();
    assertEquals(helper.running, false);
    assertEquals(await helper.stage(scanned), [null, null, null]);
    assertEquals(Deno.readDirSync(staging).toArray().length, 0);
  });
});
