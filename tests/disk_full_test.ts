/**
 * Disk full: the destination on a small tmpfs (ENOSPC). Needs root to mount;
 * skipped elsewhere.
 */

import { assert, assertEquals } from "../testing/assert.ts";
import {
  leftoverTemps,
  put,
  snapshot,
  startDaemon,
  tempDir,
  treeDiff,
  waitFor,
} from "../testing/helpers.ts";

function run(cmd: string, ...args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** True when this process may mount a tmpfs (root, with the capability). */
function canMountTmpfs(): boolean {
  if (Deno.uid() !== 0) return false;
  const probe = Deno.makeTempDirSync();
  try {
    if (!run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe)) return false;
    run("umount", probe);
    return true;
  } finally {
    Deno.removeSync(probe, { recursive: true });
  }
}

Deno.test({
  name:
    "disk full: the daemon keeps running, keeps existing backups intact, leaves no temp file, and completes once space is freed",
  ignore: !canMountTmpfs(),
  fn: async () => {
    const t = await tempDir();
    const src = `${t.path}/src`;
    const dest = `${t.path}/dest`;
    Deno.mkdirSync(dest);
    assert(run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dest), "mount tmpfs");
    try {
      put(`${src}/small.txt`, "small and precious");
      const d = startDaemon(["--src", src, "--dest", dest, "--interval", "1"]);
      try {
        await waitFor(() => {
          try {
            return Deno.readTextFileSync(`${dest}/small.txt`) === "small and precious";
          } catch {
            return false;
          }
        }, { what: "first copy" });
        // 4 MiB more than 2 MiB can hold.
        for (let i = 0; i < 8; i++) put(`${src}/big${i}.bin`, new Uint8Array(512 * 1024).fill(i));
        await waitFor(() => /no space left on device/i.test(d.output()), {
          timeoutMs: 30_000,
          what: "the disk-full error in the log",
        });
        assert(/big\d\.bin/.test(d.output()), "the error names the file");
        assertEquals(Deno.readTextFileSync(`${dest}/small.txt`), "small and precious");
        await waitFor(() => leftoverTemps(dest).length === 0, { what: "no temp files" });
        // Free space: the backup completes by itself.
        assert(run("mount", "-o", "remount,size=16m", dest), "remount larger");
        await waitFor(() => treeDiff(snapshot(src), snapshot(dest)).length === 0, {
          timeoutMs: 30_000,
          what: `the backup to complete:\n${d.output().slice(-1500)}`,
        });
        assertEquals(leftoverTemps(dest), []);
      } finally {
        assertEquals(await d.stop("SIGTERM"), 0, d.output().slice(-2000));
      }
    } finally {
      run("umount", dest);
      await t.cleanup();
    }
  },
});
