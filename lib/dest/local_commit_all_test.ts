import { assert, assertEquals } from "../../testing/assert.ts";
import { leftoverTemps, put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem, isSymlinkRefused } from "../base/fs.ts";
import { LocalDestination } from "./local.ts";
import { nativeAvailable } from "../base/native/libc.ts";

const encoder = new TextEncoder();

for (const pin of nativeAvailable() ? [true, false] : [false]) {
  Deno.test(`LocalDestination.commitAll (${pin ? "pinned" : "by path"}): staged files committed in order, one outcome each`, async () => {
    await using t = await tempDir();
    const root = `${t.path}/dest`;
    put(`${root}/a/old`, "old");
    put(`${t.path}/victim/keep`, "keep");
    Deno.mkdirSync(`${root}/b`);
    const destination = new LocalDestination(new DenoFileSystem(), root, { pin });
    try {
      const names = ["a/1", "a/2", "b/3", "b/4", "top"];
      const staged = [];
      for (const name of names) {
        const file = await destination.stageFile(name, { size: name.length });
        await file.write(encoder.encode(name));
        await file.seal({ mode: 0o644, mtimeMs: 1_700_000_000_000 });
        await file.sync();
        staged.push(file);
      }
      // b swapped for a symlink to a victim after staging: its files fail, the others land.
      Deno.renameSync(`${root}/b`, `${t.path}/b-away`);
      Deno.symlinkSync(`${t.path}/victim`, `${root}/b`);
      const outcomes = await destination.commitAll(staged);
      assertEquals(outcomes.length, names.length);
      for (const i of [0, 1, 4]) assertEquals(outcomes[i], null);
      if (pin) {
        for (const i of [2, 3]) assert(isSymlinkRefused(outcomes[i]), String(outcomes[i]));
      }
      for (const name of ["a/1", "a/2", "top"]) {
        assertEquals(Deno.readTextFileSync(`${root}/${name}`), name);
      }
      if (pin) {
        assertEquals([...Deno.readDirSync(`${t.path}/victim`)].map((e) => e.name), ["keep"]);
        for (const i of [2, 3]) await staged[i]!.discard();
        assertEquals(leftoverTemps(root), []);
      }
    } finally {
      destination.close();
    }
  });
}
