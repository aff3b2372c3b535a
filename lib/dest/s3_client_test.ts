import { assertEquals, assertMatch } from "../../testing/assert.ts";
import { parseRemoteUrl } from "./object_url.ts";
import { isS3Missing, isS3PreconditionFailed, quotedEtag, s3Problem } from "./s3_client.ts";

Deno.test("an SDK 404 is a missing key; a 412 is a lost conditional write", () => {
  const err404 = Object.assign(new Error("x"), {
    name: "NotFound",
    $metadata: { httpStatusCode: 404 },
  });
  assertEquals(isS3Missing(err404), true);
  const err412 = Object.assign(new Error("x"), { name: "PreconditionFailed" });
  assertEquals(isS3PreconditionFailed(err412), true);
});

Deno.test("s3Problem names the fix for credentials, a missing bucket, a dead endpoint", () => {
  const url = parseRemoteUrl("s3://bk1/p");
  const creds = Object.assign(new Error("x"), { name: "InvalidAccessKeyId" });
  assertMatch(s3Problem(creds, url)!, /AWS_ACCESS_KEY_ID/);
  const bucket = Object.assign(new Error("x"), { name: "NoSuchBucket" });
  assertMatch(s3Problem(bucket, url)!, /does not exist/);
  const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { name: "Error" });
  assertMatch(s3Problem(down, url)!, /does not answer/);
  assertEquals(s3Problem(new Error("other"), url), null);
});

Deno.test("quotedEtag quotes a bare ETag (Ceph's CopyObject answer) and leaves quoted ones", () => {
  assertEquals(quotedEtag("d41d8cd9"), '"d41d8cd9"');
  assertEquals(quotedEtag('"d41d8cd9"'), '"d41d8cd9"');
  assertEquals(quotedEtag('W/"x"'), 'W/"x"');
  assertEquals(quotedEtag(""), "");
});
