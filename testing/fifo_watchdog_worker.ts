/**
 * The worker of `fifo_watchdog.ts`: from `afterMs` on, every 200 ms, opens
 * each FIFO for writing without blocking. That succeeds only while a reader
 * has it open, i.e. while the test's main thread is stuck in a blocking open
 * of it; the writer's open lets that open return, and its close gives the
 * reader end-of-file. Messages in: `{ fifos, afterMs }`, then `"report"`;
 * out: `{ unblocked }`, the FIFOs it had to unblock.
 *
 * @module
 */

import * as nodeFs from "node:fs";

const worker = globalThis as unknown as {
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  postMessage(message: unknown): void;
};

const unblocked = new Set<string>();
const FLAGS = nodeFs.constants.O_WRONLY | nodeFs.constants.O_NONBLOCK;

function poll(fifos: string[]): void {
  for (const fifo of fifos) {
    try {
      nodeFs.closeSync(nodeFs.openSync(fifo, FLAGS));
      unblocked.add(fifo);
    } catch { /* ENXIO: nobody is waiting on it; ENOENT: gone */ }
  }
  setTimeout(() => poll(fifos), 200);
}

worker.addEventListener("message", (event) => {
  if (event.data === "report") {
    worker.postMessage({ unblocked: [...unblocked] });
    return;
  }
  const { fifos, afterMs } = event.data as { fifos: string[]; afterMs: number };
  setTimeout(() => poll(fifos), afterMs);
});
