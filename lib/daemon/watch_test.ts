import { assert, assertEquals } from "../../testing/assert.ts";
import { getLogger } from "@logtape/logtape";
import type { FileSystem, Watch, WatchEvent } from "../base/fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { Watcher } from "./watch.ts";
import type { Logger } from "../report/log.ts";
import { waitFor } from "../../testing/helpers.ts";

const log = getLogger(["test-silent"]);

/** A file system whose watches are scripted: each call to watch() takes the next script. */
class ScriptedWatches extends DenoFileSystem {
  calls = 0;
  constructor(private scripts: (() => Watch)[]) {
    super();
  }
  override watch(_path: string): Watch {
    const next = this.scripts[Math.min(this.calls++, this.scripts.length - 1)]!;
    return next();
  }
}

/** A watch that yields `events`, then fails with `error` (or waits until closed). */
function scripted(events: WatchEvent[], error?: Error): () => Watch {
  return () => {
    let closed = false;
    let wake = () => {};
    return {
      close: () => {
        closed = true;
        wake();
      },
      async *[Symbol.asyncIterator]() {
        for (const ev of events) yield ev;
        if (error) throw error;
        while (!closed) await new Promise<void>((r) => (wake = r));
      },
    };
  };
}

const ev = (kind: string, ...paths: string[]): WatchEvent => ({ kind, paths });

Deno.test("Watcher names the folder of each event and the path itself, relative to the root", async () => {
  const again = new Watcher(
    new ScriptedWatches([scripted([
      ev("create", "/r/a/b.txt"),
      ev("rename", "/r/x/old", "/r/y/new"),
      ev("access", "/r/ignored/z"),
      ev("modify", "/elsewhere/q"),
    ])]),
    "/r",
    { log },
  );
  again.start();
  await waitFor(() => again.pending);
  await new Promise((r) => setTimeout(r, 20));
  const hints = again.drain();
  await again.close();
  assertEquals([...hints.dirs].sort(), ["a", "a/b.txt", "x", "x/old", "y", "y/new"]);
  assertEquals(hints.full, false);
});

Deno.test("Watcher asks for a full pass on a rescan flag or too many folders", async () => {
  const events = [{ kind: "other", paths: [], flag: "rescan" }];
  const w = new Watcher(new ScriptedWatches([scripted(events)]), "/r", { log });
  w.start();
  await waitFor(() => w.pending);
  assert(w.drain().full);
  await w.close();
  const many = Array.from({ length: 50 }, (_, i) => ev("create", `/r/d${i}/f`));
  const w2 = new Watcher(new ScriptedWatches([scripted(many)]), "/r", { log, maxDirs: 10 });
  w2.start();
  await waitFor(() => w2.pending);
  await new Promise((r) => setTimeout(r, 20));
  const h = w2.drain();
  await w2.close();
  assert(h.full);
  assertEquals(h.dirs.size, 0);
});

Deno.test("Watcher restarts a failed watch with backoff and asks for a full pass", async () => {
  const fs = new ScriptedWatches([
    scripted([ev("create", "/r/a")], new Error("stream did not contain valid UTF-8")),
    () => {
      throw new Error("watch broke");
    },
    scripted([ev("create", "/r/b")]),
  ]);
  const w = new Watcher(fs, "/r", { log, backoffMs: 5 });
  w.start();
  await waitFor(() => fs.calls >= 3, { what: "two restarts" });
  await waitFor(() => w.pending);
  const h = w.drain();
  await w.close();
  assert(h.full, "a failure means events may have been lost");
  assertEquals(w.failures, 2);
});

Deno.test("Watcher gives up quietly at the watch limit and leaves the interval to do the work", async () => {
  const fs = new ScriptedWatches([() => {
    throw new Error('OS file watch limit reached. about ["/r"] (os error 28)');
  }]);
  const w = new Watcher(fs, "/r", { log });
  w.start();
  await waitFor(() => !w.active, { what: "watcher to give up" });
  assertEquals(fs.calls, 1);
  await w.close();
});

Deno.test("Watcher on the real file system sees a file written in a new folder", async () => {
  const root = await Deno.makeTempDir();
  const w = new Watcher(new DenoFileSystem() as FileSystem, root, { log });
  try {
    w.start();
    await new Promise((r) => setTimeout(r, 50)); // the watch is set up asynchronously
    Deno.mkdirSync(`${root}/new`);
    Deno.writeTextFileSync(`${root}/new/file.txt`, "x");
    await waitFor(() => w.pending, { what: "an event" });
    await waitFor(() => {
      const seen = w.drain().dirs;
      return seen.has("") || seen.has("new");
    }, { what: "the new folder named" });
  } finally {
    await w.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Watcher.close gives up on a watch that does not end when closed, with a warning", async () => {
  const stuck = (): Watch => ({
    close: () => {}, // a watch whose thread is stuck: closing it ends nothing
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<WatchEvent>>(() => {}),
    }),
  });
  const warnings: string[] = [];
  const logged = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
  const w = new Watcher(new ScriptedWatches([stuck]), "/r", { log: logged, closeWaitMs: 100 });
  w.start();
  const started = performance.now();
  assertEquals(await w.close(), false);
  assert(performance.now() - started < 2000, "close returned at the deadline");
  assert(
    warnings.some((message) => message.startsWith("WATCHER DID NOT STOP")),
    warnings.join("\n"),
  );
});

Deno.test("Watcher restarts a watch that went silent while a full pass found changes, not one that delivers", async () => {
  const root = "/src";
  const fs = new ScriptedWatches([
    scripted([]), // silent: stuck, as Deno's watcher on a FIFO
    scripted([{ kind: "create", paths: ["/src/a.txt"] }]),
  ]);
  const warnings: string[] = [];
  const spy = { ...log, warn: (message: string) => void warnings.push(message) } as Logger;
  const watcher = new Watcher(fs, root, { log: spy });
  watcher.start();
  try {
    await waitFor(() => fs.calls === 1, { what: "the first watch" });
    assertEquals(watcher.afterFullPass(0), false, "nothing missed: nothing to do");
    assertEquals(watcher.afterFullPass(3), true, "3 changes missed and no event: silent");
    assertEquals(watcher.restarts, 1);
    assertEquals(watcher.failures, 0, "a restart is not a failure");
    assert(warnings.some((w) => w.includes("WATCHER SILENT")), warnings.join());
    await waitFor(() => fs.calls === 2, { what: "the new watch" });
    await waitFor(() => watcher.pending, { what: "the new watch's event" });
    const hints = watcher.drain();
    assert(hints.full, "what changed during the gap is for a full pass");
    // The new watch delivered: a later miss is a dropped event, not a stopped watch.
    assertEquals(watcher.afterFullPass(1), false);
    assertEquals(watcher.restarts, 1);
  } finally {
    await watcher.close();
  }
});

Deno.test("Watcher asks for a full pass for a path Deno reports with U+FFFD (a name that is not UTF-8)", async () => {
  const w = new Watcher(
    new ScriptedWatches([scripted([ev("create", "/r/caf\uFFFD/x.txt")])]),
    "/r",
    { log },
  );
  w.start();
  await waitFor(() => w.pending);
  const h = w.drain();
  await w.close();
  assert(h.full, "the folder's real name is bytes Deno cannot give: a full pass lists it");
  assertEquals(h.dirs.size, 0);
});
