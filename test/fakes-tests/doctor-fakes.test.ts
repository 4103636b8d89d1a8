// What the doctor (and the "never blind" tests) need from the fakes, driven by the real clients: Slack's
// x-oauth-scopes header, conversations.info and not_in_channel; CloudTrail's Date header and a deny.
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { WebClient } from "@slack/web-api";
import { afterEach, expect, test } from "vitest";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { FAKE_BOT_SCOPES, startFakeSlack, type FakeSlack } from "../fakes/slack.js";

let slack: FakeSlack | undefined;
let cloudtrail: FakeCloudTrail | undefined;
afterEach(async () => {
  await slack?.close();
  await cloudtrail?.close();
  slack = undefined;
  cloudtrail = undefined;
});

const client = (s: FakeSlack) => new WebClient("xoxb-x", { slackApiUrl: `${s.url}/api/`, retryConfig: { retries: 0 } });

test("fake Slack reports granted scopes, membership through conversations.info and not_in_channel", async () => {
  slack = await startFakeSlack({ notMemberOf: ["COUT"] });
  const web = client(slack);
  const auth = await web.auth.test();
  expect(auth.response_metadata?.scopes).toEqual([...FAKE_BOT_SCOPES]);
  // conversations.info needs channels:read, which the manifest's scopes do not include.
  await expect(web.conversations.info({ channel: "CIN" })).rejects.toMatchObject({ data: { error: "missing_scope" } });
  slack.setScopes([...FAKE_BOT_SCOPES, "channels:read"]);
  expect((await web.conversations.info({ channel: "CIN" })).channel?.is_member).toBe(true);
  expect((await web.conversations.info({ channel: "COUT" })).channel?.is_member).toBe(false);
  await expect(web.conversations.history({ channel: "COUT", limit: 1 })).rejects.toMatchObject({ data: { error: "not_in_channel" } });
  slack.setChannelMember("COUT", true);
  expect((await web.conversations.history({ channel: "COUT", limit: 1 })).ok).toBe(true);
  expect((await web.auth.test()).response_metadata?.scopes).toContain("channels:read");
});

test("fake CloudTrail: Date header offset by clockOffsetMs, and setDeny answers AccessDeniedException until lifted", async () => {
  cloudtrail = await startFakeCloudTrail({ clockOffsetMs: 30 * 60_000 });
  const res = await fetch(cloudtrail.url, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" },
    body: "{}",
  });
  const skew = Date.parse(res.headers.get("date") ?? "") - Date.now();
  expect(skew).toBeGreaterThan(30 * 60_000 - 5_000);
  expect(skew).toBeLessThan(30 * 60_000 + 5_000);

  const ct = new CloudTrailClient({ endpoint: cloudtrail.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
  cloudtrail.setDeny("not authorized to perform: cloudtrail:LookupEvents");
  await expect(ct.send(new LookupEventsCommand({ MaxResults: 1 }))).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
  cloudtrail.setDeny(null);
  expect((await ct.send(new LookupEventsCommand({ MaxResults: 1 }))).Events).toEqual([]);
});
