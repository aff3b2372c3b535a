/**
 * The dependencies of a `journal` sub-command for in-process tests: the real
 * file system, and every output line captured.
 *
 * @module
 */

import { DenoFileSystem } from "../lib/base/fs.ts";
import { jobLoggers } from "../lib/cli/jobs.ts";
import type { JournalDeps } from "../lib/cli/journal_common.ts";

/** Journal command dependencies whose output lines land in `lines`. */
export function capturingDeps(lines: string[]): JournalDeps {
  return {
    fs: new DenoFileSystem(),
    cwd: "/",
    out: (line) => lines.push(line),
    logs: jobLoggers("test"),
    signal: new AbortController().signal,
    startLogging: () => Promise.resolve(),
  };
}
