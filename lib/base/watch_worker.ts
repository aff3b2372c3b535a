/**
 * The body of the worker that holds one `Deno.watchFs` (see `watch_isolated.ts`
 * for why it lives in a worker). Protocol:
 *
 * 1. The parent posts `{ root, shared }`; `shared` is a `SharedArrayBuffer`
 *    read as an `Int32Array`: slot 0 is the state (0 starting, 1 watching, 2
 *    failed), slot 1 the byte length of the error message that follows from
 *    byte 8. The worker sets them and wakes the parent (`Atomics.notify`),
 *    which waits synchronously, so a watch that cannot be set up fails at once
 *    as `Deno.watchFs` does.
 * 2. Then one message per event: `{ type: "event", kind, paths, flag? }`;
 *    `{ type: "error", message }` when the watch fails, `{ type: "end" }` when
 *    it ends by itself. The parent ends the watch by terminating the worker.
 *
 * Only ever loaded as a worker: importing it elsewhere would listen for messages on that scope.
 *
 * @module
 */

import { MESSAGE_OFFSET, WATCH_STATE } from "./watch_isolated.ts";

/** What this worker may call on its global scope (typed here, so the file checks with the window's types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void, options?: {
    once?: boolean;
  }): void;
}

const scope = globalThis as unknown as WorkerScope;

function fail(shared: SharedArrayBuffer, err: unknown): void {
  const flags = new Int32Array(shared, 0, 2);
  const room = new Uint8Array(shared, MESSAGE_OFFSET);
  const text = new TextEncoder().encode(err instanceof Error ? err.message : String(err));
  const length = Math.min(text.length, room.length);
  room.set(text.subarray(0, length));
  Atomics.store(flags, 1, length);
  Atomics.store(flags, 0, WATCH_STATE.failed);
  Atomics.notify(flags, 0);
}

async function run(root: string, shared: SharedArrayBuffer): Promise<void> {
  const flags = new Int32Array(shared, 0, 2);
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(root, { recursive: true });
  } catch (err) {
    fail(shared, err);
    return;
  }
  Atomics.store(flags, 0, WATCH_STATE.watching);
  Atomics.notify(flags, 0);
  try {
    for await (const event of watcher) {
      scope.postMessage({
        type: "event",
        kind: event.kind,
        paths: event.paths,
        ...(event.flag ? { flag: event.flag } : {}),
      });
    }
    scope.postMessage({ type: "end" });
  } catch (err) {
    scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
}

scope.addEventListener("message", (event: MessageEvent) => {
  const { root, shared } = event.data as { root: string; shared: SharedArrayBuffer };
  void run(root, shared);
}, { once: true });
