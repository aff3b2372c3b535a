/**
 * Start-up replay benchmark: writes a journal of N records (default
 * 1,000,000) the way the daemon does (batches of 256 copy intents, then their
 * 256 `done` records, with hashes), then times `replayJournal()` on it, and
 * again after a compaction (checkpoint + an empty segment).
 *
 *     deno task bench:replay [--records 1000000] [--json]
 *
 * Prints one line per measurement (or one JSON object with --json).
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { DenoFileSystem } from "../lib/base/fs.ts";
import { JournalWriter } from "../lib/journal/writer.ts";
import { replayJournal } from "../lib/journal/replay.ts";
import { compactJournal, journalUsage } from "../lib/journal/compact.ts";
import type { Unstamped } from "../lib/journal/record.ts";

const args = parseArgs({
  args: Deno.args.filter((a) => a !== "--"),
  options: { records: { type: "string" }, json: { type: "boolean" }, keep: { type: "boolean" } },
});
const N = Number(args.values.records ?? 1_000_000);
const BATCH = 256;
const fs = new DenoFileSystem();
const root = await Deno.makeTempDir({ prefix: "backup-bench-replay-" });
const dir = `${root}/journal`;

/** CPU time of this process so far (user + system, all threads), in ms: a figure the load of a shared machine does not inflate as it does wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

try {
  // 1. Write the journal: about N records (headers aside), files spread over 1000 folders.
  const t0 = performance.now();
  const w = await JournalWriter.open(fs, dir, { source: "/home/user/Documents" });
  let file = 0;
  while (w.lastSeq < N) {
    const n = Math.min(BATCH, Math.floor((N - w.lastSeq) / 2) || 1);
    const intents: Unstamped[] = [];
    for (let i = 0; i < n; i++, file++) {
      intents.push({
        type: "intent",
        op: "copy",
        path: `folder-${file % 1000}/sub/file-${file}.txt`,
        kind: "file",
        size: 1000 + (file % 5000),
        mtime: 1_760_000_000_000 + file,
        mode: 0o644,
        ino: 1_000_000 + file,
        reason: "scan",
      });
    }
    const written = await w.append(intents);
    await w.append(written.map((r) => ({
      type: "done",
      ref: r.seq,
      hash: hex(r.seq, 32),
      bytes: 1000 + (r.seq % 5000),
    })));
  }
  await w.close();
  const writeMs = performance.now() - t0;
  const usage = journalUsage(fs, dir);

  // 2. Replay it (read-only, as `journal verify` and start-up do).
  const rssBefore = Deno.memoryUsage().rss;
  const t1 = performance.now();
  const u1 = cpuMs();
  const r = replayJournal(fs, dir, { repair: false });
  const replayCpuMs = cpuMs() - u1;
  const replayMs = performance.now() - t1;
  const rssAfter = Deno.memoryUsage().rss;

  // 3. Compact, then replay from the checkpoint.
  const w2 = await JournalWriter.open(fs, dir, {
    source: "/home/user/Documents",
    lastSeq: r.summary.lastSeq,
    lastSegment: { name: r.summary.segments.at(-1)!, bytes: r.summary.lastSegmentBytes },
  });
  const t2 = performance.now();
  const c = await compactJournal(fs, dir, w2, r.state, { source: "/home/user/Documents" });
  const compactMs = performance.now() - t2;
  await w2.close();
  const t3 = performance.now();
  const u3 = cpuMs();
  const r2 = replayJournal(fs, dir, { repair: false });
  const cpReplayCpuMs = cpuMs() - u3;
  const cpReplayMs = performance.now() - t3;
  if (r2.state.entries.size !== r.state.entries.size) throw new Error("checkpoint lost entries");

  const result = {
    records: r.summary.records,
    entries: r.state.entries.size,
    journalBytes: usage.totalBytes,
    segments: usage.segments,
    writeMs: Math.round(writeMs),
    replayMs: Math.round(replayMs),
    replayCpuMs: Math.round(replayCpuMs),
    recordsPerSecond: Math.round(r.summary.records / (replayMs / 1000)),
    rssGrowthMB: Math.round((rssAfter - rssBefore) / 1e6),
    compactMs: Math.round(compactMs),
    checkpointBytes: c.checkpoint.bytes,
    checkpointReplayMs: Math.round(cpReplayMs),
    checkpointReplayCpuMs: Math.round(cpReplayCpuMs),
    deno: Deno.version.deno,
  };
  if (args.values.json) {
    // deno-lint-ignore no-console
    console.log(JSON.stringify(result));
  } else {
    const mb = (b: number) => (b / 1e6).toFixed(1) + " MB";
    const lines = [
      `journal: ${result.records} records, ${result.entries} entries, ${
        mb(result.journalBytes)
      } in ${result.segments} segments (written in ${result.writeMs} ms)`,
      `replay:  ${result.replayMs} ms (${result.recordsPerSecond} records/s; CPU ${result.replayCpuMs} ms), RSS +${result.rssGrowthMB} MB`,
      `compact: ${result.compactMs} ms, checkpoint ${mb(result.checkpointBytes)}`,
      `replay from the checkpoint: ${result.checkpointReplayMs} ms (CPU ${result.checkpointReplayCpuMs} ms)`,
    ];
    // deno-lint-ignore no-console
    for (const l of lines) console.log(l);
  }
} finally {
  if (!args.values.keep) await Deno.remove(root, { recursive: true });
}
