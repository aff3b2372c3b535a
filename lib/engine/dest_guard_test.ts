import { assertEquals, assertIncludes } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { DEST_IDENTITY_FILE, MARKER_NAME, RESERVED_DIR } from "../base/layout.ts";
import {
  destinationVeto,
  establishDestination,
  markedDestination,
  missingBackupVeto,
  readDestinationIdentity,
} from "./dest_guard.ts";
import { establishIdentity } from "./source_guard.ts";

const real = new DenoFileSystem();

Deno.test("establishDestination records the destination's device once, and afresh on reset", async () => {
  await using tmp = await tempDir();
  const dest = `${tmp.path}/dest`;
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  const first = establishDestination(real, dest);
  assertEquals(first.fresh, true);
  assertEquals([first.identity.dest, first.identity.dev], [dest, Deno.lstatSync(dest).dev]);
  const path = `${dest}/${RESERVED_DIR}/${DEST_IDENTITY_FILE}`;
  assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  assertEquals(establishDestination(real, dest), { identity: first.identity, fresh: false });
  assertEquals(readDestinationIdentity(real, dest), first.identity);
  assertEquals(destinationVeto(real, dest, first.identity), null);
  const moved = { ...first.identity, dev: first.identity.dev + 1 };
  assertIncludes(destinationVeto(real, dest, moved)!, `its backup was made on device ${moved.dev}`);
  Deno.writeTextFileSync(path, "{ torn");
  assertEquals(readDestinationIdentity(real, dest), null, "a damaged record is made again");
  assertEquals(establishDestination(real, dest, { reset: true }).fresh, true);
});

Deno.test("missingBackupVeto refuses only a destination without a backup that the source's marker names", async () => {
  await using tmp = await tempDir();
  const [source, dest] = [`${tmp.path}/src`, `${tmp.path}/dest`];
  put(`${source}/a.txt`, "a");
  assertEquals(markedDestination(real, source), null);
  assertEquals(missingBackupVeto(real, source, dest, false), null, "no marker yet");
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  establishIdentity(real, source, dest);
  assertEquals(markedDestination(real, source), dest);
  assertEquals(missingBackupVeto(real, source, dest, true), null, "the backup is there");
  assertEquals(missingBackupVeto(real, source, `${tmp.path}/other`, false), null);
  assertIncludes(missingBackupVeto(real, source, dest, false)!, `${MARKER_NAME} says`);
});
