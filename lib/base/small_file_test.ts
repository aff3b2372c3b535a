import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem, type FileSystem, isNotFound } from "./fs.ts";
import { nativeAvailable } from "./native/libc.ts";
import { readSmallFile, type SmallFile } from "./small_file.ts";

const text = new TextDecoder();

/** The real file system (native reads when FFI is granted) and a wrapped one (always the fallback). */
const SYSTEMS: [string, FileSystem][] = [
  [nativeAvailable() ? "native" : "port (no FFI)", new DenoFileSystem()],
  ["port", new FaultyFileSystem(new DenoFileSystem())],
];

function shown(read: SmallFile): string {
  return read.ok ? `${text.decode(read.bytes)}|${read.truncated}` : `refused:${read.refused}`;
}

Deno.test("readSmallFile: a regular file whole, or its first capBytes with truncated set", async () => {
  await using dir = await tempDir("backup-small-");
  put(`${dir.path}/small`, "*.log\n");
  put(`${dir.path}/big`, "x".repeat(200_000));
  put(`${dir.path}/exact`, "12345678");
  for (const [name, fs] of SYSTEMS) {
    assertEquals(shown(readSmallFile(fs, `${dir.path}/small`, 64)), "*.log\n|false", name);
    const big = readSmallFile(fs, `${dir.path}/big`, 100_000);
    assert(big.ok && big.truncated && big.bytes.length === 100_000, name);
    assertEquals(shown(readSmallFile(fs, `${dir.path}/exact`, 8)), "12345678|false", name);
  }
});

Deno.test("readSmallFile: a symlink (even to a regular file), a folder and /dev/zero are refused unread", async () => {
  await using dir = await tempDir("backup-small-");
  put(`${dir.path}/rules`, "*.log\n");
  Deno.symlinkSync(`${dir.path}/rules`, `${dir.path}/link`);
  Deno.symlinkSync("/dev/zero", `${dir.path}/zero`);
  Deno.mkdirSync(`${dir.path}/folder`);
  for (const [name, fs] of SYSTEMS) {
    assertEquals(shown(readSmallFile(fs, `${dir.path}/link`, 64)), "refused:symlink", name);
    assertEquals(shown(readSmallFile(fs, `${dir.path}/zero`, 64)), "refused:symlink", name);
    assertEquals(shown(readSmallFile(fs, `${dir.path}/folder`, 64)), "refused:directory", name);
    const device = readSmallFile(fs, "/dev/zero", 64);
    assert(!device.ok && (device.refused === "device" || device.refused === "other"), name);
  }
});

Deno.test("readSmallFile: a missing file throws NotFound", async () => {
  await using dir = await tempDir("backup-small-");
  for (const [name, fs] of SYSTEMS) {
    let thrown: unknown = null;
    try {
      readSmallFile(fs, `${dir.path}/missing`, 64);
    } catch (err) {
      thrown = err;
    }
    assert(isNotFound(thrown), `${name}: ${String(thrown)}`);
  }
});

Deno.test("readSmallFile: a FIFO is refused at once, never waited on", async () => {
  await using dir = await tempDir("backup-small-");
  const fifo = `${dir.path}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo");
  // Should a read wait on the FIFO, this writer frees it after 3 s: the test then fails on time, not by hanging.
  const writer = new Deno.Command("sh", { args: ["-c", `sleep 3; echo x > "${fifo}"`] }).spawn();
  try {
    for (const [name, fs] of SYSTEMS) {
      const started = performance.now();
      const read = readSmallFile(fs, fifo, 64);
      const elapsed = performance.now() - started;
      assert(!read.ok && (read.refused === "fifo" || read.refused === "other"), name);
      assert(elapsed < 1000, `${name}: took ${elapsed.toFixed(0)} ms`);
    }
  } finally {
    writer.kill("SIGKILL");
    await writer.status;
  }
});
