import { assertRejects } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { restoreInto } from "./actions.ts";

Deno.test("restoreInto: refused before anything is read or written", async () => {
  const fs = new DenoFileSystem();
  const dir = Deno.makeTempDirSync();
  const job = { name: "j", source: `${dir}/s`, dest: `${dir}/d`, interval: null };
  try {
    const at = { path: "a", at: null };
    await assertRejects(() => restoreInto(job, [job], { ...at, to: "relative" }, fs), UsageError);
    await assertRejects(() => restoreInto(job, [job], { ...at, to: `${dir}/d/x` }, fs), UsageError);
    await assertRejects(() => restoreInto(job, [job], { ...at, to: `${dir}/s` }, fs), UsageError);
    await assertRejects(() => restoreInto(job, [job], { ...at, to: dir }, fs), UsageError);
    await assertRejects(
      () => restoreInto(job, [job], { path: "..", at: null, to: "/x" }, fs),
      UsageError,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
