/**
 * Everything of an `azure://` destination that needs `@azure/storage-blob`,
 * in one module that lib/cli/remote.ts loads on demand (`await import`, with
 * a literal specifier, so `deno compile` still embeds it): a local backup
 * never loads the SDK.
 *
 * @module
 */

import { RESERVED_DIR } from "../base/layout.ts";
import { RootError } from "../base/errors.ts";
import type { RemoteUrl } from "./object_url.ts";
import type { BucketProbe, ObjectStore } from "./object_store.ts";
import { missingCredentials } from "./azure_client.ts";
import { AzureStore, makeAzureClient } from "./azure_store.ts";

/**
 * The store of the container of `url`, with the client's retries (`maxAttempts`, default 6).
 *
 * @throws RootError without credentials
 */
export function makeStore(url: RemoteUrl, options: { maxAttempts?: number } = {}): ObjectStore {
  const client = makeAzureClient(
    options.maxAttempts !== undefined ? { maxTries: options.maxAttempts } : {},
  );
  if (client === null) throw new RootError(missingCredentials(url));
  return new AzureStore(client.getContainerClient(url.bucket));
}

/**
 * Asks the container whether it exists and answers these credentials, and what the prefix
 * holds; two attempts, so that a dead endpoint is told quickly.
 *
 * @throws RootError without credentials; the SDK's error (see azureProblem in
 *   lib/dest/azure_client.ts)
 */
export async function probeBucket(url: RemoteUrl): Promise<BucketProbe> {
  const client = makeAzureClient({ maxTries: 2 });
  if (client === null) throw new RootError(missingCredentials(url));
  const container = client.getContainerClient(url.bucket);
  await container.getProperties();
  const keys: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: url.prefix })) {
    keys.push(blob.name);
    if (keys.length >= 50) break;
  }
  return {
    objects: keys.length,
    isBackup: keys.some((k) => k.startsWith(`${url.prefix}${RESERVED_DIR}/`)),
  };
}
