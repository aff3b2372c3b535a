/**
 * Black-box test of issue 12 (sparse files): a 1 GiB file that is nearly all
 * hole is backed up as a file with holes (few allocated blocks), with the
 * same content; without `--allow-ffi` the content is still right (the holes
 * are written out as zeros: Deno has no SEEK_DATA).
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { runCli, tempDir } from "../testing/helpers.ts";
import { openSourceFile } from "../lib/base/native/source.ts";

const GIB = 1024 ** 3;

/** A 1 GiB file with data at its start, in its middle and just before its end; the rest are holes. */
function makeSparse(path: string): void {
  const file = Deno.openSync(path, { write: true, create: true });
  try {
    file.truncateSync(GIB);
    const pieces: [number, Uint8Array][] = [
      [0, new TextEncoder().encode("head of the file\n")],
      [GIB / 2 + 123, crypto.getRandomValues(new Uint8Array(64 * 1024))],
      [GIB - 10, new TextEncoder().encode("the end\n")],
    ];
    for (const [offset, data] of pieces) {
      file.seekSync(offset, Deno.SeekMode.Start);
      let done = 0;
      while (done < data.length) done += file.writeSync(data.subarray(done));
    }
  } finally {
    file.close();
  }
}

/**
 * True when both files hold the same bytes. Only where either holds data is
 * read (a hole in both reads as zeros in both): `cmp` of 2 GiB of holes took
 * 11 s on the shared test machine.
 */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const [fa, fb] = [openSourceFile(a), openSourceFile(b)];
  assert(fa.ok && fb.ok);
  try {
    if (fa.info.size !== fb.info.size) return false;
    const ranges = [...fa.file.dataSegments(), ...fb.file.dataSegments()];
    const [ba, bb] = [new Uint8Array(1024 * 1024), new Uint8Array(1024 * 1024)];
    for (const { offset, length } of ranges) {
      for (let at = offset; at < offset + length; at += ba.length) {
        const n = Math.min(ba.length, offset + length - at);
        const [na, nb] = [
          await fa.file.readAt(ba.subarray(0, n), at),
          await fb.file.readAt(bb.subarray(0, n), at),
        ];
        if (na !== nb || ba.subarray(0, na ?? 0).some((v, i) => v !== bb[i])) return false;
      }
    }
    return true;
  } finally {
    fa.file.close();
    fb.file.close();
  }
}

const allocated = (path: string) => (Deno.statSync(path).blocks ?? 0) * 512;

Deno.test("sparse: a 1 GiB file of holes lands with few allocated blocks and the same content", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  Deno.mkdirSync(src);
  makeSparse(`${src}/disk.img`);
  assert(allocated(`${src}/disk.img`) < 4 * 1024 * 1024, "the source itself is sparse here");
  const out = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch"]);
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertEquals(Deno.statSync(`${dest}/disk.img`).size, GIB);
  const used = allocated(`${dest}/disk.img`);
  assert(used < 4 * 1024 * 1024, `the copy allocates ${used} bytes`);
  assert(await sameBytes(`${src}/disk.img`, `${dest}/disk.img`), "same content");
  // The hash recorded is the content's: a second pass finds nothing to do.
  const again = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch", "--json"]);
  assertEquals(again.code, 0, again.stdout + again.stderr);
  assert(!again.stdout.includes('"op":"copy"'), again.stdout);
});

Deno.test("sparse: without --allow-ffi the content is the same (holes written out)", async () => {
  await using t = await tempDir();
  const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
  Deno.mkdirSync(src);
  const path = `${src}/small.img`;
  const file = Deno.openSync(path, { write: true, create: true });
  file.truncateSync(8 * 1024 * 1024);
  file.seekSync(4 * 1024 * 1024, Deno.SeekMode.Start);
  file.writeSync(new TextEncoder().encode("middle"));
  file.close();
  const perms = ["--allow-read", "--allow-write", "--allow-env=BACKUP_DEBUG"];
  const out = await runCli(["--src", src, "--dest", dest, "--once", "--no-watch"], { perms });
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assert(await sameBytes(path, `${dest}/small.img`), "same content");
});
