// Approve / Reject on a remediation request, and expiry. Four eyes: only an approver who is not the
// requester may approve; the store's atomic claim makes a request execute at most once, however many
// clicks arrive, and never after it expired.
import type { App, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { errorFields } from "../../log.js";
import { executePlan } from "../../remediation/index.js";
import type { ExecutionResult, RemediationPlan } from "../../remediation/types.js";
import type { RemediationRequestRecord } from "../../store/types.js";
import { ActionIds, CallbackIds } from "../action-ids.js";
import { decodeOrNull, RequestButtonValue } from "../payloads.js";
import { AdminConfirmIds, adminConfirmModal, outcomeMessage, requestMessage } from "../blocks/workflow.js";
import { prose, userMention } from "../mrkdwn.js";
import { membershipNote, record, refreshAlertMessage, remediationDepsForRequest, tellUser } from "./alert-service.js";
import type { ListenerDeps } from "./deps.js";

export async function updateRequestMessage(deps: ListenerDeps, id: string): Promise<void> {
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
    case "refused":
      return `This request was refused before any change when ${userMention(req.decidedBy ?? "")} approved it (the thread says why); it cannot be approved again. Request a new remediation.`;
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
  const id = decodeOrNull(RequestButtonValue, value);
  return id === null ? null : deps.store.getRemediationRequest(id);
}

const isAdminPlan = (plan: RemediationPlan) => Array.isArray(plan.adminReasons) && plan.adminReasons.length > 0;

/** Who may approve: an approver who is not the requester. Records and answers a refusal; true when allowed. */
async function mayApprove(deps: ListenerDeps, client: WebClient, channel: string | undefined, user: string, req: RemediationRequestRecord): Promise<boolean> {
  const base = { alertEventId: req.alertEventId, requestId: req.id };
  if (!(await deps.auth.isApprover(user))) {
    await record(deps, { ...base, actor: user, action: "remediation-approve", result: "refused", detail: { reason: "not an approver" } });
    await tellUser(client, deps, channel, user, "Only approvers (APPROVERS) may approve remediations. Nothing was changed." + membershipNote(deps));
    return false;
  }
  if (user === req.requestedBy) {
    await record(deps, { ...base, actor: user, action: "remediation-approve", result: "refused", detail: { reason: "requester cannot approve own request" } });
    await tellUser(client, deps, channel, user, "You requested this remediation, so another approver must approve it (four-eyes rule). Nothing was changed.");
    return false;
  }
  return true;
}

/**
 * Claims the request and runs it. A refusal by the executor (drift, wrong account, ...) ends the request
 * in the terminal state "refused", so it cannot be approved again; the thread and the approver are told why.
 */
async function approveAndRun(deps: ListenerDeps, client: WebClient, channel: string | undefined, user: string, req: RemediationRequestRecord, adminConfirmed: boolean): Promise<void> {
  const base = { alertEventId: req.alertEventId, requestId: req.id };
  const plan = req.plan as RemediationPlan;
  if (isAdminPlan(plan) && !adminConfirmed) {
    // Not claimed: the approver can still confirm through the dialog.
    await record(deps, { ...base, actor: user, action: "remediation-approve", result: "refused", detail: { reason: "admin-level plan approved without the explicit confirmation" } });
    return tellUser(client, deps, channel, user, "This remediation grants admin-level access: approve it through the dialog and tick the confirmation. Nothing was changed.");
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
  let result: ExecutionResult;
  try {
    result = await executePlan(plan, await remediationDepsForRequest(deps, req), { requestId: req.id, requestedBy: req.requestedBy, approvedBy: user, adminConfirmed });
  } catch (err) {
    const e = errorFields(err);
    result = { ok: false, done: [], notDone: plan.calls, verification: { ok: false, details: [] }, summary: plan.title, refused: `unexpected error: ${e.errorName}: ${e.errorMessage}` };
  }
  const refused = result.refused !== undefined && result.done.length === 0;
  await deps.store.finishRemediationRequest(req.id, result.ok ? "succeeded" : refused ? "refused" : "failed", result);
  await record(deps, {
    ...base,
    actor: user,
    action: "remediation-approve",
    result: result.ok ? "ok" : refused ? "refused" : "error",
    detail: { remediation: req.remediationId, requestedBy: req.requestedBy, summary: result.summary, done: result.done.map((c) => c.api), notDone: result.notDone.map((c) => c.api), failed: result.failed ? { api: result.failed.call.api, errorName: result.failed.errorName, message: result.failed.message } : null, refused: result.refused ?? null, drift: result.drift ?? null, adminConfirmed, verified: result.verification.ok },
  });
  const out = outcomeMessage(plan, result, user);
  const thread = await threadOf(deps, req);
  try {
    await client.chat.postMessage({ channel: thread.channel, text: out.text, blocks: out.blocks, ...(thread.ts ? { thread_ts: thread.ts } : {}) });
  } catch (err) {
    deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not post the remediation outcome");
  }
  if (refused) {
    await tellUser(client, deps, channel, user, `Remediation not executed, nothing was changed in IAM: ${prose(result.refused ?? "", 1500)}`);
  }
  await updateRequestMessage(deps, req.id);
  if (result.ok && req.alertEventId) {
    await deps.store.setStatus(req.alertEventId, "remediated");
    await refreshAlertMessage(deps, req.alertEventId);
  }
}

export function registerRemediationListeners(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.approveRemediation, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id;
    const req = await requestFromButton(deps, action.value);
    if (!req) return tellUser(client, deps, channel, user, "This remediation request is not known to trailwatch.");
    if (!(await mayApprove(deps, client, channel, user, req))) return;
    const plan = req.plan as RemediationPlan;
    if (isAdminPlan(plan) && req.state === "pending") {
      // The button never runs an admin-level plan: it opens the dialog that asks for the confirmation.
      try {
        await client.views.open({ trigger_id: body.trigger_id, view: adminConfirmModal(req, plan) });
      } catch (err) {
        deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not open the admin confirmation dialog");
        await tellUser(client, deps, channel, user, "Could not open the confirmation dialog; please try again. Nothing was changed.");
      }
      return;
    }
    await approveAndRun(deps, client, channel, user, req, false);
  });

  app.view<ViewSubmitAction>(CallbackIds.adminConfirmModal, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const selected = view.state.values[AdminConfirmIds.block]?.[AdminConfirmIds.action]?.selected_options ?? [];
    const confirmed = selected.some((o) => o.value === AdminConfirmIds.value);
    if (!confirmed) {
      await ack({ response_action: "errors", errors: { [AdminConfirmIds.block]: "Tick the confirmation to approve an admin-level remediation." } });
    } else {
      await ack();
    }
    const req = await requestFromButton(deps, view.private_metadata);
    if (!req) return tellUser(client, deps, undefined, user, "This remediation request is not known to trailwatch.");
    const channel = req.channelId;
    if (!(await mayApprove(deps, client, channel, user, req))) return;
    await approveAndRun(deps, client, channel, user, req, confirmed);
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
export async function threadOf(deps: ListenerDeps, req: RemediationRequestRecord): Promise<{ channel: string; ts?: string }> {
  if (req.alertEventId) {
    const alert = await deps.store.getAlert(req.alertEventId);
    if (alert?.channelId && alert.messageTs) return { channel: alert.channelId, ts: alert.messageTs };
  }
  return { channel: req.channelId ?? deps.config.alertChannelId, ...(req.messageTs ? { ts: req.messageTs } : {}) };
}
