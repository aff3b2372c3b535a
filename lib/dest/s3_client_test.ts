import { assertEquals, assertMatch, assertThrows } from "../../testing/assert.ts";
import { UsageError } from "../base/errors.ts";
import { isMissing } from "../base/fs.ts";
import {
  isPreconditionFailed,
  isRemoteDest,
  mapRemoteError,
  parseRemoteUrl,
  remoteProblem,
} from "./s3_client.ts";

Deno.test("parseRemoteUrl: bucket and prefix, the prefix ending in / or empty", () => {
  assertEquals(parseRemoteUrl("s3://bk1/home/docs/").prefix, "home/docs/");
  assertEquals(parseRemoteUrl("s3://bk1/home/docs").bucket, "bk1");
  assertEquals(parseRemoteUrl("s3://bk1").prefix, "");
  assertEquals(isRemoteDest("s3://x/y"), true);
  assertEquals(isRemoteDest("/mnt/s3:/x"), false);
});

Deno.test("parseRemoteUrl refuses bad bucket names and prefixes that leave the prefix", () => {
  for (const bad of ["s3://", "s3://A/p", "s3://ab/p", "s3://bk1/a/../b", "s3://bk1/a//b"]) {
    assertThrows(() => parseRemoteUrl(bad), UsageError);
  }
});

Deno.test("a 404 maps to NotFound; a 412 is a lost conditional write", () => {
  const err404 = Object.assign(new Error("x"), {
    name: "NotFound",
    $metadata: { httpStatusCode: 404 },
  });
  assertEquals(isMissing(mapRemoteError(err404, "a/b")), true);
  const err412 = Object.assign(new Error("x"), { name: "PreconditionFailed" });
  assertEquals(isPreconditionFailed(err412), true);
});

Deno.test("remoteProblem names the fix for credentials, a missing bucket, a dead endpoint", () => {
  const url = parseRemoteUrl("s3://bk1/p");
  const creds = Object.assign(new Error("x"), { name: "InvalidAccessKeyId" });
  assertMatch(remoteProblem(creds, url)!, /AWS_ACCESS_KEY_ID/);
  const bucket = Object.assign(new Error("x"), { name: "NoSuchBucket" });
  assertMatch(remoteProblem(bucket, url)!, /does not exist/);
  const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { name: "Error" });
  assertMatch(remoteProblem(down, url)!, /does not answer/);
  assertEquals(remoteProblem(new Error("other"), url), null);
});
