import { assertEquals } from "../testing/assert.ts";
import { RESERVED_DIR } from "../lib/base/layout.ts";
import { journalMark, journalSince, lastSeq } from "./scale_rename.ts";

function line(seq: number, rest: string): string {
  return `{"seq":${seq},${rest}}\n`;
}

Deno.test("journalSince reads only what was appended after the mark, and lastSeq the newest seq", () => {
  const dest = Deno.makeTempDirSync();
  try {
    const dir = `${dest}/${RESERVED_DIR}/journal`;
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${dir}/00000001.jsonl`, line(1, '"type":"intent","op":"copy"'));
    Deno.writeTextFileSync(`${dir}/checkpoint-000000000001.jsonl`, line(99, '"type":"entry"'));
    assertEquals(lastSeq(dest), 1);
    const mark = journalMark(dest);
    assertEquals([...mark.keys()], ["00000001.jsonl"]);
    Deno.writeTextFileSync(`${dir}/00000001.jsonl`, line(2, '"type":"intent","op":"move"'), {
      append: true,
    });
    Deno.writeTextFileSync(
      `${dir}/00000002.jsonl`,
      line(3, '"type":"done","bytes":0') + '{"seq":4,"type":"do',
    );
    const got = journalSince(dest, mark, 1);
    assertEquals(got.map((r) => [r.seq, r.type, r.op ?? r.bytes]), [
      [2, "intent", "move"],
      [3, "done", 0],
    ]);
    assertEquals(lastSeq(dest), 3);
  } finally {
    Deno.removeSync(dest, { recursive: true });
  }
});
