// Shared by planners, the executor and the read-back checks: the trailwatch tags, policy-document decoding
// and parameter comparison. AWS calls go through the gateways in src/aws, errors through its classifier.

export type AwsService = "iam" | "cloudtrail";

export const TAG_REQUEST = "trailwatch:remediation-request";
const TAG_ACTION = "trailwatch:action";
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
