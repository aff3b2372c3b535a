import { assert, assertEquals, assertIncludes } from "../../../testing/assert.ts";
import { put, tempDir } from "../../../testing/helpers.ts";
import { nativeAvailable } from "./libc.ts";
import { openSourceFile, readSmallRegularFile } from "./source.ts";

const ignore = !nativeAvailable();
const PROBE = new URL("./testdata/probe_open.ts", import.meta.url).pathname;
const DEADLINE_MS = 30_000;

interface Probe {
  available: boolean;
  reason: string | null;
  results: Record<string, { source: string; small: string; beneath: string }>;
}

/**
 * Runs the probe in a subprocess killed at the deadline: a call that blocks
 * (an open or read waiting on a FIFO) fails the test instead of hanging it.
 */
async function probe(permissions: string[], root: string, names: string[]): Promise<Probe> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", ...permissions, PROBE, root, ...names],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  const elapsed = performance.now() - started;
  const stderr = new TextDecoder().decode(output.stderr);
  assert(output.success, `probe failed or was killed after ${elapsed.toFixed(0)} ms: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, "mkfifo");
}

/** Binds a unix socket at `path` (in a `deno eval`, which may use the network; the tests may not). */
async function mksocket(path: string): Promise<void> {
  // Deno removes the socket file on close: a hard link to it stays.
  const bound = JSON.stringify(`${path}.bound`);
  const code = `const listener = Deno.listen({ transport: "unix", path: ${bound} });
    Deno.linkSync(${bound}, ${JSON.stringify(path)});
    listener.close();`;
  const made = await new Deno.Command(Deno.execPath(), { args: ["eval", code] }).output();
  assert(made.success, "unix socket");
  assert(Deno.lstatSync(path).isSocket, "the socket file stays after close");
}

Deno.test({
  name: "openSourceFile, readSmallRegularFile, Beneath.openRead: a FIFO, a socket, a device, " +
    "a folder and symlinks are refused without blocking; regular files are read up to the cap",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const root = dir.path;
    put(`${root}/small`, "small");
    put(`${root}/big`, "x".repeat(100));
    await mkfifo(`${root}/fifo`);
    Deno.symlinkSync("/dev/zero", `${root}/zero-link`);
    Deno.symlinkSync("fifo", `${root}/fifo-link`);
    Deno.symlinkSync(".", `${root}/parent-link`);
    Deno.mkdirSync(`${root}/dir`);
    await mksocket(`${root}/socket`);
    const all = (outcome: string) => ({ source: outcome, small: outcome, beneath: outcome });
    const report = await probe(["--allow-read", "--allow-ffi"], root, [
      "small",
      "big",
      "fifo",
      "zero-link",
      "fifo-link",
      "socket",
      "dir",
      "missing",
      "parent-link/small",
      "/dev/zero",
    ]);
    assertEquals(report.available, true);
    assertEquals(report.results, {
      "small": { source: "file:5", small: "bytes:5:false", beneath: "file:5" },
      "big": { source: "file:100", small: "bytes:16:true", beneath: "file:100" },
      "fifo": all("refused:fifo"),
      "zero-link": all("refused:symlink"),
      "fifo-link": all("refused:symlink"),
      "socket": all("refused:socket"),
      "dir": all("refused:directory"),
      "missing": all("error:ENOENT"),
      // The source follows symlinks in parent components; beneath a root nothing does.
      "parent-link/small": { source: "file:5", small: "bytes:5:false", beneath: "error:ELOOP" },
      "/dev/zero": { source: "refused:device", small: "refused:device", beneath: "error:EXDEV" },
    });
  },
});

Deno.test("nativeAvailable() is false without --allow-ffi, and says so", async () => {
  await using dir = await tempDir("backup-native-");
  const report = await probe(["--allow-read"], dir.path, []);
  assertEquals(report.available, false);
  assertIncludes(report.reason ?? "", "--allow-ffi");
});

Deno.test({
  name: "readSmallRegularFile: exact content, the cap, and a /proc file whose size says 0",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    const body = "line one\nline two\n";
    put(`${dir.path}/ignore`, body);
    const whole = readSmallRegularFile(`${dir.path}/ignore`, 1024);
    assert(whole.ok);
    assertEquals(new TextDecoder().decode(whole.bytes), body);
    assertEquals(whole.truncated, false);
    const exact = readSmallRegularFile(`${dir.path}/ignore`, body.length);
    assert(exact.ok);
    assertEquals([exact.bytes.length, exact.truncated], [body.length, false]);
    const capped = readSmallRegularFile(`${dir.path}/ignore`, 4);
    assert(capped.ok);
    assertEquals([new TextDecoder().decode(capped.bytes), capped.truncated], ["line", true]);
    const status = readSmallRegularFile("/proc/self/status", 1 << 20);
    assert(status.ok);
    assertIncludes(new TextDecoder().decode(status.bytes), "Pid:");
  },
});

Deno.test({
  name: "openSourceFile: the file that passes the check is the file that is read",
  ignore,
  async fn() {
    await using dir = await tempDir("backup-native-");
    put(`${dir.path}/data`, "first");
    const opened = openSourceFile(`${dir.path}/data`);
    assert(opened.ok);
    try {
      // Replacing the path after the open does not change what the descriptor reads.
      put(`${dir.path}/other`, "second");
      Deno.renameSync(`${dir.path}/other`, `${dir.path}/data`);
      const buffer = new Uint8Array(16);
      const count = await opened.file.read(buffer);
      assertEquals(new TextDecoder().decode(buffer.subarray(0, count ?? 0)), "first");
      assertEquals(opened.info.size, 5);
    } finally {
      opened.file.close();
    }
  },
});
