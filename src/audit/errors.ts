// Turns AWS errors into AuditCheckError records, naming the missing permission on access denials. The
// classification is src/aws/errors.ts's; this file only shapes it for audit reports.
import { awsErrorCode, classifyAwsError, missingPermission, sdkErrorOf, TrailwatchError } from "../aws/errors.js";
import type { AuditCheckError, AuditCheckName } from "./types.js";

export type AwsService = "iam" | "cloudtrail";

/** True when the error's AWS code or SDK name is `code`, matching both `NoSuchEntity` and `NoSuchEntityException`. */
export function hasErrorCode(err: unknown, code: string): boolean {
  const sdk = sdkErrorOf(err);
  const name = typeof sdk === "object" && sdk !== null ? (sdk as { name?: unknown }).name : undefined;
  return awsErrorCode(sdk) === code || name === code || name === `${code}Exception`;
}

/** True when AWS says the resource does not exist (the user or policy was deleted meanwhile). */
export function isNotFound(err: unknown): boolean {
  return classifyAwsError(err).kind === "not-found";
}

/** The IAM action the caller lacks: from the AWS message when it says, else `service:Operation`. */
export function missingPermissionFor(service: AwsService, api: string, err: unknown): string {
  return missingPermission(err, `${service}:${api}`);
}

export function toCheckError(check: AuditCheckName, service: AwsService, api: string, err: unknown): AuditCheckError {
  const info = classifyAwsError(err, `${service}:${api}`);
  const out: AuditCheckError = { check, api, errorName: info.code, message: info.message };
  if (info.kind === "denied") out.missingPermission = info.missingPermission ?? `${service}:${api}`;
  return out;
}

/** Thrown inside a check when an AWS call fails; the runner records `info` and the check stops. */
export class AuditCallError extends TrailwatchError {
  readonly info: AuditCheckError;
  constructor(info: AuditCheckError, cause: unknown) {
    super("audit-call-failed", `${info.api}: ${info.errorName}: ${info.message}`, { cause });
    this.info = info;
  }
}
