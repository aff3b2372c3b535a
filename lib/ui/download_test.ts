import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { createHasher } from "../base/hash.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import type { DestinationReader } from "../dest/destination.ts";
import { openDownload, verifiedStream } from "./download.ts";
import { JobDestinations } from "./job_destination.ts";

/** A reader giving `chunks` one per read; counts closes. */
function reader(chunks: string[]): DestinationReader & { closed: number } {
  const left = chunks.map((c) => new TextEncoder().encode(c));
  return {
    closed: 0,
    read(buf: Uint8Array) {
      const next = left.shift();
      if (next === undefined) return Promise.resolve(null);
      buf.set(next);
      return Promise.resolve(next.byteLength);
    },
    close() {
      this.closed++;
    },
  };
}

async function hashOf(text: string): Promise<string> {
  const h = await createHasher();
  h.init();
  h.update(new TextEncoder().encode(text));
  return h.digest();
}

/** Reads a stream, returning the chunks got and the error it ended with (or null). */
async function drain(stream: ReadableStream<Uint8Array>) {
  const got: string[] = [];
  const dec = new TextDecoder();
  try {
    for await (const chunk of stream) got.push(dec.decode(chunk));
    return { got, error: null };
  } catch (err) {
    return { got, error: String(err) };
  }
}

Deno.test("verifiedStream: the bytes whole when the hash agrees, released once", async () => {
  const r = reader(["ab", "cd", "e"]);
  let done = 0;
  const out = await drain(
    verifiedStream(r, await hashOf("abcde"), await createHasher(), () => done++),
  );
  assertEquals(out, { got: ["ab", "cd", "e"], error: null });
  assertEquals([r.closed, done], [1, 1]);
});

Deno.test("verifiedStream: a hash that disagrees fails the stream before its last chunk", async () => {
  const r = reader(["ab", "cd", "e"]);
  let done = 0;
  const out = await drain(
    verifiedStream(r, await hashOf("abcdX"), await createHasher(), () => done++),
  );
  assertEquals(out.got, ["ab", "cd"]);
  assertEquals(/hash the journal recorded/.test(out.error ?? ""), true, out.error ?? "");
  assertEquals([r.closed, done], [1, 1]);
});

Deno.test("verifiedStream: a cancelled download releases the file", async () => {
  const r = reader(["ab", "cd", "e"]);
  let done = 0;
  const stream = verifiedStream(r, undefined, await createHasher(), () => done++);
  const it = stream.getReader();
  await it.read();
  await it.cancel();
  assertEquals([r.closed, done], [1, 1]);
});

Deno.test("openDownload: a path leaving the backup or a backup with no journal is refused", async () => {
  const fs = new DenoFileSystem();
  const dir = Deno.makeTempDirSync();
  const job = { name: "j", source: null, dest: dir, interval: null };
  const destinations = new JobDestinations(fs);
  try {
    await assertRejects(
      () => openDownload(job, "../etc/passwd", null, { fs, destinations }),
      UsageError,
      "leaves the backup",
    );
    await assertRejects(() => openDownload(job, "", null, { fs, destinations }), UsageError);
    await assertRejects(
      () => openDownload(job, "a", "not a time", { fs, destinations }),
      UsageError,
    );
  } finally {
    await destinations.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
