// Where the health model shows: /healthz (public vs loopback), App Home and `/iam-audit health`.
import { describe, expect, test } from "vitest";
import { HealthModel } from "../../src/health/model.js";
import { healthReport, problemLine } from "../../src/health/notices.js";
import { healthResponse, type Health } from "../../src/slack/app.js";
import { buildHomeView } from "../../src/slack/blocks/home.js";

const NOW = new Date("2026-12-01T10:00:00Z");
const ctx = { alertChannelId: "CALERTS01", scopeLabel: (s: string) => (s === "default" ? "this AWS account" : `account ${s}`) };

function blindModel(): HealthModel {
  const h = new HealthModel({ now: () => NOW, pollIntervalMs: 60_000 });
  const failed = {
    scope: "default",
    start: NOW,
    end: NOW,
    lookupCalls: 1,
    eventsSeen: 0,
    newAlerts: 0,
    muted: 0,
    malformed: 0,
    failedLookups: ["EventSource=iam.amazonaws.com"],
    completed: false,
    strategy: "eventsource" as const,
    failure: { kind: "denied" as const, code: "AccessDeniedException", message: "User: arn:aws:sts::123456789012:assumed-role/tw/s is not authorized", missingPermission: "cloudtrail:LookupEvents" },
  };
  for (let i = 0; i < 3; i++) h.pollFinished(failed);
  return h;
}

function route(model: HealthModel, ready = true): Health {
  return { ready, status: () => model.publicStatus(), details: async () => ({ health: model.details() }) };
}

describe("/healthz", () => {
  test("to anyone: the status and problem codes only, 503 while a problem holds", async () => {
    const res = await healthResponse(route(blindModel()), false);
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).toBe('{"status":"degraded","problems":["cloudtrail_blind"]}');
  });

  test("to loopback callers: the details too, including the missing permission", async () => {
    const res = await healthResponse(route(blindModel()), true);
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).toContain("cloudtrail:LookupEvents");
  });

  test("while starting: 503", async () => {
    const h = new HealthModel({ now: () => NOW, pollIntervalMs: 60_000 });
    const res = await healthResponse(route(h, false), false);
    expect(res).toEqual({ status: 503, body: { status: "degraded", problems: ["starting"] } });
    expect(await healthResponse(route(h, true), false)).toEqual({ status: 200, body: { status: "ok", problems: [] } });
  });
});

describe("App Home and /iam-audit health", () => {
  test("App Home shows the problem first", () => {
    const lines = blindModel().problems().map((p) => problemLine(p, ctx));
    const view = buildHomeView({ openAlerts: [], openTotal: 0, counts7d: { open: 0, acknowledged: 0, escalated: 0, remediated: 0, muted: 0 }, lastAudit: null, now: NOW, problems: lines });
    const text = JSON.stringify(view.blocks.slice(0, 3));
    expect(text).toContain("Cannot see CloudTrail");
    expect(text).toContain("cloudtrail:LookupEvents");
  });

  test("the health report lists each problem and each account scope", () => {
    const r = healthReport(blindModel(), ctx);
    expect(r.text).toBe("trailwatch health: degraded");
    expect(r.lines.join("\n")).toMatch(/Cannot see CloudTrail for this AWS account/);
    expect(r.lines.join("\n")).toMatch(/3 failed in a row/);
  });
});
