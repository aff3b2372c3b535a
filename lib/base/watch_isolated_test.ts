import { assert, assertEquals } from "../../testing/assert.ts";
import { tempDir, waitFor } from "../../testing/helpers.ts";
import { type IsolatedEvent, watchIsolated } from "./watch_isolated.ts";

/** Collects the events of a watch in the background; resolves when its iteration ends. */
function collect(watch: AsyncIterable<IsolatedEvent>, into: IsolatedEvent[]): Promise<unknown> {
  return (async () => {
    for await (const event of watch) into.push(event);
  })().catch((err) => err);
}

Deno.test("watchIsolated: events from the worker; close() ends the iteration", async () => {
  await using dir = await tempDir("backup-watch-");
  const watch = watchIsolated(dir.path);
  const events: IsolatedEvent[] = [];
  const done = collect(watch, events);
  Deno.writeTextFileSync(`${dir.path}/a.txt`, "a"); // set up before watchIsolated returned: seen
  await waitFor(() => events.some((event) => event.paths.includes(`${dir.path}/a.txt`)), {
    what: "the create event",
  });
  watch.close();
  assertEquals(await done, undefined, "the iteration ends without an error");
});

Deno.test("watchIsolated: a missing folder throws at once, like Deno.watchFs", async () => {
  await using dir = await tempDir("backup-watch-");
  let thrown: unknown = null;
  try {
    watchIsolated(`${dir.path}/missing`);
  } catch (err) {
    thrown = err;
  }
  assert(thrown instanceof Error, String(thrown));
});

Deno.test("watchIsolated: a FIFO created in the folder never blocks this thread, not even at close()", async () => {
  await using dir = await tempDir("backup-watch-");
  const watch = watchIsolated(dir.path);
  const events: IsolatedEvent[] = [];
  const done = collect(watch, events);
  const made = await new Deno.Command("mkfifo", { args: [`${dir.path}/fifo`] }).output();
  assert(made.success, "mkfifo");
  await new Promise((resolve) => setTimeout(resolve, 300)); // Deno's watcher thread is now stuck in open()
  const started = performance.now();
  watch.close();
  await done;
  await new Promise((resolve) => setTimeout(resolve, 50)); // timers still fire: this thread is free
  assert(performance.now() - started < 2000, `${(performance.now() - started).toFixed(0)} ms`);
});
