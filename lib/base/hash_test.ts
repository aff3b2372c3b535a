import { assert, assertEquals, assertNotEquals, assertRejects } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem, isNotRegularFile } from "./fs.ts";
import { CHUNK, createHasher, hashFile, hashReader, hashSourceFile } from "./hash.ts";
import { NotRegularFileError } from "./special_file.ts";

const real = new DenoFileSystem();

/** 281,600 bytes (more than one chunk): 0, 1, ..., 255 repeated 1100 times. */
const ramp = () => new Uint8Array(256 * 1100).map((_, i) => i & 0xff);

// Reference digests computed with the system's libxxhash (XXH3_128bits, canonical big-endian hex).
const EMPTY = "99aa06d3014798d86001c324468d497f";
const ABC = "06b05ab6733a618578af5f94892f3950";
const RAMP = "f0c9d133e0d1769cda6efd8a8c045026";

Deno.test("createHasher computes xxh128 as libxxhash does", async () => {
  const hasher = await createHasher();
  const digest = (data: Uint8Array) => (hasher.init(), hasher.update(data), hasher.digest());
  assertEquals(digest(new Uint8Array()), EMPTY);
  assertEquals(digest(new TextEncoder().encode("abc")), ABC);
  assertEquals(digest(ramp()), RAMP);
});

Deno.test("a hasher digests the same bytes fed in any pieces, and init() starts afresh", async () => {
  const hasher = await createHasher();
  const data = ramp();
  hasher.init();
  hasher.update(new TextEncoder().encode("leftover from before"));
  hasher.init();
  for (let at = 0; at < data.length; at += 7919) hasher.update(data.subarray(at, at + 7919));
  assertEquals(hasher.digest(), RAMP);
  const other = await createHasher();
  other.init();
  other.update(new TextEncoder().encode("abc"));
  assertEquals(other.digest(), ABC, "instances are independent");
});

Deno.test("hashFile hashes a file's content and reports its size", async () => {
  await using tmp = await tempDir();
  const hasher = await createHasher();
  Deno.writeFileSync(`${tmp.path}/empty`, new Uint8Array());
  Deno.writeTextFileSync(`${tmp.path}/abc`, "abc");
  Deno.writeFileSync(`${tmp.path}/ramp`, ramp());
  assertEquals(await hashFile(real, `${tmp.path}/empty`, hasher), { hash: EMPTY, size: 0 });
  assertEquals(await hashFile(real, `${tmp.path}/abc`, hasher), { hash: ABC, size: 3 });
  assertEquals(await hashFile(real, `${tmp.path}/ramp`, hasher), { hash: RAMP, size: 281_600 });
});

Deno.test("hashFile gives the same digest as hashing the bytes at and around the chunk size", async () => {
  await using tmp = await tempDir();
  const hasher = await createHasher();
  for (const size of [CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536))); // filled in pieces
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; at += data.length) bytes.set(data.subarray(0, size - at), at);
    Deno.writeFileSync(`${tmp.path}/f`, bytes);
    hasher.init();
    hasher.update(bytes);
    const expected = hasher.digest();
    assertEquals(
      await hashFile(real, `${tmp.path}/f`, hasher),
      { hash: expected, size },
      `${size}`,
    );
  }
});

Deno.test("hashFile tells one changed byte apart", async () => {
  await using tmp = await tempDir();
  const hasher = await createHasher();
  const bytes = ramp();
  Deno.writeFileSync(`${tmp.path}/f`, bytes);
  const before = await hashFile(real, `${tmp.path}/f`, hasher);
  bytes[200_000]! ^= 1;
  Deno.writeFileSync(`${tmp.path}/f`, bytes);
  assertNotEquals((await hashFile(real, `${tmp.path}/f`, hasher)).hash, before.hash);
});

Deno.test("hashFile throws when the file cannot be opened or read", async () => {
  await using tmp = await tempDir();
  const hasher = await createHasher();
  await assertRejects(() => hashFile(real, `${tmp.path}/missing`, hasher), Deno.errors.NotFound);
  Deno.writeFileSync(`${tmp.path}/f`, ramp());
  const failing = new FaultyFileSystem(real, [{
    point: "read",
    nth: 2,
    error: () => new Error("Input/output error"),
  }]);
  await assertRejects(() => hashFile(failing, `${tmp.path}/f`, hasher), Error, "Input/output");
  assertEquals((await hashFile(real, `${tmp.path}/f`, hasher)).hash, RAMP, "usable again after");
});

Deno.test("hashReader hashes what a reader yields, in whatever pieces, to its end", async () => {
  const hasher = await createHasher();
  /** A reader that hands out `data` at most `piece` bytes a call. */
  const readerOf = (data: Uint8Array, piece: number) => {
    let at = 0;
    return {
      read: (buf: Uint8Array) => {
        if (at >= data.length) return Promise.resolve(null);
        const count = Math.min(piece, buf.length, data.length - at);
        buf.set(data.subarray(at, at + count));
        at += count;
        return Promise.resolve(count);
      },
    };
  };
  assertEquals(await hashReader(readerOf(new Uint8Array(), 10), hasher), { hash: EMPTY, size: 0 });
  assertEquals(await hashReader(readerOf(new TextEncoder().encode("abc"), 1), hasher), {
    hash: ABC,
    size: 3,
  });
  assertEquals(await hashReader(readerOf(ramp(), 7919), hasher), { hash: RAMP, size: 281_600 });
});

Deno.test("hashFile: two hashers hashing large files at once each get their own file's hash", async () => {
  await using tmp = await tempDir();
  const size = 3 * CHUNK + 17;
  const a = new Uint8Array(size).fill(0x61);
  const b = new Uint8Array(size).fill(0x62);
  Deno.writeFileSync(`${tmp.path}/a`, a);
  Deno.writeFileSync(`${tmp.path}/b`, b);
  const fs = new DenoFileSystem();
  const alone = [
    (await hashFile(fs, `${tmp.path}/a`, await createHasher())).hash,
    (await hashFile(fs, `${tmp.path}/b`, await createHasher())).hash,
  ];
  for (let round = 0; round < 5; round++) {
    const both = await Promise.all([
      hashFile(fs, `${tmp.path}/a`, await createHasher()),
      hashFile(fs, `${tmp.path}/b`, await createHasher()),
    ]);
    assertEquals(both.map((r) => r.hash), alone, `round ${round}`);
  }
});

Deno.test("hashSourceFile hashes as hashFile does, and refuses a FIFO or a symlink without waiting on it", async () => {
  await using tmp = await tempDir();
  const hasher = await createHasher();
  Deno.writeFileSync(`${tmp.path}/ramp`, ramp());
  Deno.writeTextFileSync(`${tmp.path}/abc`, "abc");
  assertEquals(await hashSourceFile(real, `${tmp.path}/ramp`, hasher), {
    hash: RAMP,
    size: 281_600,
  });
  assertEquals(await hashSourceFile(real, `${tmp.path}/abc`, hasher), { hash: ABC, size: 3 });
  assert(new Deno.Command("mkfifo", { args: [`${tmp.path}/fifo`] }).outputSync().success);
  Deno.symlinkSync("abc", `${tmp.path}/link`);
  // No writer ever comes: a blocking open would hang here (the native layer opens O_NONBLOCK, the
  // fallback lstats first; source_open_test.ts runs both with a deadline).
  for (const [name, found] of [["fifo", "fifo"], ["link", "symlink"]] as const) {
    const err = await assertRejects(
      () => hashSourceFile(real, `${tmp.path}/${name}`, hasher),
      NotRegularFileError,
    );
    assert(isNotRegularFile(err), "the port's predicate knows it");
    assertEquals(err.found, found);
  }
  await assertRejects(
    () => hashSourceFile(real, `${tmp.path}/missing`, hasher),
    Deno.errors.NotFound,
  );
});
