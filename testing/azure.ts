/**
 * Helpers for the black-box tests of `--dest azure://...` against Azurite,
 * which `tools/servers/azurite.sh start` runs on 127.0.0.1:10000 (`.ci/run`
 * starts it). Without the server the tests are ignored, except in CI
 * (`BACKUP_CI=1`), where they fail loudly. The CLI runs through testing/s3.ts
 * (`runRemote`, `once`, `assertRestores`) with {@link AZURE_ENV} on top.
 *
 * @module
 */

import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { answers } from "./s3.ts";
import { tempDir } from "./helpers.ts";

/** Azurite's well-known development account (public, documented by Microsoft; emulator only). */
const DEV_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The connection string of an Azurite on `port`. */
export function azuriteConnection(port: number, key = DEV_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
}

/** The port of the shared test Azurite. */
export const AZURITE_PORT = Number(Deno.env.get("BACKUP_TEST_AZURITE_PORT") ?? "10000");

/** The environment the CLI gets to reach the test server (tools/servers/azurite.sh env). */
export const AZURE_ENV: Record<string, string> = {
  AZURE_STORAGE_CONNECTION_STRING: azuriteConnection(AZURITE_PORT),
};

/** Whether the Azure tests are ignored: no server, and not in CI (where they must fail instead). */
export const AZURE_IGNORE = !(await answers(`http://127.0.0.1:${AZURITE_PORT}/`)) &&
  Deno.env.get("BACKUP_CI") !== "1";

/** A client of the test server (or of the Azurite on `port`), for the tests' own looks. */
export function azureClient(port = AZURITE_PORT): BlobServiceClient {
  return BlobServiceClient.fromConnectionString(azuriteConnection(port));
}

/** Creates a fresh container with a random name; fails loudly when the server is missing. */
export async function newContainer(client = azureClient()): Promise<ContainerClient> {
  const container = client.getContainerClient(`bt-${crypto.randomUUID().slice(0, 12)}`);
  try {
    await container.create();
  } catch (err) {
    throw new Error(
      `no Azurite at ${client.url} (run tools/servers/azurite.sh start): ${err}`,
    );
  }
  return container;
}

/** Every blob name of a container under `prefix`. */
export async function blobsOf(container: ContainerClient, prefix = ""): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

/**
 * The names of the blocks staged but not committed for blob `name` (a large upload in flight);
 * none when the blob is not there, or the store cannot say.
 */
export async function stagedBlocks(container: ContainerClient, name: string): Promise<string[]> {
  try {
    const list = await container.getBlockBlobClient(name).getBlockList("uncommitted");
    return (list.uncommittedBlocks ?? []).map((block) => block.name);
  } catch {
    return [];
  }
}

/** Runs tools/servers/azurite.sh `action` for the Azurite on `port` (data in `dir`). */
export async function azurite(
  action: "start" | "halt" | "stop",
  port: number,
  dir: string,
): Promise<void> {
  const script = new URL("../tools/servers/azurite.sh", import.meta.url).pathname;
  const out = await new Deno.Command("bash", {
    args: [script, action],
    env: { BACKUP_AZURITE_PORT: String(port), BACKUP_AZURITE_DIR: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`azurite.sh ${action}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** One test's container and folders; disposing it deletes the folders. */
export interface AzureCase extends AsyncDisposable {
  /** A fresh container. */
  container: ContainerClient;
  /** A fresh temporary folder. */
  path: string;
  /** `path/src`, the source (not created). */
  src: string;
  /** `path/cache`, the cache folder. */
  cache: string;
  /** `azure://CONTAINER/prefix`. */
  url: string;
}

/** A fresh container and temporary folder for one test, the backup under `prefix`. */
export async function azureCase(prefix: string, client = azureClient()): Promise<AzureCase> {
  const container = await newContainer(client);
  const dir = await tempDir("backup-azure-");
  return {
    container,
    path: dir.path,
    src: `${dir.path}/src`,
    cache: `${dir.path}/cache`,
    url: `azure://${container.containerName}/${prefix}`,
    [Symbol.asyncDispose]: dir.cleanup,
  };
}
