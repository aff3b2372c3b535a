/**
 * A guard for tests that put a FIFO where the code under test must never
 * wait on it: if the test's own thread blocks opening it (the bug), a worker
 * thread opens it for writing after a deadline, so the test goes on and fails
 * on {@link FifoWatchdog.unblocked} instead of hanging the whole run.
 *
 * @module
 */

/** A running watchdog. */
export interface FifoWatchdog {
  /** Stops it; resolves to the FIFOs it had to unblock (empty when nothing waited on one). */
  stop(): Promise<string[]>;
}

/** Starts watching `fifos` (absolute paths, which may not exist yet) from `afterMs` on. */
export function fifoWatchdog(fifos: string[], afterMs = 5_000): FifoWatchdog {
  const worker = new Worker(new URL("./fifo_watchdog_worker.ts", import.meta.url), {
    type: "module",
  });
  worker.postMessage({ fifos, afterMs });
  return {
    stop: () =>
      new Promise((resolve) => {
        worker.onmessage = (event: MessageEvent<{ unblocked: string[] }>) => {
          worker.terminate();
          resolve(event.data.unblocked);
        };
        worker.postMessage("report");
      }),
  };
}
