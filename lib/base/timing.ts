/**
 * Waiting that an abort signal can cut short.
 *
 * @module
 */

/**
 * The longest wait a timer can take, in whole seconds (2^31 - 1 ms, about 24.8 days). A longer
 * `setTimeout` fires at once, so settings in seconds that feed timers are refused above this.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
