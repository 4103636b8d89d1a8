// One classifier for AWS SDK errors: denied, not found, throttled, transient, or other. Built on the SDK's own
// fields ($metadata.httpStatusCode, $retryable, name/Code) rather than on message text, except to name the
// permission a denial is about, which AWS says only in the message.
import { TrailwatchError } from "../errors.js";

export { TrailwatchError };

export type AwsErrorKind = "denied" | "not-found" | "throttled" | "transient" | "other";

export interface AwsErrorInfo {
  kind: AwsErrorKind;
  /** The AWS error code (`AccessDenied`, `NoSuchEntity`, `ThrottlingException`, ...) or the JS error name. */
  code: string;
  message: string;
  httpStatus?: number;
  /** For denials: the IAM action the caller lacks (`cloudtrail:LookupEvents`). */
  missingPermission?: string;
}

const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnauthorizedAccess",
  "NotAuthorized",
  "AuthorizationError",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "MissingAuthenticationToken",
]);
const NOT_FOUND = new Set(["NoSuchEntity", "NoSuchEntityException", "NotFoundException", "ResourceNotFoundException", "TrailNotFoundException"]);
const THROTTLED = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "RequestThrottled",
  "RequestThrottledException",
]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: { throttling?: boolean } | undefined;
  $metadata?: { httpStatusCode?: number } | undefined;
  cause?: unknown;
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? err : {};
}

/** The error the SDK threw: a gateway's AwsCallError is unwrapped to its cause. */
export function sdkErrorOf(err: unknown): unknown {
  return err instanceof AwsCallError ? err.cause : err;
}

/** The SDK could not parse the reply (an HTML error page, e.g. an API the endpoint does not implement). */
function unparseable(e: SdkErrorShape): boolean {
  return (typeof e.message === "string" && e.message.includes("Deserialization error")) || e.name === "SyntaxError";
}

/** The AWS error code: `Code` on Query/XML errors, else the error name (JSON `__type`), else "Error". */
export function awsErrorCode(err: unknown): string {
  const e = shape(sdkErrorOf(err));
  if (typeof e.Code === "string" && e.Code !== "") return e.Code;
  if (typeof e.name === "string" && e.name !== "" && e.name !== "Error") return e.name;
  if (typeof e.code === "string" && e.code !== "") return e.code;
  return "Error";
}

export function awsErrorMessage(err: unknown): string {
  const sdk = sdkErrorOf(err);
  const m = shape(sdk).message;
  return typeof m === "string" ? m : String(sdk);
}

const PERMISSION_IN_MESSAGE = /(?:perform:?|allows the|denies the)\s+([a-z][a-z0-9-]*:[A-Za-z0-9*]+)/;

/** The IAM action a denial is about: from AWS's message when it says, else the action named by the caller. */
export function missingPermission(err: unknown, action: string): string {
  return PERMISSION_IN_MESSAGE.exec(awsErrorMessage(err))?.[1] ?? action;
}

/**
 * Classifies an AWS SDK error. `action` (`service:Operation`) is the call that failed; on a denial it names the
 * permission to grant when AWS's message does not say. A gateway's AwsCallError is classified by its cause and
 * its own action.
 */
export function classifyAwsError(err: unknown, action?: string): AwsErrorInfo {
  if (err instanceof AwsCallError) return classifyAwsError(err.cause, err.action);
  const e = shape(err);
  const status = e.$metadata?.httpStatusCode;
  if (unparseable(e)) {
    // Not an AWS answer at all: the status says nothing about the resource or the caller's permissions.
    return {
      kind: status !== undefined && status >= 500 ? "transient" : "other",
      code: status !== undefined ? `HTTP${status}` : "UnparseableResponse",
      message: `the endpoint returned a response that is not an AWS API reply${status !== undefined ? ` (HTTP ${status})` : ""}; the API may not be supported there`,
      ...(status !== undefined ? { httpStatus: status } : {}),
    };
  }
  const code = awsErrorCode(err);
  const message = awsErrorMessage(err);
  const base = { code, message, ...(status !== undefined ? { httpStatus: status } : {}) };
  const bare = code.replace(/Exception$/, "");
  if (DENIED.has(code) || DENIED.has(bare) || status === 403) {
    return { kind: "denied", ...base, ...(action ? { missingPermission: missingPermission(err, action) } : {}) };
  }
  if (THROTTLED.has(code) || e.$retryable?.throttling === true || status === 429) return { kind: "throttled", ...base };
  if (NOT_FOUND.has(code) || status === 404) return { kind: "not-found", ...base };
  const causeCode = shape(e.cause).code;
  if (
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(code) ||
    (typeof causeCode === "string" && NETWORK_CODES.has(causeCode)) ||
    code === "TimeoutError" ||
    code === "RequestTimeout" ||
    e.$retryable !== undefined
  ) {
    return { kind: "transient", ...base };
  }
  return { kind: "other", ...base };
}

/**
 * What a gateway throws when an AWS call fails: the call (`GetRole`, as `iam:GetRole`), the classification and
 * the SDK's own error as the cause. The message is "GetRole failed with NoSuchEntity: <AWS's message>".
 */
export class AwsCallError extends TrailwatchError {
  readonly info: AwsErrorInfo;
  /** `service:Operation`, the IAM action the call needs. */
  readonly action: string;
  constructor(action: string, cause: unknown) {
    const info = classifyAwsError(cause, action);
    const api = action.slice(action.indexOf(":") + 1);
    super(`aws-${info.kind}`, `${api} failed with ${info.code}: ${info.message}`, { cause });
    this.action = action;
    this.info = info;
  }
  /** The API name, `GetRole`. */
  get api(): string {
    return this.action.slice(this.action.indexOf(":") + 1);
  }
  get kind(): AwsErrorKind {
    return this.info.kind;
  }
  get denied(): boolean {
    return this.info.kind === "denied";
  }
  /** "AWS denied GetRole: <message> — the bot lacks iam:GetRole", or the message. */
  describe(): string {
    return this.denied ? deniedText(this.api, this.info.message, this.info.missingPermission ?? this.action) : this.message;
  }
}

/** "AWS denied GetRole: <message> — the bot lacks iam:GetRole" */
function deniedText(api: string, message: string, permission: string): string {
  return `AWS denied ${api}: ${message} — the bot lacks ${permission}`;
}

/** Runs one AWS call; a failure becomes an AwsCallError naming the action. */
export async function callAws<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new AwsCallError(action, err);
  }
}

/** The call's result, or undefined when AWS says the resource does not exist (NoSuchEntity, TrailNotFound). */
export async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (classifyAwsError(err).kind === "not-found") return undefined;
    throw err;
  }
}
