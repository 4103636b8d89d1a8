// The workflow services on their own: plain inputs, an in-memory store, a recording notifier, no Slack.
// Each returns a result the edge renders, records what it did, and tells the notifier what changed.
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { acknowledgeAlert, checkEscalation, escalateAlert, type EscalationPoster } from "../../src/services/alerts.js";
import type { ServiceDeps } from "../../src/services/deps.js";
import { approveRemediation, createRemediationRequest, expireRemediationRequests, rejectRemediation, requestFindingRemediation, type RemediationNotifier, type RequestPoster } from "../../src/services/remediations.js";
import type { AlertRecord } from "../../src/store/types.js";
import { readdPlan } from "../support/stored.js";
import { APPROVER, APPROVER_2, CHANNEL, listenerHarness, recordedLines, RESPONDER, seedAlert, type Harness } from "../support/slack-listeners.js";
import { auditFinding, auditReport } from "../support/stored.js";

const ALERT_TS = "1699999999.000100";
const T0 = new Date("2026-12-01T10:00:00Z");
let h: Harness;
let deps: ServiceDeps;
let now: Date;
let alert: AlertRecord;
let seen: string[];

/** Every port, recording what it was asked to show; posts succeed unless `failPosts`. */
function notifier(o: { failPosts?: boolean } = {}): EscalationPoster & RequestPoster & RemediationNotifier {
  return {
    alertChanged: (id) => (seen.push(`alert ${id}`), Promise.resolve()),
    requestChanged: (id) => (seen.push(`request ${id}`), Promise.resolve()),
    postEscalation: (a, by, note, target) => (seen.push(`escalation ${a.eventId} by ${by} "${note}" to ${target.channel}/${target.threadTs ?? "-"}`), Promise.resolve(!o.failPosts)),
    postRequest: (req, _plan, where) => (seen.push(`request ${req.id} to ${where.channels.join(",")}`), Promise.resolve(o.failPosts ? null : { channel: where.channels[0] ?? "", ts: "1700000001.000100" })),
    remediationFinished: (req, thread, result) => (seen.push(`outcome ${req.id} in ${thread.channel}/${thread.ts ?? "-"}: ${result.ok ? "ok" : "not ok"}`), Promise.resolve()),
  };
}

const plan = readdPlan;

beforeEach(async () => {
  now = T0;
  h = await listenerHarness({ now: () => now });
  deps = h.deps;
  seen = [];
  alert = await seedAlert(h.store, { eventName: "RemoveUserFromGroup", requestParameters: { groupName: "admins", userName: "bob" } }, { ts: ALERT_TS });
});
afterEach(async () => {
  await h.store.close();
});

const newRequest = async (requestedBy: string, p = plan()) =>
  createRemediationRequest(deps, { id: `req-${String(Math.random()).slice(2, 10)}`, plan: p, requestedBy, alertEventId: alert.eventId, findingId: null });

describe("acknowledgeAlert", () => {
  test("acknowledges once, shows the change, and says who did it the second time", async () => {
    expect(await acknowledgeAlert(deps, notifier(), { user: RESPONDER, eventId: alert.eventId })).toMatchObject({ kind: "ok", alsoAcknowledged: 0 });
    expect(await acknowledgeAlert(deps, notifier(), { user: APPROVER, eventId: alert.eventId })).toEqual({ kind: "already", by: RESPONDER, at: T0 });
    expect(seen).toEqual([`alert ${alert.eventId}`]);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} acknowledge ok`, `${APPROVER} acknowledge noop`]);
  });

  test("an unknown alert: not_found, nothing recorded", async () => {
    expect(await acknowledgeAlert(deps, notifier(), { user: RESPONDER, eventId: "nope" })).toEqual({ kind: "not_found" });
    expect(await recordedLines(h.store)).toEqual([]);
  });
});

describe("escalateAlert", () => {
  test("without ESCALATION_CHANNEL_ID the escalation goes to the alert's thread; the note is capped", async () => {
    expect(await checkEscalation(deps, { user: RESPONDER, eventId: alert.eventId })).toMatchObject({ kind: "ok" });
    const r = await escalateAlert(deps, notifier(), { user: RESPONDER, eventId: alert.eventId, note: "x".repeat(2100) });
    expect(r).toMatchObject({ kind: "ok", posted: true, target: { channel: CHANNEL, threadTs: ALERT_TS } });
    expect(seen).toEqual([`escalation ${alert.eventId} by ${RESPONDER} "${"x".repeat(2000)}" to ${CHANNEL}/${ALERT_TS}`, `alert ${alert.eventId}`]);
    expect(await checkEscalation(deps, { user: APPROVER, eventId: alert.eventId })).toEqual({ kind: "already", by: RESPONDER });
  });

  test("a post Slack refuses leaves the alert escalated and is recorded as an error", async () => {
    const r = await escalateAlert(deps, notifier({ failPosts: true }), { user: RESPONDER, eventId: alert.eventId, note: "" });
    expect(r).toMatchObject({ kind: "ok", posted: false });
    expect((await h.store.getAlert(alert.eventId))?.escalatedBy).toBe(RESPONDER);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} escalate error`]);
  });
});

describe("approveRemediation", () => {
  test("the requester cannot approve their own request", async () => {
    const req = await newRequest(APPROVER);
    expect(await approveRemediation(deps, notifier(), { user: APPROVER, requestId: req.id, via: "button", adminConfirmed: false })).toMatchObject({ kind: "own_request" });
    expect((await h.store.getRemediationRequest(req.id))?.state).toBe("pending");
  });

  test("an admin-level plan: the button asks for the dialog, the dialog without the tick is refused, nothing is claimed", async () => {
    const req = await newRequest(RESPONDER, plan({ adminReasons: ["AdministratorAccess"] }));
    expect(await approveRemediation(deps, notifier(), { user: APPROVER, requestId: req.id, via: "button", adminConfirmed: false })).toMatchObject({ kind: "confirm" });
    expect(await approveRemediation(deps, notifier(), { user: APPROVER, requestId: req.id, via: "dialog", adminConfirmed: false })).toMatchObject({ kind: "confirmation_missing" });
    expect((await h.store.getRemediationRequest(req.id))?.state).toBe("pending");
    expect(await recordedLines(h.store)).toEqual([`${APPROVER} remediation-approve refused`]);
  });

  test("past its expiry a request is expired first, shown so, and never runs", async () => {
    const req = await newRequest(RESPONDER);
    now = new Date(T0.getTime() + (deps.config.remediationExpiryHours + 1) * 3600_000);
    const r = await approveRemediation(deps, notifier(), { user: APPROVER, requestId: req.id, via: "button", adminConfirmed: false });
    expect(r).toMatchObject({ kind: "decided", request: { state: "expired" } });
    expect(seen).toEqual([`request ${req.id}`]);
    expect(await recordedLines(h.store)).toEqual(["system remediation-expire ok", `${APPROVER} remediation-approve noop`]);
  });

  test("when IAM cannot be read at approval nothing runs: the request ends refused and the thread is told", async () => {
    const req = await newRequest(RESPONDER);
    const r = await approveRemediation(deps, notifier(), { user: APPROVER, requestId: req.id, via: "button", adminConfirmed: false });
    expect(r).toMatchObject({ kind: "executed", refused: true });
    expect((await h.store.getRemediationRequest(req.id))?.state).toBe("refused");
    expect(seen).toEqual([`request ${req.id}`, `outcome ${req.id} in ${CHANNEL}/${ALERT_TS}: not ok`, `request ${req.id}`]);
    expect((await h.store.getAlert(alert.eventId))?.status).toBe("open");
    expect(await recordedLines(h.store)).toEqual([`${APPROVER} remediation-approve refused`]);
  });
});

describe("rejectRemediation and expireRemediationRequests", () => {
  test("a rejected request is decided: a second reject is a noop, and expiry leaves it alone", async () => {
    const req = await newRequest(RESPONDER);
    expect(await rejectRemediation(deps, notifier(), { user: APPROVER, requestId: req.id })).toMatchObject({ kind: "ok" });
    expect(await rejectRemediation(deps, notifier(), { user: APPROVER_2, requestId: req.id })).toMatchObject({ kind: "decided", request: { state: "rejected", decidedBy: APPROVER } });
    now = new Date(T0.getTime() + 1000 * 3600_000);
    expect(await expireRemediationRequests(deps, notifier())).toBe(0);
    expect(await recordedLines(h.store)).toEqual([`${APPROVER} remediation-reject ok`, `${APPROVER_2} remediation-reject noop`]);
  });

  test("expiry expires the pending requests past their time, records each and shows it", async () => {
    const a = await newRequest(RESPONDER);
    const b = await newRequest(RESPONDER);
    expect(await expireRemediationRequests(deps, notifier())).toBe(0);
    now = new Date(T0.getTime() + deps.config.remediationExpiryHours * 3600_000);
    expect(await expireRemediationRequests(deps, notifier())).toBe(2);
    expect(seen.sort()).toEqual([`request ${a.id}`, `request ${b.id}`].sort());
    expect(await recordedLines(h.store)).toEqual(["system remediation-expire ok", "system remediation-expire ok"]);
  });
});

describe("requestFindingRemediation", () => {
  test("a finding whose state IAM cannot give is not requested; the reason is returned and recorded", async () => {
    const report = await h.store.saveAuditReport(T0, auditReport([auditFinding({ id: "f1", remediation: { id: "enforce-password-policy", params: {} } })]));
    const r = await requestFindingRemediation(deps, notifier(), { user: RESPONDER, channel: CHANNEL, ref: { report, finding: "f1" } });
    expect(r).toEqual({ kind: "not_applicable", reason: "could not read the current state: GetAccountPasswordPolicy failed with Error: this test does not expect an AWS call" });
    expect(seen).toEqual([]);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} remediation-request refused`]);
  });

  test("a finding the stored report does not have is unknown; nothing is planned", async () => {
    const report = await h.store.saveAuditReport(T0, auditReport([auditFinding({ id: "f1" })]));
    expect(await requestFindingRemediation(deps, notifier(), { user: RESPONDER, channel: CHANNEL, ref: { report, finding: "f1" } })).toEqual({ kind: "unknown_finding" });
    expect(await requestFindingRemediation(deps, notifier(), { user: RESPONDER, channel: CHANNEL, ref: { report: report + 1, finding: "f1" } })).toEqual({ kind: "unknown_finding" });
  });

  test("a stored report that no longer decodes is refused like an unknown finding, never planned from", async () => {
    const report = await h.store.saveAuditReport(T0, auditReport([auditFinding({ id: "f1", remediation: { id: "enforce-password-policy", params: {} } })]));
    await sql`UPDATE audit_reports SET report_json = ${JSON.stringify({ findings: [{ id: "f1", remediation: { id: "enforce-password-policy", params: {} } }] })} WHERE id = ${report}`.execute(h.store.db);
    expect(await requestFindingRemediation(deps, notifier(), { user: RESPONDER, channel: CHANNEL, ref: { report, finding: "f1" } })).toEqual({ kind: "unknown_finding" });
    expect(seen).toEqual([]);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} remediation-request refused`]);
  });
});
