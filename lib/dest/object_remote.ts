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
import { STAGING } from "./object_dest.ts";

export { ObjectDestination } from "./object_dest.ts";
export { MirroredJournalFs, pullJournal } from "./object_journal.ts";
export { acquireLease } from "./object_lease.ts";

/**
 * Aborts the block uploads under the staging prefix: with the lease held, every one is an
 * upload a crashed or killed daemon abandoned. Returns how many. (Azure keeps no list of them:
 * its uncommitted blocks are dropped by the next commit of that blob, or after a week.)
 */
export async function abortAbandonedUploads(store: ObjectStore, url: RemoteUrl): Promise<number> {
  let count = 0;
  for (const up of await store.listUploads(url.prefix + STAGING)) {
    await store.abortUpload(up.key, up.id);
    count++;
  }
  return count;
}
