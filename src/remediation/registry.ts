// Every remediation by id, and planRemediation: run a planner and turn AWS errors into a plan that says
// why it cannot apply (with the missing permission when AWS denied a read).
import { REMEDIATION_IDS, type RemediationId } from "../domain.js";
import { AwsCallError } from "../aws/errors.js";
import { containActor } from "./remediations/contain-actor.js";
import { deactivateAccessKey } from "./remediations/deactivate-access-key.js";
import { enforcePasswordPolicy } from "./remediations/enforce-password-policy.js";
import { readdRoleToInstanceProfile } from "./remediations/readd-role-to-instance-profile.js";
import { readdUserToGroup } from "./remediations/readd-user-to-group.js";
import { reattachManagedPolicy } from "./remediations/reattach-managed-policy.js";
import { recreateAccountAlias } from "./remediations/recreate-account-alias.js";
import { startTrailLogging } from "./remediations/start-trail-logging.js";
import { restoreGroup } from "./remediations/restore-group.js";
import { restoreInlinePolicy } from "./remediations/restore-inline-policy.js";
import { restoreInstanceProfile } from "./remediations/restore-instance-profile.js";
import { restoreManagedPolicy } from "./remediations/restore-managed-policy.js";
import { restorePasswordPolicy } from "./remediations/restore-password-policy.js";
import { restorePermissionsBoundary } from "./remediations/restore-permissions-boundary.js";
import { restoreRole } from "./remediations/restore-role.js";
import { restoreUser } from "./remediations/restore-user.js";
import { restoreOidcProvider } from "./remediations/restore-oidc-provider.js";
import { restorePolicyVersion } from "./remediations/restore-policy-version.js";
import { restoreSamlProvider } from "./remediations/restore-saml-provider.js";
import { restoreSigningCertificate, restoreSshPublicKey } from "./remediations/restore-user-credential-body.js";
import { accountBinding, type Binding } from "./bindings.js";
import type { PlanSubject, RemediationDefinition, RemediationDeps, RemediationParams, RemediationPlan } from "./types.js";

const DEFINITIONS: Readonly<Record<RemediationId, RemediationDefinition>> = Object.freeze({
  "readd-role-to-instance-profile": readdRoleToInstanceProfile,
  "recreate-account-alias": recreateAccountAlias,
  "reattach-managed-policy": reattachManagedPolicy,
  "readd-user-to-group": readdUserToGroup,
  "contain-actor": containActor,
  "enforce-password-policy": enforcePasswordPolicy,
  "deactivate-access-key": deactivateAccessKey,
  "start-trail-logging": startTrailLogging,
  "restore-role": restoreRole,
  "restore-instance-profile": restoreInstanceProfile,
  "restore-inline-policy": restoreInlinePolicy,
  "restore-user": restoreUser,
  "restore-managed-policy": restoreManagedPolicy,
  "restore-password-policy": restorePasswordPolicy,
  "restore-permissions-boundary": restorePermissionsBoundary,
  "restore-group": restoreGroup,
  "restore-policy-version": restorePolicyVersion,
  "restore-oidc-provider": restoreOidcProvider,
  "restore-saml-provider": restoreSamlProvider,
  "restore-ssh-public-key": restoreSshPublicKey,
  "restore-signing-certificate": restoreSigningCertificate,
});

export function definitionFor(id: unknown): RemediationDefinition | undefined {
  return typeof id === "string" && (REMEDIATION_IDS as readonly string[]).includes(id) ? DEFINITIONS[id as RemediationId] : undefined;
}

export function remediationTitle(id: RemediationId): string {
  return definitionFor(id)?.title ?? id;
}

/**
 * Why the bot must not act for this subject's account, or null. The bot acts where its credentials lead
 * (deps.botIdentity, from STS GetCallerIdentity); a plan for an event from another account is refused.
 * Multi-account support will hand in deps whose IAM client and identity belong to the event's account.
 */
function accountRefusal(subject: PlanSubject | undefined, deps: RemediationDeps): string | null {
  if (!subject) return null;
  const eventAccount = subject.accountId ?? "";
  if (!/^\d{12}$/.test(eventAccount)) return "the event does not say which AWS account it happened in, so the bot cannot confirm it would act in that account";
  if (!deps.botIdentity) return `the event happened in account ${eventAccount}, and the bot cannot tell which account it acts in (STS GetCallerIdentity failed)`;
  if (deps.botIdentity.accountId !== eventAccount) {
    return `the event happened in account ${eventAccount}, but the bot acts in account ${deps.botIdentity.accountId}; it does not change IAM in an account other than the event's`;
  }
  return null;
}

/**
 * Computes the plan against live IAM. Never throws for AWS trouble: a failed read gives applicable
 * false with the reason ("AWS denied GetRole: … — the bot lacks iam:GetRole").
 *
 * `subject` is what the plan is for (from the event): its account must be the bot's, and the plan records
 * who made the change it undoes.
 */
export async function planRemediation(
  id: RemediationId,
  params: RemediationParams,
  deps: RemediationDeps,
  requestId?: string,
  subject?: PlanSubject,
): Promise<RemediationPlan> {
  const def = definitionFor(id);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- params from Slack forms, checked as if untyped
  const safeParams: RemediationParams = params && typeof params === "object" ? { ...params } : {};
  const observations: string[] = [];
  const bindings: Binding[] = [];
  const adminReasons: string[] = [];
  const accountId = subject ? subject.accountId : deps.botIdentity?.accountId;
  const context = {
    ...(accountId ? { accountId } : {}),
    ...(subject?.undoes && def?.undoesEvent === true ? { undoes: subject.undoes } : {}),
  };
  const notApplicable = (title: string, reason: string): RemediationPlan => ({
    remediationId: id,
    title,
    params: safeParams,
    applicable: false,
    reason,
    observations,
    calls: [],
    bindings: [],
    ...context,
  });
  if (!def) return notApplicable(id, `unknown remediation ${JSON.stringify(id)}`);
  const invalid = def.validate(safeParams);
  if (invalid) return notApplicable(def.title, `invalid parameters: ${invalid}`);
  const title = def.planTitle(safeParams);
  const wrongAccount = accountRefusal(subject, deps);
  if (wrongAccount) return notApplicable(title, wrongAccount);
  if (accountId) bindings.push(accountBinding(accountId));
  const now = deps.now?.() ?? new Date();
  try {
    if (def.pin) Object.assign(safeParams, await def.pin(safeParams, deps, now));
    const outcome = await def.plan(safeParams, { deps, requestId, observations, bindings, adminReasons, now });
    const notes = outcome.notes && outcome.notes.length > 0 ? { notes: outcome.notes } : {};
    if (!outcome.applicable) return { ...notApplicable(title, outcome.reason), ...notes };
    return {
      remediationId: id,
      // After pin(): a restore's title names the snapshot it was pinned to.
      title: def.pin ? def.planTitle(safeParams) : title,
      params: safeParams,
      applicable: true,
      reason: outcome.reason,
      observations,
      calls: outcome.calls,
      bindings,
      ...context,
      ...(adminReasons.length > 0 ? { adminReasons } : {}),
      ...notes,
    };
  } catch (error) {
    if (error instanceof AwsCallError) {
      return notApplicable(title, error.denied ? error.describe() : `could not read the current state: ${error.describe()}`);
    }
    const message = error instanceof Error ? error.message : String(error);
    return notApplicable(title, `could not plan: ${message}`);
  }
}
