// Types of the live IAM/CloudTrail posture audit (`/iam-audit`). Pure data: no Slack types here.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { PasswordPolicyBaseline, RemediationId, Severity } from "../domain.js";

export const AUDIT_CHECKS = ["password-policy", "root-account", "console-users-mfa", "access-keys", "cloudtrail"] as const;
export type AuditCheckName = (typeof AUDIT_CHECKS)[number];

type AuditResourceType = "user" | "access-key" | "trail" | "account" | "password-policy";

export interface AuditFinding {
  /** Stable across runs, e.g. "password-policy:min-length", "user-no-mfa:alice", "access-key-unused:AKIA...". */
  id: string;
  check: AuditCheckName;
  severity: Severity;
  /** One line naming the affected user, key, trail or setting. */
  title: string;
  /** What was found and the recommended value. */
  detail: string;
  resource?: { type: AuditResourceType; name: string };
  /**
   * enforce-password-policy {}, deactivate-access-key {userName, accessKeyId},
   * start-trail-logging {trailName} (the trail ARN when known, else its name).
   */
  remediation?: { id: RemediationId; params: Record<string, string> };
}

export interface AuditCheckError {
  check: AuditCheckName;
  /** The AWS operation that failed, e.g. "GenerateCredentialReport". */
  api: string;
  /** The AWS error code (AccessDenied, NoSuchEntity, ReportInProgress, ...) or the JS error name. */
  errorName: string;
  message: string;
  /** Set when the error is an access denial, e.g. "iam:GenerateCredentialReport". */
  missingPermission?: string;
}

export interface AuditReport {
  generatedAt: Date;
  /** Most severe first, then by title. */
  findings: AuditFinding[];
  errors: AuditCheckError[];
  checksRun: AuditCheckName[];
  /** No findings and no errors. */
  clean: boolean;
  /**
   * The account audited, stamped when the report is stored (its Remediate buttons act there). Absent in reports
   * stored before many-account support, and when the own account's id was unknown: the bot's own account.
   */
  accountId?: string;
  /** That account's display name when it was audited (ACCOUNTS_FILE or Organizations; untrusted text). */
  accountName?: string;
}

export interface AuditDeps {
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  baseline: PasswordPolicyBaseline;
  now?: () => Date;
  /** Total time to wait for the credential report to be COMPLETE; default 20000 ms. */
  credentialReportWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface MfaDevicePosture {
  /** The device ARN for virtual devices, the serial number for hardware ones. */
  serialNumber: string;
  enabled?: Date;
}

export interface AccessKeyPosture {
  accessKeyId: string;
  /** Active | Inactive | Expired */
  status: string;
  created?: Date;
  /** Whole days since creation, by UTC instants. */
  ageDays?: number;
  lastUsedDate?: Date;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

export interface UserPostureFound {
  exists: true;
  /** What the caller asked for (name or ARN). */
  query: string;
  userName: string;
  userId: string;
  arn: string;
  path: string;
  created?: Date;
  consolePassword: { enabled: boolean; created?: Date; lastUsed?: Date; resetRequired?: boolean };
  mfaDevices: MfaDevicePosture[];
  accessKeys: AccessKeyPosture[];
  /** Findings of the audit limited to this user (same ids as runAudit), most severe first. */
  findings: AuditFinding[];
  /** Calls that failed after the user was found; the fields they feed are incomplete. */
  errors: AuditCheckError[];
}

interface UserPostureNotFound {
  exists: false;
  query: string;
  /** not-found: no such user in this account; not-a-user-arn / invalid-name: the query cannot name an IAM user. */
  reason: "not-found" | "not-a-user-arn" | "invalid-name";
  userName?: string;
}

export type UserPosture = UserPostureFound | UserPostureNotFound;
