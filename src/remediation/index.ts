// The remediation engine (no Slack code): which remediations fit an event, dry-run plans computed
// against live IAM, execution of an approved plan, and read-back verification.
//
//   offeredFor(ids, event, bot)      -> the remediations that can apply at all, with their params
//   planRemediation(id, params, deps, requestId?) -> a RemediationPlan (JSON-safe; store it)
//   executePlan(storedPlan, deps, ctx)            -> re-checks, runs the approved calls, verifies
import type { BotIdentity, IamEvent, RemediationId } from "../domain.js";
import { containRefusal } from "./remediations/contain-actor.js";
import { definitionFor } from "./registry.js";
import type { RemediationParams } from "./types.js";

export type {
  ExecutionContext,
  ExecutionResult,
  PlannedCall,
  RemediationDeps,
  RemediationParams,
  RemediationPlan,
} from "./types.js";
export { planRemediation, remediationTitle } from "./registry.js";
export { executePlan } from "./executor.js";
export { ALLOWED_APIS } from "./calls.js";
export { QUARANTINE_POLICY_ARN, REVOKE_POLICY_NAME } from "./remediations/contain-actor.js";
export { TAG_ACTION, TAG_REQUEST } from "./aws.js";

/** Params for a remediation from a normalised CloudTrail event, or why it cannot apply to it. */
export function paramsFromEvent(id: RemediationId, event: IamEvent): RemediationParams | { error: string } {
  const def = definitionFor(id);
  if (!def) return { error: `unknown remediation ${JSON.stringify(String(id))}` };
  const params = def.fromEvent(event);
  if ("error" in params && typeof params.error === "string") return { error: params.error };
  const invalid = def.validate(params);
  return invalid ? { error: invalid } : params;
}

/**
 * The remediations (of those the catalog suggests) that can apply to this event at all: params can be
 * built, and contain-actor is never offered against root, an AWS service, the bot itself or a
 * service-linked role (nor when the bot's identity is unknown). Duplicates are dropped.
 */
export function offeredFor(
  ids: RemediationId[],
  event: IamEvent,
  botIdentity: BotIdentity | null,
): { id: RemediationId; params: RemediationParams }[] {
  const offered: { id: RemediationId; params: RemediationParams }[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const params = paramsFromEvent(id, event);
    if ("error" in params) continue;
    if (id === "contain-actor" && containRefusal(params, botIdentity)) continue;
    offered.push({ id, params });
  }
  return offered;
}
