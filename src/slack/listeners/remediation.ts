// Approve / Reject on a remediation request, and expiry. Four eyes: only an approver who is not the
// requester may approve; the store's atomic claim makes a request execute at most once, however many
// clicks arrive, and never after it expired.
import type { App, BlockButtonAction } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { executePlan } from "../../remediation/index.js";
import type { ExecutionResult, RemediationPlan } from "../../remediation/types.js";
import type { RemediationRequestRecord } from "../../store/types.js";
import { ActionIds } from "../action-ids.js";
import { outcomeMessage, requestMessage } from "../blocks/workflow.js";
import { userMention } from "../mrkdwn.js";
import { record, refreshAlertMessage, remediationDeps, tellUser } from "./alert-service.js";
import type { ListenerDeps } from "./deps.js";

async function updateRequestMessage(deps: ListenerDeps, id: string): Promise<void> {
  const req = await deps.store.getRemediationRequest(id);
  if (!req?.channelId || !req.messageTs) return;
  const msg = requestMessage(req, req.plan as RemediationPlan);
  try {
    await deps.client.chat.update({ channel: req.channelId, ts: req.messageTs, text: msg.text, blocks: msg.blocks });
  } catch (err) {
    deps.logger.warn({ requestId: id, ...errorFields(err) }, "could not update the remediation request message");
  }
}

function describeDecided(req: RemediationRequestRecord): string {
  switch (req.state) {
    case "expired":
      return "This request has expired; request a new remediation from the alert.";
    case "rejected":
      return `This request was already rejected by ${userMention(req.decidedBy ?? "")}.`;
    case "pending":
      return "This request has expired; request a new remediation from the alert.";
    default:
      return `This request was already approved by ${userMention(req.decidedBy ?? "")}; it runs only once.`;
  }
}

export async function expireRequests(deps: ListenerDeps): Promise<number> {
  const expired = await deps.store.expireRemediationRequests(deps.now());
  for (const req of expired) {
    await record(deps, { actor: "system", action: "remediation-expire", alertEventId: req.alertEventId, requestId: req.id, result: "ok", detail: { remediation: req.remediationId } });
    await updateRequestMessage(deps, req.id);
  }
  return expired.length;
}

/** The request an Approve/Reject button points at; the button's value is never trusted beyond a lookup. */
async function requestFromButton(deps: ListenerDeps, value: unknown): Promise<RemediationRequestRecord | null> {
  return typeof value === "string" && value.length <= 100 ? deps.store.getRemediationRequest(value) : null;
}

export function registerRemediationListeners(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.approveRemediation, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id;
    const req = await requestFromButton(deps, action.value);
    if (!req) return tellUser(client, deps, channel, user, "This remediation request is not known to trailwatch.");
    const base = { alertEventId: req.alertEventId, requestId: req.id };
    if (!(await deps.auth.isApprover(user))) {
      await record(deps, { ...base, actor: user, action: "remediation-approve", result: "refused", detail: { reason: "not an approver" } });
      return tellUser(client, deps, channel, user, "Only approvers (APPROVERS) may approve remediations. Nothing was changed.");
    }
    if (user === req.requestedBy) {
      await record(deps, { ...base, actor: user, action: "remediation-approve", result: "refused", detail: { reason: "requester cannot approve own request" } });
      return tellUser(client, deps, channel, user, "You requested this remediation, so another approver must approve it (four-eyes rule). Nothing was changed.");
    }
    const now = deps.now();
    if (req.state === "pending" && req.expiresAt.getTime() <= now.getTime()) await expireRequests(deps);
    const claimed = await deps.store.claimRemediationRequest(req.id, "executing", user, now);
    if (!claimed) {
      const current = (await deps.store.getRemediationRequest(req.id)) ?? req;
      await record(deps, { ...base, actor: user, action: "remediation-approve", result: "noop", detail: { reason: `request is ${current.state}` } });
      return tellUser(client, deps, channel, user, describeDecided(current));
    }
    await updateRequestMessage(deps, req.id);
    const plan = req.plan as RemediationPlan;
    let result: ExecutionResult;
    try {
      result = await executePlan(plan, await remediationDeps(deps, req.alertEventId ? (await deps.store.getAlert(req.alertEventId))?.accountId : undefined), { requestId: req.id, requestedBy: req.requestedBy, approvedBy: user });
    } catch (err) {
      const e = errorFields(err);
      result = { ok: false, done: [], notDone: plan.calls, verification: { ok: false, details: [] }, summary: plan.title, refused: `unexpected error: ${e.errorName}: ${e.errorMessage}` };
    }
    await deps.store.finishRemediationRequest(req.id, result.ok ? "succeeded" : "failed", result);
    await record(deps, {
      ...base,
      actor: user,
      action: "remediation-approve",
      result: result.ok ? "ok" : "error",
      detail: { remediation: req.remediationId, requestedBy: req.requestedBy, summary: result.summary, done: result.done.map((c) => c.api), notDone: result.notDone.map((c) => c.api), failed: result.failed ? { api: result.failed.call.api, errorName: result.failed.errorName, message: result.failed.message } : null, refused: result.refused ?? null, verified: result.verification.ok },
    });
    const out = outcomeMessage(plan, result, user);
    const thread = await threadOf(deps, req);
    try {
      await client.chat.postMessage({ channel: thread.channel, text: out.text, blocks: out.blocks, ...(thread.ts ? { thread_ts: thread.ts } : {}) });
    } catch (err) {
      deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not post the remediation outcome");
    }
    await updateRequestMessage(deps, req.id);
    if (result.ok && req.alertEventId) {
      await deps.store.setStatus(req.alertEventId, "remediated");
      await refreshAlertMessage(deps, req.alertEventId);
    }
  });

  app.action<BlockButtonAction>(ActionIds.rejectRemediation, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id;
    const req = await requestFromButton(deps, action.value);
    if (!req) return tellUser(client, deps, channel, user, "This remediation request is not known to trailwatch.");
    const base = { alertEventId: req.alertEventId, requestId: req.id };
    // Approvers may reject; requesters may withdraw their own request.
    if (user !== req.requestedBy && !(await deps.auth.isApprover(user))) {
      await record(deps, { ...base, actor: user, action: "remediation-reject", result: "refused", detail: { reason: "not an approver or the requester" } });
      return tellUser(client, deps, channel, user, "Only approvers or the requester may reject this request. Nothing was changed.");
    }
    const claimed = await deps.store.claimRemediationRequest(req.id, "rejected", user, deps.now());
    if (!claimed) {
      const current = (await deps.store.getRemediationRequest(req.id)) ?? req;
      await record(deps, { ...base, actor: user, action: "remediation-reject", result: "noop", detail: { reason: `request is ${current.state}` } });
      return tellUser(client, deps, channel, user, describeDecided(current));
    }
    await record(deps, { ...base, actor: user, action: "remediation-reject", result: "ok", detail: { remediation: req.remediationId } });
    await updateRequestMessage(deps, req.id);
  });
}

/** Where the outcome goes: the alert's thread (or the request message's thread for audit findings). */
async function threadOf(deps: ListenerDeps, req: RemediationRequestRecord): Promise<{ channel: string; ts?: string }> {
  if (req.alertEventId) {
    const alert = await deps.store.getAlert(req.alertEventId);
    if (alert?.channelId && alert.messageTs) return { channel: alert.channelId, ts: alert.messageTs };
  }
  return { channel: req.channelId ?? deps.config.alertChannelId, ...(req.messageTs ? { ts: req.messageTs } : {}) };
}
