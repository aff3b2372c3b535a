/**
 * Tests of the reconciler through its public face (start, pass, close) on
 * real folders: mirroring, crashes, moves, watch passes, safety guards.
 * Above 500 lines on purpose: one test per behaviour, all sharing the
 * `withRoots` and `onePass` helpers below; split by topic if it grows.
 */

import { assert, assertEquals, assertIncludes, assertRejects } from "../../testing/assert.ts";
import { establishIdentity, sourceVeto } from "./source_guard.ts";
import {
  assertMirror,
  leftoverTemps,
  put,
  snapshot,
  tempDir,
  withRoots,
} from "../../testing/helpers.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem, type FileSystem } from "../base/fs.ts";
import { FaultyFileSystem, isSimulatedCrash } from "../../testing/fault_fs.ts";
import { JournalIoError } from "../base/errors.ts";
import {
  compactionLimit,
  EARLY_COMPACT_FLOOR,
  Reconciler,
  type ReconcilerOptions,
} from "./reconciler.ts";
import { readJournal } from "../journal/reader.ts";
import { journalDir, RESERVED_DIR } from "../base/layout.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

/** Starts a reconciler, runs one pass, closes it; returns the pass summary. */
async function onePass(
  src: string,
  dest: string,
  fs: FileSystem = new DenoFileSystem(),
  extra: Partial<ReconcilerOptions> = {},
) {
  const rec = await Reconciler.start(fs, { source: src, dest, logs, ...extra });
  try {
    return await rec.pass();
  } finally {
    await rec.close();
  }
}

Deno.test("reconcile: a new file appears in the copy, then its changed content does too", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/notes.txt`, "first");
    let s = await onePass(src, dest);
    assertEquals(s.copied, 1);
    assertEquals(Deno.readTextFileSync(`${dest}/notes.txt`), "first");
    put(`${src}/notes.txt`, "other"); // same size, new content
    Deno.utimeSync(`${src}/notes.txt`, new Date(), new Date(Date.now() + 5000));
    s = await onePass(src, dest);
    assertEquals(s.copied, 1);
    assertEquals(Deno.readTextFileSync(`${dest}/notes.txt`), "other");
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: a file deleted from the source and a file only in the copy both disappear", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/keep.txt`, "k");
    put(`${src}/old.txt`, "o");
    await onePass(src, dest);
    Deno.removeSync(`${src}/old.txt`);
    put(`${dest}/stray.txt`, "s");
    put(`${dest}/stray-dir/deep/x`, "x");
    const s = await onePass(src, dest);
    assertEquals(s.deleted, 5); // old.txt, stray.txt, and the three entries of stray-dir
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: odd names (spaces, NFC and NFD, emoji, newline, leading dash) are mirrored", async () => {
  await withRoots(async (src, dest) => {
    const names = [
      "with space.txt",
      "caf\u00e9.txt",
      "cafe\u0301.txt",
      "😀 emoji.md",
      "line\nbreak",
      "-leading-dash",
      "--help",
      "tab\there",
    ];
    for (const n of names) put(`${src}/${n}`, n);
    put(`${src}/dir with space/caf\u00e9/ünï.txt`, "u");
    await onePass(src, dest);
    assertMirror(src, dest);
    for (const n of names) assertEquals(Deno.readTextFileSync(`${dest}/${n}`), n);
  });
});

Deno.test("reconcile: permissions, mtimes, symlinks (never followed) and empty folders are preserved", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a/b/c.txt`, "c");
    Deno.chmodSync(`${src}/a/b/c.txt`, 0o600);
    put(`${src}/run.sh`, "#!/bin/sh\n");
    Deno.chmodSync(`${src}/run.sh`, 0o755);
    Deno.utimeSync(`${src}/run.sh`, new Date(0), new Date(1234567890123));
    Deno.mkdirSync(`${src}/empty/nested-empty`, { recursive: true });
    Deno.chmodSync(`${src}/empty`, 0o750);
    Deno.symlinkSync("a/b/c.txt", `${src}/rel-link`);
    Deno.symlinkSync("/etc/passwd", `${src}/abs-link`);
    Deno.symlinkSync("does/not/exist", `${src}/dangling`);
    Deno.symlinkSync("a", `${src}/dir-link`);
    Deno.utimeSync(`${src}/a/b`, new Date(0), new Date(1000000000000));
    await onePass(src, dest);
    assertMirror(src, dest);
    assert(Deno.lstatSync(`${dest}/dir-link`).isSymlink, "a symlink to a folder stays a symlink");
    assertEquals(Deno.lstatSync(`${dest}/a/b/c.txt`).mode! & 0o777, 0o600);
  });
});

Deno.test("reconcile: an empty source is fine, and a missing destination is created", async () => {
  await withRoots(async (src, dest) => {
    const s = await onePass(src, `${dest}/deeper/still`);
    assertEquals(s.failed, 0);
    assert(Deno.statSync(`${dest}/deeper/still/${RESERVED_DIR}/journal`).isDirectory);
  });
});

Deno.test("reconcile: a restart replays the journal and re-reads no unchanged file", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 50; i++) put(`${src}/d${i % 5}/f${i}`, `content ${i}`);
    // Old mtimes: nothing is in the racy window.
    for (let i = 0; i < 50; i++) {
      Deno.utimeSync(`${src}/d${i % 5}/f${i}`, new Date(0), new Date(1_600_000_000_000 + i));
    }
    await onePass(src, dest);
    let reads = 0;
    const fs = new FaultyFileSystem(new DenoFileSystem(), [
      { point: "read", path: `${src}/`, effect: () => reads++ },
      { point: "read", path: /\/dest\/d\d/, effect: () => reads++ },
    ]);
    const s = await onePass(src, dest, fs);
    assertEquals(s.copied + s.meta + s.deleted + s.dirs, 0);
    assertEquals(reads, 0, "no file content was read in the source or the destination");
  });
});

Deno.test("reconcile: a file stamped in the future settles after one pass, a fresh one after its window", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/future.txt`, "from a camera with a wrong clock");
    put(`${src}/fresh.txt`, "just written");
    const hour = 3_600_000;
    Deno.utimeSync(`${src}/future.txt`, new Date(), new Date(Date.now() + hour));
    let clock = Date.now();
    const now = () => clock;
    await onePass(src, dest, new DenoFileSystem(), { now });
    const reads = new Set<string>();
    const counting = () =>
      new FaultyFileSystem(new DenoFileSystem(), [
        { point: "read", path: `${src}/`, effect: (p) => void reads.add(p.slice(src.length + 1)) },
      ]);
    // fresh.txt was copied inside its racy window: it is hashed once more; future.txt is not.
    clock += 10_000;
    let s = await onePass(src, dest, counting(), { now });
    assertEquals([...reads], ["fresh.txt"]);
    assertEquals(s.copied + s.deleted + s.dirs, 0);
    // Hashed outside its window, fresh.txt has settled too: a pass reads and journals nothing.
    reads.clear();
    s = await onePass(src, dest, counting(), { now });
    assertEquals([...reads], []);
    assertEquals(s.copied + s.meta + s.deleted + s.dirs, 0);
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: a backup file deleted or altered in the destination is restored", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "aaaa");
    put(`${src}/b.txt`, "bbbb");
    await onePass(src, dest);
    Deno.removeSync(`${dest}/a.txt`);
    Deno.writeTextFileSync(`${dest}/b.txt`, "tampered");
    const s = await onePass(src, dest);
    assertEquals(s.copied, 2);
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: an unreadable file is logged and counted, the rest is backed up, its old copy kept", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/secret.txt`, "v1");
    put(`${src}/fine.txt`, "ok");
    await onePass(src, dest);
    put(`${src}/secret.txt`, "v2 longer");
    put(`${src}/new.txt`, "new");
    const fs = new FaultyFileSystem(new DenoFileSystem(), [{
      point: "open",
      path: `${src}/secret.txt`,
      error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    }]);
    const s = await onePass(src, dest, fs);
    assertEquals(s.failed, 1);
    assertEquals(s.copied, 1);
    assertEquals(Deno.readTextFileSync(`${dest}/secret.txt`), "v1");
    assertEquals(Deno.readTextFileSync(`${dest}/new.txt`), "new");
  });
});

Deno.test("reconcile: an unreadable folder keeps its whole backup", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/locked/a/b.txt`, "b");
    put(`${src}/open.txt`, "o");
    await onePass(src, dest);
    const fs = new FaultyFileSystem(new DenoFileSystem(), [{
      point: "readDir",
      path: /\/locked$/,
      error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    }]);
    const s = await onePass(src, dest, fs);
    assertEquals(s.unreadable, 1);
    assertEquals(s.deleted, 0);
    assertEquals(Deno.readTextFileSync(`${dest}/locked/a/b.txt`), "b");
  });
});

Deno.test("reconcile: a source that disappears deletes nothing, and the backup resumes when it is back", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "a");
    const rec = await Reconciler.start(new DenoFileSystem(), { source: src, dest, logs });
    try {
      await rec.pass();
      Deno.renameSync(src, `${src}-unmounted`);
      const s = await rec.pass();
      assert(s.skipped?.startsWith("source unavailable"));
      assertEquals(Deno.readTextFileSync(`${dest}/a.txt`), "a");
      Deno.renameSync(`${src}-unmounted`, src);
      put(`${src}/b.txt`, "b");
      const back = await rec.pass();
      assertEquals(back.skipped, null);
      assertEquals(back.copied, 1);
    } finally {
      await rec.close();
    }
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: a source file that changes while it is copied never leaves a torn copy; it is busy, not failed", async () => {
  await withRoots(async (src, dest) => {
    const big = new Uint8Array(3 << 20).fill(1);
    put(`${src}/big.bin`, big);
    put(`${dest}/big.bin`, "old version");
    const fs = new FaultyFileSystem(new DenoFileSystem(), [{
      point: "read",
      path: `${src}/big.bin`,
      nth: 2,
      effect: () => Deno.writeFileSync(`${src}/big.bin`, new Uint8Array(10), { append: true }),
    }]);
    const s = await onePass(src, dest, fs);
    assertEquals([s.failed, s.busy], [0, 1]);
    assert(s.retrySoon);
    assert(s.retryInMs > 0 && s.retryInMs <= 1000, `tried again after 1 s: ${s.retryInMs}`);
    assertEquals(Deno.readTextFileSync(`${dest}/big.bin`), "old version");
    assertEquals(leftoverTemps(dest), []);
    await onePass(src, dest);
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: an fsync failure on the journal stops the pass with a fatal error", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "a");
    const fs = new FaultyFileSystem(new DenoFileSystem());
    const ended: number[] = [];
    const progress = {
      planned: () => {},
      copying: () => {},
      applied: () => {},
      ended: (s: { pass: number }) => void ended.push(s.pass),
    };
    const rec = await Reconciler.start(fs, { source: src, dest, logs, progress });
    fs.addRule({
      point: "sync",
      path: "/journal/",
      error: () => new Error("Input/output error (os error 5)"),
    });
    const err = await assertRejects(() => rec.pass(), JournalIoError);
    assert(err.fatal);
    assertEquals(ended, [1], "the progress display was told the pass ended (its bar cleared)");
    await rec.close().catch(() => {});
    assertEquals(snapshot(dest).has("a.txt"), false, "nothing applied without a durable intent");
    await onePass(src, dest);
    assertMirror(src, dest);
  });
});

Deno.test("reconcile: a simulated crash after every possible number of writes always recovers", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 6; i++) put(`${src}/d${i % 2}/f${i}.txt`, `file ${i}`.repeat(i + 1));
    Deno.symlinkSync("d0", `${src}/link`);
    put(`${dest}/stale/x.txt`, "stale");
    let crashes = 0;
    for (let n = 0; n < 400; n++) {
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
      // Reset the destination for the next crash point.
      await Deno.remove(dest, { recursive: true });
      put(`${dest}/stale/x.txt`, "stale");
    }
    assert(crashes > 20, `only ${crashes} crash points were exercised`);
  });
});

Deno.test("reconcile: a crash during a swap or chain of renames of look-alike files still converges", async () => {
  let crashes = 0;
  for (const versions of [false, true]) {
    for (let n = 0; n < 60; n++) {
      const t = await tempDir();
      try {
        const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
        const when = new Date(1_600_000_000_000);
        const files: [string, string][] = [["a", "AAAA"], ["b", "BBBB"], ["c", "CCCC"]];
        for (const [name, text] of files) {
          put(`${src}/${name}`, text);
          Deno.utimeSync(`${src}/${name}`, when, when); // same size and mtime: only bytes differ
        }
        const extra = versions
          ? { keepVersions: { kind: "count", count: 5, text: "5" } as const }
          : {};
        await onePass(src, dest, new DenoFileSystem(), extra);
        // In the source: a and b swap places, and c moves to d while a's old name is reused.
        Deno.renameSync(`${src}/a`, `${src}/tmp`);
        Deno.renameSync(`${src}/b`, `${src}/a`);
        Deno.renameSync(`${src}/tmp`, `${src}/b`);
        Deno.renameSync(`${src}/c`, `${src}/d`);
        const fs = new FaultyFileSystem(new DenoFileSystem());
        fs.crashAfter(n);
        try {
          await onePass(src, dest, fs, extra);
        } catch (err) {
          if (!isSimulatedCrash(err)) throw err;
        }
        if (!fs.crashed) break;
        crashes++;
        const s = await onePass(src, dest, new DenoFileSystem(), extra);
        assertEquals(s.failed, 0, `after a crash at write ${n}: ${JSON.stringify(s)}`);
        assertMirror(src, dest);
        for (const name of ["a", "b", "d"]) {
          assertEquals(
            Deno.readTextFileSync(`${dest}/${name}`),
            Deno.readTextFileSync(`${src}/${name}`),
            `${name} after a crash at write ${n} (versions ${versions})`,
          );
        }
        const again = await onePass(src, dest, new DenoFileSystem(), extra);
        assertEquals(
          again.copied + again.moved + again.deleted,
          0,
          `settled after ${n} ${versions}: ${JSON.stringify(again)}`,
        );
      } finally {
        await t.cleanup();
      }
    }
  }
  assert(crashes > 10, `only ${crashes} crash points were exercised`);
});

Deno.test("reconcile: a folder tree replaced by a file in one pass fails nothing, with or without versions", async () => {
  for (const versions of [false, true]) {
    await withRoots(async (src, dest) => {
      for (let i = 0; i < 3; i++) put(`${src}/tree/sub/deeper/f${i}.bin`, `file ${i}`);
      const extra = versions
        ? { keepVersions: { kind: "count", count: 5, text: "5" } as const }
        : {};
      await onePass(src, dest, new DenoFileSystem(), extra);
      Deno.removeSync(`${src}/tree`, { recursive: true });
      put(`${src}/tree`, "a file now");
      const s = await onePass(src, dest, new DenoFileSystem(), extra);
      assertEquals(s.failed, 0, `versions ${versions}: ${JSON.stringify(s)}`);
      assertMirror(src, dest);
    });
  }
});

/** A real file system that enforces folder write permission even for root, as it does for users. */
class UserPermissions extends DenoFileSystem {
  #check(path: string): void {
    const parent = path.slice(0, path.lastIndexOf("/")) || "/";
    if ((Deno.lstatSync(parent).mode! & 0o200) === 0) {
      throw new Deno.errors.PermissionDenied(`Permission denied (os error 13): ${path}`);
    }
  }
  override openSync(path: string, options?: Parameters<DenoFileSystem["openSync"]>[1]) {
    if (options?.createNew) this.#check(path);
    return super.openSync(path, options);
  }
  override rename(from: string, to: string): void {
    this.#check(from);
    this.#check(to);
    super.rename(from, to);
  }
  override remove(path: string, options?: { recursive?: boolean }): void {
    this.#check(path);
    super.remove(path, options);
  }
  override mkdir(path: string, options?: { mode?: number; recursive?: boolean }): void {
    if (!options?.recursive) this.#check(path);
    super.mkdir(path, options);
  }
}

Deno.test("reconcile: files change inside a read-only folder, and the folder keeps its mode", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/ro/a.txt`, "a");
    put(`${src}/ro/gone.txt`, "g");
    Deno.chmodSync(`${src}/ro`, 0o555);
    const fs = new UserPermissions();
    assertEquals((await onePass(src, dest, fs)).failed, 0);
    assertEquals(Deno.statSync(`${dest}/ro`).mode! & 0o777, 0o555);
    Deno.chmodSync(`${src}/ro`, 0o755);
    put(`${src}/ro/b.txt`, "b");
    put(`${src}/ro/a.txt`, "changed");
    Deno.removeSync(`${src}/ro/gone.txt`);
    Deno.chmodSync(`${src}/ro`, 0o555);
    const s = await onePass(src, dest, fs);
    assertEquals(s.failed, 0);
    assertEquals(s.copied, 2);
    assertEquals(s.deleted, 1);
    assertMirror(src, dest);
    Deno.chmodSync(`${src}/ro`, 0o755);
  });
});

Deno.test("reconcile: deletes whose folder is already gone (crash mid-delete) complete instead of failing forever", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/D/f`, "hi");
    put(`${src}/keep`, "k");
    await onePass(src, dest);
    Deno.removeSync(`${src}/D`, { recursive: true });
    Deno.removeSync(`${dest}/D`, { recursive: true });
    const s = await onePass(src, dest);
    assertEquals(s.failed, 0);
    assertEquals((await onePass(src, dest)).deleted, 0, "the state forgot them");
    assertMirror(src, dest);
  });
});

/** Backs up once, runs `change` on the source, backs up again; returns the second summary. */
async function afterChange(src: string, dest: string, change: () => void) {
  await onePass(src, dest);
  change();
  const s = await onePass(src, dest);
  assertMirror(src, dest);
  return s;
}

Deno.test("moves: a renamed folder holding many files becomes one rename, 0 bytes copied", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 200; i++) put(`${src}/photos/2024/img${i}.jpg`, `jpeg ${i}`.repeat(50));
    const s = await afterChange(
      src,
      dest,
      () => Deno.renameSync(`${src}/photos`, `${src}/Pictures`),
    );
    assertEquals([s.moved, s.copied, s.bytes, s.deleted], [1, 0, 0, 0]);
  });
});

Deno.test("moves: a file moved between folders, a case-only rename and a swap through a third name", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a/report.pdf`, "report".repeat(100));
    put(`${src}/b/keep`, "k");
    put(`${src}/Readme.md`, "readme");
    put(`${src}/x`, "xxxx");
    put(`${src}/y`, "yy");
    const s = await afterChange(src, dest, () => {
      Deno.renameSync(`${src}/a/report.pdf`, `${src}/b/report.pdf`);
      Deno.renameSync(`${src}/Readme.md`, `${src}/README.md`);
      Deno.renameSync(`${src}/x`, `${src}/tmp`);
      Deno.renameSync(`${src}/y`, `${src}/x`);
      Deno.renameSync(`${src}/tmp`, `${src}/y`);
    });
    assertEquals([s.copied, s.bytes, s.failed], [0, 0, 0]);
    assert(s.moved >= 4, `moved ${s.moved}`);
  });
});

Deno.test("moves: a folder replaced by a symlink of the same name", async () => {
  await withRoots(async (src, dest) => {
    for (let i = 0; i < 20; i++) put(`${src}/data/f${i}`, `data ${i}`);
    const s = await afterChange(src, dest, () => {
      Deno.renameSync(`${src}/data`, `${src}/data-v2`);
      Deno.symlinkSync("data-v2", `${src}/data`);
    });
    assertEquals([s.moved, s.copied, s.links], [1, 0, 1]);
  });
});

Deno.test("moves: a file copied then deleted (new inode) is matched by size and hash", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/big.bin`, new Uint8Array(300_000).fill(7));
    const s = await afterChange(src, dest, () => {
      Deno.copyFileSync(`${src}/big.bin`, `${src}/moved.bin`);
      Deno.utimeSync(`${src}/moved.bin`, new Date(), Deno.statSync(`${src}/big.bin`).mtime!);
      Deno.removeSync(`${src}/big.bin`);
    });
    assertEquals([s.moved, s.copied, s.bytes], [1, 0, 0]);
  });
});

Deno.test("moves: a rename that fails in the destination falls back to a copy and converges", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/old/f.txt`, "content");
    await onePass(src, dest);
    Deno.renameSync(`${src}/old`, `${src}/new`);
    const fs = new FaultyFileSystem(new DenoFileSystem(), [{
      point: "rename",
      path: `${dest}/new`,
      nth: 1,
      error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    }]);
    const rec = await Reconciler.start(fs, { source: src, dest, logs });
    try {
      const first = await rec.pass();
      assertEquals(first.moved, 0);
      assert(first.failed >= 1);
      const second = await rec.pass();
      assertEquals(second.failed, 0);
      // The folder rename is not tried again; its file arrives by a file move (or a copy).
      assertEquals(second.copied + second.moved, 1);
    } finally {
      await rec.close();
    }
    assertMirror(src, dest);
  });
});

Deno.test("watch passes: a partial pass sees only the named folders; a full pass counts what the watcher missed", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a/one.txt`, "1");
    put(`${src}/b/two.txt`, "2");
    const rec = await Reconciler.start(new DenoFileSystem(), { source: src, dest, logs });
    try {
      await rec.pass();
      put(`${src}/a/new.txt`, "new in a");
      put(`${src}/b/new.txt`, "new in b");
      put(`${src}/a/sub/deep/x.txt`, "a new folder tree comes whole");
      const partial = await rec.pass("watch", { dirs: new Set(["a"]) });
      assertEquals(partial.copied, 2);
      assertEquals(
        Deno.readTextFileSync(`${dest}/a/sub/deep/x.txt`),
        "a new folder tree comes whole",
      );
      assertEquals(snapshot(dest).has("b/new.txt"), false, "b was not named");
      const full = await rec.pass("scan", { hinted: new Set(["a"]) });
      assertEquals([full.copied, full.missed], [1, 1]);
    } finally {
      await rec.close();
    }
    assertMirror(src, dest);
  });
});

Deno.test("safety: a destination folder swapped for a symlink to elsewhere never gets a write outside", async () => {
  await withRoots(async (src, dest) => {
    const outside = `${dest}-outside`;
    put(`${outside}/canary.txt`, "canary");
    try {
      put(`${src}/docs/a.txt`, "a");
      await onePass(src, dest);
      Deno.renameSync(`${dest}/docs`, `${dest}-docs-moved`);
      Deno.symlinkSync(outside, `${dest}/docs`);
      put(`${src}/docs/a.txt`, "changed, longer");
      put(`${src}/docs/b.txt`, "b");
      const before = snapshot(outside, []);
      await onePass(src, dest);
      assertEquals(snapshot(outside, []), before, "nothing written outside the destination");
      assert(
        !Deno.lstatSync(`${dest}/docs`).isSymlink,
        "the symlink was replaced by a real folder",
      );
      assertMirror(src, dest);
    } finally {
      await Deno.remove(outside, { recursive: true }).catch(() => {});
      await Deno.remove(`${dest}-docs-moved`, { recursive: true }).catch(() => {});
    }
  });
});

Deno.test("safety: the source guard refuses a source on another device and lets a matching one pass", async () => {
  await withRoots(async (src, dest) => {
    put(`${src}/a.txt`, "a");
    const fs = new DenoFileSystem();
    await onePass(src, dest);
    const { identity } = establishIdentity(fs, src, dest);
    assertEquals(sourceVeto(fs, src, identity, 1, 1), null);
    const moved = { ...identity, dev: identity.dev + 1 };
    assertIncludes(sourceVeto(fs, src, moved, 1, 1) ?? "", "another device");
    const s = await onePass(src, dest, fs, { identity: moved });
    assert(s.skipped?.includes("another device"));
  });
});

Deno.test("safety: a full pass vetoed by the source guard keeps what a crash left in doubt", async () => {
  // A crash in a swap of look-alike files leaves paths only a hash can judge (suspects). A full
  // pass the source guard refuses checked nothing: the pass after it must still hash them.
  let crashes = 0;
  for (let n = 0; n < 40; n++) {
    const t = await tempDir();
    try {
      const [src, dest] = [`${t.path}/src`, `${t.path}/dest`];
      const when = new Date(1_600_000_000_000);
      const files: [string, string][] = [["a", "AAAA"], ["b", "BBBB"]];
      for (const [name, text] of files) {
        put(`${src}/${name}`, text);
        Deno.utimeSync(`${src}/${name}`, when, when);
      }
      const plain = new DenoFileSystem();
      Deno.mkdirSync(dest);
      Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { mode: 0o700 });
      const { identity } = establishIdentity(plain, src, dest);
      await onePass(src, dest, plain, { identity });
      Deno.renameSync(`${src}/a`, `${src}/tmp`);
      Deno.renameSync(`${src}/b`, `${src}/a`);
      Deno.renameSync(`${src}/tmp`, `${src}/b`);
      const fs = new FaultyFileSystem(new DenoFileSystem());
      fs.crashAfter(n);
      try {
        await onePass(src, dest, fs, { identity });
      } catch (err) {
        if (!isSimulatedCrash(err)) throw err;
      }
      if (!fs.crashed) break;
      crashes++;
      const rec = await Reconciler.start(plain, { source: src, dest, logs, identity });
      try {
        Deno.renameSync(`${src}/.backup-source`, `${t.path}/marker`);
        const vetoed = await rec.pass();
        assertIncludes(vetoed.skipped ?? "", "marker");
        Deno.renameSync(`${t.path}/marker`, `${src}/.backup-source`);
        await rec.pass();
      } finally {
        await rec.close();
      }
      for (const name of ["a", "b"]) {
        assertEquals(
          Deno.readTextFileSync(`${dest}/${name}`),
          Deno.readTextFileSync(`${src}/${name}`),
          `${name} after a crash at write ${n} and a vetoed pass`,
        );
      }
    } finally {
      await t.cleanup();
    }
  }
  assert(crashes > 5, `only ${crashes} crash points were exercised`);
});

Deno.test("compactionLimit: the configured limit, or 1.5x the state's checkpoint above the floor unless raised", () => {
  const MB = 1024 * 1024;
  // A small state: the floor, unless the configured limit is lower.
  assertEquals(compactionLimit(64 * MB, 1_000), EARLY_COMPACT_FLOOR);
  assertEquals(compactionLimit(1 * MB, 1_000), 1 * MB);
  // 100,000 entries (a checkpoint of about 17 MB): compacted at about 25 MB of log, not 64.
  const limit = compactionLimit(64 * MB, 100_000);
  assert(limit > 20 * MB && limit < 30 * MB, `limit ${limit}`);
  // A million entries: the configured limit.
  assertEquals(compactionLimit(64 * MB, 1_000_000), 64 * MB);
  // A limit raised above the default (to keep history) is kept as asked.
  assertEquals(compactionLimit(128 * MB, 100_000), 128 * MB);
});
