/**
 * The parts of an off-site destination that work over any {@link ObjectStore}
 * (the mirror, the journal, the lease), in one module that lib/cli/remote.ts
 * loads on demand with the store's SDK module (lib/dest/s3_remote.ts,
 * lib/dest/azure_remote.ts).
 *
 * @module
 */

import type { RemoteUrl } from "./object_url.ts";
import type { ObjectStore } from "./object_store.ts";
import { RESUMABLE, STAGING } from "./object_dest.ts";

export { ObjectDestination } from "./object_dest.ts";
export { MirroredJournalFs, pullJournal } from "./object_journal.ts";
export { acquireLease } from "./object_lease.ts";

/**
 * The block uploads a crashed or killed daemon left (with the lease held, every unfinished upload
 * is one): on S3 every multipart upload under the prefix (a large file's, under the staging
 * prefix; a copy in UploadPartCopy ranges, under its target key), on Azure every blob with only
 * uncommitted blocks. Those a copy can resume (S3: a path's `up-` staging key; Azure: all, being
 * under the file's own key) are returned to be adopted by the destination
 * (`ObjectDestination.adoptUploads`), which aborts them if no copy takes them up; the others
 * (a copy in parts a crash cut short, a staging key of an older version) are aborted here. Returns how many were aborted, and the kept.
 */
export async function sweepAbandonedUploads(
  store: ObjectStore,
  url: RemoteUrl,
): Promise<{ aborted: number; kept: { key: string; id: string }[] }> {
  const staging = url.prefix + STAGING;
  const found = await store.listUploads(url.prefix);
  const kept: { key: string; id: string }[] = [];
  let aborted = 0;
  for (const up of found) {
    if (store.uploadsInPlace || up.key.startsWith(staging + RESUMABLE)) {
      kept.push(up);
      continue;
    }
    await store.abortUpload(up.key, up.id);
    aborted++;
  }
  return { aborted, kept };
}
