import { assert, assertEquals, assertIncludes, assertThrows } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { FaultyFileSystem } from "../../testing/fault_fs.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { IDENTITY_FILE, MARKER_NAME, RESERVED_DIR } from "../base/layout.ts";
import {
  establishIdentity,
  readIdentity,
  type SourceIdentity,
  sourceVeto,
} from "./source_guard.ts";

const real = new DenoFileSystem();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A source folder with one file in `root`, and a destination with its reserved folder. */
function setUp(root: string) {
  const source = `${root}/src`;
  const dest = `${root}/dest`;
  put(`${source}/file.txt`, "data");
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  return { source, dest, identityPath: `${dest}/${RESERVED_DIR}/${IDENTITY_FILE}` };
}

Deno.test("establishIdentity at the first backup records the source's device and writes its marker", async () => {
  await using tmp = await tempDir();
  const { source, dest, identityPath } = setUp(tmp.path);
  const before = Date.now();
  const first = establishIdentity(real, source, dest);
  assertEquals(first.fresh, true);
  assertEquals(first.markerProblem, null);
  const id = first.identity;
  assertEquals([id.v, id.source, id.dev], [1, source, Deno.lstatSync(source).dev]);
  assert(id.marker !== null && UUID.test(id.marker), String(id.marker));
  assert(Date.parse(id.created) >= before - 1000, id.created);
  const marker = Deno.readTextFileSync(`${source}/${MARKER_NAME}`);
  assertIncludes(marker, `(${id.marker})`);
  assertIncludes(marker, dest);
  assertEquals(Deno.statSync(`${source}/${MARKER_NAME}`).mode! & 0o777, 0o600);
  assertEquals(JSON.parse(Deno.readTextFileSync(identityPath)), id);
  assertEquals(Deno.statSync(identityPath).mode! & 0o777, 0o600);
  assertEquals(readIdentity(real, dest), id);
});

Deno.test("establishIdentity later returns the recorded identity unchanged", async () => {
  await using tmp = await tempDir();
  const { source, dest, identityPath } = setUp(tmp.path);
  const first = establishIdentity(real, source, dest);
  const text = Deno.readTextFileSync(identityPath);
  const again = establishIdentity(real, source, dest);
  assertEquals(again, { identity: first.identity, fresh: false, markerProblem: null });
  assertEquals(Deno.readTextFileSync(identityPath), text, "not rewritten");
});

Deno.test("establishIdentity shares the marker already in the source with a second destination and on reset", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const first = establishIdentity(real, source, dest).identity;
  const markerText = Deno.readTextFileSync(`${source}/${MARKER_NAME}`);
  const dest2 = `${tmp.path}/dest2`;
  Deno.mkdirSync(`${dest2}/${RESERVED_DIR}`, { recursive: true });
  const second = establishIdentity(real, source, dest2);
  assertEquals([second.fresh, second.identity.marker], [true, first.marker]);
  const reset = establishIdentity(real, source, dest, { reset: true });
  assertEquals([reset.fresh, reset.identity.marker], [true, first.marker]);
  assertEquals(Deno.readTextFileSync(`${source}/${MARKER_NAME}`), markerText, "marker untouched");
  assertEquals(
    sourceVeto(real, source, first, 1, 1),
    null,
    "the first backup's guard still passes",
  );
});

Deno.test("establishIdentity writes a new marker on reset when the source's marker holds no id", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const first = establishIdentity(real, source, dest).identity;
  Deno.writeTextFileSync(`${source}/${MARKER_NAME}`, "edited by hand, no id in it");
  const reset = establishIdentity(real, source, dest, { reset: true }).identity;
  assert(reset.marker !== null && reset.marker !== first.marker);
  assertIncludes(Deno.readTextFileSync(`${source}/${MARKER_NAME}`), reset.marker);
  assertEquals(readIdentity(real, dest), reset);
});

Deno.test("establishIdentity records an identity without marker when the source cannot be written", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const readOnly = new FaultyFileSystem(real, [{
    point: "open",
    path: MARKER_NAME,
    error: () => new Error("Read-only file system (os error 30)"),
  }]);
  const done = establishIdentity(readOnly, source, dest);
  assertEquals(done.identity.marker, null);
  assertEquals(done.markerProblem, "read-only file system");
  assertEquals(readIdentity(real, dest)?.marker, null);
  assertEquals(sourceVeto(real, source, done.identity, 1, 1), null, "no marker is asked for");
});

Deno.test("readIdentity: none is null, a damaged one is null (recorded afresh), an unreadable one throws", async () => {
  await using tmp = await tempDir();
  const { source, dest, identityPath } = setUp(tmp.path);
  assertEquals(readIdentity(real, dest), null);
  Deno.writeTextFileSync(identityPath, '{"v":1,"dev":');
  assertEquals(readIdentity(real, dest), null, "torn JSON");
  Deno.writeTextFileSync(identityPath, '{"v":2,"dev":1}');
  assertEquals(readIdentity(real, dest), null, "another version");
  Deno.writeTextFileSync(identityPath, '{"v":1,"dev":"1"}');
  assertEquals(readIdentity(real, dest), null, "a device that is not a number");
  assertEquals(establishIdentity(real, source, dest).fresh, true);
  const denied = new FaultyFileSystem(real, [{
    point: "readFile",
    path: IDENTITY_FILE,
    error: () => new Deno.errors.PermissionDenied("Permission denied"),
  }]);
  assertThrows(() => readIdentity(denied, dest), Deno.errors.PermissionDenied);
});

Deno.test("sourceVeto lets a pass run when device, marker and content are as recorded", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const identity = establishIdentity(real, source, dest).identity;
  assertEquals(sourceVeto(real, source, identity, 2, 2), null);
  assertEquals(sourceVeto(real, source, identity, 0, 0), null, "empty, and so is the backup");
});

Deno.test("sourceVeto stops a pass when the source is missing, on another device, or lost its marker", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const identity = establishIdentity(real, source, dest).identity;
  const moved: SourceIdentity = { ...identity, dev: identity.dev + 1 };
  assertEquals(
    sourceVeto(real, source, moved, 2, 2),
    `the source is on another device than at the first backup (device ${identity.dev}, was ${
      identity.dev + 1
    }): is the right disk mounted?`,
  );
  const markerGone =
    `the source has lost its marker file ${MARKER_NAME}: is the right disk mounted?`;
  Deno.writeTextFileSync(`${source}/${MARKER_NAME}`, "another backup's marker (0000)");
  assertEquals(sourceVeto(real, source, identity, 2, 2), markerGone, "a different id");
  Deno.removeSync(`${source}/${MARKER_NAME}`);
  assertEquals(sourceVeto(real, source, identity, 2, 2), markerGone, "no marker");
  Deno.removeSync(source, { recursive: true });
  assertEquals(
    sourceVeto(real, source, identity, 0, 2),
    "the source cannot be read (not found)",
  );
});

Deno.test("sourceVeto stops a pass over an empty source whose backup is not empty", async () => {
  await using tmp = await tempDir();
  const { source, dest } = setUp(tmp.path);
  const identity = establishIdentity(real, source, dest).identity;
  assertEquals(
    sourceVeto(real, source, identity, 0, 7),
    "the source is empty but its backup holds 7 entries: is the disk mounted?",
  );
});
