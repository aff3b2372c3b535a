import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { md5Hex, type ObjectStore, type UploadedPart } from "./object_store.ts";
import { PartUpload } from "./object_parts.ts";

/** A store of unfinished uploads in memory, S3-like (ETag = quoted MD5), counting what it is sent. */
function fakeStore(options: { failPart?: number } = {}) {
  const uploads = new Map<string, { key: string; parts: Map<number, Uint8Array> }>();
  const completed = new Map<string, Uint8Array>();
  let inFlight = 0;
  const seen = { peak: 0, sentParts: [] as number[], aborted: [] as string[] };
  const store = {
    uploadsInPlace: false,
    beginUpload(key: string) {
      const id = `u${uploads.size + 1}`;
      uploads.set(id, { key, parts: new Map() });
      return Promise.resolve(id);
    },
    async uploadPart(_key: string, id: string, n: number, body: Uint8Array) {
      inFlight++;
      seen.peak = Math.max(seen.peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === options.failPart) throw new Error(`part ${n} refused`);
      uploads.get(id)!.parts.set(n, body.slice());
      seen.sentParts.push(n);
      return `"${md5Hex(body)}"`;
    },
    findUpload(key: string) {
      for (const [id, up] of uploads) {
        if (up.key !== key) continue;
        const parts = new Map<number, UploadedPart>();
        for (const [n, b] of up.parts) parts.set(n, { etag: `"${md5Hex(b)}"`, size: b.byteLength });
        return Promise.resolve({ id, parts });
      }
      return Promise.resolve(null);
    },
    keepsPart(_id: string, _n: number, body: Uint8Array, listed: UploadedPart) {
      return listed.size === body.byteLength && listed.etag === `"${md5Hex(body)}"`;
    },
    completeUpload(key: string, id: string, etags: string[]) {
      const up = uploads.get(id)!;
      const bodies = etags.map((e, i) => {
        const b = up.parts.get(i + 1)!;
        assertEquals(`"${md5Hex(b)}"`, e, `part ${i + 1}'s tag`);
        return b;
      });
      const all = new Uint8Array(bodies.reduce((a, b) => a + b.byteLength, 0));
      let at = 0;
      for (const b of bodies) {
        all.set(b, at);
        at += b.byteLength;
      }
      completed.set(key, all);
      uploads.delete(id);
      return Promise.resolve({ etag: "x" });
    },
    abortUpload(_key: string, id: string) {
      seen.aborted.push(id);
      uploads.delete(id);
      return Promise.resolve();
    },
  };
  return { store: store as unknown as ObjectStore, uploads, completed, seen };
}

const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * seed + i / 7) & 255);

/** Writes `data` in chunks of `chunk` bytes through a reused buffer, as the engine's copy does. */
async function feed(up: PartUpload, data: Uint8Array, chunk = 7) {
  const buf = new Uint8Array(chunk);
  for (let at = 0; at < data.byteLength; at += chunk) {
    const piece = data.subarray(at, at + chunk);
    buf.set(piece);
    await up.write(buf.subarray(0, piece.byteLength));
    buf.fill(0xee); // the caller reuses its buffer at once
  }
}

Deno.test("parts go up at most 4 at a time and complete into the same bytes", async () => {
  const f = fakeStore();
  const up = new PartUpload(f.store, "k", { partBytes: 10 });
  const data = bytes(95);
  await feed(up, data);
  await up.complete({});
  assertEquals(f.completed.get("k"), data);
  assertEquals(up.bytes, 95);
  assertEquals(f.seen.sentParts.length, 10);
  assert(f.seen.peak <= 4, `peak ${f.seen.peak}`);
  assert(f.seen.peak >= 2, `parts ran side by side (peak ${f.seen.peak})`);
});

Deno.test("a restart keeps the parts the store holds and sends only the rest", async () => {
  const f = fakeStore();
  const data = bytes(50);
  const first = new PartUpload(f.store, "k", { partBytes: 10 });
  await feed(first, data.subarray(0, 30)); // a crash: parts 1-3 up, never completed
  await new Promise((r) => setTimeout(r, 50));
  const started: string[] = [];
  const again = new PartUpload(f.store, "k", {
    partBytes: 10,
    onStart: (key, id) => started.push(`${key} ${id}`),
  });
  await feed(again, data);
  await again.complete({});
  assertEquals(f.completed.get("k"), data);
  assertEquals(again.stats, { sent: 2, kept: 3, bytesSent: 20 });
  assertEquals(started, ["k u1"], "the same upload resumed");
});

Deno.test("a source changed since the crash: its changed parts are sent again", async () => {
  const f = fakeStore();
  const first = new PartUpload(f.store, "k", { partBytes: 10 });
  await feed(first, bytes(30));
  await new Promise((r) => setTimeout(r, 50));
  const changed = bytes(25);
  changed[15] = changed[15]! ^ 1; // part 2 differs; the file is shorter
  const again = new PartUpload(f.store, "k", { partBytes: 10 });
  await feed(again, changed);
  await again.complete({});
  assertEquals(f.completed.get("k"), changed);
  assertEquals(again.stats.kept, 1);
  assertEquals(again.stats.sent, 2);
});

Deno.test("a part that fails fails the upload, which is then aborted", async () => {
  const f = fakeStore({ failPart: 2 });
  const up = new PartUpload(f.store, "k", { partBytes: 10 });
  await assertRejects(
    async () => {
      await feed(up, bytes(60));
      await up.complete({});
    },
    Error,
    "part 2 refused",
  );
  await up.abort();
  assertEquals(f.seen.aborted, ["u1"]);
  assertEquals(f.uploads.size, 0);
});

Deno.test("an empty upload is one empty part", async () => {
  const f = fakeStore();
  const up = new PartUpload(f.store, "k", { partBytes: 10 });
  await up.complete({});
  assertEquals(f.completed.get("k"), new Uint8Array(0));
});
