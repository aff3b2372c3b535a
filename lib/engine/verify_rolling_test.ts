import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import type { Logger } from "../base/logger.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { UsageError } from "../base/errors.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import { LocalDestination } from "../dest/local.ts";
import type { StateEntry } from "../journal/state.ts";
import type { Finding } from "./verify.ts";
import {
  parseVerifyEvery,
  type RollingOptions,
  RollingVerifier,
  SLICE_FILES,
  type VerifyProgress,
} from "./verify_rolling.ts";
import { RESERVED_DIR } from "../base/layout.ts";

const fs = new DenoFileSystem();
const MTIME = 1_600_000_000_000;
const DAY = 86_400_000;

/** A logger that keeps `LEVEL message` lines, the `{name}` placeholders filled in. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Proxy({}, {
    get: (_target, level) => (message: string, props: Record<string, unknown> = {}) => {
      const text = message.replace(/\{(\w+)\}/g, (_, key: string) => String(props[key]));
      lines.push(`${String(level).toUpperCase()} ${text}`);
    },
  }) as Logger;
  return { logger, lines };
}

/**
 * `count` files `f0000`... with the same bytes (`content(i)`) and mtime in `src` and `dest`, a
 * reserved folder in `dest`, and the state's entries for them.
 */
async function twinTrees(
  src: string,
  dest: string,
  count: number,
  content: (i: number) => string,
): Promise<Map<string, StateEntry>> {
  const hasher = await createHasher();
  const entries = new Map<string, StateEntry>();
  for (let i = 0; i < count; i++) {
    const path = `f${String(i).padStart(4, "0")}`;
    for (const side of [src, dest]) {
      put(`${side}/${path}`, content(i));
      Deno.utimeSync(`${side}/${path}`, MTIME / 1000, MTIME / 1000);
    }
    const { hash, size } = await hashFile(fs, `${src}/${path}`, hasher);
    entries.set(path, { kind: "file", size, mtimeMs: MTIME, mode: 0o644, ino: 1, hash });
  }
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`);
  return entries;
}

/** A verifier of {@link twinTrees}' `dest` against `src`, once a day; `rest` fills in the others. */
function verifierOf(
  src: string,
  dest: string,
  destination: LocalDestination,
  entries: Map<string, StateEntry>,
  rest: Pick<RollingOptions, "log" | "onMismatch" | "now"> & Partial<RollingOptions>,
): RollingVerifier {
  return new RollingVerifier({
    periodMs: DAY,
    fs,
    dest,
    destination,
    source: src,
    entries: () => entries,
    ...rest,
  });
}

Deno.test("parseVerifyEvery: a period with a unit, or seconds", () => {
  assertEquals(parseVerifyEvery("30d"), 30 * DAY);
  assertEquals(parseVerifyEvery("12h"), 12 * 3_600_000);
  assertEquals(parseVerifyEvery("1.5m"), 90_000);
  assertEquals(parseVerifyEvery("45"), 45_000);
  for (const bad of ["", "0", "0.2", "d", "2w", "-3d", "3651d"]) {
    assertThrows(() => parseVerifyEvery(bad), UsageError, "--verify-every");
  }
});

Deno.test("RollingVerifier: paced slices, resumed after a restart, mismatches reported", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const count = SLICE_FILES + 44;
  const entries = await twinTrees(src, dest, count, (i) => `file ${i}\n`);
  Deno.writeTextFileSync(`${dest}/f0299`, "file 29X\n"); // same size, other bytes
  Deno.utimeSync(`${dest}/f0299`, MTIME / 1000, MTIME / 1000);

  let now = 1_000_000;
  const found: Finding[] = [];
  const distrusted: string[] = [];
  const { logger, lines } = capture();
  const destination = new LocalDestination(fs, dest);
  const make = () =>
    verifierOf(src, dest, destination, entries, {
      log: logger,
      onMismatch: (f) => found.push(...f),
      distrust: (p) => distrusted.push(...p),
      now: () => now,
    });
  try {
    const first = make();
    assertEquals(first.dueInMs(), 0, "a new round starts at once");
    await first.slice();
    assertEquals(found.length, 0);
    // 256 of 300 files done: the next slice is due when that share of the day has gone.
    const due = first.dueInMs();
    assert(due > 0.8 * DAY && due < 0.9 * DAY, `due in ${due} ms`);
    const saved = JSON.parse(Deno.readTextFileSync(`${dest}/${RESERVED_DIR}/verify.json`));
    assertEquals(saved, { started: 1_000_000, after: `f0255`, mismatches: 0, last: null });

    // A restart resumes after the saved path, in the same round.
    now += DAY;
    const second = make();
    assertEquals(second.dueInMs(), 0);
    await second.slice();
    assertEquals(found.map((f) => f.path), ["f0299"]);
    assertEquals(distrusted, ["f0299"], "damaged with a good source: the next pass recopies it");
    assert(
      lines.some((l) => l.startsWith(`ERROR VERIFY ROUND DONE: ${count} files`)),
      lines.join("\n"),
    );
    assertEquals(lines.filter((l) => l.includes("VERIFY ROUND STARTED")).length, 1);
    // The next round starts one period after this one started: now, since it ran late (after
    // the rest that follows each slice, a few times what the slice took).
    assert(second.dueInMs() < 60_000, `due in ${second.dueInMs()} ms`);
    now += 60_000;
    now += DAY / 2;
    await second.slice();
    assertEquals(second.dueInMs() > 0, true);
  } finally {
    destination.close();
  }
});

Deno.test("RollingVerifier: progress of the round, the last round kept across a restart", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  const count = SLICE_FILES + 4;
  const entries = await twinTrees(src, dest, count, () => "ten bytes\n");
  let now = Date.UTC(2026, 0, 1);
  const seen: VerifyProgress[] = [];
  const destination = new LocalDestination(fs, dest);
  const make = () =>
    verifierOf(src, dest, destination, entries, {
      log: capture().logger,
      onMismatch: () => {},
      onProgress: (p) => seen.push(p),
      now: () => now,
    });
  try {
    const first = make();
    assertEquals(seen.at(-1), {
      periodMs: DAY,
      round: null,
      nextRoundAt: "2026-01-01T00:00:00.000Z",
      lastRound: null,
    });
    await first.slice();
    assertEquals(seen.at(-1)!.round, {
      startedAt: "2026-01-01T00:00:00.000Z",
      dueAt: "2026-01-02T00:00:00.000Z",
      files: SLICE_FILES,
      totalFiles: count,
      bytes: SLICE_FILES * 10,
      totalBytes: count * 10,
      mismatches: 0,
    });
    // A restart shows the half-done round before its next slice.
    const second = make();
    assertEquals(seen.at(-1)!.round?.files, SLICE_FILES);
    now += DAY;
    await second.slice();
    const done = seen.at(-1)!;
    assertEquals(done.round, null);
    assertEquals(done.lastRound, {
      endedAt: "2026-01-02T00:00:00.000Z",
      files: count,
      bytes: count * 10,
      mismatches: 0,
    });
    assertEquals(done.nextRoundAt, "2026-01-02T00:00:00.000Z");
    make();
    assertEquals(seen.at(-1)!.lastRound?.files, count, "the last round is read back");
  } finally {
    destination.close();
  }
});
