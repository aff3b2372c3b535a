/**
 * Test helper, run as a subprocess by `source_open_test.ts` (so that an open
 * that blocks on a FIFO is killed by a deadline instead of hanging the test),
 * with or without `--allow-ffi`: for each absolute path given, opens it with
 * `DenoFileSystem.openSource`, reads it all (synchronously, then again through
 * a second open with the async `read`) and prints one JSON object:
 * `{ fallback, results: { path: outcome } }` where an outcome is
 * `file:<bytes read sync>:<bytes read async>:<stat matches lstat>`,
 * `refused:<found>` or `error:<class name>`.
 *
 * @module
 */

import { DenoFileSystem, isNotRegularFile } from "../fs.ts";
import { sourceOpenFallbackReason } from "../source_open.ts";

const fs = new DenoFileSystem();

function readAllSync(path: string): number {
  const file = fs.openSource(path);
  try {
    const buffer = new Uint8Array(64 * 1024);
    let total = 0;
    for (let count = file.readSync(buffer); count !== null; count = file.readSync(buffer)) {
      total += count;
    }
    return total;
  } finally {
    file.close();
  }
}

async function readAllAsync(path: string): Promise<{ bytes: number; statMatches: boolean }> {
  const file = fs.openSource(path);
  try {
    const info = file.stat();
    const seen = fs.lstat(path);
    const statMatches = info.kind === seen.kind && info.size === seen.size &&
      info.mtimeMs === seen.mtimeMs && info.ino === seen.ino && info.dev === seen.dev &&
      info.mode === seen.mode && info.ctimeMs === seen.ctimeMs;
    const buffer = new Uint8Array(100_000);
    let total = 0;
    for (let count = await file.read(buffer); count !== null; count = await file.read(buffer)) {
      total += count;
    }
    return { bytes: total, statMatches };
  } finally {
    file.close();
  }
}

const results: Record<string, string> = {};
for (const path of Deno.args) {
  try {
    const sync = readAllSync(path);
    const { bytes, statMatches } = await readAllAsync(path);
    results[path] = `file:${sync}:${bytes}:${statMatches}`;
  } catch (err) {
    results[path] = isNotRegularFile(err)
      ? `refused:${err.found}`
      : `error:${err instanceof Error ? err.constructor.name : String(err)}`;
  }
}
const report = { fallback: sourceOpenFallbackReason(), results };
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(report)));
