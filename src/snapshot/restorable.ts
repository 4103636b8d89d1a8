// "Can this deletion be undone from a snapshot?" for an alert: one line, either "restorable from the
// snapshot of <time>" or why not. It reads only stored snapshots (no AWS call), so rendering an alert
// stays cheap; the restore's plan re-checks everything against live IAM.
import { RESTORE_FOR_EVENT } from "../catalog/remedies.js";
import { isIamDeletionEventName, type IamEvent } from "../domain.js";
import type { IamSnapshot, SnapshotMeta } from "./model.js";
import type { AccountSnapshotSources } from "./fleet.js";
import type { SnapshotSource } from "./service.js";
import { errorFields, type Logger } from "../log.js";
import { firstRequestString } from "../remediation/restore/common.js";

export interface Restorability {
  restorable: boolean;
  /** The line the alert shows. */
  text: string;
  snapshotId?: number;
}

function when(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The time the snapshot is known to describe, no later than the event. */
function asOf(meta: SnapshotMeta, eventTime: Date): Date {
  return meta.confirmedAt.getTime() <= eventTime.getTime() ? meta.confirmedAt : meta.takenAt;
}

const ALIASES: Record<string, string[]> = {
  sAMLProviderArn: ["sAMLProviderArn", "samlProviderArn", "SAMLProviderArn"],
  sSHPublicKeyId: ["sSHPublicKeyId", "sshPublicKeyId", "SSHPublicKeyId"],
};
const rp = (event: IamEvent, key: string): string => firstRequestString(event.requestParameters, ALIASES[key] ?? [key]) ?? "";

/** What the event deleted, as held in the snapshot: a label, and whether the snapshot holds it. */
function lookup(event: IamEvent, s: IamSnapshot): { label: string; held: boolean } | null {
  switch (event.eventName) {
    case "DeleteRole":
      return { label: `role ${rp(event, "roleName")}`, held: s.roles.some((r) => r.name === rp(event, "roleName")) };
    case "DeleteInstanceProfile":
      return { label: `instance profile ${rp(event, "instanceProfileName")}`, held: s.instanceProfiles.some((r) => r.name === rp(event, "instanceProfileName")) };
    case "DeleteUser":
      return { label: `user ${rp(event, "userName")}`, held: s.users.some((u) => u.name === rp(event, "userName")) };
    case "DeleteGroup":
      return { label: `group ${rp(event, "groupName")}`, held: s.groups.some((g) => g.name === rp(event, "groupName")) };
    case "DeletePolicy":
      return { label: `policy ${rp(event, "policyArn")}`, held: s.policies.some((p) => p.arn === rp(event, "policyArn")) };
    case "DeleteAccountPasswordPolicy":
      return { label: "the password policy", held: s.passwordPolicy !== null };
    case "DeleteRolePolicy":
    case "DeleteUserPolicy":
    case "DeleteGroupPolicy": {
      const kind = event.eventName === "DeleteRolePolicy" ? "role" : event.eventName === "DeleteUserPolicy" ? "user" : "group";
      const name = rp(event, `${kind}Name`);
      const holders = kind === "role" ? s.roles : kind === "user" ? s.users : s.groups;
      const held = holders.find((h) => h.name === name)?.inlinePolicies.some((p) => p.name === rp(event, "policyName")) ?? false;
      return { label: `inline policy ${rp(event, "policyName")} of ${kind} ${name}`, held };
    }
    case "DeleteRolePermissionsBoundary":
      return { label: `the boundary of role ${rp(event, "roleName")}`, held: s.roles.some((r) => r.name === rp(event, "roleName") && r.boundaryArn !== undefined) };
    case "DeleteUserPermissionsBoundary":
      return { label: `the boundary of user ${rp(event, "userName")}`, held: s.users.some((u) => u.name === rp(event, "userName") && u.boundaryArn !== undefined) };
    case "DeletePolicyVersion":
      return {
        label: `version ${rp(event, "versionId")} of ${rp(event, "policyArn")}`,
        held: s.policies.some((p) => p.arn === rp(event, "policyArn") && p.versions.some((v) => v.versionId === rp(event, "versionId"))),
      };
    case "DeleteOpenIDConnectProvider":
      return { label: `OIDC provider ${rp(event, "openIDConnectProviderArn")}`, held: s.oidcProviders.some((o) => o.arn === rp(event, "openIDConnectProviderArn")) };
    case "RemoveClientIDFromOpenIDConnectProvider":
      return {
        label: `client id ${rp(event, "clientID")} of ${rp(event, "openIDConnectProviderArn")}`,
        held: s.oidcProviders.some((o) => o.arn === rp(event, "openIDConnectProviderArn") && o.clientIds.includes(rp(event, "clientID"))),
      };
    case "DeleteSAMLProvider":
      return { label: `SAML provider ${rp(event, "sAMLProviderArn")}`, held: s.samlProviders.some((o) => o.arn === rp(event, "sAMLProviderArn")) };
    case "DeleteSSHPublicKey":
      return {
        label: `SSH public key ${rp(event, "sSHPublicKeyId")} of user ${rp(event, "userName")}`,
        held: s.users.some((u) => u.name === rp(event, "userName") && u.sshPublicKeys.some((k) => k.id === rp(event, "sSHPublicKeyId"))),
      };
    case "DeleteSigningCertificate":
      return {
        label: `signing certificate ${rp(event, "certificateId")} of user ${rp(event, "userName")}`,
        held: s.users.some((u) => u.name === rp(event, "userName") && u.signingCertificates.some((c) => c.id === rp(event, "certificateId"))),
      };
    default:
      return null;
  }
}

export async function restorability(event: IamEvent, source: SnapshotSource | undefined): Promise<Restorability> {
  const no = (text: string): Restorability => ({ restorable: false, text });
  if (!isIamDeletionEventName(event.eventName) || !RESTORE_FOR_EVENT[event.eventName]) {
    return no(`not restorable: trailwatch has no restore for ${event.eventName || "this event"}`);
  }
  if (event.errorCode) return no(`nothing to restore: the call failed (${event.errorCode})`);
  if (!source) return no("not restorable: IAM snapshots are not available");
  if (!event.eventTime) return no("not restorable: the event has no time, so no snapshot can be matched to it");
  const found = await source.latestAtOrBefore(event.eventTime);
  const inline = /^Delete(Role|User|Group)Policy$/.test(event.eventName);
  const fallback = inline ? "; the restore will look for its last Put policy call in CloudTrail" : "";
  if (!found) {
    const oldest = await source.oldest();
    return no(
      oldest
        ? `not restorable from a snapshot: the oldest snapshot (${when(oldest.takenAt)}) was taken after the deletion${fallback}`
        : `not restorable from a snapshot: none has been taken yet${fallback}`,
    );
  }
  const what = lookup(event, found.snapshot);
  if (!what) return no(`not restorable: trailwatch has no restore for ${event.eventName}`);
  const time = when(asOf(found.meta, event.eventTime));
  if (!what.held) {
    return no(`not restorable from a snapshot: the snapshot of ${time} does not hold ${what.label} (it is newer than that snapshot)${fallback}`);
  }
  return { restorable: true, text: `restorable from the snapshot of ${time}`, snapshotId: found.meta.id };
}

/** The alert's restore line; a snapshot that cannot be read is logged and the alert says so. */
async function restoreLine(event: IamEvent, source: SnapshotSource | undefined, logger: Logger): Promise<string | undefined> {
  if (!source || !isIamDeletionEventName(event.eventName) || !RESTORE_FOR_EVENT[event.eventName]) return undefined;
  try {
    return (await restorability(event, source)).text;
  } catch (err) {
    logger.error({ eventId: event.eventId, ...errorFields(err) }, "could not read the IAM snapshots for an alert's restore line");
    return "unknown: the stored snapshots could not be read (see the bot's log)";
  }
}

/**
 * The restore line for an event from `accountId`, judged from that account's own snapshots only: a resource of
 * the same name in another account (the bot's own included) says nothing about it. An account whose snapshots
 * cannot be determined (not watched, or the bot's own id unknown) gets the reason instead.
 */
export async function accountRestoreLine(
  event: IamEvent,
  accountId: string | null | undefined,
  ownAccountId: string | null,
  snapshots: AccountSnapshotSources | undefined,
  logger: Logger,
): Promise<string | undefined> {
  if (!snapshots || !isIamDeletionEventName(event.eventName) || !RESTORE_FOR_EVENT[event.eventName]) return undefined;
  const found = snapshots.forAccount(accountId, ownAccountId);
  if (!found.ok) return `not restorable: ${found.reason}`;
  return restoreLine(event, found.source, logger);
}
