import { assert, assertEquals, assertRejects } from "../../../testing/assert.ts";
import { put, snapshot, type TempDir, tempDir, treeDiff } from "../../../testing/helpers.ts";
import {
  isAlreadyExists,
  isEscapeRefused,
  isNotADirectory,
  isNotFound,
  isSymlinkRefused,
} from "../fs.ts";
import { Beneath, useChmodFallbackForTests } from "./beneath.ts";
import { closeQuietly, libc, nativeAvailable } from "./libc.ts";

const ignore = !nativeAvailable();
const text = new TextEncoder();

/** Runs `action` and returns what it threw (fails when it does not throw). */
function thrown(action: () => unknown, what: string): unknown {
  try {
    action();
  } catch (err) {
    return err;
  }
  throw new Error(`${what}: expected a refusal, got success`);
}

interface Arena {
  dir: TempDir;
  root: string;
  victim: string;
  pinned: Beneath;
  /** Fails unless the victim folder is byte for byte as it was. */
  assertVictimUntouched(): void;
}

/**
 * A pinned root beside a victim folder, with symlinks planted in the root:
 * `p` (a parent component) -> the victim folder, `f` -> the victim's file,
 * `d` -> the victim's subfolder, `sub/abs` -> the victim by absolute path.
 */
async function arena(): Promise<Arena> {
  const dir = await tempDir("backup-native-");
  const root = `${dir.path}/root`;
  const victim = `${dir.path}/victim`;
  put(`${victim}/secret`, "secret");
  Deno.chmodSync(`${victim}/secret`, 0o644);
  put(`${victim}/dir/inner`, "inner");
  put(`${root}/mine`, "mine");
  Deno.mkdirSync(`${root}/sub`);
  Deno.symlinkSync("../victim", `${root}/p`);
  Deno.symlinkSync("../victim/secret", `${root}/f`);
  Deno.symlinkSync("../victim/dir", `${root}/d`);
  Deno.symlinkSync(victim, `${root}/sub/abs`);
  const before = snapshot(victim);
  return {
    dir,
    root,
    victim,
    pinned: Beneath.open(root),
    assertVictimUntouched: () => assertEquals(treeDiff(before, snapshot(victim)), []),
  };
}

/** Every method, aimed through a symlinked parent component. */
const THROUGH_PARENT: [string, (pinned: Beneath) => unknown][] = [
  ["lstat", (pinned) => pinned.lstat("p/secret")],
  ["readLink", (pinned) => pinned.readLink("p/secret")],
  ["openRead", (pinned) => pinned.openRead("p/secret")],
  ["createExclusive", (pinned) => pinned.createExclusive("p/new")],
  ["createExclusive (absolute link deeper)", (pinned) => pinned.createExclusive("sub/abs/new")],
  ["mkdir", (pinned) => pinned.mkdir("p/newdir")],
  ["rename out of it", (pinned) => pinned.rename("p/secret", "stolen")],
  ["rename into it", (pinned) => pinned.rename("mine", "p/mine")],
  ["rename over its file", (pinned) => pinned.rename("mine", "p/secret")],
  ["unlink", (pinned) => pinned.unlink("p/secret")],
  ["rmdir", (pinned) => pinned.rmdir("p/dir")],
  ["symlink", (pinned) => pinned.symlink("anything", "p/newlink")],
  ["chmod", (pinned) => pinned.chmod("p/secret", 0o777)],
  ["utime", (pinned) => pinned.utime("p/secret", 0)],
  ["readdir", (pinned) => pinned.readdir("p/dir")],
  ["openFolder", (pinned) => pinned.openFolder("p/dir")],
];

for (const fallback of [false, true]) {
  Deno.test({
    name: `Beneath: a symlink as a parent component is refused by every method${
      fallback ? " (chmod before Linux 6.6)" : ""
    }, and nothing outside the root changes`,
    ignore,
    async fn() {
      const { dir, pinned, assertVictimUntouched } = await arena();
      useChmodFallbackForTests(fallback);
      try {
        for (const [what, action] of THROUGH_PARENT) {
          const err = thrown(() => action(pinned), what);
          assert(isSymlinkRefused(err), `${what}: ${String(err)}`);
        }
        const err = await assertRejects(() => pinned.syncDir("p/dir"), Error);
        assert(isSymlinkRefused(err), `syncDir: ${String(err)}`);
        assertVictimUntouched();
      } finally {
        useChmodFallbackForTests(false);
        pinned.close();
        await dir.cleanup();
      }
    },
  });
}

for (const fallback of [false, true]) {
  Deno.test({
    name: `Beneath: a symlink as the final component is never followed${
      fallback ? " (chmod before Linux 6.6)" : ""
    }`,
    ignore,
    async fn() {
      const { dir, root, pinned, assertVictimUntouched } = await arena();
      useChmodFallbackForTests(fallback);
      try {
        // Methods that would act on the target refuse.
        assertEquals(pinned.openRead("f"), { ok: false, refused: "symlink" });
        assertEquals(pinned.openRead("d"), { ok: false, refused: "symlink" });
        for (const name of ["f", "d"]) {
          const err = thrown(() => pinned.chmod(name, 0o777), `chmod ${name}`);
          assert(isSymlinkRefused(err), `chmod ${name}: ${String(err)}`);
        }
        assert(isSymlinkRefused(thrown(() => pinned.readdir("d"), "readdir")));
        assert(isSymlinkRefused(await assertRejects(() => pinned.syncDir("d"), Error)));
        assert(isAlreadyExists(thrown(() => pinned.createExclusive("f"), "createExclusive")));
        assert(isAlreadyExists(thrown(() => pinned.mkdir("f"), "mkdir")));
        assert(isNotADirectory(thrown(() => pinned.rmdir("d"), "rmdir")));
        // Methods that act on the link itself do so.
        assertEquals(pinned.lstat("f").kind, "symlink");
        assertEquals(pinned.readLink("f"), "../victim/secret");
        pinned.utime("f", 1_234_567_000);
        assertEquals(Deno.lstatSync(`${root}/f`).mtime?.getTime(), 1_234_567_000);
        pinned.rename("mine", "f");
        assertEquals(Deno.readTextFileSync(`${root}/f`), "mine");
        pinned.unlink("d");
        assert(isNotFound(thrown(() => pinned.lstat("d"), "lstat after unlink")));
        assertVictimUntouched();
      } finally {
        useChmodFallbackForTests(false);
        pinned.close();
        await dir.cleanup();
      }
    },
  });
}

Deno.test({
  name: "Beneath: '..' and absolute paths are refused as escapes by every method",
  ignore,
  async fn() {
    const { dir, pinned, assertVictimUntouched } = await arena();
    try {
      for (const out of ["../victim/secret", "sub/../../victim/secret", "/etc/hostname"]) {
        const attempts: [string, () => unknown][] = [
          ["lstat", () => pinned.lstat(out)],
          ["readLink", () => pinned.readLink(out)],
          ["openRead", () => pinned.openRead(out)],
          ["createExclusive", () => pinned.createExclusive(`${out}-new`)],
          ["mkdir", () => pinned.mkdir(`${out}-dir`)],
          ["rename from", () => pinned.rename(out, "stolen")],
          ["rename to", () => pinned.rename("mine", out)],
          ["unlink", () => pinned.unlink(out)],
          ["rmdir", () => pinned.rmdir(out)],
          ["symlink", () => pinned.symlink("x", `${out}-link`)],
          ["chmod", () => pinned.chmod(out, 0o777)],
          ["utime", () => pinned.utime(out, 0)],
          ["readdir", () => pinned.readdir(out)],
        ];
        for (const [what, action] of attempts) {
          const err = thrown(action, `${what} ${out}`);
          assert(isEscapeRefused(err), `${what} ${out}: ${String(err)}`);
        }
        assert(isEscapeRefused(await assertRejects(() => pinned.syncDir(out), Error)));
      }
      assert(isEscapeRefused(thrown(() => pinned.readdir(".."), "readdir ..")));
      assertVictimUntouched();
    } finally {
      pinned.close();
      await dir.cleanup();
    }
  },
});

Deno.test({
  name: "Beneath: a parent flipping between a folder and a symlink out (renameat2 EXCHANGE " +
    "in a tight loop) never lets an operation through to the victim",
  ignore,
  async fn() {
    const { dir, root, pinned, assertVictimUntouched } = await arena();
    Deno.mkdirSync(`${root}/flip`);
    Deno.symlinkSync("../victim", `${root}/flip-link`);
    const worker = new Worker(new URL("./testdata/exchange_worker.ts", import.meta.url).href, {
      type: "module",
    });
    try {
      const messages: unknown[] = [];
      let wake = () => {};
      worker.onmessage = (event: MessageEvent) => {
        messages.push(event.data);
        wake();
      };
      const next = async () => {
        while (messages.length === 0) await new Promise<void>((resolve) => wake = resolve);
        return messages.shift();
      };
      worker.postMessage({ first: `${root}/flip`, second: `${root}/flip-link`, durationMs: 1500 });
      assertEquals(await next(), "started");
      let done = 0;
      let refused = 0;
      const end = performance.now() + 1000;
      for (let round = 0; performance.now() < end; round++) {
        const attempts: (() => unknown)[] = [
          () => pinned.createExclusive(`flip/secret`).close(),
          () => pinned.createExclusive(`flip/new-${round}`).close(),
          () => pinned.chmod("flip/secret", 0o777),
          () => pinned.utime("flip/secret", 0),
          () => pinned.unlink("flip/secret"),
          () => pinned.rename("flip/dir", `flip/moved-${round}`),
          () => pinned.mkdir(`flip/dir-${round}`),
          () => pinned.symlink("x", `flip/link-${round}`),
          () => pinned.readdir("flip/dir"),
        ];
        for (const attempt of attempts) {
          try {
            attempt();
            done++;
          } catch (err) {
            if (isSymlinkRefused(err)) refused++;
            else if (!isNotFound(err) && !isAlreadyExists(err)) throw err;
          }
        }
      }
      const last = await next() as { swaps: number };
      assert(last.swaps > 0, "the worker flipped the folder");
      assert(refused > 0, `the race was met (done ${done}, refused ${refused})`);
      assertVictimUntouched();
    } finally {
      worker.terminate();
      pinned.close();
      await dir.cleanup();
    }
  },
});

Deno.test({
  name: "Beneath: stillPinned() notices `mv root root.old; mkdir root`, and calls keep going " +
    "to the pinned folder",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const root = `${dir.path}/root`;
    Deno.mkdirSync(root);
    const pinned = Beneath.open(root);
    try {
      assert(pinned.stillPinned());
      Deno.renameSync(root, `${root}.old`);
      assertEquals(pinned.stillPinned(), false);
      Deno.mkdirSync(root);
      assertEquals(pinned.stillPinned(), false);
      pinned.createExclusive("after").close();
      assert(Deno.lstatSync(`${root}.old/after`).isFile);
      assertEquals([...Deno.readDirSync(root)], []);
    } finally {
      pinned.close();
    }
    assertEquals(pinned.stillPinned(), false, "a closed Beneath pins nothing");
  },
});

Deno.test({
  name: "Beneath: names that are not UTF-8 are listed as raw bytes and can be addressed",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      const raw = Uint8Array.of(0x66, 0xff, 0x2e, 0x74); // "f\xff.t"
      pinned.mkdir("sub");
      const file = pinned.createExclusive(Uint8Array.of(...text.encode("sub/"), ...raw));
      await file.writeAll(text.encode("raw"));
      file.close();
      pinned.createExclusive("sub/plain-é").close();
      const entries = pinned.readdir("sub").sort((a, b) => a.bytes[0]! - b.bytes[0]!);
      assertEquals(entries.length, 2);
      const [rawEntry, plainEntry] = [entries[0]!, entries[1]!]; // "f" before "p"
      assertEquals(rawEntry.bytes, raw);
      assertEquals(rawEntry.name, "f\udcff.t", "the escaped text form (names.ts)");
      assertEquals(pinned.lstat("sub/f\udcff.t").size, 3, "reached by its text form too");
      assertEquals(rawEntry.type, "file");
      assertEquals(plainEntry.name, "plain-é");
      assertEquals(plainEntry.bytes, text.encode("plain-é"));
      const rawPath = Uint8Array.of(...text.encode("sub/"), ...raw);
      assertEquals(pinned.lstat(rawPath).size, 3);
      pinned.rename(rawPath, "sub/renamed");
      assertEquals(Deno.readTextFileSync(`${dir.path}/sub/renamed`), "raw");
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name: "Beneath: the ordinary operations do what they say",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const pinned = Beneath.open(dir.path);
    try {
      pinned.mkdir("a", 0o755);
      assertEquals(Deno.statSync(`${dir.path}/a`).mode! & 0o777, 0o755);
      const file = pinned.createExclusive("a/x", 0o600);
      await file.writeAll(text.encode("hello"));
      await file.sync();
      file.close();
      assertEquals(Deno.readTextFileSync(`${dir.path}/a/x`), "hello");
      assert(isAlreadyExists(thrown(() => pinned.createExclusive("a/x"), "second create")));

      const info = pinned.lstat("a/x");
      const denoInfo = Deno.lstatSync(`${dir.path}/a/x`);
      assertEquals([info.kind, info.size, info.ino, info.dev], [
        "file",
        5,
        denoInfo.ino,
        denoInfo.dev,
      ]);
      assertEquals(info.mtimeMs, denoInfo.mtime?.getTime());

      for (const fallback of [false, true]) {
        useChmodFallbackForTests(fallback);
        pinned.chmod("a/x", fallback ? 0o640 : 0o604);
        assertEquals(Deno.statSync(`${dir.path}/a/x`).mode! & 0o7777, fallback ? 0o640 : 0o604);
      }
      useChmodFallbackForTests(false);
      pinned.chmod("", 0o751);
      assertEquals(Deno.statSync(dir.path).mode! & 0o777, 0o751);
      pinned.chmod("", 0o700);

      pinned.utime("a/x", 1_600_000_000_123);
      assertEquals(Deno.statSync(`${dir.path}/a/x`).mtime?.getTime(), 1_600_000_000_123);
      pinned.utime(".", 1_500_000_000_000);
      assertEquals(Deno.statSync(dir.path).mtime?.getTime(), 1_500_000_000_000);

      pinned.symlink("a/x", "link");
      assertEquals(Deno.readLinkSync(`${dir.path}/link`), "a/x");
      const opened = pinned.openRead("a/x");
      assert(opened.ok);
      const buffer = new Uint8Array(16);
      assertEquals(opened.file.readSync(buffer), 5);
      opened.file.close();
      assertEquals(pinned.openRead("a"), { ok: false, refused: "directory" });

      pinned.createExclusive("y").close();
      assert(
        isAlreadyExists(thrown(() => pinned.rename("a/x", "y", { noReplace: true }), "noReplace")),
      );
      pinned.rename("a/x", "y");
      assertEquals(Deno.readTextFileSync(`${dir.path}/y`), "hello");
      const names = pinned.readdir("").map((entry) => `${entry.name}:${entry.type}`).sort();
      assertEquals(names, ["a:dir", "link:symlink", "y:file"]);
      await pinned.syncDir("a");
      await pinned.syncDir("");
      await pinned.syncfs();

      assert(isNotFound(thrown(() => pinned.unlink("nothing"), "unlink missing")));
      pinned.unlink("y");
      pinned.unlink("link");
      pinned.rmdir("a");
      assertEquals(pinned.readdir(""), []);
    } finally {
      useChmodFallbackForTests(false);
      pinned.close();
    }
    assert(thrown(() => pinned.lstat("a"), "after close") instanceof Deno.errors.BadResource);
  },
});

Deno.test({
  name:
    "Beneath.hold: names in the held folder are created and renamed by it; a removed one is resolved again",
  ignore,
  async fn() {
    const { dir, root, pinned, assertVictimUntouched } = await arena();
    await using _dir = dir;
    try {
      Deno.mkdirSync(`${root}/stage`);
      pinned.hold("stage");
      const file = pinned.createExclusive("stage/t1", 0o600);
      file.writeAllSync(text.encode("one"));
      file.close();
      assert(isAlreadyExists(thrown(() => pinned.createExclusive("stage/t1"), "taken")));
      Deno.symlinkSync("../../victim/secret", `${root}/stage/link`);
      assert(isAlreadyExists(thrown(() => pinned.createExclusive("stage/link"), "a symlink")));
      pinned.rename("stage/t1", "sub/one");
      assertEquals(Deno.readTextFileSync(`${root}/sub/one`), "one");
      // The held folder removed and made again: the new one is used.
      Deno.removeSync(`${root}/stage`, { recursive: true });
      Deno.mkdirSync(`${root}/stage`);
      pinned.createExclusive("stage/t2").close();
      assert(Deno.statSync(`${root}/stage/t2`).isFile);
      assertVictimUntouched();
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name:
    "Beneath.renameMany: runs into one folder, one outcome each; a symlinked folder fails its renames, never followed",
  ignore,
  async fn() {
    const { dir, root, pinned, assertVictimUntouched } = await arena();
    await using _dir = dir;
    try {
      Deno.mkdirSync(`${root}/stage`);
      Deno.mkdirSync(`${root}/a`);
      for (const n of ["1", "2", "3", "4", "5"]) put(`${root}/stage/${n}`, n);
      pinned.hold("stage");
      const outcomes = pinned.renameMany([
        { from: "stage/1", to: "a/1" },
        { from: "stage/2", to: "a/2" },
        { from: "stage/3", to: "p/3" }, // p is a symlink to the victim
        { from: "stage/4", to: "missing/4" },
        { from: "stage/5", to: "top5" },
      ]);
      assertEquals(outcomes[0], null);
      assertEquals(outcomes[1], null);
      assert(isSymlinkRefused(outcomes[2]), String(outcomes[2]));
      assert(isNotFound(outcomes[3]), String(outcomes[3]));
      assertEquals(outcomes[4], null);
      assertEquals(Deno.readTextFileSync(`${root}/a/2`), "2");
      assertEquals(Deno.readTextFileSync(`${root}/top5`), "5");
      assertEquals(Deno.readTextFileSync(`${root}/stage/3`), "3");
      assertVictimUntouched();
    } finally {
      pinned.close();
    }
  },
});

Deno.test({
  name:
    "Beneath.openFolder: a descriptor of the folder, the caller's; a symlink at the end is refused",
  ignore,
  fn: async () => {
    const { dir, pinned, assertVictimUntouched } = await arena();
    try {
      const fd = pinned.openFolder("sub");
      try {
        // The descriptor names the folder: an entry made through it is in that folder.
        const name = text.encode("made\0");
        const made = libc().openat(fd, name, 0o100 | 0o200 | 0o1 | 0o2000000, 0o600);
        assert(made >= 0, "created through the descriptor");
        libc().close(made);
        assert(Deno.lstatSync(`${dir.path}/root/sub/made`).isFile);
      } finally {
        closeQuietly(fd);
      }
      assert(isSymlinkRefused(thrown(() => pinned.openFolder("d"), "openFolder of a symlink")));
      assertVictimUntouched();
    } finally {
      pinned.close();
      await dir.cleanup();
    }
  },
});
