/**
 * Free space on the file system of a folder, as `df` reports it (the
 * dashboard's overview). `df` is coreutils, on every system this runs on;
 * a failure is "unknown", never an error.
 *
 * @module
 */

/** Bytes available to this user and the file system's size, or null when unknown. */
export interface Space {
  /** Bytes available to an unprivileged writer. */
  available: number;
  /** Size of the file system in bytes. */
  size: number;
}

/** Asks `df` about `folder`; null when it cannot tell. */
export async function freeSpace(folder: string): Promise<Space | null> {
  try {
    const out = await new Deno.Command("df", {
      args: ["-B1", "--output=avail,size", "--", folder],
      stdout: "piped",
      stderr: "null",
      env: { LC_ALL: "C" },
    }).output();
    if (!out.success) return null;
    const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    const [available, size] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(available) || !Number.isFinite(size)) return null;
    return { available: available!, size: size! };
  } catch {
    return null;
  }
}
