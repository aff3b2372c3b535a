import { assert, assertEquals } from "../../testing/assert.ts";
import type { LogRecord } from "@logtape/logtape";
import { DenoFileSystem } from "../base/fs.ts";
import { privateFileSink } from "./log_file.ts";

const record = (text: string): LogRecord => ({
  category: ["backup", "op"],
  level: "info",
  message: [text],
  rawMessage: text,
  timestamp: Date.now(),
  properties: {},
});

Deno.test("privateFileSink() rotates, and every generation is 0600 whatever the umask", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/backup.log`;
    const sink = privateFileSink(new DenoFileSystem(), path, {
      formatter: (r) => `${String(r.message[0])}\n`,
      maxSize: 1000,
      maxFiles: 2,
      bufferSize: 100,
    });
    for (let i = 0; i < 100; i++) sink(record(`line ${i} `.padEnd(50, ".")));
    sink[Symbol.dispose]();
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names, ["backup.log", "backup.log.1", "backup.log.2"]);
    for (const n of names) assertEquals(Deno.statSync(`${dir}/${n}`).mode! & 0o777, 0o600, n);
    const newest = Deno.readTextFileSync(`${path}.1`) + Deno.readTextFileSync(path);
    assert(newest.trimEnd().endsWith("line 99 ".padEnd(50, ".")), "the newest lines are kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("privateFileSink() goes on after its file or folder vanished at a rotation", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/logs/backup.log`;
    Deno.mkdirSync(`${dir}/logs`);
    const sink = privateFileSink(new DenoFileSystem(), path, {
      formatter: (r) => `${String(r.message[0])}\n`,
      maxSize: 200,
      maxFiles: 2,
      bufferSize: 10,
    });
    sink(record("before"));
    // The folder goes (an admin cleaning up): rotations and writes fail, the sink carries on.
    Deno.removeSync(`${dir}/logs`, { recursive: true });
    for (let i = 0; i < 20; i++) sink(record(`lost line ${i}`.padEnd(40, ".")));
    // It comes back: the next lines land in a new file.
    Deno.mkdirSync(`${dir}/logs`);
    for (let i = 0; i < 3; i++) sink(record(`after ${i}`));
    sink[Symbol.dispose]();
    const text = Deno.readTextFileSync(path);
    assert(text.includes("after 2"), text);
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
