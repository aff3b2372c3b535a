import { assert, assertEquals } from "../../testing/assert.ts";
import type { LogRecord } from "@logtape/logtape";
import { DenoFileSystem } from "../base/fs.ts";
import { JobLogFiles } from "./log_jobs.ts";

const record = (job: string, text: string): LogRecord => ({
  category: ["backup", "daemon", job],
  level: "info",
  message: [text],
  rawMessage: text,
  timestamp: Date.now(),
  properties: {},
});

Deno.test("JobLogFiles routes each job's records to its file and follows a switch to JSON lines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = new JobLogFiles(new DenoFileSystem());
    files.open("a", `${dir}/a.log`);
    files.open("b", `${dir}/b.log`);
    files.sink(record("a", "human line"));
    files.sink(record("b", "for b"));
    files.useJson(true); // a reload that sets "log": {"json": true}
    files.sink(record("a", "json line"));
    files.closeAll();
    const [human, json] = Deno.readTextFileSync(`${dir}/a.log`).trimEnd().split("\n");
    assert(human!.includes("human line") && !human!.startsWith("{"), human);
    assertEquals(JSON.parse(json!).message, "json line");
    assertEquals(Deno.readTextFileSync(`${dir}/b.log`).includes("for b"), true);
    assertEquals(Deno.readTextFileSync(`${dir}/b.log`).includes("line"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
