// MITRE ATT&CK (Enterprise) techniques for each IAM deletion event: what an attacker is usually doing when
// they make this call. Kept in one table so the ids are reviewed together; the Record type makes the compiler
// reject a missing event.
import type { IamDeletionEventName } from "../domain.js";

export interface AttackTechnique {
  /** Technique or sub-technique id, e.g. T1098.003. */
  id: string;
  name: string;
}

const T = {
  accountAccessRemoval: { id: "T1531", name: "Account Access Removal" },
  accountManipulation: { id: "T1098", name: "Account Manipulation" },
  additionalCloudCredentials: { id: "T1098.001", name: "Account Manipulation: Additional Cloud Credentials" },
  additionalCloudRoles: { id: "T1098.003", name: "Account Manipulation: Additional Cloud Roles" },
  modifyAuthentication: { id: "T1556", name: "Modify Authentication Process" },
  mfa: { id: "T1556.006", name: "Modify Authentication Process: Multi-Factor Authentication" },
  trustModification: { id: "T1484.002", name: "Domain or Tenant Policy Modification: Trust Modification" },
  disableTools: { id: "T1562.001", name: "Impair Defenses: Disable or Modify Tools" },
  disableCloudLogs: { id: "T1562.008", name: "Impair Defenses: Disable or Modify Cloud Logs" },
  dataDestruction: { id: "T1485", name: "Data Destruction" },
  indicatorRemoval: { id: "T1070", name: "Indicator Removal" },
} as const satisfies Record<string, AttackTechnique>;

export const ATTACK: Readonly<Record<IamDeletionEventName, readonly AttackTechnique[]>> = {
  // Credentials: removing a legitimate user's access, or making room for one the attacker controls.
  DeleteAccessKey: [T.accountAccessRemoval, T.additionalCloudCredentials],
  DeleteLoginProfile: [T.accountAccessRemoval],
  DeleteSSHPublicKey: [T.accountAccessRemoval, T.additionalCloudCredentials],
  DeleteSigningCertificate: [T.accountAccessRemoval, T.additionalCloudCredentials],
  DeleteServiceSpecificCredential: [T.accountAccessRemoval, T.additionalCloudCredentials],
  DeleteServerCertificate: [T.dataDestruction],
  // Authentication controls.
  DeactivateMFADevice: [T.mfa],
  DeleteVirtualMFADevice: [T.mfa],
  DeleteAccountPasswordPolicy: [T.modifyAuthentication],
  // Federation trust.
  DeleteSAMLProvider: [T.trustModification, T.accountAccessRemoval],
  DeleteOpenIDConnectProvider: [T.trustModification, T.accountAccessRemoval],
  RemoveClientIDFromOpenIDConnectProvider: [T.trustModification],
  // Principals and containers.
  DeleteUser: [T.accountAccessRemoval],
  DeleteRole: [T.accountAccessRemoval],
  DeleteGroup: [T.accountManipulation],
  RemoveUserFromGroup: [T.accountManipulation],
  DeleteInstanceProfile: [T.accountAccessRemoval],
  RemoveRoleFromInstanceProfile: [T.accountManipulation],
  DeleteAccountAlias: [T.accountAccessRemoval],
  // Service-linked roles: often security tooling (GuardDuty, Config, Security Hub) or CloudTrail's own.
  DeleteServiceLinkedRole: [T.disableTools, T.disableCloudLogs],
  // Permissions.
  DeletePolicy: [T.accountManipulation, T.indicatorRemoval],
  DeletePolicyVersion: [T.accountManipulation, T.indicatorRemoval],
  DeleteUserPolicy: [T.accountManipulation],
  DeleteGroupPolicy: [T.accountManipulation],
  DeleteRolePolicy: [T.accountManipulation],
  DetachUserPolicy: [T.accountManipulation],
  DetachGroupPolicy: [T.accountManipulation],
  DetachRolePolicy: [T.accountManipulation],
  // Lifting a boundary grants the principal more permissions.
  DeleteUserPermissionsBoundary: [T.additionalCloudRoles],
  DeleteRolePermissionsBoundary: [T.additionalCloudRoles],
};
