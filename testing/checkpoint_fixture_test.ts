import { assertEquals } from "./assert.ts";
import { tempDir } from "./helpers.ts";
import { endLine, headerLine, rawEntryLine, readCheckpointAt } from "./checkpoint_fixture.ts";
import { unframeLine } from "../lib/journal/record.ts";

Deno.test("rawEntryLine frames the writer's keys in the writer's order, extra fields on top", () => {
  const u = unframeLine(rawEntryLine("a/b", { size: 7 }).slice(0, -1));
  assertEquals(
    u.ok && JSON.stringify(u.value),
    JSON.stringify({
      type: "entry",
      path: "a/b",
      kind: "file",
      size: 7,
      mtime: 1,
      mode: 0o644,
      ino: 1,
    }),
  );
});

Deno.test("readCheckpointAt writes the lines given and reads them with the visitor", async () => {
  await using tmp = await tempDir();
  const seen: string[] = [];
  const path = `${tmp.path}/c`;
  const text = headerLine() + rawEntryLine("a") + rawEntryLine("b") + endLine(2);
  const info = readCheckpointAt(path, { onEntry: (p) => seen.push(p) }, text);
  assertEquals([info.seq, info.next, info.entries, seen], [7, 2, 2, ["a", "b"]]);
  assertEquals(readCheckpointAt(path, {}).entries, 2, "the file as it is");
  readCheckpointAt(path, {}, new TextEncoder().encode(headerLine() + endLine(0)));
  assertEquals(Deno.readTextFileSync(path), headerLine() + endLine(0));
});
