// What the grouper needs to know about one alert: who did it, when, and which IAM resources it touches.
// Derived from a normalised event only (no store, no Slack), so `trailwatch replay` can use it offline.
import type { IamEvent, Severity } from "../domain.js";

/** A resource a deletion belongs to, e.g. { type: "role", name: "app" }. */
export interface ResourceRef {
  type: "role" | "user" | "group" | "policy" | "instance-profile" | "oidc-provider" | "mfa-device" | "other";
  name: string;
}

/** One alert as the grouper sees it. `time` is the event time (or, without one, when it was detected). */
export interface GroupableEvent {
  id: string;
  time: Date;
  /** Who made the call: principal ARN, else principal id, else user name or invoking service. */
  actor: string;
  eventName: string;
  accountId: string;
  severity: Severity;
  /** The resource this event belongs to, or null when the record names none. */
  root: ResourceRef | null;
  /** Other resources it ties together (RemoveRoleFromInstanceProfile ties a profile to its role). */
  links: ResourceRef[];
  /** True for the call that deletes the root itself (DeleteRole, DeleteUser, ...): it names the chain. */
  deletesRoot: boolean;
  /**
   * The channel a rule routes it to (null: the alert channel). A group is posted to one channel, so alerts
   * routed to different channels never share a group: each stays visible where its rule sends it.
   */
  route?: string | null;
}

const ROOT_DELETIONS: ReadonlySet<string> = new Set([
  "DeleteRole",
  "DeleteServiceLinkedRole",
  "DeleteUser",
  "DeleteGroup",
  "DeletePolicy",
  "DeleteInstanceProfile",
  "DeleteOpenIDConnectProvider",
]);

/** Event name -> the request parameter naming its root, and its type. */
const ROOT_PARAM: Readonly<Record<string, [string, ResourceRef["type"]]>> = {
  RemoveRoleFromInstanceProfile: ["roleName", "role"],
  DetachRolePolicy: ["roleName", "role"],
  DeleteRolePolicy: ["roleName", "role"],
  DeleteRolePermissionsBoundary: ["roleName", "role"],
  DeleteRole: ["roleName", "role"],
  DeleteServiceLinkedRole: ["roleName", "role"],
  DeleteInstanceProfile: ["instanceProfileName", "instance-profile"],
  DeleteUser: ["userName", "user"],
  DeleteUserPolicy: ["userName", "user"],
  DetachUserPolicy: ["userName", "user"],
  DeleteUserPermissionsBoundary: ["userName", "user"],
  DeleteLoginProfile: ["userName", "user"],
  DeleteAccessKey: ["userName", "user"],
  DeleteSSHPublicKey: ["userName", "user"],
  DeleteSigningCertificate: ["userName", "user"],
  DeleteServiceSpecificCredential: ["userName", "user"],
  DeactivateMFADevice: ["userName", "user"],
  RemoveUserFromGroup: ["userName", "user"],
  DeleteVirtualMFADevice: ["serialNumber", "mfa-device"],
  DeleteGroup: ["groupName", "group"],
  DeleteGroupPolicy: ["groupName", "group"],
  DetachGroupPolicy: ["groupName", "group"],
  DeletePolicy: ["policyArn", "policy"],
  DeletePolicyVersion: ["policyArn", "policy"],
  DeleteOpenIDConnectProvider: ["openIDConnectProviderArn", "oidc-provider"],
  RemoveClientIDFromOpenIDConnectProvider: ["openIDConnectProviderArn", "oidc-provider"],
};

/** Calls that also name a second resource of the same deletion (a profile emptied, a group left, a device). */
const LINK_PARAMS: Readonly<Record<string, [string, ResourceRef["type"]][]>> = {
  RemoveRoleFromInstanceProfile: [["instanceProfileName", "instance-profile"]],
  RemoveUserFromGroup: [["groupName", "group"]],
  DeactivateMFADevice: [["serialNumber", "mfa-device"]],
};

function param(ev: IamEvent, key: string): string | null {
  const v = ev.requestParameters?.[key];
  return typeof v === "string" && v !== "" ? v : null;
}

function actorKey(ev: IamEvent): string {
  const a = ev.actor;
  return a.arn ?? a.principalId ?? a.userName ?? a.invokedBy ?? `unknown:${a.type}`;
}

/** Key of a resource within one account; the grouper compares these. */
export function resourceKey(accountId: string, r: ResourceRef): string {
  return `${accountId}|${r.type}|${r.name}`;
}

export function groupableFrom(a: { eventId: string; severity: Severity; event: IamEvent; eventTime: Date | null; detectedAt?: Date | undefined; routeChannel?: string | null | undefined }): GroupableEvent {
  const ev = a.event;
  const spec = ROOT_PARAM[ev.eventName];
  let root: ResourceRef | null = null;
  if (spec) {
    const name = param(ev, spec[0]);
    if (name) root = { type: spec[1], name };
    // A user acting on its own credentials names no userName: the caller is the user.
    else if (spec[1] === "user" && ev.actor.type === "IAMUser" && ev.actor.userName) root = { type: "user", name: ev.actor.userName };
  }
  const links: ResourceRef[] = [];
  for (const [key, type] of LINK_PARAMS[ev.eventName] ?? []) {
    const name = param(ev, key);
    if (name) links.push({ type, name });
  }
  return {
    id: a.eventId,
    time: a.eventTime ?? ev.eventTime ?? a.detectedAt ?? new Date(0),
    actor: actorKey(ev),
    eventName: ev.eventName,
    accountId: ev.accountId,
    severity: a.severity,
    root,
    links,
    deletesRoot: ROOT_DELETIONS.has(ev.eventName),
    route: a.routeChannel ?? null,
  };
}
