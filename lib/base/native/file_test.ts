import { assert, assertEquals, assertRejects } from "../../../testing/assert.ts";
import { tempDir } from "../../../testing/helpers.ts";
import { Beneath } from "./beneath.ts";
import { nativeAvailable } from "./libc.ts";

const ignore = !nativeAvailable();
const text = new TextEncoder();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test({
  name: "NativeFile: async and sync reads and writes, at offsets too, truncate, utime, stat",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      const file = pinned.createExclusive("data");
      await file.writeAll(text.encode("hello "));
      file.writeAllSync(text.encode("world"));
      await file.writeAllAt(text.encode("HELLO"), 0);
      file.truncate(8);
      file.utime(1_700_000_000_456);
      const info = file.stat();
      assertEquals([info.kind, info.size, info.mtimeMs], ["file", 8, 1_700_000_000_456]);
      await file.sync();
      file.syncNow();
      file.close();
      file.close();
      assertEquals(Deno.readTextFileSync(`${dir.path}/data`), "HELLO wo");

      const opened = pinned.openRead("data");
      assert(opened.ok);
      const reader = opened.file;
      const buffer = new Uint8Array(4);
      assertEquals(await reader.read(buffer), 4);
      assertEquals(decode(buffer), "HELL");
      assertEquals(reader.readSync(buffer), 4);
      assertEquals(decode(buffer), "O wo");
      assertEquals(await reader.read(buffer), null);
      assertEquals(reader.readSync(buffer), null);
      assertEquals(await reader.readAt(buffer, 2), 4);
      assertEquals(decode(buffer), "LLO ");
      assertEquals(await reader.readAt(buffer, 8), null);
      reader.close();
      assert(
        await assertRejects(() => reader.read(buffer), Deno.errors.BadResource),
        "a closed file refuses",
      );
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name: "NativeFile: a write error carries the errno the retry on the main thread reads",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      pinned.createExclusive("data").close();
      const opened = pinned.openRead("data");
      assert(opened.ok);
      // Writing to a read-only descriptor: EBADF, found by the synchronous retry.
      const err = await assertRejects(() => opened.file.writeAll(text.encode("x")), Error);
      assertEquals((err as { code?: string }).code, "EBADF");
      opened.file.close();
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name: "NativeFile: tryLock is exclusive between two opens of the same file",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      const first = pinned.createExclusive("lock");
      const second = pinned.openRead("lock");
      assert(second.ok);
      assertEquals(first.tryLock(), true);
      assertEquals(second.file.tryLock(), false);
      first.close();
      assertEquals(second.file.tryLock(), true);
      second.file.close();
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name: "NativeFile: startWriteback starts writing a range out, changing nothing in the file",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      const file = pinned.createExclusive("data");
      await file.writeAll(text.encode("written out early"));
      assert(await file.startWriteback(0, 7), "sync_file_range accepted a regular file");
      assert(await file.startWriteback(7, 1 << 20), "a range past the end is fine");
      file.close();
      assertEquals(Deno.readTextFileSync(`${dir.path}/data`), "written out early");
    } finally {
      pinned.close();
    }
  },
});
