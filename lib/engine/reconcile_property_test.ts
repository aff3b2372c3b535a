/**
 * Property test of the whole reconcile loop on real files: random sequences
 * of source changes, each followed by a pass that may hit a random fault (an
 * I/O error on a random call) or a crash after a random number of writes.
 * After recovery and one clean pass, the destination mirrors the source and
 * no operation the journal marked done is lost.
 */

import fc from "fast-check";
import { assertEquals } from "../../testing/assert.ts";
import { assertMirror, leftoverTemps, put } from "../../testing/helpers.ts";
import { parseKeepVersions } from "./versions.ts";
import { getLogger } from "@logtape/logtape";
import { DenoFileSystem, isNotFound } from "../base/fs.ts";
import { type FaultPoint, FaultyFileSystem, isSimulatedCrash } from "../../testing/fault_fs.ts";
import { Reconciler } from "./reconciler.ts";
import { replayJournal } from "../journal/replay.ts";
import { readJournal } from "../journal/reader.ts";
import { journalDir } from "../base/layout.ts";

const quiet = getLogger(["test-silent"]);
const logs = { op: quiet, pass: quiet, daemon: quiet };

/** One change to the source tree. */
type Change =
  | { kind: "write"; file: number; size: number }
  | { kind: "delete"; file: number }
  | { kind: "move"; file: number; to: number }
  | { kind: "mkdir"; dir: number }
  | { kind: "rmdir"; dir: number }
  | { kind: "chmod"; file: number; mode: number };

/** What may go wrong during the pass after a change. */
type Fault =
  | { kind: "none" }
  | { kind: "error"; point: FaultPoint; nth: number }
  | { kind: "crash"; after: number };

const DIRS = ["", "a", "a/b", "c"];
const fileName = (n: number) => `${DIRS[n % DIRS.length]}/f${n}`.replace(/^\//, "");

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({
    kind: fc.constant("write" as const),
    file: fc.nat(11),
    size: fc.integer({ min: 0, max: 300_000 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), file: fc.nat(11) }),
  fc.record({ kind: fc.constant("move" as const), file: fc.nat(11), to: fc.nat(11) }),
  fc.record({ kind: fc.constant("mkdir" as const), dir: fc.nat(3) }),
  fc.record({ kind: fc.constant("rmdir" as const), dir: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant("chmod" as const),
    file: fc.nat(11),
    mode: fc.constantFrom(0o600, 0o644, 0o755),
  }),
);

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({
    kind: fc.constant("error" as const),
    point: fc.constantFrom<FaultPoint>("rename", "write", "remove", "mkdir", "open", "syncDir"),
    nth: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant("crash" as const), after: fc.integer({ min: 0, max: 40 }) }),
);

function apply(src: string, c: Change, salt: number): void {
  try {
    switch (c.kind) {
      case "write":
        put(`${src}/${fileName(c.file)}`, new Uint8Array(c.size).fill((c.file * 7 + salt) & 0xff));
        return;
      case "delete":
        Deno.removeSync(`${src}/${fileName(c.file)}`);
        return;
      case "move": {
        const to = `${src}/${fileName(c.to)}`;
        Deno.mkdirSync(to.slice(0, to.lastIndexOf("/")), { recursive: true });
        Deno.renameSync(`${src}/${fileName(c.file)}`, to);
        return;
      }
      case "mkdir":
        Deno.mkdirSync(`${src}/${DIRS[c.dir]}/new${c.dir}`, { recursive: true });
        return;
      case "rmdir":
        Deno.removeSync(`${src}/${DIRS[c.dir]}`, { recursive: true });
        return;
      case "chmod":
        Deno.chmodSync(`${src}/${fileName(c.file)}`, c.mode);
        return;
    }
  } catch (err) {
    // A change on a path that is not there (deleted earlier) is a no-op.
    if (!isNotFound(err)) throw err;
  }
}

/**
 * What the journal says the destination holds, and the paths whose fate is
 * open: decided on after `sinceSeq`, or whose latest decision never got a
 * `done` (it may or may not have been applied before a crash or a fault).
 */
function journalView(dest: string, sinceSeq = 0) {
  const open = new Set<string>();
  const lastIntent = new Map<string, number>();
  const intentPaths = new Map<number, string[]>();
  const done = new Set<number>();
  let lastSeq = 0;
  const { state } = replayJournal(new DenoFileSystem(), journalDir(dest), { repair: false });
  readJournal(new DenoFileSystem(), journalDir(dest), {
    onRecord: (r) => {
      lastSeq = r.seq;
      if (r.type === "done") done.add(r.ref);
      if (r.type !== "intent") return;
      const paths = r.from !== undefined ? [r.path, r.from] : [r.path];
      intentPaths.set(r.seq, paths);
      for (const p of paths) {
        lastIntent.set(p, r.seq);
        if (r.seq > sinceSeq) open.add(p);
      }
    },
  });
  for (const [p, seq] of lastIntent) if (!done.has(seq)) open.add(p);
  return { entries: new Map([...state.entries].map(([p, e]) => [p, e.kind])), open, lastSeq };
}

function kindAt(path: string): string | null {
  try {
    const st = Deno.lstatSync(path);
    return st.isDirectory ? "dir" : st.isSymlink ? "symlink" : "file";
  } catch {
    return null;
  }
}

async function passWith(
  src: string,
  dest: string,
  fault: Fault,
  versions = false,
): Promise<void> {
  const fs = new FaultyFileSystem(new DenoFileSystem());
  if (fault.kind === "crash") fs.crashAfter(fault.after);
  let rec: Reconciler | null = null;
  try {
    rec = await Reconciler.start(fs, {
      source: src,
      dest,
      logs,
      // Half the runs keep versions: replacing and deleting files then goes through renames.
      ...(versions ? { keepVersions: parseKeepVersions("1000") } : {}),
    });
    if (fault.kind === "error") {
      fs.addRule({
        point: fault.point,
        path: dest,
        nth: fault.nth,
        error: () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
      });
    }
    await rec.pass();
  } catch (err) {
    if (!isSimulatedCrash(err) && !(fault.kind === "error")) throw err;
  } finally {
    await rec?.close().catch(() => {});
  }
}

Deno.test("reconcile loop: random changes, faults and crashes always recover to a mirror", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(changeArb, faultArb), { minLength: 1, maxLength: 8 }),
      async (steps) => {
        const versions = run % 2 === 1;
        const root = await Deno.makeTempDir({ prefix: `backup-prop-${run++}-` });
        const src = `${root}/src`;
        const dest = `${root}/dest`;
        try {
          for (let i = 0; i < 6; i++) put(`${src}/${fileName(i)}`, `seed ${i}`);
          await passWith(src, dest, { kind: "none" }, versions);
          for (const [i, [change, fault]] of steps.entries()) {
            apply(src, change, i);
            const before = journalView(dest);
            await passWith(src, dest, fault, versions);
            // What the journal holds as done is in the destination, unless this pass decided
            // something about that path (an intent whose outcome may be unknown).
            const after = journalView(dest, before.lastSeq);
            for (const [p, kind] of after.entries) {
              if ([...after.open].some((o) => p === o || p.startsWith(o + "/"))) continue;
              assertEquals(kindAt(`${dest}/${p}`), kind, `${p}: done in the journal, lost on disk`);
            }
          }
          await passWith(src, dest, { kind: "none" }, versions); // recovery after any crash
          await passWith(src, dest, { kind: "none" }, versions); // one clean pass
          assertMirror(src, dest);
          assertEquals(leftoverTemps(dest), []);
          for (const [p, kind] of journalView(dest).entries) {
            assertEquals(kindAt(`${dest}/${p}`), kind, `${p} after recovery`);
          }
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      },
    ),
    { numRuns: 150 },
  );
});
