/**
 * The Azure side of an `azure://CONTAINER/PREFIX` destination that needs no
 * SDK: where the credentials and the endpoint come from, how metadata names
 * are spelled, reading the SDK's failures, and telling why a container cannot
 * be used. lib/cli/remote.ts loads lib/dest/azure_remote.ts (the SDK) on
 * demand only.
 *
 * @module
 */

import { firstLine, isUnreachable, type RemoteUrl } from "./object_url.ts";

/** How the client authenticates: a connection string, or an account and its key. */
export type AzureCredentials =
  | { kind: "connection-string"; connectionString: string; endpoint: string }
  | { kind: "shared-key"; account: string; key: string; endpoint: string }
  | { kind: "none" };

/** A connection string's fields (`Name=value;...`). */
function fields(connectionString: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) out.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return out;
}

/** The blob endpoint of an account on a cloud whose endpoint suffix is `suffix`. */
function accountEndpoint(account: string, protocol: string, suffix: string): string {
  return `${protocol}://${account}.blob.${suffix}`;
}

/**
 * The credentials and blob endpoint from the environment: `AZURE_STORAGE_CONNECTION_STRING`,
 * else `AZURE_STORAGE_ACCOUNT` + `AZURE_STORAGE_KEY` with the endpoint from
 * `AZURE_STORAGE_BLOB_ENDPOINT` (a URL), else `AZURE_STORAGE_ENDPOINT` (a URL, or a sovereign
 * cloud's suffix such as `core.chinacloudapi.cn`), else the public cloud.
 */
export function azureCredentials(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): AzureCredentials {
  const cs = env("AZURE_STORAGE_CONNECTION_STRING");
  if (cs) {
    const f = fields(cs);
    const dev = f.get("usedevelopmentstorage") === "true";
    const account = f.get("accountname") ?? (dev ? "devstoreaccount1" : "");
    const endpoint = f.get("blobendpoint") ??
      (dev ? "http://127.0.0.1:10000/devstoreaccount1" : accountEndpoint(
        account,
        f.get("defaultendpointsprotocol") ?? "https",
        f.get("endpointsuffix") ?? "core.windows.net",
      ));
    return { kind: "connection-string", connectionString: cs, endpoint };
  }
  const account = env("AZURE_STORAGE_ACCOUNT");
  const key = env("AZURE_STORAGE_KEY");
  if (!account || !key) return { kind: "none" };
  const blob = env("AZURE_STORAGE_BLOB_ENDPOINT");
  const given = env("AZURE_STORAGE_ENDPOINT");
  const endpoint = blob ??
    (given && /^https?:\/\//i.test(given)
      ? given
      : accountEndpoint(account, "https", given || "core.windows.net"));
  return { kind: "shared-key", account, key, endpoint: endpoint.replace(/\/+$/, "") };
}

/** The blob endpoint the credentials point at, for messages. */
export function azureEndpoint(): string {
  const creds = azureCredentials();
  return creds.kind === "none" ? "the Azure endpoint" : creds.endpoint;
}

/** A metadata name as Azure takes it (a C# identifier: `backup-kind` is `backup_kind`). */
export function toAzureName(name: string): string {
  return name.replaceAll("-", "_");
}

/** Metadata with Azure's names. */
export function toAzureMeta(meta: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [toAzureName(k), v]));
}

/** Metadata as the mirror names it, from Azure's (`backup_kind` is `backup-kind`). */
export function fromAzureMeta(meta: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(meta ?? {}).map(([k, v]) => [k.toLowerCase().replaceAll("_", "-"), v]),
  );
}

/** The HTTP status of an Azure SDK error (`RestError.statusCode`), or 0. */
export function azureStatus(err: unknown): number {
  return (err as { statusCode?: number } | null)?.statusCode ?? 0;
}

/** The Azure error code (`BlobNotFound`, `ContainerNotFound`, `AuthorizationFailure`...), or `""`. */
export function azureCode(err: unknown): string {
  return String((err as { code?: string } | null)?.code ?? "");
}

/** True when a create with `If-None-Match: *` lost (409 BlobAlreadyExists, or 412). */
export function isAzureConflict(err: unknown): boolean {
  const status = azureStatus(err);
  return status === 412 || (status === 409 && azureCode(err) === "BlobAlreadyExists");
}

/** A one-line message saying credentials are missing, with the fix. */
export function missingCredentials(url: RemoteUrl): string {
  return `${url.url}: no Azure credentials; set AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY) to an account that may read and write container "${url.bucket}"`;
}

/**
 * Why the container cannot be used, in one line with the fix: wrong
 * credentials, no such container, an endpoint that does not answer. Null when
 * `err` is something else.
 */
export function azureProblem(err: unknown, url: RemoteUrl): string | null {
  const code = azureCode(err);
  const status = azureStatus(err);
  const endpoint = azureEndpoint();
  if (status === 403 || /Authentication|Authorization|InvalidAuth/i.test(code)) {
    return `${url.url}: the server refused the credentials (${
      code || status
    }); set AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY) to a key that may read and write container "${url.bucket}"`;
  }
  if (code === "ContainerNotFound" || (status === 404 && code !== "BlobNotFound")) {
    return `${url.url}: container "${url.bucket}" does not exist at ${endpoint}; create it first (az storage container create --name ${url.bucket}) or fix --dest`;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isUnreachable(`${code} ${message}`) || /ENOTFOUND|EHOSTUNREACH|aborted/i.test(code)) {
    return `${url.url}: the endpoint ${endpoint} does not answer (${
      firstLine(err)
    }); check AZURE_STORAGE_CONNECTION_STRING's BlobEndpoint (or AZURE_STORAGE_BLOB_ENDPOINT) and that the server is up`;
  }
  return null;
}
