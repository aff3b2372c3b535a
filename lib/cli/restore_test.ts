import {
  assert,
  assertEquals,
  assertIncludes,
  assertRejects,
  assertThrows,
} from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { EXIT, UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import type { Unstamped } from "../journal/record.ts";
import { journalDir } from "../base/layout.ts";
import { JournalWriter } from "../journal/writer.ts";
import { parseRestoreArgs, type RestoreOptions, runRestore } from "./restore.ts";

const real = new DenoFileSystem();
const MTIME = Date.UTC(2023, 0, 2, 3, 4, 5);

/**
 * A mirror in `dest` as a backup leaves it: docs/ with a.txt and b.txt, and the journal of the
 * mkdir and the two copies, with their hashes.
 */
async function mirror(dest: string): Promise<void> {
  put(`${dest}/docs/a.txt`, "alpha");
  put(`${dest}/docs/b.txt`, "bravo!");
  Deno.chmodSync(`${dest}/docs/a.txt`, 0o640);
  const hasher = await createHasher();
  const records: Unstamped[] = [
    {
      type: "intent",
      op: "mkdir",
      path: "docs",
      kind: "dir",
      mode: 0o750,
      mtime: MTIME,
      reason: "scan",
    },
  ];
  const hashes: string[] = [];
  for (const [name, size, mode] of [["a.txt", 5, 0o640], ["b.txt", 6, 0o644]] as const) {
    const abs = `${dest}/docs/${name}`;
    Deno.utimeSync(abs, MTIME / 1000, MTIME / 1000);
    hashes.push((await hashFile(real, abs, hasher)).hash);
    records.push({
      type: "intent",
      op: "copy",
      path: `docs/${name}`,
      kind: "file",
      size,
      mtime: MTIME,
      mode,
      ino: 1,
      reason: "scan",
    });
  }
  const w = await JournalWriter.open(real, journalDir(dest), { source: "/data/src" });
  const intents = await w.append(records);
  await w.append([
    { type: "done", ref: intents[0]!.seq },
    { type: "done", ref: intents[1]!.seq, hash: hashes[0]! },
    { type: "done", ref: intents[2]!.seq, hash: hashes[1]! },
  ]);
  await w.close();
}

function restore(over: Partial<RestoreOptions> & { dest: string; to: string }) {
  const lines: string[] = [];
  const opts: RestoreOptions = { path: "docs", at: null, verbose: false, ...over };
  return runRestore(opts, { fs: real, cwd: "/", out: (l) => lines.push(l) })
    .then((code) => ({ code, lines }));
}

Deno.test("parseRestoreArgs needs --dest, one PATH and --to", () => {
  assertEquals(
    parseRestoreArgs(["--dest", "b", "docs", "--to", "out", "--at", "2h", "--verbose"]),
    {
      dest: "b",
      path: "docs",
      at: "2h",
      to: "out",
      verbose: true,
    },
  );
  assertEquals(parseRestoreArgs(["--dest", "b", "docs", "--to", "out"]).at, null);
  assertThrows(() => parseRestoreArgs(["docs", "--to", "o"]), UsageError, "missing --dest DIR");
  assertThrows(() => parseRestoreArgs(["--dest", "b", "--to", "o"]), UsageError, "missing PATH");
  assertThrows(
    () => parseRestoreArgs(["--dest", "b", "x", "y", "--to", "o"]),
    UsageError,
    "one PATH only, not 2",
  );
  assertThrows(() => parseRestoreArgs(["--dest", "b", "x"]), UsageError, "missing --to OUT");
});

Deno.test("runRestore brings back a folder with its files' content, modes and times", async () => {
  await using tmp = await tempDir();
  const dest = `${tmp.path}/backup`;
  await mirror(dest);
  const { code, lines } = await restore({ dest, to: `${tmp.path}/out`, verbose: true });
  assertEquals(code, EXIT.OK);
  assertEquals(lines.slice(0, 2), [
    "restored docs/a.txt (from mirror)",
    "restored docs/b.txt (from mirror)",
  ]);
  assertIncludes(lines[2]!, `restored 2 files, 1 folder, 0 symlinks of "docs" as of `);
  assertIncludes(lines[2]!, `into ${tmp.path}/out/docs`);
  assertEquals(Deno.readTextFileSync(`${tmp.path}/out/docs/a.txt`), "alpha");
  assertEquals(Deno.readTextFileSync(`${tmp.path}/out/docs/b.txt`), "bravo!");
  const file = Deno.statSync(`${tmp.path}/out/docs/a.txt`);
  assertEquals([file.mode! & 0o777, file.mtime?.getTime()], [0o640, MTIME]);
  const folder = Deno.statSync(`${tmp.path}/out/docs`);
  assertEquals([folder.mode! & 0o777, folder.mtime?.getTime()], [0o750, MTIME]);
  assertEquals(Deno.readTextFileSync(`${dest}/docs/a.txt`), "alpha", "the mirror is untouched");
});

Deno.test("runRestore of one file puts it under its own name in --to", async () => {
  await using tmp = await tempDir();
  const dest = `${tmp.path}/backup`;
  await mirror(dest);
  const { code } = await restore({ dest, path: "./docs/a.txt", to: `${tmp.path}/out` });
  assertEquals(code, EXIT.OK);
  assertEquals([...Deno.readDirSync(`${tmp.path}/out`)].map((e) => e.name), ["a.txt"]);
  assertEquals(Deno.readTextFileSync(`${tmp.path}/out/a.txt`), "alpha");
});

Deno.test("runRestore exits 6 for a file whose content is no longer kept, and writes no wrong bytes", async () => {
  await using tmp = await tempDir();
  const dest = `${tmp.path}/backup`;
  await mirror(dest);
  Deno.writeTextFileSync(`${dest}/docs/b.txt`, "BRAVO!"); // same size, other bytes, no version
  const { code, lines } = await restore({ dest, to: `${tmp.path}/out` });
  assertEquals(code, EXIT.PARTIAL);
  assertIncludes(lines.at(-1)!, "could not restore 1 file: their content at ");
  assertIncludes(lines.at(-1)!, "docs/b.txt");
  assertEquals(Deno.readTextFileSync(`${tmp.path}/out/docs/a.txt`), "alpha");
  assertEquals([...Deno.readDirSync(`${tmp.path}/out/docs`)].map((e) => e.name), ["a.txt"]);
});

Deno.test("runRestore refuses an unknown or unsafe PATH, an output inside the backup, and overwriting", async () => {
  await using tmp = await tempDir();
  const dest = `${tmp.path}/backup`;
  await mirror(dest);
  const out = `${tmp.path}/out`;
  await assertRejects(
    () => restore({ dest, path: "nothing", to: out }),
    UsageError,
    `"nothing" was not in the backup at `,
  );
  await assertRejects(
    () => restore({ dest, path: "../etc", to: out }),
    UsageError,
    `PATH "../etc" must be a path inside the backup`,
  );
  await assertRejects(
    () => restore({ dest, to: `${dest}/restored` }),
    UsageError,
    "is inside the backup",
  );
  Deno.symlinkSync(dest, `${tmp.path}/sneaky`);
  await assertRejects(
    () => restore({ dest, to: `${tmp.path}/sneaky/restored` }),
    UsageError,
    "is inside the backup",
  );
  put(`${out}/docs/mine.txt`, "keep me");
  await assertRejects(
    () => restore({ dest, to: out }),
    UsageError,
    `${out}/docs exists; nothing is overwritten`,
  );
  assertEquals(Deno.readTextFileSync(`${out}/docs/mine.txt`), "keep me");
  put(`${tmp.path}/file`, "x");
  await assertRejects(
    () => restore({ dest, to: `${tmp.path}/file` }),
    UsageError,
    "must be a folder",
  );
  assert(![...Deno.readDirSync(dest)].some((e) => e.name === "restored"));
});
