import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { journalDir } from "../base/layout.ts";
import type { Remote, RemoteReading } from "../cli/remote.ts";
import type { UiJob } from "./jobs.ts";
import { RemoteJournals } from "./remote_journals.ts";

/** A fake `readRemote`: each read makes a folder holding `journal()` as one segment. */
function fakeReads(root: string, journal: () => string) {
  let n = 0;
  const cleaned: string[] = [];
  const read = (_fs: unknown, _url: string): Promise<RemoteReading> => {
    const place = `${root}/read-${n++}`;
    Deno.mkdirSync(journalDir(place), { recursive: true });
    Deno.writeTextFileSync(`${journalDir(place)}/00000001.jsonl`, journal());
    const remote = { client: { destroy() {} } } as unknown as Remote;
    return Promise.resolve({
      remote,
      place,
      name: "p",
      cleanup: () => {
        cleaned.push(place);
        Deno.removeSync(place, { recursive: true });
      },
    });
  };
  return { read, cleaned };
}

Deno.test("RemoteJournals: a job in a bucket reads the journal pulled; a changed one replaces it", async () => {
  const root = Deno.makeTempDirSync();
  let text = "one\n";
  const fake = fakeReads(root, () => text);
  const journals = new RemoteJournals(new DenoFileSystem(), fake.read);
  const remote: UiJob = {
    name: "r",
    source: null,
    dest: `${root}/cache`,
    interval: null,
    remote: { url: "s3://bucket/p", cacheDir: `${root}/cache` },
  };
  const local: UiJob = { name: "l", source: null, dest: "/local", interval: null };
  try {
    await journals.open([remote, local]);
    assertEquals([remote.dest, local.dest], [`${root}/read-0`, "/local"]);
    assertEquals(await journals.refresh(60_000), false, "read less than a minute ago: not again");
    assertEquals(await journals.refresh(0), false, "the same journal: kept, the new read dropped");
    assertEquals([remote.dest, fake.cleaned], [`${root}/read-0`, [`${root}/read-1`]]);
    text = "one\ntwo\n";
    assertEquals(await journals.refresh(0), true);
    assertEquals([remote.dest, fake.cleaned.at(-1)], [`${root}/read-2`, `${root}/read-0`]);
    journals.close();
    assertEquals(fake.cleaned.at(-1), `${root}/read-2`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("RemoteJournals: a bucket that cannot be read fails the start, later keeps the last read", async () => {
  const root = Deno.makeTempDirSync();
  let fail = true;
  const fake = fakeReads(root, () => "x\n");
  const read = (fs: unknown, url: string) =>
    fail ? Promise.reject(new Error("no answer")) : fake.read(fs, url);
  const journals = new RemoteJournals(new DenoFileSystem(), read);
  const job: UiJob = {
    name: "r",
    source: null,
    dest: "",
    interval: null,
    remote: { url: "s3://bucket/p", cacheDir: `${root}/c` },
  };
  try {
    await assertRejects(() => journals.open([job]), Error, "no answer");
    fail = false;
    await journals.open([job]);
    fail = true;
    assertEquals(await journals.refresh(0), false);
    assertEquals(job.dest, `${root}/read-0`);
  } finally {
    journals.close();
    Deno.removeSync(root, { recursive: true });
  }
});
