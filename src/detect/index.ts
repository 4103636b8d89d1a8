// The alert decision: which normalised CloudTrail events become alerts, with what outcome and severity.
import { getCatalogEntry } from "../catalog/index.js";
import { IAM_EVENT_SOURCE, isIamDeletionEventName } from "../domain.js";
import type { IamDeletionEventName, IamEvent, Severity } from "../domain.js";
import type { Decision, Outcome } from "./types.js";
import { contextSeverity, isRootActor } from "./context.js";

export type { Decision, Outcome } from "./types.js";

/** The severity a successful call of this kind deserves (from the knowledge catalog). */
export interface BaseSeverity {
  severity: Severity;
  reason: string;
}
export type BaseSeverityLookup = (name: IamDeletionEventName) => BaseSeverity;

/** Used if the catalog lookup fails (it should not: it has an entry for every deletion name). */
export const fallbackBaseSeverity: BaseSeverityLookup = () => ({
  severity: "high",
  reason: "IAM deletion (no catalog entry available: treated as high)",
});

/** The default lookup: the knowledge catalog's severity and severityReason. */
export const catalogBaseSeverity: BaseSeverityLookup = (name) => {
  try {
    const entry = getCatalogEntry(name);
    return { severity: entry.severity, reason: entry.severityReason };
  } catch {
    return fallbackBaseSeverity(name);
  }
};

/** Error codes that mean the caller was not allowed to make the call. */
const DENIED_RE = /AccessDenied|NotAuthorized|^(?:Client\.)?UnauthorizedOperation$/i;

/** success: no error code. denied: an authorization error. failed: any other error code. */
export function classifyOutcome(errorCode: string | undefined): Outcome {
  const code = errorCode?.trim() ?? "";
  if (code === "" || code.toLowerCase() === "null") return "success";
  return DENIED_RE.test(code) ? "denied" : "failed";
}

/**
 * Deletions that strip a security control. A denied attempt at one of these is a probe against the
 * account's defences and is as alarming as a successful one.
 */
export const SECURITY_CONTROL_DELETIONS: ReadonlySet<IamDeletionEventName> = new Set<IamDeletionEventName>([
  "DeactivateMFADevice",
  "DeleteVirtualMFADevice",
  "DeleteAccountPasswordPolicy",
  "DeleteRolePermissionsBoundary",
  "DeleteUserPermissionsBoundary",
]);

const ONE_LEVEL_LOWER: Readonly<Record<Severity, Severity>> = {
  critical: "high",
  high: "medium",
  medium: "low",
  low: "low",
};

/**
 * Decides whether `ev` is an alert.
 *
 * Alert only when eventSource is exactly "iam.amazonaws.com" and eventName is one of the 30 IAM deletion
 * names (other services' Delete/Detach/Remove calls, and made-up names such as "DetachUserGroup", never alert).
 *
 * Severity rules, first match wins (`base` is the catalog severity for the event name, adjusted for context
 * by contextSeverity: root credentials, deny-only policies, a principal's own boundary, security services):
 *  1. success                                   -> base.
 *  2. denied or failed, actor is the root user  -> base: root credentials are in use at all, and the
 *                                                  root user is rarely denied anything.
 *  3. denied, a security-control deletion       -> base: a denied try at removing MFA, the password
 *     (SECURITY_CONTROL_DELETIONS)                 policy or a permissions boundary is a probe.
 *  4. denied, base is critical and the session  -> base: someone without MFA went for a critical
 *     says mfaAuthenticated === false              operation. (null = the record does not say = no bump.)
 *  5. denied                                    -> one level lower ("nothing was deleted, but someone tried").
 *  6. failed (NoSuchEntity, DeleteConflict, ...) -> one level lower: the caller was allowed but nothing
 *                                                  was deleted (typically clean-up of something already gone).
 * One level lower: critical -> high -> medium -> low; low stays low.
 */
export function decide(ev: IamEvent, baseSeverity: BaseSeverityLookup = catalogBaseSeverity): Decision {
  if (ev.eventSource !== IAM_EVENT_SOURCE) {
    return { alert: false, reason: `not an IAM event (eventSource "${ev.eventSource}")` };
  }
  const eventName = ev.eventName;
  if (!isIamDeletionEventName(eventName)) {
    return {
      alert: false,
      reason: eventName === "" ? "record has no eventName" : `${eventName} is not an IAM deletion event`,
    };
  }

  const outcome = classifyOutcome(ev.errorCode);
  // What this call touched can raise the operation's usual severity (root credentials, a deny-only policy, ...).
  const base = contextSeverity(ev, eventName, baseSeverity(eventName));
  const alert = (severity: Severity, severityReason: string): Decision => ({
    alert: true,
    eventName,
    outcome,
    severity,
    severityReason,
  });

  if (outcome === "success") return alert(base.severity, base.reason);

  const code = ev.errorCode?.trim() ?? "";
  if (isRootActor(ev)) {
    return alert(base.severity, `Root user attempt (${outcome}: ${code}): root credentials are in use`);
  }
  if (outcome === "denied") {
    if (SECURITY_CONTROL_DELETIONS.has(eventName)) {
      return alert(
        base.severity,
        "Denied attempt to remove a security control (MFA, password policy or permissions boundary)",
      );
    }
    if (base.severity === "critical" && ev.actor.mfaAuthenticated === false) {
      return alert(base.severity, "Denied attempt at a critical operation from a session without MFA");
    }
    return alert(ONE_LEVEL_LOWER[base.severity], "Denied attempt: nothing was deleted, but someone tried");
  }
  return alert(ONE_LEVEL_LOWER[base.severity], `Failed attempt (${code}): nothing was deleted`);
}
