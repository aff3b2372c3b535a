import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { assertMirror, leftoverTemps, put, tempDir, withRoots } from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { FaultyFileSystem, isSimulatedCrash } from "../../testing/fault_fs.ts";
import { UsageError } from "../base/errors.ts";
import { Reconciler, type ReconcilerOptions } from "./reconciler.ts";
import {
  allocateVersion,
  listVersions,
  parseKeepVersions,
  parseVersionRel,
  prunable,
  pruneVersions,
  type VersionFile,
  versionRel,
  versionsDir,
} from "./versions.ts";
import { readJournal } from "../journal/reader.ts";
import { LocalDestination } from "../dest/local.ts";
import { journalDir } from "../base/layout.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };
const T0 = Date.UTC(2026, 10, 22, 14, 30, 15, 123);
const DAY = 86_400_000;

async function onePass(
  src: string,
  dest: string,
  fs: FileSystem = new DenoFileSystem(),
  extra: Partial<ReconcilerOptions> & { off?: boolean } = {},
) {
  const { off, ...rest } = extra;
  const rec = await Reconciler.start(fs, {
    source: src,
    dest,
    logs,
    ...(off ? {} : { keepVersions: parseKeepVersions("10") }),
    ...rest,
  });
  try {
    return await rec.pass();
  } finally {
    await rec.close();
  }
}

/** Every version file below dest, as `original path -> contents`, sorted. */
async function versionContents(dest: string): Promise<[string, string][]> {
  return (await listVersions(new LocalDestination(new DenoFileSystem(), dest)))
    .map((v): [string, string] => [
      v.path,
      Deno.readTextFileSync(`${versionsDir(dest)}/${v.vrel}`),
    ])
    .sort();
}

Deno.test("versions: names carry the time and give the original path back, whatever it looks like", () => {
  const odd = [
    "a.txt",
    "docs/a.txt",
    "a~20261122T143015.123Z", // a file whose name already ends like a version
    "x~20261122T143015.123Z/f.txt", // a folder whose name ends like a version
    "x~20261122T143015.123Z~/f.txt",
    "line\nbreak/😀 emoji.md",
    "-leading/--help",
  ];
  for (const p of odd) {
    const v = versionRel(p, T0);
    assertEquals(parseVersionRel(v), { path: p, ms: T0, n: 0 }, v);
    assertEquals(parseVersionRel(versionRel(p, T0, 3)), { path: p, ms: T0, n: 3 });
  }
  assertEquals(versionRel("docs/a.txt", T0), "docs/a.txt~20261122T143015.123Z");
  // A folder can never take the name of a version file.
  assertEquals(versionRel("a~20261122T143015.123Z/f", T0).split("/")[0], "a~20261122T143015.123Z~");
  assertEquals(parseVersionRel("docs/plain.txt"), null);
  // A name too long to take the stamp is shortened, never refused by the file system.
  const long = "é".repeat(127); // 254 bytes
  const v = versionRel(`d/${long}`, T0, 12);
  assert(new TextEncoder().encode(v.split("/")[1]!).length <= 255);
  assertEquals(parseVersionRel(v)?.ms, T0);
  // Two long names with the same beginning stay apart, and each keeps its own name over time.
  const a = versionRel(`d/${long}a`, T0);
  const b = versionRel(`d/${long}b`, T0);
  assert(parseVersionRel(a)!.path !== parseVersionRel(b)!.path, `${a} / ${b}`);
  assertEquals(parseVersionRel(versionRel(`d/${long}a`, T0 + 1))!.path, parseVersionRel(a)!.path);
});

Deno.test("versions: the count rule keeps N versions of each long-named file, not N of them all", () => {
  const long = "文".repeat(80);
  const file = (name: string, ms: number): VersionFile => {
    const vrel = versionRel(`d/${long}${name}`, ms);
    return { ...parseVersionRel(vrel)!, vrel, size: 1 };
  };
  const versions = [file("甲", T0), file("乙", T0 + 1000)];
  assertEquals(prunable(versions, { kind: "count", count: 1, text: "1" }, T0 + 2000), []);
});

Deno.test("versions: two versions of one path in the same millisecond get distinct names", async () => {
  const t = await tempDir();
  try {
    const destination = new LocalDestination(new DenoFileSystem(), t.path);
    const taken = new Set<string>();
    const a = await allocateVersion(destination, "a.txt", { ms: T0, taken });
    const b = await allocateVersion(destination, "a.txt", { ms: T0, taken });
    assert(a !== b);
    put(`${versionsDir(t.path)}/${a}`, "x");
    put(`${versionsDir(t.path)}/${b}`, "y");
    const c = await allocateVersion(destination, "a.txt", { ms: T0, taken: new Set() });
    assertEquals(parseVersionRel(c), { path: "a.txt", ms: T0, n: 2 });
  } finally {
    await t.cleanup();
  }
});

Deno.test("versions: --keep-versions takes an age or a count, and refuses anything else", () => {
  assertEquals(parseKeepVersions("30d"), { kind: "age", ms: 30 * DAY, text: "30d" });
  assertEquals(parseKeepVersions("12h").kind, "age");
  assertEquals(parseKeepVersions("2w"), { kind: "age", ms: 14 * DAY, text: "2w" });
  assertEquals(parseKeepVersions("90m"), { kind: "age", ms: 90 * 60_000, text: "90m" });
  assertEquals(parseKeepVersions("10"), { kind: "count", count: 10, text: "10" });
  for (const bad of ["0", "-1", "1.5", "30x", "", "d", "0d", "ten"]) {
    assertThrows(() => parseKeepVersions(bad), UsageError, "--keep-versions");
  }
});

Deno.test("versions: the age rule drops old versions, the count rule keeps the newest N per path", () => {
  const v = (path: string, ms: number, n = 0): VersionFile => ({
    path,
    ms,
    n,
    vrel: versionRel(path, ms, n),
    size: 1,
  });
  const all = [v("a", T0), v("a", T0 + DAY), v("a", T0 + DAY, 1), v("b", T0 - 40 * DAY)];
  const now = T0 + 2 * DAY;
  assertEquals(prunable(all, parseKeepVersions("30d"), now).map((x) => x.vrel), [all[3]!.vrel]);
  assertEquals(
    prunable(all, parseKeepVersions("36h"), now).map((x) => x.vrel).sort(),
    [
      all[0]!.vrel,
      all[3]!.vrel,
    ].sort(),
  );
  // Newest two of "a": the two of T0 + DAY (the later tie first); "b" keeps its only one.
  assertEquals(prunable(all, parseKeepVersions("2"), now).map((x) => x.vrel), [all[0]!.vrel]);
});

Deno.test("versions: pruning removes the files and the folders it empties, and can be run again", async () => {
  const t = await tempDir();
  try {
    const destination = new LocalDestination(new DenoFileSystem(), t.path);
    const root = versionsDir(t.path);
    put(`${root}/${versionRel("deep/er/old.txt", T0 - 40 * DAY)}`, "old");
    put(`${root}/${versionRel("deep/new.txt", T0 - DAY)}`, "new");
    put(`${root}/deep/not-a-version.txt`, "left alone");
    const r = await pruneVersions(destination, parseKeepVersions("30d"), { now: T0, log: quiet });
    assertEquals({ removed: r.removed, kept: r.kept, bytes: r.bytes }, {
      removed: 1,
      kept: 1,
      bytes: 3,
    });
    assertEquals(Deno.readDirSync(`${root}/deep`).toArray().map((e) => e.name).sort(), [
      versionRel("new.txt", T0 - DAY),
      "not-a-version.txt",
    ]);
    assertEquals(
      await pruneVersions(destination, parseKeepVersions("30d"), { now: T0, log: quiet }),
      {
        removed: 0,
        bytes: 0,
        kept: 1,
        failed: 0,
      },
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("versions: an overwritten, a deleted, and a file replaced by a symlink or a folder each leave a version", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/edit.txt`, "old edit");
    put(`${src}/gone/del.txt`, "old del");
    put(`${src}/link`, "old link");
    put(`${src}/dir`, "old dir");
    put(`${src}/same.txt`, "same");
    await onePass(src, dest);
    assertEquals(await versionContents(dest), []);
    put(`${src}/edit.txt`, "new edit!");
    Deno.removeSync(`${src}/gone`, { recursive: true });
    Deno.removeSync(`${src}/link`);
    Deno.symlinkSync("edit.txt", `${src}/link`);
    Deno.removeSync(`${src}/dir`);
    put(`${src}/dir/inside.txt`, "inside");
    Deno.chmodSync(`${src}/same.txt`, 0o600); // metadata only: no version
    const s = await onePass(src, dest);
    assertEquals(s.failed, 0);
    assertMirror(src, dest);
    assertEquals(await versionContents(dest), [
      ["dir", "old dir"],
      ["edit.txt", "old edit"],
      ["gone/del.txt", "old del"],
      ["link", "old link"],
    ]);
    // Versions are never mirrored away, and the journal says where each went.
    await onePass(src, dest);
    assertEquals((await versionContents(dest)).length, 4);
    const recorded: string[] = [];
    readJournal(new DenoFileSystem(), journalDir(dest), {
      onRecord: (r) => {
        if (r.type === "intent" && r.version) recorded.push(r.path);
      },
    });
    assertEquals(recorded.sort(), ["dir", "edit.txt", "gone/del.txt", "link"]);
  });
});

Deno.test("versions: without --keep-versions nothing is kept (the mirror as before)", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "one");
    await onePass(src, dest, undefined, { off: true });
    put(`${src}/a.txt`, "two!");
    await onePass(src, dest, undefined, { off: true });
    assertEquals(await versionContents(dest), []);
    assertMirror(src, dest);
  });
});

Deno.test("versions: a copy whose rename fails puts the old file back; the next pass finishes", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "old");
    await onePass(src, dest);
    put(`${src}/a.txt`, "new content");
    const fs = new FaultyFileSystem(new DenoFileSystem(), [
      {
        point: "rename",
        path: /\/dest\/a\.txt$/,
        nth: 1, // the temp file's rename; putting the old file back is the second
        error: () => new Deno.errors.PermissionDenied("no"),
      },
    ]);
    const s = await onePass(src, dest, fs);
    assertEquals(s.failed, 1);
    assertEquals(Deno.readTextFileSync(`${dest}/a.txt`), "old");
    assertEquals(await versionContents(dest), []);
    assertEquals(leftoverTemps(dest), []);
    assertEquals((await onePass(src, dest)).failed, 0);
    assertMirror(src, dest);
    assertEquals(await versionContents(dest), [["a.txt", "old"]]);
  });
});

Deno.test("versions: pruning runs between passes by the rule, on the reconciler's clock", async () => {
  await withRoots(async (src, dest) => {
    let now = T0;
    const opts = { keepVersions: parseKeepVersions("1d"), now: () => now };
    put(`${src}/a.txt`, "v1");
    const rec = await Reconciler.start(new DenoFileSystem(), {
      source: src,
      dest,
      logs,
      ...opts,
    });
    try {
      await rec.pass();
      put(`${src}/a.txt`, "v2.");
      await rec.pass();
      assertEquals((await rec.pruneVersionsIfDue())?.removed, 0); // made just now: kept
      assertEquals(await versionContents(dest), [["a.txt", "v1"]]);
      now += 2 * DAY;
      assertEquals((await rec.pruneVersionsIfDue())?.removed, 1);
      assertEquals(await versionContents(dest), []);
      assertEquals(await rec.pruneVersionsIfDue(), null); // nothing new, and not due yet
    } finally {
      await rec.close();
    }
  });
});

/** Source contents before and after the change that the crash interrupts. */
const BEFORE: Record<string, string> = {
  "d0/edit.txt": "edit before",
  "d0/del.txt": "delete me",
  "d1/edit2.txt": "second edit before",
  "d1/sub/deep.txt": "deep file",
  "to-link": "becomes a symlink",
  "keep.txt": "kept",
};

function writeBefore(src: string): void {
  Deno.removeSync(src, { recursive: true });
  Deno.mkdirSync(src);
  for (const [p, c] of Object.entries(BEFORE)) put(`${src}/${p}`, c);
}

function change(src: string): void {
  put(`${src}/d0/edit.txt`, "edit after, longer");
  Deno.removeSync(`${src}/d0/del.txt`);
  put(`${src}/d1/edit2.txt`, "second edit after!");
  Deno.removeSync(`${src}/d1/sub`, { recursive: true });
  Deno.removeSync(`${src}/to-link`);
  Deno.symlinkSync("keep.txt", `${src}/to-link`);
  put(`${src}/new.txt`, "new");
}

Deno.test("versions: a simulated crash after every possible number of writes loses no old content", async () => {
  await withRoots(async (src, dest) => {
    const displaced = ["d0/edit.txt", "d0/del.txt", "d1/edit2.txt", "d1/sub/deep.txt", "to-link"];
    let crashes = 0;
    for (let n = 0; n < 400; n++) {
      writeBefore(src);
      await Deno.remove(dest, { recursive: true }).catch(() => {});
      await onePass(src, dest);
      change(src);
      const fs = new FaultyFileSystem(new DenoFileSystem());
      fs.crashAfter(n);
      try {
        await onePass(src, dest, fs);
      } catch (err) {
        if (!isSimulatedCrash(err)) throw err;
      }
      if (!fs.crashed) break;
      crashes++;
      const s = await onePass(src, dest);
      assertEquals(s.failed, 0, `after crash at write ${n}: ${JSON.stringify(s)}`);
      assertMirror(src, dest);
      assertEquals(leftoverTemps(dest), [], `temps after crash at write ${n}`);
      readJournal(new DenoFileSystem(), journalDir(dest));
      // Every old content is in a version, exactly once.
      const kept = await versionContents(dest);
      assertEquals(
        kept,
        displaced.map((p): [string, string] => [p, BEFORE[p]!]).sort(),
        `versions after crash at write ${n}`,
      );
    }
    assert(crashes > 20, `only ${crashes} crash points were exercised`);
  });
});
