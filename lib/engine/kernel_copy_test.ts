import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { copyByKernel, KERNEL_SPAN, LEAD_READ } from "./kernel_copy.ts";
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

/** A source in memory with positional reads; `cut` makes it end early (it shrank). */
class MemorySource {
  inFlight = 0;
  reads = 0;
  constructor(public data: Uint8Array, public options: { cut?: number; short?: boolean } = {}) {}
  handle(): FileHandle {
    const readAt = async (buf: Uint8Array, at: number): Promise<number | null> => {
      this.inFlight++;
      this.reads++;
      await new Promise((r) => setTimeout(r, 0));
      this.inFlight--;
      const end = Math.min(this.options.cut ?? this.data.length, this.data.length);
      if (at >= end) return null;
      // Short reads on request: at most half of what was asked, as a network file system may.
      const want = this.options.short ? Math.max(1, buf.length >> 1) : buf.length;
      const n = Math.min(want, end - at);
      buf.set(this.data.subarray(at, at + n));
      return n;
    };
    return { readAt } as unknown as FileHandle;
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
    public behaviour: { unsupported?: boolean; failAt?: number } = {},
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
      const end = Math.min(this.src.options.cut ?? this.src.data.length, this.src.data.length);
      const n = Math.max(0, Math.min(len, end - at));
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

/** A hasher that counts the bytes it was fed (the copy must never pass them). */
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

Deno.test("copyByKernel: the copy trails the hash, arrives whole, with the hash of its bytes", async () => {
  const size = 2 * KERNEL_SPAN + 3 * LEAD_READ + 12_345; // the last read and the last span short
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
  // Every span was hashed before the kernel copied it, and no call was larger than a span.
  for (const call of out.calls) {
    assert(call.at + call.len <= call.hashedBefore, `span at ${call.at} copied before its hash`);
    assert(call.len <= KERNEL_SPAN);
  }
  assertEquals(out.writebacks, out.calls.map((c) => c.at));
  assertEquals(src.inFlight + out.inFlight, 0);
});

Deno.test("copyByKernel: short reads are completed in line", async () => {
  const size = KERNEL_SPAN + 777;
  const src = new MemorySource(pattern(size), { short: true });
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed);
  hasher.init();
  assertEquals(await copyByKernel(src.handle(), out.staged(), hasher, size, undefined), size);
  assertEquals(out.out, src.data);
  assertEquals(hasher.digest(), await hashOf(src.data));
});

Deno.test("copyByKernel: a source that shrank is a change, with nothing left in flight", async () => {
  const size = 3 * KERNEL_SPAN;
  const src = new MemorySource(pattern(size), { cut: KERNEL_SPAN + LEAD_READ / 2 });
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed);
  hasher.init();
  await assertRejects(
    () => copyByKernel(src.handle(), out.staged(), hasher, size, undefined),
    SourceChangedError,
  );
  assertEquals(src.inFlight + out.inFlight, 0);
});

Deno.test("copyByKernel: where the kernel cannot copy, null, the hasher reset, nothing in flight", async () => {
  const size = 2 * KERNEL_SPAN;
  const src = new MemorySource(pattern(size));
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed, { unsupported: true });
  hasher.init();
  assertEquals(await copyByKernel(src.handle(), out.staged(), hasher, size, undefined), null);
  assertEquals(out.calls.length, 1);
  assertEquals(hasher.fed, 0);
  assertEquals(hasher.digest(), await hashOf(new Uint8Array(0)));
  assertEquals(src.inFlight + out.inFlight, 0);
  // A handle without positional reads or a staged file without a kernel copy: null at once.
  assertEquals(await copyByKernel({} as FileHandle, out.staged(), hasher, size, undefined), null);
  assertEquals(
    await copyByKernel(src.handle(), {} as StagedFile, hasher, size, undefined),
    null,
  );
});

Deno.test("copyByKernel: a copy that fails mid-file throws its error once the reads are settled", async () => {
  const size = 4 * KERNEL_SPAN;
  const src = new MemorySource(pattern(size));
  const hasher = await countingHasher();
  const out = new MemoryStaged(src, () => hasher.fed, { failAt: KERNEL_SPAN });
  hasher.init();
  await assertRejects(
    () => copyByKernel(src.handle(), out.staged(), hasher, size, undefined),
    Error,
    "EIO",
  );
  assertEquals(src.inFlight + out.inFlight, 0);
  // It stopped reading soon after: not the whole file hashed for a copy that had failed.
  assert(hasher.fed < size, `${hasher.fed} bytes hashed`);
});
