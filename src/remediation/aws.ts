// AWS plumbing shared by planners, the executor and the read-back checks: error normalisation, the
// permission-denied wording, tags, pagination and policy-document decoding.

export type AwsService = "iam" | "cloudtrail";

export interface AwsErrorInfo {
  /** The AWS error code (IAM query errors carry it as `Code`, e.g. "NoSuchEntity"), else the SDK name. */
  errorName: string;
  message: string;
}

const DENIED_NAMES: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "NotAuthorizedException",
]);

/** Normalises anything thrown by an SDK v3 client. */
export function awsErrorInfo(error: unknown): AwsErrorInfo {
  if (error instanceof AwsCallError) return { errorName: error.errorName, message: error.awsMessage };
  if (typeof error !== "object" || error === null) return { errorName: "Error", message: String(error) };
  const e = error as { name?: unknown; Code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const message = typeof e.message === "string" ? e.message : "";
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  // The SDK could not parse the reply (an HTML error page, e.g. an API the endpoint does not implement).
  if (message.includes("Deserialization error") || (typeof e.name === "string" && e.name === "SyntaxError")) {
    return {
      errorName: status !== undefined ? `HTTP${status}` : "UnparseableResponse",
      message: `the endpoint returned a response that is not an AWS API reply${status !== undefined ? ` (HTTP ${status})` : ""}; the API may not be supported there`,
    };
  }
  const code = typeof e.Code === "string" && e.Code !== "" ? e.Code : undefined;
  const name = typeof e.name === "string" && e.name !== "" ? e.name : "Error";
  return { errorName: code ?? name, message };
}

export function isAccessDenied(info: AwsErrorInfo): boolean {
  return DENIED_NAMES.has(info.errorName);
}

export function isNotFound(info: AwsErrorInfo): boolean {
  return (
    info.errorName === "NoSuchEntity" ||
    info.errorName === "NoSuchEntityException" ||
    info.errorName === "TrailNotFoundException"
  );
}

/** "AWS denied GetRole: <message> — the bot lacks iam:GetRole" */
export function deniedText(service: AwsService, api: string, message: string): string {
  return `AWS denied ${api}: ${message} — the bot lacks ${service}:${api}`;
}

/** An AWS error raised by a read made while planning or verifying, with the API that raised it. */
export class AwsCallError extends Error {
  readonly errorName: string;
  readonly awsMessage: string;
  constructor(
    readonly service: AwsService,
    readonly api: string,
    info: AwsErrorInfo,
  ) {
    super(`${api} failed with ${info.errorName}: ${info.message}`);
    this.name = "AwsCallError";
    this.errorName = info.errorName;
    this.awsMessage = info.message;
  }
  get denied(): boolean {
    return isAccessDenied({ errorName: this.errorName, message: this.awsMessage });
  }
  /** How a plan or check states it. */
  describe(): string {
    return this.denied
      ? deniedText(this.service, this.api, this.awsMessage)
      : `${this.api} failed with ${this.errorName}: ${this.awsMessage}`;
  }
}

/** Runs one read; any failure becomes an AwsCallError naming the API. */
export async function read<T>(service: AwsService, api: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new AwsCallError(service, api, awsErrorInfo(error));
  }
}

/** Like read, but "does not exist" (NoSuchEntity, TrailNotFoundException) gives undefined. */
export async function readOrMissing<T>(service: AwsService, api: string, send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    const info = awsErrorInfo(error);
    if (isNotFound(info)) return undefined;
    throw new AwsCallError(service, api, info);
  }
}

/** Follows IAM's Marker/IsTruncated pagination. */
export async function readAllPages<P extends { IsTruncated?: boolean; Marker?: string }, T>(
  api: string,
  fetchPage: (marker: string | undefined) => Promise<P>,
  items: (page: P) => T[] | undefined,
  missingOk = false,
): Promise<T[] | undefined> {
  const all: T[] = [];
  let marker: string | undefined;
  for (let pageNo = 0; pageNo < 1000; pageNo++) {
    const page = missingOk
      ? await readOrMissing("iam", api, () => fetchPage(marker))
      : await read("iam", api, () => fetchPage(marker));
    if (page === undefined) return undefined;
    all.push(...(items(page) ?? []));
    if (!page.IsTruncated || !page.Marker) break;
    marker = page.Marker;
  }
  return all;
}

export const TAG_REQUEST = "trailwatch:remediation-request";
export const TAG_ACTION = "trailwatch:action";
/** Tag value used when a plan is computed before a request id exists; replaced at execution. */
export const PENDING_REQUEST_ID = "pending";

/** IAM tag values allow letters, numbers, spaces and _ . : / = + - @ (max 256). */
export function tagValue(value: string): string {
  const cleaned = value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, "_").slice(0, 256);
  return cleaned === "" ? "_" : cleaned;
}

export function trailwatchTags(requestId: string | undefined, action: string): { Key: string; Value: string }[] {
  return [
    { Key: TAG_REQUEST, Value: tagValue(requestId ?? PENDING_REQUEST_ID) },
    { Key: TAG_ACTION, Value: tagValue(action) },
  ];
}

/** IAM returns policy documents URL-encoded (moto sometimes raw JSON). */
export function decodePolicyDocument(doc: string): unknown {
  const text = doc.trimStart().startsWith("{") ? doc : decodeURIComponent(doc);
  return JSON.parse(text) as unknown;
}

/** JSON with sorted object keys, for comparing parameter objects. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

export function policyNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
