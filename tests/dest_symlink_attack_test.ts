/**
 * Black-box attacks by the owner of the destination (issue 12, points 1 and 3): folders and files
 * of the mirror swapped for symlinks to a victim outside the destination while a daemon runs over
 * a churning source, and a symlinked versions folder while old versions are due for pruning. Each
 * test asserts that the victim is byte-for-byte as it was (names, contents, modes, mtimes) and that
 * the daemon stays responsive (`backup status` answers, SIGTERM exits 0 in time).
 *
 * The guarantee comes from the native layer (`LocalDestination` pinned beneath its root, see
 * lib/dest/pinned_folder.ts): the tests are skipped where it is unavailable. The path-based
 * fallback does not resist these attacks (docs/security.md).
 *
 * @module
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  assertMirror,
  type Daemon,
  put,
  runCli,
  snapshot,
  startDaemon,
  stopWithin,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";
import { nativeAvailable } from "../lib/base/native/libc.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";

const ignore = !nativeAvailable();
const OLD = new Date(1_500_000_000_000);
/** How long each swap loop runs, and at most how many swaps it makes. */
const ATTACK_MS = 8_000;
const MAX_SWAPS = 5_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `step` ignoring its failure (the daemon races us: a rename or unlink may find nothing). */
function tryTo(step: () => void): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

/** The folders of a test: source, destination, victim, and where the attacker parks what it swaps out. */
function roots(base: string): { src: string; dest: string; victim: string; park: string } {
  return {
    src: `${base}/src`,
    dest: `${base}/dest`,
    victim: `${base}/victim`,
    park: `${base}/park`,
  };
}

/** A victim folder outside the destination, with old mtimes, that must never change. */
function plantVictim(victim: string): void {
  put(`${victim}/secret.txt`, "the victim's own bytes\n");
  put(`${victim}/inner/deep.txt`, "deeper\n");
  put(`${victim}/sub-like/a0.txt`, "named like a mirrored file\n");
  for (const rel of ["secret.txt", "inner/deep.txt", "sub-like/a0.txt", "inner", "sub-like"]) {
    Deno.utimeSync(`${victim}/${rel}`, OLD, OLD);
  }
  Deno.chmodSync(`${victim}/secret.txt`, 0o640);
}

/** Fails with the differences unless the victim is exactly as `before`. */
function assertUnchanged(victim: string, before: ReturnType<typeof snapshot>): void {
  const diffs = treeDiff(before, snapshot(victim, []));
  assertEquals(diffs, [], `the victim outside the destination changed:\n${diffs.join("\n")}`);
  assertEquals(Deno.statSync(victim).mtime?.getTime(), OLD.getTime(), "victim folder's mtime");
}

/** Changes the source every few milliseconds until `stop()` is true: new, rewritten, removed files. */
async function churn(src: string, stop: () => boolean): Promise<number> {
  let round = 0;
  while (!stop()) {
    round++;
    tryTo(() => put(`${src}/sub/a${round % 7}.txt`, `round ${round}\n`.repeat(round % 5 + 1)));
    tryTo(() => Deno.chmodSync(`${src}/sub/a${(round + 3) % 7}.txt`, round % 2 ? 0o600 : 0o644));
    tryTo(() => put(`${src}/sub/new${round}.txt`, `new ${round}`));
    if (round > 3) tryTo(() => Deno.removeSync(`${src}/sub/new${round - 3}.txt`));
    tryTo(() => put(`${src}/sub/nested/n${round % 3}.txt`, `nested ${round}`));
    await delay(15);
  }
  return round;
}

/** Waits until `backup status` answers with exit 0, within `deadlineMs`. */
async function assertStatusAnswers(dest: string): Promise<void> {
  const started = performance.now();
  const status = await runCli(["status", "--dest", dest]);
  assertEquals(status.code, 0, status.stderr);
  assert(performance.now() - started < 15_000, "status took too long");
}

/** Stops the daemon with SIGTERM: it must exit 0 within 10 s. */
async function assertStopsInTime(daemon: Daemon): Promise<void> {
  const stop = await stopWithin(daemon, 10_000);
  assert(!stop.killed, `SIGTERM did not end the daemon in 10 s:\n${daemon.output()}`);
  assertEquals(stop.code, 0, daemon.output());
}

/** The running daemon of a test, over `src` into `dest`. */
function daemonOver(src: string, dest: string, extra: string[] = []): Daemon {
  return startDaemon(["--src", src, "--dest", dest, "--interval", "1", ...extra]);
}

/** Seeds the source and waits for the daemon's first copy of it. */
async function seed(src: string, dest: string): Promise<void> {
  for (let i = 0; i < 7; i++) put(`${src}/sub/a${i}.txt`, `start ${i}\n`);
  put(`${src}/sub/nested/n0.txt`, "nested");
  put(`${src}/top.txt`, "top");
  await waitFor(() => Deno.readTextFileSync(`${dest}/sub/a6.txt`) === "start 6\n", {
    what: "the first copy",
  });
}

/** The folders of a test, and the number of symlinks planted so far. */
interface Attack {
  src: string;
  dest: string;
  victim: string;
  park: string;
  swaps: number;
}

/**
 * A daemon over a churning source whose mirror `attempt` attacks, again and again, for
 * {@link ATTACK_MS} (or {@link MAX_SWAPS} symlinks planted: `attempt` counts them in `swaps`).
 * Then: more than 50 swaps were made, the victim is unchanged, `backup status` answers, the daemon
 * mirrors the source again once left alone, and stops in time with the victim still unchanged.
 */
async function attackMirror(base: string, attempt: (a: Attack) => Promise<void>): Promise<void> {
  const a: Attack = { ...roots(base), swaps: 0 };
  const { src, dest, victim, park } = a;
  plantVictim(victim);
  Deno.utimeSync(victim, OLD, OLD);
  Deno.mkdirSync(park);
  const before = snapshot(victim, []);
  Deno.mkdirSync(`${src}/sub`, { recursive: true });
  const daemon = daemonOver(src, dest);
  try {
    await seed(src, dest);
    let over = false;
    const churned = churn(src, () => over);
    const started = Date.now();
    while (Date.now() - started < ATTACK_MS && a.swaps < MAX_SWAPS) {
      await attempt(a);
      await delay(a.swaps % 4);
    }
    over = true;
    await churned;
    assert(a.swaps > 50, `only ${a.swaps} swaps were made`);
    assertUnchanged(victim, before);
    await assertStatusAnswers(dest);
    // Left alone, the daemon mirrors the source again.
    await waitFor(() => (assertMirror(src, dest), true), { timeoutMs: 20_000, what: "mirror" });
    assertUnchanged(victim, before);
  } finally {
    await assertStopsInTime(daemon);
  }
  assertUnchanged(victim, before);
}

Deno.test({
  name:
    "attack: a mirror folder swapped for a symlink to a victim, again and again, never changes the victim",
  ignore,
  async fn() {
    await using t = await tempDir();
    await attackMirror(t.path, async (a) => {
      const { dest, victim, park } = a;
      // mv D/sub away; ln -s victim D/sub; ...; rm D/sub; mv it back.
      if (tryTo(() => Deno.renameSync(`${dest}/sub`, `${park}/sub`))) {
        if (tryTo(() => Deno.symlinkSync(victim, `${dest}/sub`))) a.swaps++;
        await delay(a.swaps % 3);
        tryTo(() => {
          if (Deno.lstatSync(`${dest}/sub`).isSymlink) Deno.removeSync(`${dest}/sub`);
        });
        if (!tryTo(() => Deno.renameSync(`${park}/sub`, `${dest}/sub`))) {
          tryTo(() => Deno.removeSync(`${park}/sub`, { recursive: true }));
        }
      }
    });
  },
});

Deno.test({
  name:
    "attack: mirror files swapped for symlinks to a victim file never change its content, mode or mtime",
  ignore,
  async fn() {
    await using t = await tempDir();
    await attackMirror(t.path, async (a) => {
      const { dest, victim, park } = a;
      const name = `a${a.swaps % 7}.txt`;
      const [mirrored, parked] = [`${dest}/sub/${name}`, `${park}/${name}`];
      if (tryTo(() => Deno.renameSync(mirrored, parked))) {
        if (tryTo(() => Deno.symlinkSync(`${victim}/secret.txt`, mirrored))) a.swaps++;
        await delay(a.swaps % 3);
        tryTo(() => {
          if (Deno.lstatSync(mirrored).isSymlink) Deno.removeSync(mirrored);
        });
        if (!tryTo(() => Deno.renameSync(parked, mirrored))) tryTo(() => Deno.removeSync(parked));
      } else {
        // The file is not there right now (being replaced): plant the symlink where it will be.
        if (tryTo(() => Deno.symlinkSync(`${victim}/secret.txt`, mirrored))) a.swaps++;
      }
    });
  },
});

Deno.test({
  name: "attack: a versions folder replaced by a symlink to a victim is never pruned through",
  ignore,
  async fn() {
    await using t = await tempDir();
    const { src, dest, victim } = roots(t.path);
    const versions = `${dest}/${RESERVED_DIR}/versions`;
    // Names of versions a year past due under --keep-versions 1d.
    const due = ["f.txt~20200101T000000.000Z", "d/g.txt~20200101T000000.000Z"];
    put(`${src}/f.txt`, "one");
    put(`${src}/d/g.txt`, "two");
    const args = ["--src", src, "--dest", dest, "--keep-versions", "1d"];
    assertEquals((await runCli([...args, "--once"])).code, 0);

    // The control: in the real versions folder, these are pruned.
    for (const name of due) put(`${versions}/${name}`, "an old version");
    put(`${src}/f.txt`, "one, changed");
    const control = await runCli([...args, "--once"]);
    assertEquals(control.code, 0, control.stderr);
    for (const name of due) {
      assert(!tryTo(() => Deno.lstatSync(`${versions}/${name}`)), `${name} was not pruned`);
    }

    // The attack: versions is a symlink to a victim holding the same due names.
    for (const name of due) {
      put(`${victim}/${name}`, "the victim's own bytes");
      Deno.utimeSync(`${victim}/${name}`, OLD, OLD);
    }
    Deno.utimeSync(`${victim}/d`, OLD, OLD);
    Deno.utimeSync(victim, OLD, OLD);
    const before = snapshot(victim, []);
    Deno.removeSync(versions, { recursive: true });
    Deno.symlinkSync(victim, versions);
    put(`${src}/f.txt`, "one, changed again");
    await runCli([...args, "--once"]); // may fail (no versions folder to move into): not our point
    assertUnchanged(victim, before);

    // And a daemon pruning between passes, with changes that would make versions.
    const daemon = startDaemon([...args, "--interval", "1"]);
    try {
      for (let i = 0; i < 5; i++) {
        put(`${src}/f.txt`, `change ${i}`);
        Deno.removeSync(`${src}/d/g.txt`, { recursive: true });
        put(`${src}/d/g.txt`, `change ${i}`);
        await delay(700);
      }
      assertUnchanged(victim, before);
      await assertStatusAnswers(dest);
    } finally {
      await assertStopsInTime(daemon);
    }
    assertUnchanged(victim, before);
    assert(Deno.lstatSync(versions).isSymlink, "the planted symlink itself is left as it is");
  },
});
