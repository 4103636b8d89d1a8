// The remediation engine (no Slack code): which remediations fit an event, dry-run plans computed
// against live IAM, execution of an approved plan, and read-back verification.
//
//   offeredFor(ids, event, bot)      -> the remediations that can apply at all, with their params
//   planRemediation(id, params, deps, requestId?) -> a RemediationPlan (JSON-safe; store it)
//   executePlan(storedPlan, deps, ctx)            -> re-checks, runs the approved calls, verifies
import type { BotIdentity, IamEvent, RemediationId } from "../domain.js";
import { containRefusal } from "./remediations/contain-actor.js";
import { definitionFor } from "./registry.js";
import { isBotPrincipal, parsePrincipalArn } from "./identity.js";
import type { PlanSubject, RemediationParams, UndoneChange } from "./types.js";

export type {
  ExecutionContext,
  RemediationDeps,
  RemediationParams,
  RemediationPlan,
  PlanSubject,
} from "./types.js";
export { definitionFor, planRemediation, remediationTitle } from "./registry.js";
export { executePlan } from "./executor.js";
export { ALLOWED_APIS } from "./calls.js";
export { QUARANTINE_POLICY_ARN } from "./remediations/contain-actor.js";

/** Params for a remediation from a normalised CloudTrail event, or why it cannot apply to it. */
export function paramsFromEvent(id: RemediationId, event: IamEvent): RemediationParams | { error: string } {
  const def = definitionFor(id);
  if (!def) return { error: `unknown remediation ${JSON.stringify(id)}` };
  const params = def.fromEvent(event);
  if ("error" in params && typeof params.error === "string") return { error: params.error };
  const invalid = def.validate(params);
  return invalid ? { error: invalid } : params;
}

/**
 * The remediations (of those the catalog suggests) that can apply to this event at all: params can be
 * built, and contain-actor is never offered against root, an AWS service or the bot itself (nor when the
 * bot's identity is unknown). Service-linked roles are refused by the planner, from the role's path.
 * Duplicates are dropped.
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

/** Names that incident responders' roles, users and sessions commonly carry. */
const RESPONDER_NAME = /(incident|responder|response|secops|security|forensic|break[-_ ]?glass|quarantine|(^|[-_.@])ir($|[-_.@]))/i;

/**
 * Why the change looks like a deliberate responder action, or undefined. A heuristic for the approver's
 * eyes only: it never blocks a plan, and an attacker can choose such names, so it is worded as a hint.
 */
function deliberateHint(event: IamEvent, bot: BotIdentity | null): string | undefined {
  const a = event.actor;
  if (bot && a.arn) {
    const params: RemediationParams = { actorArn: a.arn, accountId: a.accountId ?? event.accountId, principalType: a.type };
    if (a.userName) params.userName = a.userName;
    const parsed = parsePrincipalArn(a.arn);
    if (a.roleName ?? (parsed?.kind === "assumed-role" ? parsed.roleName : undefined)) {
      params.roleName = a.roleName ?? (parsed?.kind === "assumed-role" ? parsed.roleName : "");
    }
    if (isBotPrincipal(params, bot)) return "it was made by trailwatch's own identity, i.e. a remediation approved in Slack";
  }
  const names = [a.userName, a.roleName, a.sessionName].filter((n): n is string => typeof n === "string" && n !== "");
  const hit = names.find((n) => RESPONDER_NAME.test(n));
  if (hit) return `the actor's name ${JSON.stringify(hit.slice(0, 64))} suggests an incident responder; check with them before undoing it`;
  return undefined;
}

/** What a plan for this event is for: the event's account, and who made the change being undone. */
export function subjectFromEvent(event: IamEvent, bot: BotIdentity | null): PlanSubject {
  const actor = event.actor.arn ?? (event.actor.userName ? `${event.actor.type} ${event.actor.userName}` : event.actor.type || "unknown");
  const deliberate = deliberateHint(event, bot);
  const undoes: UndoneChange = {
    eventName: event.eventName,
    actor: actor.slice(0, 300),
    ...(event.eventTime ? { eventTime: event.eventTime.toISOString() } : {}),
    ...(deliberate ? { deliberate } : {}),
  };
  return { accountId: event.accountId, undoes };
}
