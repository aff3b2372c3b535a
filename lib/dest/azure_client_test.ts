import { assertEquals, assertMatch } from "../../testing/assert.ts";
import { parseRemoteUrl } from "./object_url.ts";
import {
  azureCredentials,
  azureProblem,
  fromAzureMeta,
  isAzureConflict,
  toAzureMeta,
} from "./azure_client.ts";

Deno.test("azureCredentials: a connection string, else account + key with an endpoint", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const cs =
    "DefaultEndpointsProtocol=http;AccountName=acc;AccountKey=k;BlobEndpoint=http://h:1/acc;";
  const a = azureCredentials(env({ AZURE_STORAGE_CONNECTION_STRING: cs }));
  assertEquals(a.kind === "connection-string" && a.endpoint, "http://h:1/acc");
  const b = azureCredentials(
    env({ AZURE_STORAGE_CONNECTION_STRING: "AccountName=acc;AccountKey=k;EndpointSuffix=x.cn" }),
  );
  assertEquals(b.kind === "connection-string" && b.endpoint, "https://acc.blob.x.cn");
  const c = azureCredentials(env({ AZURE_STORAGE_ACCOUNT: "acc", AZURE_STORAGE_KEY: "k" }));
  assertEquals(c.kind === "shared-key" && c.endpoint, "https://acc.blob.core.windows.net");
  const d = azureCredentials(
    env({
      AZURE_STORAGE_ACCOUNT: "acc",
      AZURE_STORAGE_KEY: "k",
      AZURE_STORAGE_ENDPOINT: "core.chinacloudapi.cn",
    }),
  );
  assertEquals(d.kind === "shared-key" && d.endpoint, "https://acc.blob.core.chinacloudapi.cn");
  const e = azureCredentials(
    env({
      AZURE_STORAGE_ACCOUNT: "acc",
      AZURE_STORAGE_KEY: "k",
      AZURE_STORAGE_BLOB_ENDPOINT: "http://127.0.0.1:10000/acc/",
    }),
  );
  assertEquals(e.kind === "shared-key" && e.endpoint, "http://127.0.0.1:10000/acc");
  assertEquals(azureCredentials(env({ AZURE_STORAGE_ACCOUNT: "acc" })).kind, "none");
});

Deno.test("metadata names go to Azure with _ and come back with -", () => {
  const meta = { "backup-kind": "file", "backup-mtime": "5" };
  assertEquals(toAzureMeta(meta), { backup_kind: "file", backup_mtime: "5" });
  assertEquals(fromAzureMeta(toAzureMeta(meta)), meta);
});

Deno.test("azureProblem names the fix for credentials, a missing container, a dead endpoint", () => {
  const url = parseRemoteUrl("azure://box/p");
  const rest = (statusCode: number | undefined, code: string, message = "x") =>
    Object.assign(new Error(message), { name: "RestError", statusCode, code });
  assertMatch(azureProblem(rest(403, "AuthorizationFailure"), url)!, /AZURE_STORAGE_CONNECTION/);
  assertMatch(azureProblem(rest(404, "ContainerNotFound"), url)!, /container "box" does not/);
  assertMatch(
    azureProblem(rest(undefined, "ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9"), url)!,
    /does not answer/,
  );
  assertEquals(azureProblem(rest(500, "InternalError"), url), null);
  assertEquals(isAzureConflict(rest(409, "BlobAlreadyExists")), true);
  assertEquals(isAzureConflict(rest(409, "LeaseAlreadyPresent")), false);
});
