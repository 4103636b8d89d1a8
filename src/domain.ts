// Domain types shared by every module: a normalised CloudTrail IAM event, severities, and the ids of the
// remediations the catalog can point at. Kept free of Slack and AWS SDK types so pure modules stay pure.

export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for sorting and comparisons: higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1 };

/** The 30 IAM operations that delete, remove, detach or deactivate something. */
export const IAM_DELETION_EVENT_NAMES = [
  "DeleteAccessKey",
  "DeleteAccountAlias",
  "DeleteAccountPasswordPolicy",
  "DeleteGroup",
  "DeleteGroupPolicy",
  "DeleteInstanceProfile",
  "DeleteLoginProfile",
  "DeleteOpenIDConnectProvider",
  "DeletePolicy",
  "DeletePolicyVersion",
  "DeleteRole",
  "DeleteRolePermissionsBoundary",
  "DeleteRolePolicy",
  "DeleteSAMLProvider",
  "DeleteSSHPublicKey",
  "DeleteServerCertificate",
  "DeleteServiceLinkedRole",
  "DeleteServiceSpecificCredential",
  "DeleteSigningCertificate",
  "DeleteUser",
  "DeleteUserPermissionsBoundary",
  "DeleteUserPolicy",
  "DeleteVirtualMFADevice",
  "DetachGroupPolicy",
  "DetachRolePolicy",
  "DetachUserPolicy",
  "RemoveClientIDFromOpenIDConnectProvider",
  "RemoveRoleFromInstanceProfile",
  "RemoveUserFromGroup",
  "DeactivateMFADevice",
] as const;
export type IamDeletionEventName = (typeof IAM_DELETION_EVENT_NAMES)[number];

const DELETION_SET: ReadonlySet<string> = new Set(IAM_DELETION_EVENT_NAMES);
export function isIamDeletionEventName(name: string): name is IamDeletionEventName {
  return DELETION_SET.has(name);
}

export const IAM_EVENT_SOURCE = "iam.amazonaws.com";

/**
 * Remediations the bot knows how to plan and apply. The catalog says which fit an event; the
 * remediation module implements them.
 */
export const REMEDIATION_IDS = [
  "readd-role-to-instance-profile", // undo RemoveRoleFromInstanceProfile
  "recreate-account-alias", // undo DeleteAccountAlias
  "reattach-managed-policy", // undo Detach{User,Group,Role}Policy
  "readd-user-to-group", // undo RemoveUserFromGroup
  "contain-actor", // IAM user: deactivate key + quarantine policy; assumed role: revoke older sessions
  "enforce-password-policy", // harden the account password policy
  "deactivate-access-key", // audit finding: an unused or old access key
  "start-trail-logging", // audit finding: a trail that is not logging
  // Restores from an IAM snapshot (src/snapshot, src/remediation/remediations/restore-*.ts)
  "restore-role", // undo DeleteRole: the whole role as of a snapshot
  "restore-instance-profile", // undo DeleteInstanceProfile
  "restore-inline-policy", // undo Delete{Role,User,Group}Policy
  "restore-user", // undo DeleteUser (never its credentials)
  "restore-managed-policy", // undo DeletePolicy
  "restore-password-policy", // undo DeleteAccountPasswordPolicy: exactly the previous policy
  "restore-permissions-boundary", // undo Delete{Role,User}PermissionsBoundary
  "restore-group", // undo DeleteGroup
  "restore-policy-version", // undo DeletePolicyVersion (as a non-default version)
  "restore-oidc-provider", // undo DeleteOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider
  "restore-saml-provider", // undo DeleteSAMLProvider
  "restore-ssh-public-key", // undo DeleteSSHPublicKey (re-upload; new id)
  "restore-signing-certificate", // undo DeleteSigningCertificate (re-upload; new id)
] as const;
export type RemediationId = (typeof REMEDIATION_IDS)[number];

/** How the caller reached AWS, from the user agent. */
export type ClientKind = "console" | "cli" | "sdk" | "terraform" | "cloudformation" | "aws-service" | "unknown";

/** Who made the call, normalised from `userIdentity`. Every field may be absent in real records. */
export interface Actor {
  /** userIdentity.type; "Unknown" when the record has none. */
  type: string;
  arn?: string;
  principalId?: string;
  accountId?: string;
  accessKeyId?: string;
  /** IAM user name (IAMUser) or account alias (Root). */
  userName?: string;
  /** For AssumedRole: the role ARN and name from sessionContext.sessionIssuer, and the session name. */
  roleArn?: string;
  roleName?: string;
  sessionName?: string;
  /** true / false from sessionContext.attributes.mfaAuthenticated; null when the record does not say. */
  mfaAuthenticated: boolean | null;
  /** AWS service that made the call on the principal's behalf (userIdentity.invokedBy). */
  invokedBy?: string;
  /** A short-term root session from sts:AssumeRoot (sessionContext.assumedRoot, or inScopeOf.issuerType). */
  assumedRoot?: true;
}

/** One resource named in the request, e.g. { kind: "role", label: "Role", value: "app-role" }. */
export interface AffectedResource {
  kind: string;
  label: string;
  value: string;
}

/** A CloudTrail event normalised for detection and rendering. Strings are raw (unescaped) and bounded. */
export interface IamEvent {
  eventId: string;
  eventName: string;
  eventSource: string;
  /** Parsed eventTime; null when the record's time cannot be parsed. */
  eventTime: Date | null;
  awsRegion: string;
  /** recipientAccountId, else userIdentity.accountId, else "". */
  accountId: string;
  actor: Actor;
  sourceIp: string;
  userAgent: string;
  client: ClientKind;
  /** errorCode when the call failed (AccessDenied, NoSuchEntity, ...). */
  errorCode?: string;
  errorMessage?: string;
  /** requestParameters as recorded (null in many failed calls). */
  requestParameters: Record<string, unknown> | null;
  resources: AffectedResource[];
  readOnly?: boolean;
  /** Set when the full record could not be parsed and the event was built from LookupEvents summary fields. */
  parseError?: string;
}

/** The account password policy the bot recommends (audit) and enforces (remediation). CIS-aligned defaults. */
export interface PasswordPolicyBaseline {
  minimumPasswordLength: number; // default 14
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercaseCharacters: boolean;
  requireLowercaseCharacters: boolean;
  passwordReusePrevention: number; // default 24
  maxPasswordAgeDays: number; // default 90
  allowUsersToChangePassword: boolean;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicyBaseline = {
  minimumPasswordLength: 14,
  requireSymbols: true,
  requireNumbers: true,
  requireUppercaseCharacters: true,
  requireLowercaseCharacters: true,
  passwordReusePrevention: 24,
  maxPasswordAgeDays: 90,
  allowUsersToChangePassword: true,
};

/** An account password policy as the fields UpdateAccountPasswordPolicy takes; 0 = not set for age and reuse. */
export interface PasswordPolicySettings {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  HardExpiry: boolean;
  /** days; 0 = passwords never expire */
  MaxPasswordAge: number;
  /** 0 = reuse not prevented */
  PasswordReusePrevention: number;
}

/** Every setting of a password policy as IAM returns it (GetAccountPasswordPolicy), IAM's default where unset. */
export function passwordPolicySettings(p: { [K in keyof PasswordPolicySettings]?: PasswordPolicySettings[K] | undefined }): PasswordPolicySettings {
  return {
    MinimumPasswordLength: p.MinimumPasswordLength ?? 6,
    RequireSymbols: p.RequireSymbols ?? false,
    RequireNumbers: p.RequireNumbers ?? false,
    RequireUppercaseCharacters: p.RequireUppercaseCharacters ?? false,
    RequireLowercaseCharacters: p.RequireLowercaseCharacters ?? false,
    AllowUsersToChangePassword: p.AllowUsersToChangePassword ?? false,
    HardExpiry: p.HardExpiry ?? false,
    MaxPasswordAge: p.MaxPasswordAge ?? 0,
    PasswordReusePrevention: p.PasswordReusePrevention ?? 0,
  };
}

/** The identity the bot itself runs as (STS GetCallerIdentity), so it never contains itself. */
export interface BotIdentity {
  arn: string;
  accountId: string;
}
