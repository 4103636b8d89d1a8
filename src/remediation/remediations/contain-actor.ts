// Contain the principal that made the call.
//  - IAM user: deactivate the long-term access key used in the event (if it is the user's and active),
//    attach the AWS managed AWSCompromisedKeyQuarantineV2 policy, tag the user.
//  - Assumed role: put an inline deny-all policy conditioned on aws:TokenIssueTime, which revokes every
//    session issued before that time (what the IAM console's "Revoke active sessions" does), tag the role.
//
// The revoke time is fixed when the plan is computed. executePlan re-plans at approval time and sends
// the freshly computed time, so sessions issued between the request and the approval are revoked too;
// that is the only value (with the request-id tag) that may differ from the approved plan.
import type { BotIdentity, IamEvent } from "../../domain.js";
import { decodePolicyDocument, trailwatchTags } from "../aws.js";
import { managedPolicyBinding, readManagedPolicy, roleBinding, userBinding } from "../bindings.js";
import { isBotPrincipal, parsePrincipalArn } from "../identity.js";
import { checkParams, type ParamKind } from "../validate.js";
import type { PlanContext, PlanOutcome, PlannedCall, RemediationDefinition, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const QUARANTINE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";
export const REVOKE_POLICY_NAME = "TrailwatchRevokeOlderSessions";

function revokePolicyDocument(issuedBefore: Date): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": issuedBefore.toISOString() } } },
    ],
  });
}

/** The revoke time in a revoke-policy document, if it is one. */
export function revokeTimeOf(document: unknown): string | undefined {
  const doc = document as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] } | null;
  const t = doc?.Statement?.[0]?.Condition?.DateLessThan?.["aws:TokenIssueTime"];
  return typeof t === "string" ? t : undefined;
}

/**
 * Why the actor in these params must never be contained (root, an AWS service, the bot itself, another
 * account), or null. Used by offeredFor and by the planner. Service-linked roles are recognised by the
 * planner from the role's path (GetRole), not here from the name, which anyone can choose.
 */
export function containRefusal(params: RemediationParams, bot: BotIdentity | null): string | null {
  if (params.principalType === "Root") return "the actor is the account root user; the bot cannot contain root (secure the root credentials by hand)";
  if (params.principalType === "AWSService") return "the actor is an AWS service";
  if (params.principalType !== "IAMUser" && params.principalType !== "AssumedRole") {
    return `contain-actor supports IAM users and assumed roles, not ${params.principalType ?? "an unknown principal"}`;
  }
  if (!bot) return "the bot's own identity is unknown (STS GetCallerIdentity failed), so it cannot rule out containing itself";
  if (isBotPrincipal(params, bot)) return "the actor is the bot's own identity; the bot does not contain itself";
  if (params.accountId && params.accountId !== bot.accountId) {
    return `the actor belongs to account ${params.accountId}; the bot works in account ${bot.accountId}`;
  }
  return null;
}

/** Optional context fields are kept only when well-formed, so an odd session name never blocks containment. */
function withOptional(params: RemediationParams, optional: Record<string, string | undefined>): RemediationParams {
  const out = { ...params };
  for (const [key, value] of Object.entries(optional)) {
    if (value === undefined || value === "") continue;
    const kind = key as ParamKind;
    if (checkParams({ [key]: value }, {}, { [key]: kind }) === null) out[key] = value;
  }
  return out;
}

function paramsFromActor(event: IamEvent): RemediationParams | { error: string } {
  const a = event.actor;
  if (a.type === "Root") return { error: "the actor is the account root user; the bot cannot contain root (secure the root credentials by hand)" };
  if (a.type === "AWSService") return { error: `the actor is an AWS service${a.invokedBy ? ` (${a.invokedBy})` : ""}` };
  const common = { actorArn: a.arn, accountId: a.accountId };
  if (a.accountId && event.accountId && a.accountId !== event.accountId) {
    return { error: `the actor belongs to account ${a.accountId}, not the event's account ${event.accountId}` };
  }
  if (a.type === "IAMUser") {
    const userName = a.userName ?? (a.arn ? userFromArn(a.arn) : undefined);
    if (!userName) return { error: "the event does not name the IAM user" };
    return withOptional({ principalType: "IAMUser", userName }, { accessKeyId: a.accessKeyId, ...common });
  }
  if (a.type === "AssumedRole") {
    const parsed = a.arn ? parsePrincipalArn(a.arn) : null;
    const roleName = a.roleName ?? (parsed?.kind === "assumed-role" ? parsed.roleName : undefined);
    if (!roleName) return { error: "the event does not name the assumed role" };
    const sessionName = a.sessionName ?? (parsed?.kind === "assumed-role" ? parsed.sessionName : undefined);
    return withOptional({ principalType: "AssumedRole", roleName }, { sessionName, ...common });
  }
  return { error: `contain-actor supports IAM users and assumed roles, not ${a.type || "an unknown principal"}` };
}

function userFromArn(arn: string): string | undefined {
  const p = parsePrincipalArn(arn);
  return p?.kind === "user" ? p.userName : undefined;
}

async function planUser(p: RemediationParams, ctx: PlanContext): Promise<PlanOutcome> {
  const { iam } = ctx.deps;
  const userName = p.userName ?? "";
  const user = await orMissing(iamGateway(iam).getUser(userName));
  if (!user?.User) return { applicable: false, reason: `user ${userName} no longer exists` };
  ctx.observations.push(`user ${userName} exists (${user.User.Arn ?? "no ARN"})`);
  ctx.bindings.push(userBinding(userName, user.User.UserId));
  const calls: PlannedCall[] = [];
  const keys = await iamGateway(iam).listAccessKeys(userName);
  const keyId = p.accessKeyId;
  if (!keyId) {
    ctx.observations.push("the event was made without an access key (a console session?); no key to deactivate");
  } else if (keyId.startsWith("ASIA")) {
    ctx.observations.push(
      `the event used temporary credentials ${keyId}; they cannot be deactivated and expire on their own — the quarantine policy also restricts sessions derived from this user`,
    );
  } else {
    const key = keys.find((k) => k.AccessKeyId === keyId);
    if (!key) {
      ctx.observations.push(`access key ${keyId} is not one of ${userName}'s keys (deleted already?); no key to deactivate`);
    } else if (key.Status !== "Active") {
      ctx.observations.push(`access key ${keyId} is already ${key.Status ?? "not active"}`);
    } else {
      ctx.observations.push(`access key ${keyId} (used in the event) is Active`);
      calls.push({
        api: "UpdateAccessKey",
        params: { UserName: userName, AccessKeyId: keyId, Status: "Inactive" },
        description: `Deactivate access key ${keyId} of user ${userName}`,
      });
    }
  }
  const otherActive = keys.filter((k) => k.AccessKeyId !== keyId && k.Status === "Active").map((k) => k.AccessKeyId ?? "?");
  if (otherActive.length > 0) {
    ctx.observations.push(`${userName} has other active access key(s) ${otherActive.join(", ")}; they stay active, restricted by the quarantine policy`);
  }
  const attached = await iamGateway(iam).listAttachedUserPolicies(userName);
  if (attached.some((a) => a.PolicyArn === QUARANTINE_POLICY_ARN)) {
    ctx.observations.push("AWSCompromisedKeyQuarantineV2 is already attached");
  } else {
    const policy = await readManagedPolicy(iam, QUARANTINE_POLICY_ARN);
    if (!policy) {
      ctx.observations.push(`the AWS managed policy ${QUARANTINE_POLICY_ARN} is not available here; it cannot be attached`);
    } else {
      ctx.bindings.push(managedPolicyBinding(QUARANTINE_POLICY_ARN, policy));
      calls.push({
        api: "AttachUserPolicy",
        params: { UserName: userName, PolicyArn: QUARANTINE_POLICY_ARN },
        description: `Attach AWSCompromisedKeyQuarantineV2 (denies IAM changes, key creation and other risky actions) to user ${userName}`,
      });
    }
  }
  if (calls.length === 0) return { applicable: false, reason: `user ${userName} is already contained: no active key from the event and the quarantine policy is attached` };
  calls.push({
    api: "TagUser",
    params: { UserName: userName, Tags: trailwatchTags(ctx.requestId, "contain-actor") },
    description: `Tag user ${userName} with the trailwatch request and action`,
  });
  return {
    applicable: true,
    reason: `contain IAM user ${userName}: ${calls.some((c) => c.api === "UpdateAccessKey") ? "deactivate the access key used and " : ""}${calls.some((c) => c.api === "AttachUserPolicy") ? "attach the quarantine policy" : "keep the quarantine policy"}. Reversible: reactivate the key, detach the policy`,
    calls,
  };
}

async function planRole(p: RemediationParams, ctx: PlanContext): Promise<PlanOutcome> {
  const { iam } = ctx.deps;
  const roleName = p.roleName ?? "";
  const role = await orMissing(iamGateway(iam).getRole(roleName));
  if (!role?.Role) return { applicable: false, reason: `role ${roleName} no longer exists` };
  const path = role.Role.Path ?? "/";
  if (path.startsWith("/aws-service-role/")) {
    return { applicable: false, reason: `role ${roleName} is a service-linked role (path ${path}); IAM does not allow changing it` };
  }
  if (path.startsWith("/aws-reserved/")) {
    return {
      applicable: false,
      reason: `role ${roleName} is reserved for an AWS service (path ${path}, e.g. IAM Identity Center); revoke the sessions there instead`,
    };
  }
  ctx.observations.push(`role ${roleName} exists (${role.Role.Arn ?? "no ARN"})`);
  ctx.bindings.push(roleBinding(roleName, role.Role));
  const existing = await orMissing(iamGateway(iam).getRolePolicy(roleName, REVOKE_POLICY_NAME));
  if (existing?.PolicyDocument) {
    let before: string | undefined;
    try {
      before = revokeTimeOf(decodePolicyDocument(existing.PolicyDocument));
    } catch {
      before = undefined;
    }
    ctx.observations.push(
      `the role already has inline policy ${REVOKE_POLICY_NAME}${before ? ` (denies sessions issued before ${before})` : ""}; it will be replaced`,
    );
  }
  const issuedBefore = ctx.now;
  ctx.observations.push(`sessions of ${roleName} issued before ${issuedBefore.toISOString()} will be denied every action; new sessions are unaffected`);
  if (p.sessionName) ctx.observations.push(`the event came from session ${p.sessionName}`);
  return {
    applicable: true,
    reason: `revoke the active sessions of role ${roleName} (the IAM console's "Revoke active sessions"); the time is recomputed at approval. Reversible: delete inline policy ${REVOKE_POLICY_NAME}`,
    calls: [
      {
        api: "PutRolePolicy",
        params: { RoleName: roleName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument: revokePolicyDocument(issuedBefore) },
        description: `Put inline policy ${REVOKE_POLICY_NAME} on role ${roleName}: deny all actions to sessions issued before ${issuedBefore.toISOString()}`,
      },
      {
        api: "TagRole",
        params: { RoleName: roleName, Tags: trailwatchTags(ctx.requestId, "contain-actor") },
        description: `Tag role ${roleName} with the trailwatch request and action`,
      },
    ],
  };
}

export const containActor: RemediationDefinition = {
  id: "contain-actor",
  title: "Contain the actor",
  validate(p) {
    if (p.principalType === "IAMUser") {
      return checkParams(p, { principalType: "userName", userName: "userName" }, { accessKeyId: "accessKeyId", actorArn: "actorArn", accountId: "accountId" });
    }
    if (p.principalType === "AssumedRole") {
      return checkParams(p, { principalType: "userName", roleName: "roleName" }, { sessionName: "sessionName", actorArn: "actorArn", accountId: "accountId" });
    }
    return null; // containRefusal explains other principal types
  },
  fromEvent: paramsFromActor,
  planTitle: (p) =>
    p.principalType === "IAMUser"
      ? `Contain IAM user ${p.userName}`
      : p.principalType === "AssumedRole"
        ? `Revoke active sessions of role ${p.roleName}`
        : "Contain the actor",
  async plan(p, ctx) {
    const refusal = containRefusal(p, ctx.deps.botIdentity);
    if (refusal) return { applicable: false, reason: refusal };
    return p.principalType === "IAMUser" ? planUser(p, ctx) : planRole(p, ctx);
  },
  summary(p, done) {
    if (p.principalType === "AssumedRole") {
      const put = done.find((c) => c.api === "PutRolePolicy");
      let before: string | undefined;
      try {
        before = put ? revokeTimeOf(JSON.parse(String(put.params.PolicyDocument))) : undefined;
      } catch {
        before = undefined;
      }
      return `revoked sessions of role ${p.roleName} issued before ${before ?? "the approval"}`;
    }
    const parts: string[] = [];
    const key = done.find((c) => c.api === "UpdateAccessKey");
    if (key) parts.push(`deactivated access key ${String(key.params.AccessKeyId)}`);
    if (done.some((c) => c.api === "AttachUserPolicy")) parts.push("attached AWSCompromisedKeyQuarantineV2");
    return `contained IAM user ${p.userName}: ${parts.join(", ")}`;
  },
};
