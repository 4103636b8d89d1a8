// The core path end to end: the real app process polls a fake LookupEvents endpoint (paging, one
// attribute, 2 calls/s throttling, late delivery) and posts to a fake Slack Web API.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ALERT_CHANNEL, startHarness, type Harness } from "../support/harness.js";
import { iamRecord } from "../support/records.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

function alertEventIds(): string[] {
  return h.slack
    .messages(ALERT_CHANNEL)
    .filter((m) => !m.thread_ts)
    .map((m) => String((m.metadata?.event_payload as { event_id?: unknown } | undefined)?.event_id));
}

describe("first start", () => {
  test("alerts once per IAM deletion in the lookback window, and nothing else", async () => {
    const inWindow = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRole", eventTime: minutesAgo(5), requestParameters: { roleName: "app-role" } }));
    const denied = h.cloudtrail.addEvent(
      iamRecord({ eventName: "DeleteAccountAlias", eventTime: minutesAgo(3), requestParameters: null, errorCode: "AccessDenied" }),
    );
    // Older than LOOKBACK_MINUTES (20): a first start must not dig up history.
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: minutesAgo(45), requestParameters: { userName: "old" } }));
    // Not alerts: a read-only IAM call, a non-deletion IAM write, and deletions in other services.
    h.cloudtrail.addEvent(iamRecord({ eventName: "GetRole", eventTime: minutesAgo(2), readOnly: true, requestParameters: { roleName: "x" } }));
    h.cloudtrail.addEvent(iamRecord({ eventName: "CreateRole", eventTime: minutesAgo(2), requestParameters: { roleName: "x" } }));
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventSource: "transfer.amazonaws.com", eventTime: minutesAgo(2), requestParameters: { userName: "sftp" } }));
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeletePolicy", eventSource: "autoscaling.amazonaws.com", eventTime: minutesAgo(2), requestParameters: { policyName: "p" } }));

    const app = await h.start();
    await app.waitForLog((l) => l.msg === "poll finished");
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length >= 2, 10_000);

    expect(alertEventIds().sort()).toEqual([inWindow.EventId, denied.EventId].sort());
    const role = h.slack.messages(ALERT_CHANNEL).find((m) => (m.text ?? "").includes("DeleteRole"));
    expect(JSON.stringify(role?.blocks)).toContain("app-role");
    const alias = h.slack.messages(ALERT_CHANNEL).find((m) => (m.text ?? "").includes("DeleteAccountAlias"));
    expect(alias?.text).toMatch(/Denied attempt/);
    // One lookup attribute per call, the window starts LOOKBACK_MINUTES before the first poll.
    const first = h.cloudtrail.calls.find((c) => c.operation === "LookupEvents" && !c.throttled);
    expect(first?.attributeKey).toBe("EventName");
    expect((first?.endTime ?? 0) - (first?.startTime ?? 0)).toBe(20 * 60);
  });

  test("GET /healthz answers 200 with poll and delivery state", async () => {
    const app = await h.start();
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe("ok");
    expect(body).toHaveProperty("pendingAlerts", 0);
  });
});

describe("late and malformed events", () => {
  test("an event delivered late (inside the lookback) is alerted by a later poll, once", async () => {
    const app = await h.start();
    await app.waitForLog((l) => l.msg === "poll finished");
    // Happened 8 minutes ago but only now reaches CloudTrail's event history.
    const late = h.cloudtrail.addEvent(
      iamRecord({ eventName: "RemoveRoleFromInstanceProfile", eventTime: minutesAgo(8), requestParameters: { instanceProfileName: "web", roleName: "web-role" } }),
    );
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 1, 40_000);
    // Let one more complete poll run over the same window: still one message.
    const polls = app.logs.filter((l) => l.msg === "poll finished").length;
    await app.waitForLog((l) => l.msg === "poll finished" && app.logs.filter((x) => x.msg === "poll finished").length > polls + 1, 40_000);
    expect(alertEventIds()).toEqual([late.EventId]);
  });

  test("a record whose CloudTrailEvent is not JSON still alerts from the summary fields, and the poll goes on", async () => {
    const t = Math.floor(minutesAgo(2).getTime() / 1000);
    h.cloudtrail.addRawEvent({
      EventId: "11111111-2222-3333-4444-555555555555",
      EventName: "DeleteRole",
      EventSource: "iam.amazonaws.com",
      EventTime: t,
      Username: "mallory",
      ReadOnly: "false",
      Resources: [{ ResourceType: "AWS::IAM::Role", ResourceName: "payments-role" }],
      CloudTrailEvent: '{"eventVersion":"1.08", truncated',
    });
    const ok = h.cloudtrail.addEvent(iamRecord({ eventName: "DetachRolePolicy", eventTime: minutesAgo(1), requestParameters: { roleName: "r", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } }));
    const app = await h.start();
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 2, 40_000);
    expect(alertEventIds().sort()).toEqual(["11111111-2222-3333-4444-555555555555", ok.EventId].sort());
    const broken = h.slack.messages(ALERT_CHANNEL).find((m) => (m.text ?? "").includes("DeleteRole"));
    expect(JSON.stringify(broken?.blocks)).toContain("payments-role");
    expect(JSON.stringify(broken?.blocks)).toMatch(/could not be parsed/i);
    expect(app.logs.some((l) => l.msg.includes("not valid JSON") && l.eventId === "11111111-2222-3333-4444-555555555555")).toBe(true);
  });
});

describe("restarts and outages", () => {
  test("a restart with the same database posts nothing twice and catches up on what happened while down", async () => {
    const before = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUserPolicy", eventTime: minutesAgo(4), requestParameters: { userName: "bob", policyName: "deny-all" } }));
    const app1 = await h.start();
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 1, 40_000);
    await app1.waitForLog((l) => l.msg === "poll finished");
    expect(await app1.stop()).toBe(0);

    const during = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteGroup", eventTime: minutesAgo(1), requestParameters: { groupName: "admins" } }));
    const app2 = await h.start();
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 2, 40_000);
    await app2.waitForLog((l) => l.msg === "poll finished");
    expect(alertEventIds()).toEqual([before.EventId, during.EventId]);
  });

  test("a crash after Slack accepted the post but before the bot recorded it does not post twice", async () => {
    // Slack stores the message, then the connection drops: the bot cannot know it was posted.
    h.slack.dropResponsesFor("chat.postMessage", 1);
    const ev = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteLoginProfile", eventTime: minutesAgo(2), requestParameters: { userName: "carol" } }));
    const app = await h.start();
    await app.waitForLog((l) => l.msg === "alert post failed; will retry" && l.inDoubt === true, 40_000);
    await app.kill(); // crash
    const app2 = await h.start();
    await app2.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("alert was already posted"), 40_000);
    expect(alertEventIds()).toEqual([ev.EventId]);
    expect(h.slack.callsTo("conversations.history").length).toBeGreaterThan(0);
  });

  test("nothing is lost while Slack is down; everything arrives once, in order, when it is back", async () => {
    h.slack.setDown(true, "http503");
    const events = ["DeleteAccessKey", "DeactivateMFADevice", "DeleteSSHPublicKey"].map((name, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: name, eventTime: minutesAgo(6 - i), requestParameters: { userName: "dave" } })),
    );
    const app = await h.start();
    await app.waitForLog((l) => l.msg === "alert post failed; will retry", 40_000);
    await app.waitForLog((l) => l.msg === "poll finished", 40_000);
    const health = (await (await fetch(`${app.url}/healthz`)).json()) as { pendingAlerts: number };
    expect(health.pendingAlerts).toBe(3);
    h.slack.setDown(false);
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 3, 60_000);
    expect(alertEventIds()).toEqual(events.map((e) => e.EventId));
  });
});

describe("volume", () => {
  test("LookupEvents paging is followed to the end: 120 deletions of one kind, 120 alerts", async () => {
    const ids = Array.from({ length: 120 }, (_, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: "DetachUserPolicy", eventTime: new Date(Date.now() - 600_000 + i * 1000), requestParameters: { userName: `u${i}`, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } })).EventId,
    );
    const app = await h.start({ SLACK_POST_INTERVAL_MS: "0" });
    const finished = await app.waitForLog((l) => l.msg === "poll finished", 40_000);
    expect(finished.lookupCalls).toBe(32); // 29 names with one page each + 3 pages of DetachUserPolicy
    expect(h.cloudtrail.calls.filter((c) => c.attributeValue === "DetachUserPolicy" && c.hasNextToken)).toHaveLength(2);
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 120, 30_000);
    // Each exactly once. (Alerts are posted as soon as a page is read, so across pages the channel order
    // follows discovery: newest page first.)
    expect(alertEventIds().sort()).toEqual([...ids].sort());
  });

  test("posts are paced to one per second per channel, so Slack's limit is never hit; a 429 is waited out", async () => {
    h.slack.setPostRateLimit(1);
    h.slack.failNext("chat.postMessage", 1, "ratelimited");
    const ids = ["DeleteUser", "DeleteGroup", "DeleteRole", "DeletePolicy"].map((name, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: name, eventTime: minutesAgo(4 - i), requestParameters: { userName: "x", groupName: "g", roleName: "r", policyArn: "arn:aws:iam::123456789012:policy/p" } })).EventId,
    );
    await h.start({ SLACK_POST_INTERVAL_MS: "1100" });
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 4, 40_000);
    expect(alertEventIds().sort()).toEqual([...ids].sort());
    const posts = h.slack.callsTo("chat.postMessage");
    // The only 429 is the injected one; pacing kept every other post under the per-channel limit.
    expect(posts.filter((c) => c.status === 429)).toHaveLength(1);
    expect(posts.filter((c) => c.status === 200)).toHaveLength(4);
  });
});

describe("LookupEvents limits", () => {
  test("never more than 2 calls in any second, a constant number of calls per poll whatever the read-only noise", async () => {
    h.cloudtrail.addReadOnlyIamNoise(20_000, { start: minutesAgo(19), end: minutesAgo(0) });
    const del = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRolePermissionsBoundary", eventTime: minutesAgo(3), requestParameters: { roleName: "dev" } }));
    const app = await h.start();
    const finished = await app.waitForLog((l) => l.msg === "poll finished", 40_000);
    expect(finished.lookupCalls).toBe(30);
    expect(finished.completed).toBe(true);
    expect(alertEventIds()).toEqual([del.EventId]);
    const times = h.cloudtrail.calls.filter((c) => c.operation === "LookupEvents").map((c) => c.time);
    for (let i = 2; i < times.length; i++) {
      // Three calls inside one second would break the quota (allow 50 ms of scheduling jitter).
      expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(950);
    }
    expect(h.cloudtrail.throttledCount).toBe(0);
  });

  test("backs off on ThrottlingException and the poll still completes", async () => {
    // Someone else in the account is using the quota: the fake allows only 1 call per second now.
    h.cloudtrail.setRateLimit(1, 1);
    const del = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteInstanceProfile", eventTime: minutesAgo(2), requestParameters: { instanceProfileName: "web" } }));
    const app = await h.start();
    const finished = await app.waitForLog((l) => l.msg === "poll finished", 90_000);
    expect(finished.completed).toBe(true);
    expect(h.cloudtrail.throttledCount).toBeGreaterThan(0);
    expect(app.logs.some((l) => l.msg === "LookupEvents retry" && l.errorName === "ThrottlingException")).toBe(true);
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length === 1, 10_000);
    expect(alertEventIds()).toEqual([del.EventId]);
  }, 120_000);
});
