// Delivery end to end: exactly one Slack message per event across restarts, crashes, Slack outages and
// rate limits. The real app process, a fake LookupEvents endpoint and a fake Slack Web API.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ALERT_CHANNEL, alertEventIds, minutesAgo, startHarness, type Harness } from "../support/harness.js";
import { iamRecord } from "../support/records.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("restarts and outages", () => {
  test("a restart with the same database posts nothing twice and catches up on what happened while down", async () => {
    const before = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUserPolicy", eventTime: minutesAgo(4), requestParameters: { userName: "bob", policyName: "deny-all" } }));
    const app1 = await h.start();
    await h.slack.waitFor(() => alertEventIds(h).length === 1, 40_000);
    await app1.waitForLog((l) => l.msg === "poll finished");
    expect(await app1.stop()).toBe(0);

    const during = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteGroup", eventTime: minutesAgo(1), requestParameters: { groupName: "admins" } }));
    const app2 = await h.start();
    await h.slack.waitFor(() => alertEventIds(h).length === 2, 40_000);
    await app2.waitForLog((l) => l.msg === "poll finished");
    expect(alertEventIds(h)).toEqual([before.EventId, during.EventId]);
  });

  test("a crash after Slack accepted the post but before the bot recorded it does not post twice", async () => {
    // Slack stores the message, then the connection drops: the bot cannot know it was posted. Only the alert's
    // post: the first-start notice goes out first, to its own channel.
    h.slack.dropResponsesFor("chat.postMessage", 1, { channel: ALERT_CHANNEL });
    const ev = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteLoginProfile", eventTime: minutesAgo(2), requestParameters: { userName: "carol" } }));
    const app = await h.start();
    await app.waitForLog((l) => l.msg === "alert post failed; will retry" && l.inDoubt === true, 40_000);
    await app.kill(); // crash
    const app2 = await h.start();
    await app2.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("alert was already posted"), 40_000);
    expect(alertEventIds(h)).toEqual([ev.EventId]);
    expect(h.slack.callsTo("conversations.history").length).toBeGreaterThan(0);
  });

  test("nothing is lost while Slack is down; everything arrives once, in order, when it is back", async () => {
    h.slack.setDown(true, "http503");
    // Three users, so the three calls stay three alerts (steps on one user would form one chain alert).
    const events = ["DeleteAccessKey", "DeactivateMFADevice", "DeleteSSHPublicKey"].map((name, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: name, eventTime: minutesAgo(6 - i), requestParameters: { userName: ["dave", "erin", "frank"][i] } })),
    );
    const app = await h.start();
    await app.waitForLog((l) => l.msg === "alert post failed; will retry", 40_000);
    await app.waitForLog((l) => l.msg === "poll finished", 40_000);
    const health = (await (await fetch(`${app.url}/healthz`)).json()) as { pendingAlerts: number };
    expect(health.pendingAlerts).toBe(3);
    h.slack.setDown(false);
    await h.slack.waitFor(() => alertEventIds(h).length === 3, 60_000);
    expect(alertEventIds(h)).toEqual(events.map((e) => e.EventId));
  });
});

describe("pacing", () => {
  test("posts are paced to one per second per channel, so Slack's limit is never hit; a 429 is waited out", async () => {
    h.slack.setPostRateLimit(1);
    h.slack.failNext("chat.postMessage", 1, "ratelimited");
    const ids = ["DeleteUser", "DeleteGroup", "DeleteRole", "DeletePolicy"].map((name, i) =>
      h.cloudtrail.addEvent(iamRecord({ eventName: name, eventTime: minutesAgo(4 - i), requestParameters: { userName: "x", groupName: "g", roleName: "r", policyArn: "arn:aws:iam::123456789012:policy/p" } })).EventId,
    );
    await h.start({ SLACK_POST_INTERVAL_MS: "1100" });
    await h.slack.waitFor(() => alertEventIds(h).length === 4, 40_000);
    expect(alertEventIds(h).sort()).toEqual([...ids].sort());
    const posts = h.slack.callsTo("chat.postMessage");
    // The only 429 is the injected one; pacing kept every other post (alerts and their details replies)
    // under the per-channel limit.
    expect(posts.filter((c) => c.status === 429)).toHaveLength(1);
    // Operational notices go to their own channel, and details replies sit in the alerts' threads: neither counts.
    expect(posts.filter((c) => c.status === 200 && c.params.channel === ALERT_CHANNEL && !c.params.thread_ts)).toHaveLength(4);
  });
});
