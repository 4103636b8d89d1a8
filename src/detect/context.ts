// Severity from the event's context, on top of the catalog's per-operation severity. The catalog says how
// bad an operation usually is; these rules look at what this call touched and who made it.
import type { IamDeletionEventName, IamEvent, Severity } from "../domain.js";
import { SEVERITY_RANK } from "../domain.js";
import type { BaseSeverity } from "./index.js";

/**
 * Operations whose target defaults to the caller when the request names no user: made by the root user
 * (or a root session from sts:AssumeRoot) without a userName, they act on the root user's own credentials.
 */
const CALLER_DEFAULT_TARGET: ReadonlySet<IamDeletionEventName> = new Set<IamDeletionEventName>([
  "DeleteAccessKey",
  "DeleteLoginProfile",
  "DeactivateMFADevice",
  "DeleteVirtualMFADevice",
  "DeleteSigningCertificate",
  "DeleteServiceSpecificCredential",
]);

const DETACH_EVENTS: ReadonlySet<IamDeletionEventName> = new Set<IamDeletionEventName>(["DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy"]);
const INLINE_DELETE_EVENTS: ReadonlySet<IamDeletionEventName> = new Set<IamDeletionEventName>(["DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy"]);

/** AWS managed policies made only of Deny statements: detaching one lifts a containment or a lock. */
const AWS_DENY_POLICY_RE = /^arn:aws[a-z-]*:iam::aws:policy\/(AWSCompromisedKeyQuarantine[A-Za-z0-9]*|AWSDenyAll)$/;
/** The inline deny trailwatch's own "contain the actor" remediation puts on a role. */
const TRAILWATCH_DENY_INLINE = "TrailwatchRevokeOlderSessions";

/** Service-linked roles of the security services (GuardDuty, Config, Inspector, Macie, Security Hub, Access Analyzer). */
const SECURITY_SLR_RE = /^AWSServiceRoleFor(AmazonGuardDuty|Config|AmazonInspector|AmazonMacie|SecurityHub|AccessAnalyzer)/;

function param(ev: IamEvent, key: string): string | undefined {
  const v = ev.requestParameters?.[key];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

export function isRootActor(ev: IamEvent): boolean {
  return ev.actor.type === "Root" || ev.actor.assumedRoot === true || /^arn:[^:]*:iam::[^:]*:root$/.test(ev.actor.arn ?? "");
}

/** True when the call acts on the root user's own credentials. */
function targetsRoot(ev: IamEvent, name: IamDeletionEventName): boolean {
  if (!CALLER_DEFAULT_TARGET.has(name)) return false;
  if (name === "DeleteVirtualMFADevice" && /:mfa\/root-account-mfa-device$/.test(param(ev, "serialNumber") ?? "")) return true;
  return isRootActor(ev) && param(ev, "userName") === undefined;
}

const max = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b);

/** The catalog severity adjusted for what this call touched. Returns `base` unchanged when nothing applies. */
export function contextSeverity(ev: IamEvent, name: IamDeletionEventName, base: BaseSeverity): BaseSeverity {
  if (targetsRoot(ev, name)) {
    const how = ev.actor.assumedRoot ? "a root session from sts:AssumeRoot" : "the root user";
    return { severity: "critical", reason: `Targets the root user: ${how} removed root credentials (no userName in the request)` };
  }
  if (DETACH_EVENTS.has(name)) {
    const arn = param(ev, "policyArn") ?? "";
    const m = AWS_DENY_POLICY_RE.exec(arn);
    if (m) {
      return { severity: "critical", reason: `Detaches ${m[1]}, a deny-only policy: whatever it contained or blocked is free again` };
    }
    return { ...base, reason: `${base.reason} The event does not carry the policy document: if its statements are Deny, treat it as critical.` };
  }
  if (INLINE_DELETE_EVENTS.has(name)) {
    if (param(ev, "policyName") === TRAILWATCH_DENY_INLINE) {
      return { severity: "critical", reason: "Deletes the deny trailwatch put on this role to revoke its sessions: the contained sessions work again" };
    }
    return { ...base, reason: `${base.reason} The event does not carry the policy document: if its statements are Deny, treat it as critical.` };
  }
  if (name === "DeleteUserPermissionsBoundary" || name === "DeleteRolePermissionsBoundary") {
    const target = name === "DeleteUserPermissionsBoundary" ? param(ev, "userName") : param(ev, "roleName");
    const self =
      target !== undefined &&
      (name === "DeleteUserPermissionsBoundary"
        ? ev.actor.type === "IAMUser" && ev.actor.userName === target
        : ev.actor.type === "AssumedRole" && ev.actor.roleName === target);
    if (self) return { severity: "critical", reason: `The principal removed its own permissions boundary (${target}): it lifted the cap on its own permissions` };
  }
  if (name === "DeleteServiceLinkedRole") {
    const role = param(ev, "roleName") ?? "";
    if (SECURITY_SLR_RE.test(role)) {
      return { severity: max(base.severity, "high"), reason: `Deletes the service-linked role of a security service (${role}): that service stops working in this account` };
    }
  }
  return base;
}
