import { assert, assertEquals } from "../../testing/assert.ts";
import { tempDir, waitFor } from "../../testing/helpers.ts";
import { type HookRun, KILL_GRACE_MS, spawnShell } from "./hook_shell.ts";

const run = (command: string, over: Partial<HookRun> = {}): HookRun => ({
  command,
  input: "",
  env: {},
  timeoutMs: 10_000,
  killGraceMs: KILL_GRACE_MS,
  ...over,
});

/** True once no process `pid` exists. */
async function gone(pid: string): Promise<boolean> {
  return !(await new Deno.Command("kill", { args: ["-0", pid], stderr: "null" }).output()).success;
}

Deno.test("spawnShell runs sh -c with the input on stdin and the env added to the inherited one", async () => {
  const result = await spawnShell(
    run('cat; echo "[$BACKUP_EVENT]"; command -v sh >/dev/null && echo path-kept', {
      input: '{"event":"pass"}\n',
      env: { BACKUP_EVENT: "pass" },
    }),
  );
  assertEquals(result, {
    code: 0,
    signal: null,
    timedOut: false,
    output: '{"event":"pass"}\n[pass]\npath-kept\n',
    inputError: null,
  });
});

Deno.test("spawnShell reports the exit code and keeps stderr with stdout", async () => {
  const result = await spawnShell(run("echo out; echo 'mail: no route' >&2; exit 3"));
  assertEquals([result.code, result.signal, result.timedOut], [3, null, false]);
  assert(
    result.output.includes("out\n") && result.output.includes("mail: no route\n"),
    result.output,
  );
  const missing = await spawnShell(run("no-such-command-for-backup-hooks"));
  assertEquals(missing.code, 127);
});

Deno.test("spawnShell keeps only the last 2 kB of the output", async () => {
  // 5000 numbered lines of 8 bytes each: the tail must end with the last line, whole bytes.
  const result = await spawnShell(
    run("i=0; while [ $i -lt 5000 ]; do printf '%07d\\n' $i; i=$((i+1)); done"),
  );
  assertEquals(result.code, 0);
  assertEquals(result.output.length, 2048);
  assert(result.output.endsWith("0004999\n"), result.output.slice(-20));
  assertEquals(
    result.output,
    Array.from({ length: 256 }, (_, k) => `${String(4744 + k).padStart(7, "0")}\n`).join(""),
  );
});

// The timeouts leave the shell a second to start and run its first commands, even on a busy machine.
Deno.test("spawnShell kills a hook past its timeout with SIGTERM and says so", async () => {
  const started = performance.now();
  const result = await spawnShell(run("echo started; sleep 100", { timeoutMs: 1000 }));
  assert(performance.now() - started < 5_000, "not left running");
  assertEquals([result.timedOut, result.signal, result.code], [true, "SIGTERM", 143]);
  assertEquals(result.output, "started\n");
});

Deno.test("spawnShell follows with SIGKILL after the grace when the hook ignores SIGTERM", async () => {
  const result = await spawnShell(
    run("trap '' TERM; sleep 100", { timeoutMs: 1000, killGraceMs: 200 }),
  );
  assertEquals([result.timedOut, result.signal], [true, "SIGKILL"]);
});

Deno.test("spawnShell kills the processes a timed-out hook started, not only the shell", async () => {
  await using tmp = await tempDir();
  const pidFile = `${tmp.path}/pid`;
  const result = await spawnShell(
    run(`sleep 100 & echo $! > ${pidFile}; wait`, { timeoutMs: 1000 }),
  );
  assertEquals(result.timedOut, true);
  const pid = Deno.readTextFileSync(pidFile).trim();
  await waitFor(() => gone(pid), { timeoutMs: 5_000, what: `process ${pid} to be killed` });
});

Deno.test("spawnShell says when a hook exits without reading all its input", async () => {
  const big = "x".repeat(1 << 20); // far more than a pipe buffer
  const result = await spawnShell(run("exit 0", { input: big }));
  assertEquals([result.code, result.timedOut], [0, false]);
  assert(result.inputError !== null, "the unread input is reported");
  const read = await spawnShell(run("cat >/dev/null", { input: big }));
  assertEquals(read.inputError, null);
});

Deno.test("spawnShell does not wait for a background process that keeps its output open", async () => {
  await using tmp = await tempDir();
  const pidFile = `${tmp.path}/pid`;
  const started = performance.now();
  const result = await spawnShell(run(`sleep 30 & echo $! > ${pidFile}; echo done`));
  const took = performance.now() - started;
  try {
    assertEquals([result.code, result.timedOut], [0, false]);
    assertEquals(result.output, "done\n");
    assert(took < 5_000, `waited ${took} ms for a process that outlived the hook`);
  } finally {
    const pid = Deno.readTextFileSync(pidFile).trim();
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch { /* already gone */ }
  }
});
