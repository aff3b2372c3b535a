import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import { restoreFile } from "./restore.ts";
import { LocalDestination } from "../dest/local.ts";

Deno.test("restoreFile writes the checked bytes, fsynced, and never over something that appeared meanwhile", async () => {
  await using t = await tempDir();
  const fs = new FaultyFileSystem(new DenoFileSystem()); // counts the calls
  const hasher = await createHasher();
  Deno.writeTextFileSync(`${t.path}/kept`, "old content");
  const hash = (await hashFile(fs, `${t.path}/kept`, hasher)).hash;
  const item = {
    path: "a.txt",
    entry: {
      kind: "file" as const,
      size: 11,
      mtimeMs: 1_700_000_000_000,
      mode: 0o640,
      ino: 1,
      hash,
    },
    sources: [{ rel: "kept", label: "mirror" }],
  };
  const destination = new LocalDestination(fs, t.path);
  const r = await restoreFile(destination, fs, hasher, item, `${t.path}/out.txt`);
  assertEquals([r.ok, Deno.readTextFileSync(`${t.path}/out.txt`)], [true, "old content"]);
  assertEquals(Deno.statSync(`${t.path}/out.txt`).mode! & 0o777, 0o640);
  assertEquals(fs.calls.get("sync"), 1, "the file is on disk before its rename");

  Deno.writeTextFileSync(`${t.path}/taken.txt`, "someone else's");
  await assertRejects(
    () => restoreFile(destination, fs, hasher, item, `${t.path}/taken.txt`),
    UsageError,
    "nothing is overwritten",
  );
  assertEquals(Deno.readTextFileSync(`${t.path}/taken.txt`), "someone else's");
  const temps = [...Deno.readDirSync(t.path)].filter((e) => e.name.startsWith(".backup-tmp-"));
  assertEquals(temps, [], "the temp file is removed");
});
