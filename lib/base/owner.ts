/**
 * Who owns a file, and who this process is, through Deno's API: part of the
 * fs port (the port's {@link FileInfo} carries no owner, since nothing but the
 * reserved folder's check needs one).
 *
 * @module
 */

/** The uid owning `path` (not following a final symlink), or null where the platform has none. */
export function ownerOf(path: string): number | null {
  return Deno.lstatSync(path).uid;
}

/**
 * The uid of this process told by the owner of a temp file it creates (and
 * removes at once): works without `--allow-sys`, which `Deno.uid()` needs.
 *
 * @throws when no temp file can be made.
 */
export function uidByTempFile(): number | null {
  const probe = Deno.makeTempFileSync({ prefix: "backup-uid-" });
  try {
    return ownerOf(probe);
  } finally {
    Deno.removeSync(probe);
  }
}
