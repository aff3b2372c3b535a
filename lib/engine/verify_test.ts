import { assert, assertEquals } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { createHasher, hashFile } from "../base/hash.ts";
import { LocalDestination } from "../dest/local.ts";
import type { StateEntry } from "../journal/state.ts";
import { filesToVerify, isVerifiable, Verifier } from "./verify.ts";

const fs = new DenoFileSystem();
const MTIME = 1_600_000_000_000;

/** A source and its mirror holding `files`, and state entries as a copy would record them. */
async function mirrored(root: string, files: Record<string, string>) {
  const src = `${root}/src`;
  const dest = `${root}/dest`;
  const hasher = await createHasher();
  const entries = new Map<string, StateEntry & { hash: string }>();
  for (const [path, text] of Object.entries(files)) {
    for (const side of [src, dest]) {
      put(`${side}/${path}`, text);
      Deno.utimeSync(`${side}/${path}`, MTIME / 1000, MTIME / 1000);
    }
    const { hash, size } = await hashFile(fs, `${src}/${path}`, hasher);
    entries.set(path, { kind: "file", size, mtimeMs: MTIME, mode: 0o644, ino: 1, hash });
  }
  return { src, dest, entries };
}

/** Overwrites `path` with `text` (same length) and puts the old mtime back. */
function tamper(path: string, text: string): void {
  Deno.writeTextFileSync(path, text);
  Deno.utimeSync(path, MTIME / 1000, MTIME / 1000);
}

Deno.test("Verifier: tells a damaged backup, a changed source and a missing copy apart", async () => {
  await using t = await tempDir();
  const { src, dest, entries } = await mirrored(t.path, {
    "ok.txt": "fine\n",
    "rot.txt": "rotten?\n",
    "src.txt": "source\n",
    "both.txt": "twice!\n",
    "gone.txt": "gone\n",
    "newer.txt": "newer\n",
  });
  tamper(`${dest}/rot.txt`, "rotteN?\n");
  tamper(`${src}/src.txt`, "sourcE\n");
  tamper(`${dest}/both.txt`, "twicE!\n");
  tamper(`${src}/both.txt`, "Twice!\n");
  Deno.removeSync(`${dest}/gone.txt`);
  tamper(`${dest}/newer.txt`, "neweR\n");
  Deno.utimeSync(`${src}/newer.txt`, MTIME / 1000 + 60, MTIME / 1000 + 60);
  const destination = new LocalDestination(fs, dest);
  const verifier = new Verifier({ fs, destination, source: src, hasher: await createHasher() });
  try {
    const check = async (path: string) => (await verifier.check(path, entries.get(path)!)).finding;
    assertEquals(await check("ok.txt"), null);
    const rot = (await check("rot.txt"))!;
    assertEquals([rot.problem, rot.wrong, rot.source, rot.repairable], [
      "damaged",
      "destination",
      "same",
      true,
    ]);
    assertEquals(rot.sourceHash, rot.expected);
    const source = (await check("src.txt"))!;
    assertEquals([source.problem, source.wrong, source.repairable], [
      "source-differs",
      "source",
      false,
    ]);
    assertEquals(source.found, source.expected);
    const both = (await check("both.txt"))!;
    assertEquals([both.wrong, both.repairable], ["both", false]);
    const gone = (await check("gone.txt"))!;
    assertEquals([gone.problem, gone.found], ["missing", null]);
    const newer = (await check("newer.txt"))!;
    assertEquals([newer.problem, newer.source, newer.repairable], ["damaged", "changed", false]);
  } finally {
    destination.close();
  }
});

Deno.test("Verifier: without a source, the backup is checked against the journal alone", async () => {
  await using t = await tempDir();
  const { dest, entries } = await mirrored(t.path, { "a.txt": "alpha\n" });
  tamper(`${dest}/a.txt`, "alphA\n");
  const destination = new LocalDestination(fs, dest);
  try {
    const verifier = new Verifier({ fs, destination, source: null, hasher: await createHasher() });
    const { finding, bytes } = await verifier.check("a.txt", entries.get("a.txt")!);
    assertEquals(bytes, 6);
    assertEquals([finding!.problem, finding!.source, finding!.repairable], [
      "damaged",
      "not-compared",
      false,
    ]);
  } finally {
    destination.close();
  }
});

Deno.test("filesToVerify: verifiable files only, sorted, busy paths left out, sampled", () => {
  const file = (hash?: string): StateEntry => ({
    kind: "file",
    size: 1,
    mtimeMs: 0,
    mode: 0o644,
    ino: 0,
    ...(hash ? { hash } : {}),
  });
  const entries = new Map<string, StateEntry>([
    ["c", file("h")],
    ["a", file("h")],
    ["dir", { kind: "dir", size: 0, mtimeMs: 0, mode: 0o755, ino: 0 }],
    ["nohash", file()],
    ["busy", file("h")],
  ]);
  for (let i = 0; i < 20; i++) entries.set(`f${String(i).padStart(2, "0")}`, file("h"));
  assert(!isVerifiable(entries.get("nohash")!));
  const all = filesToVerify(entries, { busy: new Set(["busy"]) }).map(([p]) => p);
  assertEquals(all.length, 22);
  assertEquals(all.slice(0, 3), ["a", "c", "f00"]);
  const sample = filesToVerify(entries, { percent: 10, random: () => 0.5 }).map(([p]) => p);
  assertEquals(sample.length, 2);
  assertEquals(sample, [...sample].sort());
  assertEquals(filesToVerify(entries, { percent: 0.1 }).length, 1, "at least one file");
});
