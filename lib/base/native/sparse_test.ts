import { assert, assertEquals } from "../../../testing/assert.ts";
import { tempDir } from "../../../testing/helpers.ts";
import { Beneath } from "./beneath.ts";
import { nativeAvailable } from "./libc.ts";
import { dataSegments, type Segment } from "./sparse.ts";

const ignore = !nativeAvailable();

function covered(segments: Segment[], offset: number, length: number): boolean {
  return segments.some((segment) =>
    segment.offset <= offset && offset + length <= segment.offset + segment.length
  );
}

function assertOrdered(segments: Segment[], size: number): void {
  let end = 0;
  for (const segment of segments) {
    assert(segment.offset >= end && segment.length > 0, JSON.stringify(segments));
    end = segment.offset + segment.length;
  }
  assert(end <= size, "within the file");
}
const MIB = 1024 * 1024;

Deno.test({
  name: "dataSegments: holes are skipped, data is found, the file offset is left alone",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      const file = pinned.createExclusive("sparse");
      const block = new Uint8Array(4096).fill(7);
      await file.writeAllAt(block, 1 * MIB);
      await file.writeAllAt(block, 8 * MIB);
      file.truncate(16 * MIB);
      await file.writeAll(new Uint8Array(10).fill(1)); // offset 0 .. 10, and the offset moves
      const segments = dataSegments(file.fd, file.label);
      assertOrdered(segments, 16 * MIB);
      for (const [offset, length] of [[0, 10], [1 * MIB, 4096], [8 * MIB, 4096]] as const) {
        assert(covered(segments, offset, length), `data at ${offset} is in a segment`);
      }
      const stored = Deno.statSync(`${dir.path}/sparse`).blocks ?? 0;
      if (stored * 512 < 16 * MIB) {
        // The file system keeps holes: the segments skip them (block-sized, 4 KiB each on ext4).
        const total = segments.reduce((sum, segment) => sum + segment.length, 0);
        assert(total < 4 * MIB, `segments hold ${total} bytes of a 16 MiB file with 3 blocks`);
      }
      await file.writeAll(new Uint8Array(1).fill(2));
      file.close();
      const bytes = Deno.readFileSync(`${dir.path}/sparse`);
      assertEquals([bytes.length, bytes[9], bytes[10], bytes[11]], [16 * MIB, 1, 2, 0]);

      const dense = pinned.createExclusive("dense");
      await dense.writeAll(new Uint8Array(10_000).fill(3));
      assertEquals(dataSegments(dense.fd), [{ offset: 0, length: 10_000 }]);
      dense.close();

      const empty = pinned.createExclusive("empty");
      assertEquals(dataSegments(empty.fd), []);
      empty.truncate(MIB);
      assertOrdered(dataSegments(empty.fd), MIB);
      empty.close();
    } finally {
      pinned.close();
    }
  },
});
