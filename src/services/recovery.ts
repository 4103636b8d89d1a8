// Remediation requests a crash left "executing" are settled by reading IAM back (src/remediation/reconcile.ts),
// never by running them again: an approval is for one run, and IAM may have changed since. The outcome is
// stored and recorded as a system action; the notifier shows it (thread post, request message, alert message).
// Called at start-up (SQLite) and by the leader for a replica that is gone (PostgreSQL,
// src/recovery/orphaned-executions.ts).
import { errorFields } from "../log.js";
import { reconcileExecution, type Reconciliation } from "../remediation/reconcile.js";
import type { RemediationPlan } from "../remediation/types.js";
import type { RemediationRequestRecord } from "../store/types.js";
import { recordAction } from "./actions.js";
import type { AlertNotifier } from "./alerts.js";
import type { ServiceDeps } from "./deps.js";
import { remediationDepsForRequest, threadOf, type ThreadRef } from "./remediation-deps.js";

/** Shows a recovered outcome: posted in the request's thread, then the request and alert messages refreshed. */
export interface RecoveryNotifier extends AlertNotifier {
  requestChanged(requestId: string): Promise<void>;
  remediationRecovered(request: RemediationRequestRecord, plan: RemediationPlan, thread: ThreadRef, reconciliation: Reconciliation): Promise<void>;
}

/** Settles one request; returns its outcome, or null when something else settled it first. */
async function recoverOne(deps: ServiceDeps, notifier: RecoveryNotifier, req: RemediationRequestRecord): Promise<Reconciliation["outcome"] | null> {
  const { plan } = req;
  const r = await reconcileExecution(plan, await remediationDepsForRequest(deps, req));
  if (!(await deps.store.settleRecoveredRemediationRequest(req.id, r.outcome, r.result))) return null;
  await recordAction(deps, {
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
  await notifier.remediationRecovered(req, plan, await threadOf(deps, req), r);
  await notifier.requestChanged(req.id);
  if (r.outcome === "succeeded" && req.alertEventId) {
    await deps.store.setStatus(req.alertEventId, "remediated");
    await notifier.alertChanged(req.alertEventId);
  }
  return r.outcome;
}

/**
 * Settles the given requests (listed before Slack requests are served, so an approval made after start-up
 * is never mistaken for a crashed one). One failing request does not stop the others.
 */
export async function recoverExecutingRequests(deps: ServiceDeps, notifier: RecoveryNotifier, requests: RemediationRequestRecord[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const req of requests) {
    try {
      const outcome = await recoverOne(deps, notifier, req);
      if (outcome) counts[outcome] = (counts[outcome] ?? 0) + 1;
      deps.logger.warn({ requestId: req.id, remediation: req.remediationId, outcome }, "remediation left executing by a crash was reconciled from IAM (not re-executed)");
    } catch (err) {
      deps.logger.error({ requestId: req.id, ...errorFields(err) }, "could not reconcile a remediation left executing by a crash");
    }
  }
  return counts;
}
