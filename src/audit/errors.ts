// Turns AWS SDK errors into AuditCheckError records, naming the missing permission on access denials.
import type { AuditCheckError, AuditCheckName } from "./types.js";

export type AwsService = "iam" | "cloudtrail";

const ACCESS_DENIED_CODES: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "NotAuthorized",
]);

/** The AWS error code: `Code` on Query/XML errors, else the error name (JSON `__type`), else "Error". */
export function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const e = err as { Code?: unknown; name?: unknown };
    if (typeof e.Code === "string" && e.Code !== "") return e.Code;
    if (typeof e.name === "string" && e.name !== "") return e.name;
  }
  return "Error";
}

function errorName(err: unknown): string {
  if (typeof err === "object" && err !== null && typeof (err as { name?: unknown }).name === "string") {
    return (err as { name: string }).name;
  }
  return "";
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when the error has the given AWS code, matching both `NoSuchEntity` and the SDK's `NoSuchEntityException`. */
export function hasErrorCode(err: unknown, code: string): boolean {
  const c = errorCode(err);
  const n = errorName(err);
  return c === code || n === code || n === `${code}Exception`;
}

export function isAccessDenied(err: unknown): boolean {
  return ACCESS_DENIED_CODES.has(errorCode(err)) || ACCESS_DENIED_CODES.has(errorName(err));
}

const PERMISSION_IN_MESSAGE = /(?:perform:?|allows the|denies the)\s+([a-z][a-z0-9-]*:[A-Za-z0-9*]+)/;

/** The IAM action the caller lacks: from the AWS message when it says, else `service:Operation`. */
export function missingPermissionFor(service: AwsService, api: string, err: unknown): string {
  const m = PERMISSION_IN_MESSAGE.exec(errorMessage(err));
  return m?.[1] ?? `${service}:${api}`;
}

export function toCheckError(check: AuditCheckName, service: AwsService, api: string, err: unknown): AuditCheckError {
  const out: AuditCheckError = { check, api, errorName: errorCode(err), message: errorMessage(err) };
  if (isAccessDenied(err)) out.missingPermission = missingPermissionFor(service, api, err);
  return out;
}

/** Thrown inside a check when an AWS call fails; the runner records `info` and the check stops. */
export class AuditCallError extends Error {
  readonly info: AuditCheckError;
  constructor(info: AuditCheckError, cause: unknown) {
    super(`${info.api}: ${info.errorName}: ${info.message}`, { cause });
    this.name = "AuditCallError";
    this.info = info;
  }
}
