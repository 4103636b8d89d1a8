import { expect, test } from "vitest";
import { ACCOUNT_ENTRIES } from "../../src/catalog/account.js";
import { CREDENTIAL_ENTRIES } from "../../src/catalog/credentials.js";
import { IDENTITY_ENTRIES } from "../../src/catalog/identities.js";
import { CATALOG, getCatalogEntry } from "../../src/catalog/index.js";
import { POLICY_ENTRIES } from "../../src/catalog/policies.js";
import type { CatalogEntry } from "../../src/catalog/types.js";
import {
  IAM_DELETION_EVENT_NAMES,
  REMEDIATION_IDS,
  SEVERITIES,
  type IamDeletionEventName,
  type RemediationId,
} from "../../src/domain.js";

const entries = (): [IamDeletionEventName, CatalogEntry][] =>
  IAM_DELETION_EVENT_NAMES.map((name) => [name, CATALOG[name]]);

/** All prose of an entry, for fact checks that may be satisfied in any field. */
const prose = (e: CatalogEntry): string => [e.meaning, ...e.risks, e.severityReason, e.recovery].join(" ");

// ---------------------------------------------------------------------------------------------------
// Shape

test("catalog has exactly the 30 deletion events, no more", () => {
  expect(IAM_DELETION_EVENT_NAMES).toHaveLength(30);
  expect(Object.keys(CATALOG).sort()).toEqual([...IAM_DELETION_EVENT_NAMES].sort());
});

test("the topic files are disjoint and together cover the catalog", () => {
  const parts = [ACCOUNT_ENTRIES, IDENTITY_ENTRIES, POLICY_ENTRIES, CREDENTIAL_ENTRIES].map((p) => Object.keys(p));
  const all = parts.flat();
  expect(all).toHaveLength(30);
  expect(new Set(all).size).toBe(30);
});

test("each entry's eventName matches its key", () => {
  for (const [name, e] of entries()) expect(e.eventName, name).toBe(name);
});

test("getCatalogEntry returns the catalog entry and rejects unknown names", () => {
  for (const [name, e] of entries()) expect(getCatalogEntry(name)).toBe(e);
  expect(() => getCatalogEntry("CreateRole" as IamDeletionEventName)).toThrow(/CreateRole/);
  expect(() => getCatalogEntry("toString" as IamDeletionEventName)).toThrow();
});

test("catalog and entries are frozen", () => {
  expect(Object.isFrozen(CATALOG)).toBe(true);
  const e = getCatalogEntry("DeleteRole");
  expect(Object.isFrozen(e)).toBe(true);
  expect(Object.isFrozen(e.risks)).toBe(true);
  expect(Object.isFrozen(e.remediations)).toBe(true);
  expect(() => e.remediations.push("contain-actor")).toThrow(TypeError);
});

test("titles are non-empty, at most 60 characters and unique", () => {
  const titles = entries().map(([, e]) => e.title);
  for (const t of titles) {
    expect(t.trim().length).toBeGreaterThan(0);
    expect(t.length, t).toBeLessThanOrEqual(60);
  }
  expect(new Set(titles).size).toBe(titles.length);
});

test("each entry has 2 to 3 non-empty risks and non-empty meaning, reason and recovery", () => {
  for (const [name, e] of entries()) {
    expect(e.risks.length, name).toBeGreaterThanOrEqual(2);
    expect(e.risks.length, name).toBeLessThanOrEqual(3);
    for (const r of e.risks) expect(r.trim().length, name).toBeGreaterThan(20);
    expect(new Set(e.risks).size, name).toBe(e.risks.length);
    expect(e.meaning.trim().length, name).toBeGreaterThan(40);
    expect(e.recovery.trim().length, name).toBeGreaterThan(40);
    expect(e.severityReason.trim().length, name).toBeGreaterThan(10);
    expect(e.severityReason, `${name} severityReason is one line`).not.toMatch(/\n/);
  }
});

test("severity is a valid value", () => {
  for (const [name, e] of entries()) expect(SEVERITIES, name).toContain(e.severity);
});

test("severities are not uniform: every level is used", () => {
  const used = new Set(entries().map(([, e]) => e.severity));
  expect([...used].sort()).toEqual([...SEVERITIES].sort());
});

// ---------------------------------------------------------------------------------------------------
// Severity guidance

test("security-control removals and federation breakage are critical", () => {
  const critical: IamDeletionEventName[] = [
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "DeleteAccountPasswordPolicy",
    "DeleteRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "DeleteSAMLProvider",
    "DeleteOpenIDConnectProvider",
  ];
  for (const name of critical) expect(CATALOG[name].severity, name).toBe("critical");
});

test("destruction of principals, policies and console access is high", () => {
  const high: IamDeletionEventName[] = [
    "DeleteRole",
    "DeleteUser",
    "DeletePolicy",
    "DeleteInstanceProfile",
    "DeleteLoginProfile",
  ];
  for (const name of high) expect(CATALOG[name].severity, name).toBe("high");
});

test("DeleteServiceLinkedRole is medium by default; detection raises it to high for security services", () => {
  expect(CATALOG.DeleteServiceLinkedRole.severity).toBe("medium");
  expect(CATALOG.DeleteServiceLinkedRole.severityReason).toMatch(/GuardDuty, Config, Inspector, Macie, Security Hub/);
});

test("the account alias is low severity with a reason that says no permissions change", () => {
  const e = CATALOG.DeleteAccountAlias;
  expect(e.severity).toBe("low");
  expect(e.severityReason).toMatch(/no permission/i);
});

// ---------------------------------------------------------------------------------------------------
// Remediations

test("remediations are non-empty, valid, unique and include contain-actor", () => {
  for (const [name, e] of entries()) {
    expect(e.remediations.length, name).toBeGreaterThan(0);
    for (const id of e.remediations) expect(REMEDIATION_IDS, name).toContain(id);
    expect(new Set(e.remediations).size, name).toBe(e.remediations.length);
    expect(e.remediations, name).toContain("contain-actor");
    expect(e.remediations, name).toContain("enforce-password-policy");
  }
});

const SPECIFIC: Partial<Record<IamDeletionEventName, RemediationId>> = {
  RemoveRoleFromInstanceProfile: "readd-role-to-instance-profile",
  DeleteAccountAlias: "recreate-account-alias",
  DetachUserPolicy: "reattach-managed-policy",
  DetachGroupPolicy: "reattach-managed-policy",
  DetachRolePolicy: "reattach-managed-policy",
  RemoveUserFromGroup: "readd-user-to-group",
  DeleteAccountPasswordPolicy: "enforce-password-policy",
};

test("event-specific remediations come first", () => {
  for (const [name, id] of Object.entries(SPECIFIC)) {
    expect(CATALOG[name as IamDeletionEventName].remediations[0], name).toBe(id);
  }
});

test("generic remediations follow the specific ones in order: contain-actor, then enforce-password-policy", () => {
  for (const [name, e] of entries()) {
    const specific = SPECIFIC[name];
    const expected: RemediationId[] =
      specific === "enforce-password-policy"
        ? ["enforce-password-policy", "contain-actor"]
        : specific
          ? [specific, "contain-actor", "enforce-password-policy"]
          : ["contain-actor", "enforce-password-policy"];
    expect(e.remediations, name).toEqual(expected);
  }
});

test("undo remediations are offered only for the event they undo", () => {
  const undoIds: RemediationId[] = [
    "readd-role-to-instance-profile",
    "recreate-account-alias",
    "reattach-managed-policy",
    "readd-user-to-group",
  ];
  for (const [name, e] of entries()) {
    for (const id of e.remediations) {
      if (undoIds.includes(id)) expect(SPECIFIC[name], `${name} offers ${id}`).toBe(id);
    }
  }
  // In particular, a deleted instance profile cannot be fixed by re-adding a role to it.
  expect(CATALOG.DeleteInstanceProfile.remediations).not.toContain("readd-role-to-instance-profile");
});

// ---------------------------------------------------------------------------------------------------
// Facts the source pages got wrong

test("DeleteInstanceProfile: the role inside is not deleted, it had to be removed first, recreating loses the EC2 link", () => {
  const e = CATALOG.DeleteInstanceProfile;
  const text = `${e.meaning} ${e.recovery}`;
  expect(text).toMatch(/role .*(not|n't) deleted|survives|remains/i);
  expect(text).not.toMatch(/\brole (is|was|gets|will be) (also )?deleted/i);
  expect(text).not.toMatch(/(deletes|and) (the|its) role\b/i);
  expect(e.meaning).toMatch(/RemoveRoleFromInstanceProfile/);
  expect(e.recovery).toMatch(/new InstanceProfileId|new .*ID/i);
  expect(e.recovery).toMatch(/associat/i);
  expect(prose(e)).toMatch(/running .*instances/i);
});

test("DeleteRole: lists the prerequisites, is the end of a burst, and a recreated role has a new unique id", () => {
  const e = CATALOG.DeleteRole;
  for (const prereq of ["RemoveRoleFromInstanceProfile", "DetachRolePolicy", "DeleteRolePolicy"]) {
    expect(e.meaning).toContain(prereq);
  }
  expect(e.meaning).toMatch(/burst|last of/i);
  expect(e.recovery).toMatch(/new unique (RoleId|ID)/i);
  expect(e.recovery).toMatch(/no real undo|not a true undo|cannot be (truly )?undone/i);
  expect(e.recovery).toMatch(/trust/i);
});

test("DeleteAccountAlias: sign-in URL, uniqueness within a partition (possible takeover), CreateAccountAlias and its rules", () => {
  const e = CATALOG.DeleteAccountAlias;
  const text = prose(e);
  expect(e.meaning).toMatch(/signin\.aws\.amazon\.com/);
  expect(text).toMatch(/bookmark/i);
  expect(text).toMatch(/unique within an AWS partition/i);
  expect(text).not.toMatch(/unique across all of AWS|globally unique/i);
  expect(text).toMatch(/could be claimed|may be claimed|might be claimed/i);
  expect(text).not.toMatch(/will be claimed/i);
  expect(e.recovery).toMatch(/CreateAccountAlias/);
  expect(e.recovery).toMatch(/3 to 63|3-63|3–63/);
  expect(e.recovery).toMatch(/lowercase/i);
  expect(e.recovery).toMatch(/hyphen/i);
});

test("DeleteUserPolicy: inline, not managed, and the document must come from an earlier copy", () => {
  const e = CATALOG.DeleteUserPolicy;
  expect(e.title).toMatch(/inline/i);
  expect(e.meaning).toMatch(/inline/i);
  expect(e.meaning).toMatch(/DetachUserPolicy/);
  expect(e.recovery).toMatch(/earlier copy|not the content|not in the event/i);
  const risks = e.risks.join(" ");
  expect(risks).toMatch(/Deny/);
  expect(risks).toMatch(/widen/i);
  expect(risks).toMatch(/AccessDenied|fail/i);
});

test("inline-policy deletions on groups and roles are described as inline and unrecoverable from the event", () => {
  for (const name of ["DeleteGroupPolicy", "DeleteRolePolicy"] as const) {
    const e = CATALOG[name];
    expect(e.meaning, name).toMatch(/inline/i);
    expect(e.recovery, name).toMatch(/earlier copy/i);
  }
});

test("Detach*Policy: the managed policy survives and is reattached by ARN", () => {
  for (const name of ["DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy"] as const) {
    const e = CATALOG[name];
    expect(e.meaning, name).toMatch(/managed policy/i);
    expect(e.meaning, name).toMatch(/still exists/i);
    expect(e.recovery, name).toMatch(/Attach(User|Group|Role)Policy .*ARN/);
  }
});

test("RemoveRoleFromInstanceProfile: undo is AddRoleToInstanceProfile, one role per profile, watch for a swap", () => {
  const e = CATALOG.RemoveRoleFromInstanceProfile;
  expect(e.recovery).toMatch(/AddRoleToInstanceProfile/);
  expect(prose(e)).toMatch(/one role/i);
  expect(e.risks.join(" ")).toMatch(/AccessDenied/);
  expect(e.risks.join(" ")).toMatch(/AddRoleToInstanceProfile/);
});

test("DeactivateMFADevice: neither the bot nor an admin can re-enable MFA without the user's device", () => {
  const e = CATALOG.DeactivateMFADevice;
  expect(e.recovery).toMatch(/(cannot|can't|can never) re-?enable MFA/i);
  expect(e.recovery).toMatch(/bot/i);
  expect(e.recovery).toMatch(/administrator|admin/i);
  expect(e.recovery).toMatch(/two consecutive codes/i);
  expect(e.recovery).toMatch(/user's own device|only the user/i);
  expect(e.remediations).not.toContain("readd-user-to-group");
});

test("secrets are not undoable: access keys, virtual MFA, service-specific credentials, server certificates", () => {
  expect(CATALOG.DeleteAccessKey.recovery).toMatch(/cannot be undone/i);
  expect(CATALOG.DeleteAccessKey.recovery).toMatch(/new key ID and secret/i);
  expect(CATALOG.DeleteVirtualMFADevice.recovery).toMatch(/cannot be undone/i);
  expect(CATALOG.DeleteVirtualMFADevice.recovery).toMatch(/seed/i);
  expect(CATALOG.DeleteServiceSpecificCredential.recovery).toMatch(/not undoable/i);
  expect(CATALOG.DeleteServiceSpecificCredential.recovery).toMatch(/new secret/i);
  expect(CATALOG.DeleteServerCertificate.recovery).toMatch(/never returns a private key/i);
});

test("DeleteLoginProfile: a new password can be set, the old one is gone", () => {
  const r = CATALOG.DeleteLoginProfile.recovery;
  expect(r).toMatch(/CreateLoginProfile/);
  expect(r).toMatch(/new password/i);
  expect(r).toMatch(/old password cannot be restored/i);
});

test("DeletePolicy: detach and version prerequisites; recreating keeps the ARN but not the id or history", () => {
  const e = CATALOG.DeletePolicy;
  expect(e.meaning).toMatch(/detached from every user, group and role/i);
  expect(e.meaning).toMatch(/every version except the default/i);
  expect(e.recovery).toMatch(/same ARN/i);
  expect(e.recovery).toMatch(/new PolicyId/);
  expect(e.recovery).toMatch(/version history is lost/i);
});

test("DeletePolicyVersion: the default version cannot be deleted, so effective permissions do not change", () => {
  const e = CATALOG.DeletePolicyVersion;
  expect(e.meaning).toMatch(/non-default/i);
  expect(e.meaning).toMatch(/default version.*cannot be deleted/i);
  expect(e.meaning).toMatch(/effective permissions do not change/i);
});

test("DeleteServiceLinkedRole: asynchronous deletion task that may fail, and the service may recreate the role", () => {
  const e = CATALOG.DeleteServiceLinkedRole;
  expect(e.meaning).toMatch(/asynchronous/i);
  expect(e.meaning).toMatch(/DeletionTaskId/);
  expect(e.recovery).toMatch(/GetServiceLinkedRoleDeletionStatus/);
  expect(prose(e)).toMatch(/recreate/i);
});

test("DeleteGroup and DeleteUser: the prerequisites that make them the end of a burst", () => {
  expect(CATALOG.DeleteGroup.meaning).toMatch(/empty/i);
  expect(CATALOG.DeleteGroup.meaning).toMatch(/policies/i);
  const user = CATALOG.DeleteUser.meaning;
  for (const prereq of ["DeleteLoginProfile", "DeleteAccessKey", "DeactivateMFADevice", "RemoveUserFromGroup"]) {
    expect(user).toContain(prereq);
  }
  expect(CATALOG.DeleteUser.recovery).toMatch(/new unique ID/i);
});

test("boundary removals are explained as widening permissions", () => {
  for (const name of ["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"] as const) {
    const e = CATALOG[name];
    expect(e.risks.join(" "), name).toMatch(/escalation/i);
    expect(e.severityReason, name).toMatch(/widens/i);
    expect(e.meaning, name).toMatch(/boundary policy itself is not deleted/i);
  }
});

test("federation providers: recreating under the same name or URL restores the ARN trust policies use", () => {
  expect(CATALOG.DeleteSAMLProvider.recovery).toMatch(/ARN is derived from the name/);
  expect(CATALOG.DeleteOpenIDConnectProvider.recovery).toMatch(/ARN is derived from the URL/);
  expect(CATALOG.RemoveClientIDFromOpenIDConnectProvider.recovery).toMatch(/AddClientIDToOpenIDConnectProvider/);
});

// ---------------------------------------------------------------------------------------------------
// Facts from the review against the IAM API reference (issue 10)

test("DeleteServerCertificate: IAM refuses it while a load balancer uses the certificate, so it is medium", () => {
  const e = CATALOG.DeleteServerCertificate;
  expect(e.severity).toBe("medium");
  expect(e.meaning).toMatch(/DeleteConflict/);
  expect(e.meaning).toMatch(/load balancer|Load Balancing/i);
  expect(prose(e)).not.toMatch(/does not stop you deleting/i);
});

test("DeleteVirtualMFADevice: the seed is returned once at creation, not 'never revealed'", () => {
  const e = CATALOG.DeleteVirtualMFADevice;
  expect(prose(e)).not.toMatch(/never reveals seeds/i);
  expect(e.recovery).toMatch(/only once, in the CreateVirtualMFADevice response/);
});

test("DeleteAccountPasswordPolicy states IAM's real default", () => {
  const m = CATALOG.DeleteAccountPasswordPolicy.meaning;
  expect(m).toMatch(/at least 8 characters/);
  expect(m).toMatch(/three of the four character types/);
  expect(m).toMatch(/no expiry/);
  expect(m).toMatch(/no check against earlier passwords/);
});

test("DeleteAccessKey: STS sessions minted with the key survive; containment needs a deny", () => {
  const text = prose(CATALOG.DeleteAccessKey);
  expect(text).toMatch(/temporary credentials already obtained with it .* stay valid/);
  expect(text).toMatch(/containment needs a deny/);
});

test("DeletePolicy: a policy still used as a permissions boundary cannot be deleted either", () => {
  expect(CATALOG.DeletePolicy.meaning).toMatch(/no longer any user's or role's permissions boundary/);
});

test("OIDC deletions are idempotent: success does not prove a change", () => {
  expect(CATALOG.DeleteOpenIDConnectProvider.meaning).toMatch(/idempotent/);
  expect(CATALOG.RemoveClientIDFromOpenIDConnectProvider.meaning).toMatch(/idempotent/);
});

// ---------------------------------------------------------------------------------------------------
// MITRE ATT&CK

test("every entry names at least one ATT&CK technique, with a well-formed id and a name", () => {
  for (const [name, e] of entries()) {
    expect(e.attack.length, name).toBeGreaterThan(0);
    for (const t of e.attack) {
      expect(t.id, name).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.name.trim().length, name).toBeGreaterThan(3);
    }
    expect(new Set(e.attack.map((t) => t.id)).size, name).toBe(e.attack.length);
  }
});

test("ATT&CK: one name per id across the catalog, and the mappings the issue names", () => {
  const names = new Map<string, string>();
  for (const [, e] of entries()) {
    for (const t of e.attack) {
      expect(names.get(t.id) ?? t.name, t.id).toBe(t.name);
      names.set(t.id, t.name);
    }
  }
  const ids = (n: IamDeletionEventName) => CATALOG[n].attack.map((t) => t.id);
  expect(ids("DeleteRolePermissionsBoundary")).toContain("T1098.003");
  expect(ids("DeleteUserPermissionsBoundary")).toContain("T1098.003");
  expect(ids("DeactivateMFADevice")).toContain("T1556.006");
  expect(ids("DeleteVirtualMFADevice")).toContain("T1556.006");
  expect(ids("DeleteUser")).toContain("T1531");
  expect(names.get("T1531")).toBe("Account Access Removal");
  expect(names.get("T1098")).toBe("Account Manipulation");
  expect(Object.isFrozen(CATALOG.DeleteRole.attack)).toBe(true);
});
