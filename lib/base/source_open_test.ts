import { assert, assertEquals, assertIncludes } from "../../testing/assert.ts";
import { put, tempDir } from "../../testing/helpers.ts";
import { nativeAvailable } from "./native/libc.ts";

const PROBE = new URL("./testdata/source_open_probe.ts", import.meta.url).pathname;
const DEADLINE_MS = 30_000;

interface Probe {
  fallback: string | null;
  results: Record<string, string>;
}

/** Runs the probe in a subprocess killed at the deadline: an open that blocks fails the test. */
async function probe(permissions: string[], paths: string[]): Promise<Probe> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", ...permissions, PROBE, ...paths],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert(output.success, `probe failed or was killed at the deadline: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function mkfifo(path: string): Promise<void> {
  assert((await new Deno.Command("mkfifo", { args: [path] }).output()).success, "mkfifo");
}

/** The same answers with and without the native layer: only the fallback's reason differs. */
async function assertRefusals(permissions: string[]): Promise<Probe> {
  await using dir = await tempDir("backup-source-open-");
  const root = dir.path;
  put(`${root}/small`, "small");
  put(`${root}/big`, new Uint8Array(300_000).fill(7));
  await mkfifo(`${root}/fifo`);
  Deno.symlinkSync("small", `${root}/link`);
  Deno.symlinkSync("fifo", `${root}/fifo-link`);
  Deno.symlinkSync(".", `${root}/parent-link`);
  Deno.mkdirSync(`${root}/dir`);
  const names = [
    "small",
    "big",
    "fifo",
    "link",
    "fifo-link",
    "dir",
    "missing",
    "parent-link/small",
  ];
  const report = await probe(permissions, [...names.map((name) => `${root}/${name}`), "/dev/null"]);
  const byName = Object.fromEntries(
    Object.entries(report.results).map((
      [path, outcome],
    ) => [path.replace(`${root}/`, ""), outcome]),
  );
  assertEquals(byName, {
    "small": "file:5:5:true",
    "big": "file:300000:300000:true",
    "fifo": "refused:fifo",
    "link": "refused:symlink",
    "fifo-link": "refused:symlink",
    "dir": "refused:directory",
    "missing": "error:NotFound",
    // Symlinks in parent components are followed: the source is the user's tree.
    "parent-link/small": "file:5:5:true",
    "/dev/null": "refused:device",
  });
  return report;
}

Deno.test({
  name: "openSource with the native layer: FIFOs, devices, folders and symlinks are refused " +
    "without blocking; a regular file reads whole, sync and async, and its fstat is its lstat",
  ignore: !nativeAvailable(),
  async fn() {
    const report = await assertRefusals(["--allow-read", "--allow-ffi"]);
    assertEquals(report.fallback, null);
  },
});

Deno.test("openSource without --allow-ffi (the fallback): the same refusals, never blocking, and it says why", async () => {
  const report = await assertRefusals(["--allow-read"]);
  assertIncludes(report.fallback ?? "", "--allow-ffi");
});
