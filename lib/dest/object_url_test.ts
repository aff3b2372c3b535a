import { assertEquals, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { isMissing } from "../base/fs.ts";
import {
  isPreconditionFailed,
  isRemoteDest,
  mapRemoteError,
  parseRemoteUrl,
} from "./object_url.ts";
import { missingKey, PreconditionFailedError } from "./object_store.ts";

Deno.test("parseRemoteUrl: bucket and prefix, the prefix ending in / or empty", () => {
  assertEquals(parseRemoteUrl("s3://bk1/home/docs/").prefix, "home/docs/");
  assertEquals(parseRemoteUrl("s3://bk1/home/docs").bucket, "bk1");
  assertEquals(parseRemoteUrl("s3://bk1").prefix, "");
  assertEquals(parseRemoteUrl("azure://my-box/p/q").scheme, "azure");
  assertEquals(parseRemoteUrl("azure://my-box/p/q").bucket, "my-box");
  assertEquals(parseRemoteUrl("azure://my-box/p/q").prefix, "p/q/");
  assertEquals(isRemoteDest("s3://x/y"), true);
  assertEquals(isRemoteDest("azure://x/y"), true);
  assertEquals(isRemoteDest("/mnt/s3:/x"), false);
});

Deno.test("parseRemoteUrl refuses bad bucket and container names and escaping prefixes", () => {
  for (
    const bad of [
      "s3://",
      "s3://A/p",
      "s3://ab/p",
      "s3://bk1/a/../b",
      "s3://bk1/a//b",
      "azure://a.b.c/p",
      "azure://a--b/p",
      "azure://Box/p",
    ]
  ) {
    assertThrows(() => parseRemoteUrl(bad), UsageError);
  }
});

Deno.test("a store's missing key maps to NotFound naming the path; a lost create is told", () => {
  const err = mapRemoteError(missingKey("p/a/b"), "a/b");
  assertEquals(isMissing(err), true);
  assertEquals((err as Error).message.endsWith("a/b"), true);
  assertEquals(isPreconditionFailed(new PreconditionFailedError("k")), true);
  assertEquals(isPreconditionFailed(new Error("x")), false);
});
