/**
 * The destination seam holds: a reconciler whose file system may not touch the
 * mirror (nor the versions folder) still mirrors the source, because every
 * scan, read and write of the destination goes through its `Destination`.
 * A recording wrapper around `LocalDestination` sees each of those calls.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import { assertMirror, put, tempDir } from "../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem, type Kind } from "../lib/base/fs.ts";
import { type FaultPoint, FaultyFileSystem } from "../testing/fault_fs.ts";
import type {
  Destination,
  DestinationReader,
  FileMeta,
  ListOptions,
  MetaChange,
  StagedEntry,
  StagedFile,
} from "../lib/dest/destination.ts";
import type { Entry, ScanResult } from "../lib/base/scan.ts";
import { LocalDestination } from "../lib/dest/local.ts";
import { Reconciler } from "../lib/engine/reconciler.ts";
import { parseKeepVersions } from "../lib/engine/versions.ts";
import { RESERVED_DIR, tempName } from "../lib/base/layout.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

/** Every call of the port, for the fence. */
const POINTS: FaultPoint[] = [
  "lstat",
  "readDir",
  "readLink",
  "realPath",
  "mkdir",
  "chmod",
  "utime",
  "lutime",
  "symlink",
  "rename",
  "remove",
  "open",
  "syncDir",
  "readFile",
  "watch",
];

/** A Destination that records each call (`method path`) and hands it to another. */
class RecordingDestination implements Destination {
  readonly calls: string[] = [];
  readonly #inner: Destination;

  constructor(inner: Destination) {
    this.#inner = inner;
  }

  get capabilities() {
    return this.#inner.capabilities;
  }

  get location(): string {
    return this.#inner.location;
  }

  list(options: ListOptions = {}): Promise<ScanResult> {
    this.calls.push(`list ${options.under ?? ""}`);
    return this.#inner.list(options);
  }

  stat(rel: string): Promise<Entry> {
    this.calls.push(`stat ${rel}`);
    return this.#inner.stat(rel);
  }

  openFile(rel: string): Promise<DestinationReader> {
    this.calls.push(`openFile ${rel}`);
    return this.#inner.openFile(rel);
  }

  async stageFile(rel: string, options: { size: number }): Promise<StagedFile> {
    this.calls.push(`stageFile ${rel}`);
    const staged = await this.#inner.stageFile(rel, options);
    return {
      write: (data: Uint8Array) => staged.write(data),
      seal: (meta: FileMeta) => staged.seal(meta),
      sync: () => staged.sync(),
      ...this.#recorded(rel, staged),
    };
  }

  async stageSymlink(rel: string, target: string, mtimeMs: number): Promise<StagedEntry> {
    this.calls.push(`stageSymlink ${rel}`);
    return this.#recorded(rel, await this.#inner.stageSymlink(rel, target, mtimeMs));
  }

  #recorded(rel: string, staged: StagedEntry): StagedEntry {
    return {
      commit: () => {
        this.calls.push(`commit ${rel}`);
        return staged.commit();
      },
      discard: () => {
        this.calls.push(`discard ${rel}`);
        return staged.discard();
      },
    };
  }

  rename(from: string, to: string): Promise<void> {
    this.calls.push(`rename ${from} ${to}`);
    return this.#inner.rename(from, to);
  }

  remove(rel: string): Promise<void> {
    this.calls.push(`remove ${rel}`);
    return this.#inner.remove(rel);
  }

  mkdir(rel: string, mode: number): Promise<void> {
    this.calls.push(`mkdir ${rel}`);
    return this.#inner.mkdir(rel, mode);
  }

  setMeta(rel: string, kind: Kind, change: MetaChange): Promise<void> {
    this.calls.push(`setMeta ${rel}`);
    return this.#inner.setMeta(rel, kind, change);
  }

  sync(folder: string): Promise<void> {
    this.calls.push(`sync ${folder}`);
    return this.#inner.sync(folder);
  }
}

/**
 * A file system that refuses (and notes) every call on the mirror or the versions folder of
 * `dest`; the rest of the reserved folder (journal, lock) and creating `dest` stay allowed.
 */
function fencedFileSystem(dest: string, refused: string[]): FaultyFileSystem {
  const root = dest.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const notLocalReserved = `(?!${RESERVED_DIR.replaceAll(".", "\\.")}(?:$|/(?!versions(?:$|/))))`;
  const below = new RegExp(`^${root}/${notLocalReserved}`);
  const atOrBelow = new RegExp(`^${root}(?:$|/${notLocalReserved})`);
  const fs = new FaultyFileSystem(new DenoFileSystem());
  for (const point of POINTS) {
    fs.addRule({
      point,
      // `prepareReserved` creates the root itself (recursively, as it creates the reserved folder).
      path: point === "mkdir" ? below : atOrBelow,
      effect: (path) => refused.push(`${point} ${path}`),
      error: () => new Error("the engine reached the destination around its Destination"),
    });
  }
  return fs;
}

Deno.test("destination seam: a pass reaches the mirror and its versions only through its Destination", async () => {
  await using t = await tempDir();
  const src = `${t.path}/src`;
  const dest = `${t.path}/dest`;
  put(`${src}/a/b/one.txt`, "one");
  put(`${src}/a/two.txt`, "two");
  put(`${src}/gone.txt`, "deleted in the second pass");
  put(`${src}/same.txt`, "already in the destination");
  Deno.mkdirSync(`${src}/empty`);
  Deno.symlinkSync("a/two.txt", `${src}/link`);
  // A file the destination already holds, same size and mtime: verified by hashing both sides.
  put(`${dest}/same.txt`, "already in the destination");
  const then = Deno.statSync(`${src}/same.txt`).mtime!;
  Deno.utimeSync(`${dest}/same.txt`, then, then);

  const refused: string[] = [];
  const destination = new RecordingDestination(new LocalDestination(new DenoFileSystem(), dest));
  const rec = await Reconciler.start(fencedFileSystem(dest, refused), {
    source: src,
    dest,
    logs,
    destination,
    keepVersions: parseKeepVersions("10"),
  });
  try {
    const first = await rec.pass();
    assertEquals([first.failed, first.skipped, first.copied], [0, null, 3]);
    assertMirror(src, dest);

    Deno.renameSync(`${src}/a/b`, `${src}/a/c`);
    put(`${src}/a/two.txt`, "two, longer now");
    Deno.removeSync(`${src}/gone.txt`);
    Deno.removeSync(`${src}/empty`);
    const leftover = `${RESERVED_DIR}/staging/${tempName()}`; // where a crash leaves a staged copy
    put(`${dest}/${leftover}`, "a crash left this");
    const second = await rec.pass();
    assertEquals([second.failed, second.skipped, second.moved, second.tempsRemoved], [
      0,
      null,
      1,
      1,
    ]);
    assertMirror(src, dest);

    put(`${src}/a/three.txt`, "three");
    const partial = await rec.pass("watch", { dirs: new Set(["a"]) });
    assertEquals([partial.failed, partial.copied], [0, 1]);
    assertMirror(src, dest);

    const upkeep = await rec.maintain();
    assertEquals(upkeep.pruned?.kept, 2, "the versions of two.txt and gone.txt, listed through it");

    const calls = destination.calls;
    const saw = (call: string) => calls.includes(call);
    for (
      const call of [
        "list ", // the full scans
        "list a", // the partial pass's
        "stat ",
        "openFile same.txt", // hashed through it
        "mkdir a",
        "mkdir a/b",
        "stageFile a/b/one.txt",
        "commit a/b/one.txt",
        "stageSymlink link",
        "commit link",
        "setMeta a",
        "rename a/b a/c",
        "remove empty",
        `remove ${leftover}`,
        "stageFile a/three.txt",
        `list ${RESERVED_DIR}/versions`,
        "sync a",
        "sync ",
      ]
    ) {
      assert(saw(call), `the destination saw "${call}"`);
    }
    const versioned = calls.filter((call) => call.includes(` ${RESERVED_DIR}/versions/`));
    assert(
      versioned.some((call) =>
        call.startsWith(`rename gone.txt ${RESERVED_DIR}/versions/gone.txt~`)
      ),
      "a deleted file went to the versions through it",
    );
    assert(
      versioned.some((call) =>
        call.startsWith(`rename a/two.txt ${RESERVED_DIR}/versions/a/two.txt~`)
      ),
      "a replaced file went to the versions through it",
    );
    assertEquals(refused, [], "the engine's own file system never touched the mirror");
  } finally {
    await rec.close();
  }
});
