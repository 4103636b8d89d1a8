// Polling end to end: the real app process polls a fake LookupEvents endpoint (paging, one attribute,
// 2 calls/s throttling, late delivery) and posts to a fake Slack Web API.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ALERT_CHANNEL, alertEventIds, minutesAgo, NOTICE_CHANNEL, startHarness, type Harness } from "../support/harness.js";
import { iamRecord } from "../support/records.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

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
    await h.slack.waitFor(() => alertEventIds(h).length >= 2, 10_000);

    expect(alertEventIds(h).sort()).toEqual([inWindow.EventId, denied.EventId].sort());
    const role = h.slack.messages(ALERT_CHANNEL).find((m) => (!m.thread_ts || m.thread_ts === m.ts) && (m.text ?? "").includes("DeleteRole"));
    expect(JSON.stringify(role?.blocks)).toContain("app-role");
    const alias = h.slack.messages(ALERT_CHANNEL).find((m) => (!m.thread_ts || m.thread_ts === m.ts) && (m.text ?? "").includes("DeleteAccountAlias"));
    expect(alias?.text).toMatch(/Denied attempt/);
    // One lookup attribute per call (all IAM events at once), the window starts LOOKBACK_MINUTES before the first poll.
    const first = h.cloudtrail.calls.find((c) => c.operation === "LookupEvents" && !c.throttled);
    expect(first).toMatchObject({ attributeKey: "EventSource", attributeValue: "iam.amazonaws.com" });
    expect(Math.abs((first?.endTime ?? 0) - (first?.startTime ?? 0) - 20 * 60)).toBeLessThanOrEqual(1);
  });

  test("GET /healthz answers 200 with poll and delivery state to loopback callers, status and codes only to others", async () => {
    const app = await h.start();
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe("ok");
    expect(body).toHaveProperty("pendingAlerts", 0);
    // Relayed by a proxy: the port may be public, so nothing but the status and problem codes.
    const relayed = await fetch(`${app.url}/healthz`, { headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(relayed.status).toBe(200);
    expect(await relayed.text()).toBe('{"status":"ok","problems":[]}');
    // The first start says from when the bot is watching.
    const notice = await h.slack.waitFor((s) => s.messages(NOTICE_CHANNEL)[0], 20_000, "first-start notice");
    expect(notice.text).toMatch(/watching this AWS account for IAM deletions from/);
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
    await h.slack.waitFor(() => alertEventIds(h).length === 1, 40_000);
    // Let one more complete poll run over the same window: still one message.
    const polls = app.logs.filter((l) => l.msg === "poll finished").length;
    await app.waitForLog((l) => l.msg === "poll finished" && app.logs.filter((x) => x.msg === "poll finished").length > polls + 1, 40_000);
    expect(alertEventIds(h)).toEqual([late.EventId]);
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
    await h.slack.waitFor(() => alertEventIds(h).length === 2, 40_000);
    expect(alertEventIds(h).sort()).toEqual(["11111111-2222-3333-4444-555555555555", ok.EventId].sort());
    const broken = h.slack.messages(ALERT_CHANNEL).find((m) => (!m.thread_ts || m.thread_ts === m.ts) && (m.text ?? "").includes("DeleteRole"));
    expect(JSON.stringify(broken?.blocks)).toContain("payments-role");
    expect(JSON.stringify(broken?.blocks)).toMatch(/could not be parsed/i);
    expect(app.logs.some((l) => l.msg.includes("not valid JSON") && l.eventId === "11111111-2222-3333-4444-555555555555")).toBe(true);
  });
});

describe("volume", () => {
  test("LookupEvents paging is followed to the end: 120 deletions of one kind, 120 alerts", async () => {
    const ids = Array.from({ length: 120 }, (_, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: "DetachUserPolicy", eventTime: new Date(Date.now() - 600_000 + i * 1000), requestParameters: { userName: `u${i}`, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } })).EventId,
    );
    // 120 deletions in two minutes would be one storm digest; this test is about paging, one alert each.
    const app = await h.start({ SLACK_POST_INTERVAL_MS: "0", DIGEST_THRESHOLD: "1000000" });
    const finished = await app.waitForLog((l) => l.msg === "poll finished", 40_000);
    // 120 IAM events fit in 3 pages of the EventSource lookup: cheaper than 30 per-name lookups.
    expect(finished).toMatchObject({ lookupCalls: 3, strategy: "eventsource", completed: true });
    expect(h.cloudtrail.calls.filter((c) => c.attributeValue === "iam.amazonaws.com" && c.hasNextToken)).toHaveLength(2);
    await h.slack.waitFor(() => alertEventIds(h).length === 120, 30_000);
    // Each exactly once. (Alerts are posted as soon as a page is read, so across pages the channel order
    // follows discovery: newest page first.)
    expect(alertEventIds(h).sort()).toEqual([...ids].sort());
  });
});

describe("LookupEvents limits (counted by the fake server as calls arrive)", () => {
  test("20,000 read-only IAM events: the poll falls back to per-name lookups, at most 31 calls, never 3 in one second, none throttled", async () => {
    h.cloudtrail.addReadOnlyIamNoise(20_000, { start: minutesAgo(19), end: minutesAgo(0) });
    const del = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRolePermissionsBoundary", eventTime: minutesAgo(3), requestParameters: { roleName: "dev" } }));
    const app = await h.start({ LOOKUP_RATE: "1.5", POLL_SCHEDULE: "*/30 * * * * *" });
    const finished = await app.waitForLog((l) => l.msg === "poll finished", 60_000);
    expect(finished).toMatchObject({ completed: true, strategy: "per-name" });
    // One EventSource page shows the window is busy; then the 30 per-name lookups.
    expect(finished.lookupCalls).toBeLessThanOrEqual(31);
    // The alert's details reply sits in its thread: count top-level alerts only.
    await h.slack.waitFor(() => alertEventIds(h).length === 1, 10_000);
    expect(alertEventIds(h)).toEqual([del.EventId]);
    expect(h.cloudtrail.maxCallsInAnyWindow(1000)).toBeLessThanOrEqual(2);
    expect(h.cloudtrail.throttledCount).toBe(0);
  });

  test("idle polls cost at most 2 LookupEvents calls on average, none throttled", async () => {
    const app = await h.start();
    await app.waitForLog(() => app.logs.filter((l) => l.msg === "poll finished").length >= 4, 30_000);
    const polls = app.logs.filter((l) => l.msg === "poll finished").length;
    const calls = h.cloudtrail.calls.filter((c) => c.operation === "LookupEvents").length;
    expect(calls / polls).toBeLessThanOrEqual(2);
    expect(h.cloudtrail.throttledCount).toBe(0);
    expect(h.cloudtrail.maxCallsInAnyWindow(1000)).toBeLessThanOrEqual(2);
  });
});
