import { assertEquals } from "../../testing/assert.ts";
import { entryOfMeta, metaOf, ObjectDestination, sameVersion } from "./object_dest.ts";
import { MemoryStore } from "../../testing/memory_store.ts";
import { createHasher } from "../base/hash.ts";

Deno.test("an entry survives its object metadata (file, symlink, folder)", () => {
  const file = { kind: "file" as const, mode: 0o640, mtimeMs: 1234567, size: 5, ino: 0 };
  assertEquals(entryOfMeta(metaOf(file, "abc"), 5, undefined, false), file);
  const link = {
    kind: "symlink" as const,
    mode: 0o777,
    mtimeMs: 9,
    size: 0,
    ino: 0,
    target: "../a b/%c",
  };
  assertEquals(entryOfMeta(metaOf(link), 0, undefined, false), link);
  const dir = { kind: "dir" as const, mode: 0o750, mtimeMs: 7, size: 0, ino: 0 };
  assertEquals(entryOfMeta(metaOf(dir), 0, undefined, true), dir);
});

Deno.test("an object the backup did not write is a plain 0644 file with its own time", () => {
  const at = new Date(5000);
  assertEquals(entryOfMeta(undefined, 3, at, false), {
    kind: "file",
    size: 3,
    mtimeMs: 5000,
    mode: 0o644,
    ino: 0,
  });
});

const URL_OF = { scheme: "s3", bucket: "b", prefix: "p/", url: "s3://b/p" } as const;

/** xxh128 of `text`, as the destination's metadata says it. */
async function hashOf(text: string): Promise<string> {
  const h = await createHasher();
  h.init();
  h.update(new TextEncoder().encode(text));
  return h.digest();
}

Deno.test("staged files written side by side each get the hash of their own bytes", async () => {
  const store = new MemoryStore();
  const dest = new ObjectDestination(store, URL_OF);
  const texts = ["alpha", "beta", "gamma", "delta"];
  // Two at a time (a batch stages many before any commit), then two more on the hashers
  // the first two gave back.
  for (const pair of [texts.slice(0, 2), texts.slice(2)]) {
    const staged = await Promise.all(pair.map((t) => dest.stageFile(t, { size: t.length })));
    for (const [i, s] of staged.entries()) await s.write(new TextEncoder().encode(pair[i]!));
    for (const s of staged) await s.seal({ mode: 0o644, mtimeMs: 1000 });
    for (const s of staged) await s.commit();
  }
  for (const t of texts) {
    assertEquals(store.objects.get(`p/${t}`)?.meta["backup-hash"], await hashOf(t));
  }
});

Deno.test("a listing knows an object this process wrote from the PUT's answer time: no HEAD", async () => {
  const store = new MemoryStore();
  store.putAnswersTime = true; // S3Store.put answers the server's Date
  const dest = new ObjectDestination(store, URL_OF);
  const staged = await dest.stageFile("a.txt", { size: 1 });
  await staged.write(new Uint8Array([1]));
  await staged.seal({ mode: 0o600, mtimeMs: 5000 });
  await staged.commit();
  const heads = store.calls.head ?? 0;
  const listed = await dest.list();
  assertEquals(listed.entries.get("a.txt")?.mtimeMs, 5000);
  assertEquals(store.calls.head ?? 0, heads);

  // A new process, from the saved cache: the same.
  const next = new ObjectDestination(store, URL_OF);
  next.importKnown(dest.exportKnown());
  await next.list();
  assertEquals(store.calls.head ?? 0, heads);
});

Deno.test("a metadata-only change behind the backup's back is still read (HEAD)", async () => {
  const store = new MemoryStore();
  store.putAnswersTime = true;
  let now = 1_000_000;
  store.now = () => new Date(now);
  const dest = new ObjectDestination(store, URL_OF);
  await dest.putObject("a.txt", new Uint8Array([1]), {
    "backup-kind": "file",
    "backup-mtime": "7",
  });
  now += 1000; // a second later, someone copies it onto itself with other metadata
  await store.copy("p/a.txt", "p/a.txt", { "backup-kind": "file", "backup-mtime": "9" });
  const heads = store.calls.head ?? 0;
  const listed = await dest.list();
  assertEquals(listed.entries.get("a.txt")?.mtimeMs, 9);
  assertEquals(store.calls.head, heads + 1);
});

Deno.test("a PUT that answers no time: the next listing reads the object once by HEAD", async () => {
  const store = new MemoryStore(); // putAnswersTime false: the tag's time is unknown
  const dest = new ObjectDestination(store, URL_OF);
  await dest.putObject("a.txt", new Uint8Array([1]), {
    "backup-kind": "file",
    "backup-mtime": "7",
  });
  await dest.list();
  assertEquals(store.calls.head, 1);
  await dest.list();
  assertEquals(store.calls.head, 1);
});

Deno.test("sameVersion: the same ETag listed at or before the kept second; never an unknown time", () => {
  assertEquals(sameVersion('"e1"@100', '"e1"@100'), true);
  assertEquals(sameVersion('"e1"@100', '"e1"@99'), true); // the PUT straddled a second
  assertEquals(sameVersion('"e1"@100', '"e1"@101'), false); // written again after the answer
  assertEquals(sameVersion('"e1"@100', '"e2"@100'), false);
  assertEquals(sameVersion('"e1"@?', '"e1"@100'), false);
  assertEquals(sameVersion('"e1"@?', '"e1"@?'), true);
});

Deno.test("an object whose PUT straddled a second is still known without a HEAD", async () => {
  const store = new MemoryStore();
  let now = 1_000_999; // written at the end of one second ...
  store.now = () => new Date(now);
  const dest = new ObjectDestination(store, URL_OF);
  const answered = { etag: "", lastModified: new Date(1_001_050) }; // ... answered in the next
  const written = await store.put("p/a.txt", new Uint8Array([1]), {
    meta: { "backup-kind": "file", "backup-mtime": "7" },
  });
  dest.remember("p/a.txt", { ...answered, etag: written.etag }, {
    kind: "file",
    size: 1,
    mtimeMs: 7,
    mode: 0o644,
    ino: 0,
  });
  now += 5000;
  await dest.list();
  assertEquals(store.calls.head ?? 0, 0);
});
