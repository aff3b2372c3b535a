/**
 * Test helper, run as a Worker by `beneath_test.ts`: swaps two entries with
 * `renameat2(RENAME_EXCHANGE)` in a tight loop, so that a path component
 * flips between a real folder and a symlink out of the root while the test
 * operates beneath the root. Message in: `{ first, second, durationMs }`;
 * messages out: `"started"`, then `{ swaps }` once the two are back in place.
 *
 * @module
 */

import { AT } from "../constants.ts";
import { cString, libc } from "../libc.ts";

const RENAME_EXCHANGE = 2;

/** What the test sends. */
interface Job {
  first: string;
  second: string;
  durationMs: number;
}

const worker = globalThis as unknown as {
  addEventListener(type: "message", listener: (event: MessageEvent<Job>) => void): void;
  postMessage(message: unknown): void;
};

worker.addEventListener("message", (event) => {
  const { first, second, durationMs } = event.data;
  const firstPath = cString(first);
  const secondPath = cString(second);
  const exchange = () =>
    libc().renameat2(AT.FDCWD, firstPath, AT.FDCWD, secondPath, RENAME_EXCHANGE) === 0;
  worker.postMessage("started");
  const end = performance.now() + durationMs;
  let swaps = 0;
  while (performance.now() < end) if (exchange()) swaps++;
  if (swaps % 2 === 1 && exchange()) swaps++;
  worker.postMessage({ swaps });
});
