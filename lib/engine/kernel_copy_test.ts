import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { copyByKernel, KERNEL_SPAN } from "./kernel_copy.ts";
import { createHasher, type Hasher } from "../base/hash.ts";
import type { FileHandle } from "../base/fs.ts";
import type { StagedFile } from "../dest/destination.ts";
import { SourceChangedError } from "../base/errors.ts";

/** Bytes whose every 4 KiB differs, so a misplaced span shows. */
function pattern(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) data[i] = (i / 4096) % 251;
  return data;
}

/** A source in memory read through its position; `cut` makes it end early (it shrank). */
class MemorySource {
  position = 0;
  constructor(public data: Uint8Array, public options: { cut?: number; short?: boolean } = {}) {}
  get end(): number {
    return Math.min(this.options.cut ?? this.data.length, this.data.length);
  }
  handle(): FileHandle {
    const readSync = (buf: Uint8Array): number | null => {
      if (this.position >= this.end) return null;
      // Short reads on request: at most half of what was asked, as a network file system may.
      const want = this.options.short ? Math.max(1, buf.length >> 1) : buf.length;
      const n = Math.min(want, this.end - this.position);
      buf.set(this.data.subarray(this.position, this.position + n));
      this.position += n;
      return n;
    };
    return { readSync } as unknown as FileHandle;
  }
}

/** A staged file that copies from a {@link MemorySource} and records what it was asked. */
class MemoryStaged {
  out: Uint8Array;
  calls: { at: number; len: number; hashedBefore: number }[] = [];
  writebacks: number[] = [];
  inFlight = 0;
  constructor(
    public src: MemorySource,
    public hashed: () => number,
    public behaviour: { unsupported?: boolean; failAt?: number; short?: boolean } = {},
  ) {
    this.out = new Uint8Array(src.data.length);
  }
  staged(): StagedFile {
    const copyRange = async (_src: FileHandle, at: number, len: number) => {
      this.calls.push({ at, len, hashedBefore: this.hashed() });
      this.inFlight++;
      await new Promise((r) => setTimeout(r, 0));
      this.inFlight--;
      if (this.behaviour.unsupported) return null;
      if (this.behaviour.failAt !== undefined && at >= this.behaviour.failAt) {
        throw new Error("EIO: the disk failed");
      }
      const want = this.behaviour.short ? Math.max(1, len >> 1) : len;
      const n = Math.max(0, Math.min(want, this.src.end - at));
      this.out.set(this.src.data.subarray(at, at + n), at);
      return n;
    };
    const startWriteback = (at: number) => {
      this.writebacks.push(at);
      return Promise.resolve();
    };
    return { copyRange, startWriteback } as unknown as StagedFile;
  }
}

/** A hasher that counts the bytes it was fed (the copy must not pass them after the first span). */
async function countingHasher(): Promise<Hasher & { fed: number }> {
  const inner = await createHasher();
  const h = {
    fed: 0,
    init: () => {
      h.fed = 0;
      inner.init();
    },
    update: (d: Uint8Array) => {
      h.fed += d.length;
      inner.update(d);
    },
    digest: () => inner.digest(),
  };
  return h;
}

async function hashOf(data: Uint8Array): Promise<string> {
  const h = await createHasher();
  h.init();
  h.update(data);
  return h.digest();
}

Deno.test("copyByKernel: after the first span the copy trails the hash; the file arrives whole, with its hash", async () => {
  const size = 3 * KERNEL_SPAN + 12_345; // the last span short
  const src = new MemorySource(pattern(size));
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed);
  hasher.init();
  let reported = 0;
  const n = await copyByKernel(src.handle(), out.staged(), hasher, size, (b) => reported += b);
  assertEquals(n, size);
  assertEquals(reported, size);
  assertEquals(out.out, src.data);
  assertEquals(hasher.digest(), await hashOf(src.data));
  // The first call probes the kernel copy before any read; every later span was hashed first.
  assertEquals(out.calls[0], { at: 0, len: KERNEL_SPAN, hashedBefore: 0 });
  for (const call of out.calls.slice(1)) {
    assert(call.at + call.len <= call.hashedBefore, `span at ${call.at} copied before its hash`);
    assert(call.len <= KERNEL_SPAN);
  }
  assertEquals(out.writebacks, [0, 1, 2, 3].map((k) => k * KERNEL_SPAN));
  assertEquals(out.inFlight, 0);
});

Deno.test("copyByKernel: short reads and short copy calls are completed", async () => {
  const size = 2 * KERNEL_SPAN + 777;
  const src = new MemorySource(pattern(size), { short: true });
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed, { short: true });
  hasher.init();
  assertEquals(await copyByKernel(src.handle(), out.staged(), hasher, size, undefined), size);
  assertEquals(out.out, src.data);
  assertEquals(hasher.digest(), await hashOf(src.data));
});

Deno.test("copyByKernel: a source that shrank is a change, with nothing left in flight", async () => {
  for (const cut of [0, KERNEL_SPAN / 2, KERNEL_SPAN + 100, 2 * KERNEL_SPAN]) {
    const size = 3 * KERNEL_SPAN;
    const src = new MemorySource(pattern(size), { cut });
    const hasher = await countingHasher();
    const out = new MemoryStaged(src, () => hasher.fed);
    hasher.init();
    await assertRejects(
      () => copyByKernel(src.handle(), out.staged(), hasher, size, undefined),
      SourceChangedError,
    );
    assertEquals(out.inFlight, 0, `cut at ${cut}`);
  }
});

Deno.test("copyByKernel: where the kernel cannot copy, null before any read", async () => {
  const size = 2 * KERNEL_SPAN;
  const src = new MemorySource(pattern(size));
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed, { unsupported: true });
  hasher.init();
  assertEquals(await copyByKernel(src.handle(), out.staged(), hasher, size, undefined), null);
  assertEquals(out.calls.length, 1);
  assertEquals(src.position, 0); // the caller copies another way from the start
  assertEquals(hasher.fed, 0);
  assertEquals(out.inFlight, 0);
  // A staged file without a kernel copy: null at once.
  assertEquals(await copyByKernel(src.handle(), {} as StagedFile, hasher, size, undefined), null);
});

Deno.test("copyByKernel: a copy that fails mid-file throws its error, nothing in flight, reading stopped", async () => {
  const size = 5 * KERNEL_SPAN;
  const src = new MemorySource(pattern(size));
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed, { failAt: KERNEL_SPAN });
  hasher.init();
  await assertRejects(
    () => copyByKernel(src.handle(), out.staged(), hasher, size, undefined),
    Error,
    "EIO",
  );
  assertEquals(out.inFlight, 0);
  // The span after the failed one was read, no more.
  assertEquals(hasher.fed, 3 * KERNEL_SPAN);
});
