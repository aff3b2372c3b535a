/**
 * A recursive `Deno.watchFs` held in a worker of its own (`watch_worker.ts`),
 * so that nothing the watch gets stuck on can stop the main thread.
 *
 * Why: Deno's watcher thread was measured to block for good in `open(2)` of a
 * FIFO created inside a watched folder (waiting for a writer that never
 * comes). While it is blocked, no event is delivered, and closing the watch
 * blocks the thread that closes it (on a lock the stuck thread holds): on the
 * main thread, that froze the daemon at shutdown, deaf to SIGTERM. Here
 * closing is `worker.terminate()`, which returns at once whatever the worker's
 * thread is stuck on.
 *
 * Guarantees: {@link watchIsolated} returns once the watch is set up, or
 * throws as `Deno.watchFs` would (the main thread waits for the worker with
 * `Atomics.wait`, at most {@link SETUP_WAIT_MS}), so no event after the call
 * is missed; `close()` never blocks and ends the iteration.
 *
 * Not guaranteed: a worker stuck for good keeps its thread (and about 8 MB,
 * measured) until the process exits, and delivers nothing more. A worker that
 * cannot start within {@link SETUP_WAIT_MS} (a compiled binary built without
 * `--include lib/base/watch_worker.ts`) makes this and every later call watch
 * in-process with `Deno.watchFs`, where a stuck watch blocks `close()` again.
 * Cost: one worker per watch, about 8 MB and 100 ms to start (measured).
 *
 * @module
 */

/** State values of slot 0 of the shared buffer (see `watch_worker.ts`). */
export const WATCH_STATE = { starting: 0, watching: 1, failed: 2 } as const;

/** Bytes before the error message in the shared buffer. */
export const MESSAGE_OFFSET = 8;

/** Room for the error message of a failed set-up. */
const MESSAGE_BYTES = 1024;

/** How long the main thread waits for the worker to set the watch up. */
export const SETUP_WAIT_MS = 5000;

/** One change notification, as `Deno.FsEvent` gives it. */
export interface IsolatedEvent {
  /** The event kind. */
  kind: string;
  /** Absolute paths concerned. */
  paths: string[];
  /** `rescan` when events were dropped. */
  flag?: string;
}

/** A running watch: iterate it for events; `close()` ends it. */
export interface IsolatedWatch extends AsyncIterable<IsolatedEvent> {
  /** Stops the watch at once (terminates its worker); the iteration ends. */
  close(): void;
}

/** Set once a worker did not start: every later watch is in-process. */
let workersBroken = false;

/** A watch in this thread, with the same interface (the fallback). */
function watchInProcess(root: string): IsolatedWatch {
  const watcher = Deno.watchFs(root, { recursive: true });
  return {
    close: () => watcher.close(),
    async *[Symbol.asyncIterator]() {
      for await (const event of watcher) {
        yield { kind: event.kind, paths: event.paths, ...(event.flag ? { flag: event.flag } : {}) };
      }
    },
  };
}

/**
 * Watches `root` recursively from a worker.
 *
 * @throws Error with `Deno.watchFs`'s message when the watch cannot be set up
 *   (the inotify limit, a missing folder), or when the worker did not start in time.
 */
export function watchIsolated(root: string): IsolatedWatch {
  if (workersBroken) return watchInProcess(root);
  const worker = new Worker(new URL("./watch_worker.ts", import.meta.url).href, {
    type: "module",
    name: "backup-watch",
  });
  const queue: IsolatedEvent[] = [];
  let ended = false;
  let closed = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const settle = () => {
    wake?.();
    wake = null;
  };
  worker.onmessage = (message: MessageEvent) => {
    const data = message.data as { type: string; message?: string } & IsolatedEvent;
    if (data.type === "event") {
      queue.push({ kind: data.kind, paths: data.paths, ...(data.flag ? { flag: data.flag } : {}) });
    } else if (data.type === "error") failure ??= new Error(data.message);
    else ended = true;
    settle();
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // a worker's error must not end the process
    failure ??= new Error(`the file watcher's worker failed: ${event.message}`);
    settle();
  };
  const shared = new SharedArrayBuffer(MESSAGE_OFFSET + MESSAGE_BYTES);
  const flags = new Int32Array(shared, 0, 2);
  worker.postMessage({ root, shared });
  Atomics.wait(flags, 0, WATCH_STATE.starting, SETUP_WAIT_MS);
  const state = Atomics.load(flags, 0);
  if (state !== WATCH_STATE.watching) {
    worker.terminate();
    if (state === WATCH_STATE.failed) {
      const length = Atomics.load(flags, 1);
      // Copied out of the shared buffer: TextDecoder does not read shared memory.
      const bytes = new Uint8Array(shared, MESSAGE_OFFSET, length).slice();
      throw new Error(new TextDecoder().decode(bytes));
    }
    workersBroken = true;
    throw new Error(
      `the file watcher's worker did not start within ${
        SETUP_WAIT_MS / 1000
      } s; watching in-process from now on`,
    );
  }
  return {
    close: () => {
      if (closed) return;
      closed = true;
      worker.terminate();
      settle();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (closed) return;
        if (ended) {
          worker.terminate();
          return;
        }
        if (failure !== null) {
          worker.terminate();
          throw failure;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
