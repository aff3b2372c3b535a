/**
 * Test helper, run as a subprocess by `source_test.ts` (so that a call that
 * blocks can be killed by a deadline): for each name under the root given
 * first (or each absolute name), tries `openSourceFile`,
 * `readSmallRegularFile` (cap 16 bytes) and `Beneath.openRead`, and prints
 * one JSON object: `{ available, reason, results: { name: { source, small,
 * beneath } } }`.
 *
 * @module
 */

import { Beneath } from "../beneath.ts";
import { errorCode } from "../errno.ts";
import { nativeAvailable, nativeUnavailableReason } from "../libc.ts";
import type { RegularOpen } from "../regular.ts";
import { openSourceFile, readSmallRegularFile } from "../source.ts";

function outcome(run: () => string): string {
  try {
    return run();
  } catch (err) {
    return `error:${errorCode(err) ?? String(err)}`;
  }
}

function describeOpen(opened: RegularOpen): string {
  if (!opened.ok) return `refused:${opened.refused}`;
  opened.file.close();
  return `file:${opened.info.size}`;
}

const [root = ".", ...names] = Deno.args;
const available = nativeAvailable();
const results: Record<string, { source: string; small: string; beneath: string }> = {};
if (available) {
  const pinned = Beneath.open(root);
  for (const name of names) {
    const abs = name.startsWith("/") ? name : `${root}/${name}`;
    results[name] = {
      source: outcome(() => describeOpen(openSourceFile(abs))),
      small: outcome(() => {
        const read = readSmallRegularFile(abs, 16);
        return read.ok ? `bytes:${read.bytes.length}:${read.truncated}` : `refused:${read.refused}`;
      }),
      beneath: outcome(() => describeOpen(pinned.openRead(name))),
    };
  }
  pinned.close();
}
const report = { available, reason: nativeUnavailableReason(), results };
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report)));
