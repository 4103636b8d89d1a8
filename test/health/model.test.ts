// The health model's thresholds, with an injected clock (no timers).
import { describe, expect, test } from "vitest";
import { HealthModel } from "../../src/health/model.js";
import type { PollResult } from "../../src/poller.js";

function clock(start = Date.parse("2026-12-01T10:00:00Z")) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

function poll(over: Partial<PollResult> = {}): PollResult {
  const d = new Date();
  return { scope: "default", start: d, end: d, lookupCalls: 1, eventsSeen: 0, newAlerts: 0, muted: 0, malformed: 0, failedLookups: [], completed: true, strategy: "eventsource", ...over };
}
const deniedPoll = () =>
  poll({ completed: false, failedLookups: ["EventSource=iam.amazonaws.com"], failure: { kind: "denied", code: "AccessDeniedException", message: "denied", missingPermission: "cloudtrail:LookupEvents" } });

describe("CloudTrail: blind", () => {
  test("two failed polls are not blind yet; the third is, since the first failure; a complete poll clears it", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.registerScope("default");
    h.pollFinished(poll());
    c.advance(60_000);
    const firstFailure = c.now();
    h.pollFinished(deniedPoll());
    c.advance(10_000);
    h.pollFinished(deniedPoll());
    expect(h.publicStatus()).toEqual({ status: "ok", problems: [] });
    c.advance(10_000);
    h.pollFinished(deniedPoll());
    expect(h.publicStatus()).toEqual({ status: "degraded", problems: ["cloudtrail_blind"] });
    const [p] = h.problems();
    expect(p).toMatchObject({ code: "cloudtrail_blind", scope: "default", since: firstFailure, consecutiveFailures: 3, failure: { missingPermission: "cloudtrail:LookupEvents" } });
    h.pollFinished(poll());
    expect(h.publicStatus()).toEqual({ status: "ok", problems: [] });
  });

  test("no poll completing for max(3 intervals, 5 min) is blind even without failures", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.registerScope("default");
    c.advance(5 * 60_000 - 1);
    expect(h.problems()).toEqual([]);
    c.advance(1);
    expect(h.problems().map((p) => p.code)).toEqual(["cloudtrail_blind"]);

    const slow = clock();
    const h2 = new HealthModel({ now: slow.now, pollIntervalMs: 10 * 60_000 });
    h2.registerScope("default");
    slow.advance(29 * 60_000);
    expect(h2.problems()).toEqual([]);
    slow.advance(60_000);
    expect(h2.problems().map((p) => p.code)).toEqual(["cloudtrail_blind"]);
  });

  test("scopes are independent: one blind account does not make another blind", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      h.pollFinished({ ...deniedPoll(), scope: "111122223333" });
      h.pollFinished(poll({ scope: "default" }));
    }
    expect(h.problems().map((p) => [p.code, p.scope])).toEqual([["cloudtrail_blind", "111122223333"]]);
  });

  test("a store failure is a problem of its own until a poll writes again", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.pollFinished(poll({ completed: false, storeError: true, failure: { kind: "other", code: "StoreError", message: "SQLITE_FULL" } }));
    expect(h.publicStatus().problems).toEqual(["store_unavailable"]);
    h.pollFinished(poll());
    expect(h.publicStatus().problems).toEqual([]);
  });
});

describe("Slack", () => {
  test("a permanent error counts at once; a success clears it", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.slackResult({ ok: false, error: "not_in_channel" });
    expect(h.problems()).toEqual([expect.objectContaining({ code: "slack_unusable", slackError: "not_in_channel", degrades: true })]);
    h.slackResult({ ok: true });
    expect(h.problems()).toEqual([]);
    expect(h.slackOkSeen).toBe(true);
  });

  test("transient failures count after 5 minutes without a success", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.slackResult({ ok: false, error: "ratelimited" });
    c.advance(4 * 60_000);
    h.slackResult({ ok: false, error: "RequestError" });
    expect(h.problems()).toEqual([]);
    c.advance(60_000);
    expect(h.problems().map((p) => p.code)).toEqual(["slack_unusable"]);
  });

  test("a message body Slack refuses says nothing about Slack's health", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.slackResult({ ok: false, error: "invalid_blocks" });
    c.advance(10 * 60_000);
    expect(h.problems()).toEqual([]);
  });
});

describe("clock", () => {
  test("a skew over 60 s is reported but does not degrade /healthz; back within 60 s it clears", () => {
    const c = clock();
    const h = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
    h.pollFinished(poll({ clockSkewMs: -30 * 60_000 }));
    expect(h.problems()).toEqual([expect.objectContaining({ code: "clock_skew", skewMs: -30 * 60_000, degrades: false })]);
    expect(h.publicStatus()).toEqual({ status: "ok", problems: [] });
    h.pollFinished(poll({ clockSkewMs: 2000 }));
    expect(h.problems()).toEqual([]);
  });
});
