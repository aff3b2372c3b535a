import { assert, assertEquals, assertRejects } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { LocalDestination } from "../dest/local.ts";
import type { Remote } from "../cli/remote.ts";
import { JobDestinations } from "./job_destination.ts";

Deno.test("JobDestinations: a folder per request, a bucket opened once and closed at the end", async () => {
  const dir = Deno.makeTempDirSync();
  let opened = 0;
  let destroyed = 0;
  const fakeDestination = { location: "s3://bucket/p" };
  const open = () => {
    opened++;
    if (opened === 1) return Promise.reject(new Error("no answer"));
    return Promise.resolve({
      store: { close: () => destroyed++ },
      destination: fakeDestination,
    } as unknown as Remote);
  };
  const destinations = new JobDestinations(new DenoFileSystem(), open);
  const remote = {
    name: "r",
    source: null,
    dest: dir,
    interval: null,
    remote: { url: "s3://bucket/p", cacheDir: dir },
  };
  try {
    const local = await destinations.hold({ name: "l", source: null, dest: dir, interval: null });
    assert(local.destination instanceof LocalDestination);
    local.release();
    await assertRejects(() => destinations.hold(remote), Error, "no answer");
    const a = await destinations.hold(remote);
    const b = await destinations.hold(remote);
    assertEquals([a.destination, b.destination, opened], [fakeDestination, fakeDestination, 2]);
    await destinations.close();
    assertEquals(destroyed, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
