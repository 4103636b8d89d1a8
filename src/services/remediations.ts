// The remediation workflows: request (from an alert or an audit finding), approve, reject and expire. Four
// eyes: only an approver who is not the requester may approve (the approver role is checked at the edge, the
// requester here); the store's atomic claim makes a request execute at most once, however many clicks
// arrive, and never after it expired. What Slack must show while a workflow runs goes through the narrow
// ports below, implemented at the edge.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { REMEDIATION_IDS } from "../domain.js";
import { errorFields } from "../log.js";
import { executePlan, planRemediation } from "../remediation/index.js";
import type { ExecutionResult, RemediationPlan } from "../remediation/types.js";
import { StoredRecordError } from "../store/codecs.js";
import type { AlertRecord, RemediationRequestRecord, StoredAuditReport } from "../store/types.js";
import { recordAction } from "./actions.js";
import { plansFor, type AlertNotifier } from "./alerts.js";
import type { ServiceDeps } from "./deps.js";
import { remediationDeps, remediationDepsForRequest, threadOf, type ThreadRef } from "./remediation-deps.js";

/** Posts a request for approval in the first of `channels` that takes it; null when none did. */
export interface RequestPoster {
  postRequest(request: RemediationRequestRecord, plan: RemediationPlan, where: { channels: string[]; threadTs?: string }): Promise<{ channel: string; ts: string } | null>;
}

/** Shows a request's progress: its message, its outcome in the thread, the alert it fixed. */
export interface RemediationNotifier extends AlertNotifier {
  requestChanged(requestId: string): Promise<void>;
  remediationFinished(request: RemediationRequestRecord, thread: ThreadRef, result: ExecutionResult, approvedBy: string): Promise<void>;
}

/** An admin-level plan runs only after the approver ticks an explicit confirmation. */
function isAdminPlan(plan: RemediationPlan): boolean {
  return Array.isArray(plan.adminReasons) && plan.adminReasons.length > 0;
}

/** A remediation request by id; null when trailwatch does not know it. */
export async function findRequest(deps: Pick<ServiceDeps, "store">, requestId: string): Promise<RemediationRequestRecord | null> {
  return deps.store.getRemediationRequest(requestId);
}

/**
 * Stores a new remediation request for an applicable plan (from an alert or an audit finding). It expires
 * after REMEDIATION_EXPIRY_HOURS.
 */
export async function createRemediationRequest(
  deps: ServiceDeps,
  r: { id: string; plan: RemediationPlan; requestedBy: string; alertEventId: string | null; findingId: string | null },
): Promise<RemediationRequestRecord> {
  const now = deps.now();
  const request: RemediationRequestRecord = {
    id: r.id,
    alertEventId: r.alertEventId,
    findingId: r.findingId,
    remediationId: r.plan.remediationId,
    params: r.plan.params,
    plan: r.plan,
    requestedBy: r.requestedBy,
    requestedAt: now,
    expiresAt: new Date(now.getTime() + deps.config.remediationExpiryHours * 3600_000),
    state: "pending",
  };
  const { state: _state, ...stored } = request;
  await deps.store.createRemediationRequest(stored);
  return request;
}

export type AlertRemediationResult =
  | { kind: "not_found" }
  /** reason null: the remediation chosen is not offered for this alert at all. */
  | { kind: "not_offered"; alert: AlertRecord; reason: string | null }
  | { kind: "ok"; alert: AlertRecord; request: RemediationRequestRecord; posted: boolean };

/**
 * Requests the remediation chosen in the alert's Remediate form. It is planned again now: what is stored and
 * shown to the approver reflects IAM at submission, not when the form opened. Posted in the alert's thread.
 */
export async function requestAlertRemediation(deps: ServiceDeps, poster: RequestPoster, input: { user: string; eventId: string; choice: string | undefined }): Promise<AlertRemediationResult> {
  const { user, choice } = input;
  const alert = await deps.store.getAlert(input.eventId);
  if (!alert) return { kind: "not_found" };
  const base = { actor: user, action: "remediation-request", alertEventId: alert.eventId } as const;
  const requestId = randomUUID();
  const plans = await plansFor(deps, alert, requestId);
  const plan = plans.find((p) => p.remediationId === choice);
  if (!plan?.applicable) {
    await recordAction(deps, { ...base, requestId: null, result: "refused", detail: { reason: plan ? plan.reason : "remediation not offered for this alert", remediation: choice } });
    return { kind: "not_offered", alert, reason: plan ? plan.reason : null };
  }
  const request = await createRemediationRequest(deps, { id: requestId, plan, requestedBy: user, alertEventId: alert.eventId, findingId: null });
  const channel = alert.channelId ?? deps.config.alertChannelId;
  const posted = await poster.postRequest(request, plan, { channels: [channel], ...(alert.messageTs ? { threadTs: alert.messageTs } : {}) });
  if (posted) await deps.store.setRemediationMessage(requestId, posted.channel, posted.ts);
  await recordAction(deps, { ...base, requestId, result: "ok", detail: { remediation: plan.remediationId, params: plan.params, calls: plan.calls.map((c) => c.api) } });
  return { kind: "ok", alert, request, posted: posted !== null };
}

/** The part of a stored finding a remediation is built from; anything else in the stored JSON is ignored. */
const StoredFinding = z.object({
  id: z.string(),
  remediation: z.object({
    id: z.enum(REMEDIATION_IDS),
    params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/), z.string().max(1000)),
  }),
});
type StoredFinding = z.output<typeof StoredFinding>;

/** Which stored report, and which finding in it, a Remediate button names. */
export interface FindingRef {
  report: number;
  finding: string;
}

/**
 * The finding the button names, from the stored report, if it was reported with a remediation, and the account
 * the report is about (absent in reports from before many-account support: the bot's own account).
 */
async function reportedFinding(deps: ServiceDeps, ref: FindingRef): Promise<{ finding: StoredFinding; accountId: string | undefined } | null> {
  let stored: StoredAuditReport | null;
  try {
    stored = await deps.store.getAuditReport(ref.report);
  } catch (err) {
    if (!(err instanceof StoredRecordError)) throw err;
    deps.logger.error(errorFields(err), "the stored audit report a Remediate button names does not decode");
    return null;
  }
  for (const reported of stored?.report.findings ?? []) {
    // Re-checked: the parameters go to a planner, so they keep the shape a Remediate button may carry.
    const f = StoredFinding.safeParse(reported);
    if (f.success && f.data.id === ref.finding) return { finding: f.data, accountId: stored?.report.accountId };
  }
  return null;
}

export type FindingRemediationResult =
  | { kind: "unknown_finding" }
  | { kind: "planning_failed" }
  | { kind: "not_applicable"; reason: string }
  | { kind: "not_posted"; request: RemediationRequestRecord }
  | { kind: "ok"; request: RemediationRequestRecord; channel: string };

/**
 * Requests the remediation of an `/iam-audit` finding: the remediation, its parameters and the account are read
 * back from the report as it was stored, never taken from the button. It is planned in the report's account
 * (through that account's role), and the plan records that account: the approval runs it there
 * (remediationDepsForRequest) and its account binding refuses any other. Posted in the conversation the button
 * was clicked in, else in the alert channel.
 */
export async function requestFindingRemediation(deps: ServiceDeps, poster: RequestPoster, input: { user: string; channel: string | undefined; ref: FindingRef }): Promise<FindingRemediationResult> {
  const { user, ref } = input;
  const base = { actor: user, action: "remediation-request", alertEventId: null } as const;
  const reported = await reportedFinding(deps, ref);
  if (!reported) {
    await recordAction(deps, { ...base, requestId: null, result: "refused", detail: { report: ref.report, finding: ref.finding, reason: "no such finding with a remediation in the stored report (forged or stale button)" } });
    deps.logger.warn({ user, report: ref.report, finding: ref.finding.slice(0, 200) }, "audit Remediate button names no reported finding; refused");
    return { kind: "unknown_finding" };
  }
  const { finding, accountId } = reported;
  const detail = { report: ref.report, finding: finding.id, remediation: finding.remediation.id, params: finding.remediation.params, ...(accountId ? { accountId } : {}) };
  const requestId = randomUUID();
  let plan: RemediationPlan;
  try {
    // With the account as the plan's subject, planning refuses unless the bot's identity there is that account.
    plan = await planRemediation(finding.remediation.id, finding.remediation.params, await remediationDeps(deps, accountId), requestId, accountId ? { accountId } : undefined);
  } catch (err) {
    deps.logger.error({ finding: finding.id, ...errorFields(err) }, "planning an audit remediation failed");
    await recordAction(deps, { ...base, requestId: null, result: "error", detail: { ...detail, reason: "planning failed" } });
    return { kind: "planning_failed" };
  }
  if (!plan.applicable) {
    await recordAction(deps, { ...base, requestId: null, result: "refused", detail: { ...detail, reason: plan.reason } });
    return { kind: "not_applicable", reason: plan.reason };
  }
  const request = await createRemediationRequest(deps, { id: requestId, plan, requestedBy: user, alertEventId: null, findingId: finding.id });
  const channels = [...new Set([input.channel, deps.config.alertChannelId].filter((c): c is string => typeof c === "string" && c !== ""))];
  const posted = await poster.postRequest(request, plan, { channels });
  if (posted) await deps.store.setRemediationMessage(requestId, posted.channel, posted.ts);
  await recordAction(deps, { ...base, requestId, result: posted ? "ok" : "error", detail: { ...detail, calls: plan.calls.map((c) => c.api), channel: posted?.channel ?? null } });
  return posted ? { kind: "ok", request, channel: posted.channel } : { kind: "not_posted", request };
}

export type ApproveResult =
  | { kind: "not_found" }
  /** Four eyes: the requester may not approve their own request. */
  | { kind: "own_request"; request: RemediationRequestRecord }
  /** An admin-level plan approved with the button: the approver must confirm through the dialog. */
  | { kind: "confirm"; request: RemediationRequestRecord; plan: RemediationPlan }
  /** An admin-level plan approved without the explicit confirmation. */
  | { kind: "confirmation_missing"; request: RemediationRequestRecord }
  /** Already decided, executed or expired: nothing runs. */
  | { kind: "decided"; request: RemediationRequestRecord }
  /** Executed (refused: the executor refused before any change, the request is now "refused"). */
  | { kind: "executed"; request: RemediationRequestRecord; result: ExecutionResult; refused: boolean };

/**
 * Approves a request and runs it. `via` says how: the button (an admin-level plan then asks for the
 * confirmation dialog instead) or the dialog (with or without the confirmation ticked). A refusal by the
 * executor (drift, wrong account, ...) ends the request in the terminal state "refused", so it cannot be
 * approved again. The caller has checked that the user is an approver.
 */
export async function approveRemediation(
  deps: ServiceDeps,
  notifier: RemediationNotifier,
  input: { user: string; requestId: string; via: "button" | "dialog"; adminConfirmed: boolean },
): Promise<ApproveResult> {
  const { user, adminConfirmed } = input;
  const req = await deps.store.getRemediationRequest(input.requestId);
  if (!req) return { kind: "not_found" };
  const base = { actor: user, action: "remediation-approve", alertEventId: req.alertEventId, requestId: req.id } as const;
  if (user === req.requestedBy) {
    await recordAction(deps, { ...base, result: "refused", detail: { reason: "requester cannot approve own request" } });
    return { kind: "own_request", request: req };
  }
  const { plan } = req;
  // The button never runs an admin-level plan: it opens the dialog that asks for the confirmation.
  if (input.via === "button" && isAdminPlan(plan) && req.state === "pending") return { kind: "confirm", request: req, plan };
  if (isAdminPlan(plan) && !adminConfirmed) {
    // Not claimed: the approver can still confirm through the dialog.
    await recordAction(deps, { ...base, result: "refused", detail: { reason: "admin-level plan approved without the explicit confirmation" } });
    return { kind: "confirmation_missing", request: req };
  }
  const now = deps.now();
  if (req.state === "pending" && req.expiresAt.getTime() <= now.getTime()) await expireRemediationRequests(deps, notifier);
  const claimed = await deps.store.claimRemediationRequest(req.id, "executing", user, now);
  if (!claimed) {
    const current = (await deps.store.getRemediationRequest(req.id)) ?? req;
    await recordAction(deps, { ...base, result: "noop", detail: { reason: `request is ${current.state}` } });
    return { kind: "decided", request: current };
  }
  await notifier.requestChanged(req.id);
  let result: ExecutionResult;
  try {
    result = await executePlan(plan, await remediationDepsForRequest(deps, req), { requestId: req.id, requestedBy: req.requestedBy, approvedBy: user, adminConfirmed });
  } catch (err) {
    const e = errorFields(err);
    result = { ok: false, done: [], notDone: plan.calls, verification: { ok: false, details: [] }, summary: plan.title, refused: `unexpected error: ${e.errorName}: ${e.errorMessage}` };
  }
  const refused = result.refused !== undefined && result.done.length === 0;
  await deps.store.finishRemediationRequest(req.id, result.ok ? "succeeded" : refused ? "refused" : "failed", result);
  await recordAction(deps, {
    ...base,
    result: result.ok ? "ok" : refused ? "refused" : "error",
    detail: {
      remediation: req.remediationId,
      requestedBy: req.requestedBy,
      summary: result.summary,
      done: result.done.map((c) => c.api),
      notDone: result.notDone.map((c) => c.api),
      failed: result.failed ? { api: result.failed.call.api, errorName: result.failed.errorName, message: result.failed.message } : null,
      refused: result.refused ?? null,
      drift: result.drift ?? null,
      adminConfirmed,
      verified: result.verification.ok,
    },
  });
  await notifier.remediationFinished(req, await threadOf(deps, req), result, user);
  await notifier.requestChanged(req.id);
  if (result.ok && req.alertEventId) {
    await deps.store.setStatus(req.alertEventId, "remediated");
    await notifier.alertChanged(req.alertEventId);
  }
  return { kind: "executed", request: req, result, refused };
}

export type RejectResult = { kind: "not_found" } | { kind: "decided"; request: RemediationRequestRecord } | { kind: "ok"; request: RemediationRequestRecord };

/** Rejects (or, for its requester, withdraws) a pending request. The caller has checked who may. */
export async function rejectRemediation(deps: ServiceDeps, notifier: Pick<RemediationNotifier, "requestChanged">, input: { user: string; requestId: string }): Promise<RejectResult> {
  const { user } = input;
  const req = await deps.store.getRemediationRequest(input.requestId);
  if (!req) return { kind: "not_found" };
  const base = { actor: user, action: "remediation-reject", alertEventId: req.alertEventId, requestId: req.id } as const;
  const claimed = await deps.store.claimRemediationRequest(req.id, "rejected", user, deps.now());
  if (!claimed) {
    const current = (await deps.store.getRemediationRequest(req.id)) ?? req;
    await recordAction(deps, { ...base, result: "noop", detail: { reason: `request is ${current.state}` } });
    return { kind: "decided", request: current };
  }
  await recordAction(deps, { ...base, result: "ok", detail: { remediation: req.remediationId } });
  await notifier.requestChanged(req.id);
  return { kind: "ok", request: req };
}

/** Expires the pending requests past their time (a job every minute, and before any approval). */
export async function expireRemediationRequests(deps: ServiceDeps, notifier: Pick<RemediationNotifier, "requestChanged">): Promise<number> {
  const expired = await deps.store.expireRemediationRequests(deps.now());
  for (const req of expired) {
    await recordAction(deps, { actor: "system", action: "remediation-expire", alertEventId: req.alertEventId, requestId: req.id, result: "ok", detail: { remediation: req.remediationId } });
    await notifier.requestChanged(req.id);
  }
  return expired.length;
}
