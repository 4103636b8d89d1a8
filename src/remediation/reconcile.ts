// Crash recovery for a remediation left "executing": the process died after the approval claimed it and
// before the outcome was stored, so which calls reached AWS is unknown. Nothing is sent again (the approval
// was for one run); IAM is read back with each call's own verify check and the outcome is stated:
//   succeeded  every planned change is in IAM;
//   failed     at least one is not (some may be: they are listed);
//   unknown    IAM could not be read for at least one call, so nobody can say without looking.
import { decodePolicyDocument } from "./aws.js";
import { definitionFor } from "./registry.js";
import { REVOKE_POLICY_NAME, revokeTimeOf } from "./remediations/contain-actor.js";
import { readBackCalls, type ReadBack } from "./verify.js";
import type { ExecutionResult, PlannedCall, RemediationDeps, RemediationPlan } from "./types.js";
import { iamGateway } from "../aws/iam-gateway.js";

export type RecoveredOutcome = "succeeded" | "failed" | "unknown";

export interface Reconciliation {
  outcome: RecoveredOutcome;
  /** Stored as the request's result, in the shape of a normal execution result. */
  result: ExecutionResult & { recovered: true; outcome: RecoveredOutcome; unreadable: string[] };
  readBack: ReadBack[];
}

function plannedCalls(plan: unknown): PlannedCall[] {
  const calls = (plan as { calls?: unknown } | null)?.calls;
  const wellFormed = (c: unknown): c is PlannedCall => {
    const call = c as Partial<PlannedCall> | null;
    return typeof call?.api === "string" && typeof call.params === "object";
  };
  return Array.isArray(calls) ? (calls as unknown[]).filter(wellFormed) : [];
}

/**
 * contain-actor's revoke time is recomputed at approval, so the document sent differs from the stored
 * plan's. A revoke policy in IAM whose time is not earlier than the planned one is what the approval sent.
 */
async function withSentRevokeDocument(deps: RemediationDeps, call: PlannedCall): Promise<PlannedCall> {
  if (call.api !== "PutRolePolicy" || call.params.PolicyName !== REVOKE_POLICY_NAME) return call;
  try {
    const res = await iamGateway(deps.iam).getRolePolicy(String(call.params.RoleName), REVOKE_POLICY_NAME);
    const current = decodePolicyDocument(res.PolicyDocument ?? "");
    const sent = revokeTimeOf(current);
    const planned = revokeTimeOf(JSON.parse(String(call.params.PolicyDocument)) as unknown);
    if (sent && planned && Date.parse(sent) >= Date.parse(planned)) return { ...call, params: { ...call.params, PolicyDocument: JSON.stringify(current) } };
  } catch {
    // Missing or unreadable: the ordinary check below says which.
  }
  return call;
}

export async function reconcileExecution(plan: RemediationPlan, deps: RemediationDeps): Promise<Reconciliation> {
  const calls = await Promise.all(plannedCalls(plan).map((c) => withSentRevokeDocument(deps, c)));
  const readBack = await readBackCalls(deps, calls);
  const confirmed = readBack.filter((r) => r.status === "confirmed").map((r) => r.call);
  const absent = readBack.filter((r) => r.status === "absent").map((r) => r.call);
  const unreadable = readBack.filter((r) => r.status === "unreadable");
  const outcome: RecoveredOutcome =
    calls.length > 0 && confirmed.length === calls.length ? "succeeded" : unreadable.length > 0 || calls.length === 0 ? "unknown" : "failed";
  const def = definitionFor(plan.remediationId);
  const title = plan.title || "the remediation";
  const summary =
    outcome === "succeeded"
      ? `${def ? def.summary(plan.params, confirmed) : title} (confirmed by reading IAM back after a restart)`
      : outcome === "failed"
        ? `"${title}" did not complete: ${confirmed.length} of ${calls.length} planned changes are in IAM`
        : `"${title}": the outcome is unknown, because IAM could not be read back for ${unreadable.map((r) => r.call.api).join(", ") || "any call"}`;
  return {
    outcome,
    readBack,
    result: {
      ok: outcome === "succeeded",
      done: confirmed,
      notDone: absent,
      verification: { ok: outcome === "succeeded", details: readBack.map((r) => r.detail) },
      summary,
      recovered: true,
      outcome,
      unreadable: unreadable.map((r) => r.call.api),
    },
  };
}
