// Shared helpers for the catalog entry files: the per-file entry map type and the remediation list
// builder that appends the two generic remediations every entry offers.
import type { IamDeletionEventName, RemediationId } from "../domain.js";
import type { CatalogEntry } from "./types.js";

/**
 * A slice of the catalog whose keys are event names; the type ties each entry's eventName to its key. The
 * ATT&CK techniques come from attack.ts (one reviewed table), so topic files leave them out.
 */
export type EntryMap<K extends IamDeletionEventName> = { [P in K]: Omit<CatalogEntry, "attack"> & { eventName: P } };

/** Generic options offered for every event: contain whoever made the call, then harden the account. */
const GENERIC_REMEDIATIONS: readonly RemediationId[] = ["contain-actor", "enforce-password-policy"];

/**
 * The remediation list for an entry: the event-specific ones first (most specific first), then the
 * generic ones, without duplicates.
 */
export function remedies(...specific: RemediationId[]): RemediationId[] {
  const out: RemediationId[] = [];
  for (const id of [...specific, ...GENERIC_REMEDIATIONS]) {
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * Restores from an IAM snapshot, offered first in the Remediate picker for the events they undo. Kept
 * apart from the catalog entries (which list what fits an event in general) because whether a restore
 * can run depends on the snapshots the bot holds; its dry-run plan says so either way.
 */
export const RESTORE_FOR_EVENT: Readonly<Partial<Record<IamDeletionEventName, RemediationId>>> = Object.freeze({
  DeleteRole: "restore-role",
  DeleteInstanceProfile: "restore-instance-profile",
  DeleteRolePolicy: "restore-inline-policy",
  DeleteUserPolicy: "restore-inline-policy",
  DeleteGroupPolicy: "restore-inline-policy",
  DeleteUser: "restore-user",
  DeletePolicy: "restore-managed-policy",
  DeleteAccountPasswordPolicy: "restore-password-policy",
  DeleteRolePermissionsBoundary: "restore-permissions-boundary",
  DeleteUserPermissionsBoundary: "restore-permissions-boundary",
  DeleteGroup: "restore-group",
  DeletePolicyVersion: "restore-policy-version",
  DeleteOpenIDConnectProvider: "restore-oidc-provider",
  RemoveClientIDFromOpenIDConnectProvider: "restore-oidc-provider",
  DeleteSAMLProvider: "restore-saml-provider",
  DeleteSSHPublicKey: "restore-ssh-public-key",
  DeleteSigningCertificate: "restore-signing-certificate",
});

/** The picker's list for an event: its restore (if any) first, then the catalog's remediations. */
export function withRestore(eventName: IamDeletionEventName, remediations: readonly RemediationId[]): RemediationId[] {
  const restore = RESTORE_FOR_EVENT[eventName];
  return restore ? [restore, ...remediations.filter((r) => r !== restore)] : [...remediations];
}
