// At start-up (SQLite), or by the leader for a replica that is gone (PostgreSQL, src/recovery/orphaned-executions.ts):
// remediation requests a crash left "executing" are settled by reading IAM back
// (src/remediation/reconcile.ts), never by running them again. The outcome is stored, recorded as a system
// action, posted in the request's thread and shown on the request message, like a normal completion.
import type { KnownBlock } from "@slack/types";
import { errorFields } from "../../log.js";
import { reconcileExecution, type Reconciliation } from "../../remediation/reconcile.js";
import type { RemediationPlan } from "../../remediation/types.js";
import type { RemediationRequestRecord } from "../../store/types.js";
import { LIMITS } from "../blocks/limits.js";
import { inline, prose, truncateEscaped, userMention } from "../mrkdwn.js";
import { recordAction as record } from "../../services/actions.js";
import { remediationDepsForRequest, threadOf } from "../../services/remediation-deps.js";
import type { ListenerDeps } from "./deps.js";
import { refreshAlertMessage, updateRequestMessage } from "../workflow-notifier.js";

export function recoveryMessage(req: RemediationRequestRecord, plan: RemediationPlan, r: Reconciliation): { text: string; blocks: KnownBlock[] } {
  const title = prose(plan.title, 200);
  const lines = [
    `⚠️ *trailwatch stopped while this remediation was executing* (approved by ${userMention(req.decidedBy ?? "")}). ` +
      "It was not run again: an approval is for one run. IAM was read back instead.",
  ];
  if (r.outcome === "succeeded") lines.push(`✅ *Remediated:* ${prose(r.result.summary, 500)}`);
  else if (r.outcome === "failed") lines.push(`❌ *Remediation incomplete:* ${title}. Request a new remediation from the alert for what is missing.`);
  else lines.push(`❓ *Outcome unknown:* ${title}. Check IAM by hand; what could not be read is listed below.`);
  const group = (status: string, heading: string) => {
    const items = r.readBack.filter((b) => b.status === status);
    if (items.length > 0) lines.push(`*${heading}:*\n${items.slice(0, 10).map((b) => `• ${prose(b.call.description, 250)} — ${prose(b.detail, 250)}`).join("\n")}`);
  };
  group("confirmed", "In IAM");
  group("absent", "Not in IAM");
  group("unreadable", "Could not read");
  const text = truncateEscaped(lines.join("\n"), LIMITS.sectionText);
  const summary =
    r.outcome === "succeeded" ? `Remediated (recovered after a restart): ${r.result.summary}` : r.outcome === "failed" ? `Remediation incomplete (recovered after a restart): ${plan.title}` : `Remediation outcome unknown after a restart: ${plan.title}`;
  return { text: inline(summary, 500), blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/** Settles one request; returns its outcome, or null when something else settled it first. */
async function recoverOne(deps: ListenerDeps, req: RemediationRequestRecord): Promise<Reconciliation["outcome"] | null> {
  const { plan } = req;
  const r = await reconcileExecution(plan, await remediationDepsForRequest(deps, req));
  if (!(await deps.store.settleRecoveredRemediationRequest(req.id, r.outcome, r.result))) return null;
  await record(deps, {
    actor: "system",
    action: "remediation-recover",
    alertEventId: req.alertEventId,
    requestId: req.id,
    result: r.outcome === "succeeded" ? "ok" : "error",
    detail: {
      remediation: req.remediationId,
      outcome: r.outcome,
      approvedBy: req.decidedBy ?? null,
      // The instance that was executing it (PostgreSQL replicas: one found gone, see src/recovery/orphaned-executions.ts).
      executedBy: req.executedBy ?? null,
      summary: r.result.summary,
      inIam: r.result.done.map((c) => c.api),
      notInIam: r.result.notDone.map((c) => c.api),
      unreadable: r.result.unreadable,
      reExecuted: false,
    },
  });
  const msg = recoveryMessage(req, plan, r);
  const thread = await threadOf(deps, req);
  try {
    await deps.client.chat.postMessage({ channel: thread.channel, text: msg.text, blocks: msg.blocks, ...(thread.ts ? { thread_ts: thread.ts } : {}) });
  } catch (err) {
    deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not post the recovered remediation outcome");
  }
  await updateRequestMessage(deps, req.id);
  if (r.outcome === "succeeded" && req.alertEventId) {
    await deps.store.setStatus(req.alertEventId, "remediated");
    await refreshAlertMessage(deps, req.alertEventId);
  }
  return r.outcome;
}

/**
 * Settles the given requests (listed before Slack requests are served, so an approval made after start-up
 * is never mistaken for a crashed one). One failing request does not stop the others.
 */
export async function recoverExecutingRequests(deps: ListenerDeps, requests: RemediationRequestRecord[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const req of requests) {
    try {
      const outcome = await recoverOne(deps, req);
      if (outcome) counts[outcome] = (counts[outcome] ?? 0) + 1;
      deps.logger.warn({ requestId: req.id, remediation: req.remediationId, outcome }, "remediation left executing by a crash was reconciled from IAM (not re-executed)");
    } catch (err) {
      deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not reconcile a remediation left executing by a crash");
    }
  }
  return counts;
}
