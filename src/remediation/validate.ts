// Parameter validation and extraction from CloudTrail events. Names follow the IAM API patterns so a
// tampered or malformed plan never reaches AWS with odd input.
import type { IamEvent } from "../domain.js";
import type { RemediationParams } from "./types.js";

const IAM_NAME = /^[\w+=,.@-]+$/;

const PATTERNS = {
  userName: { re: IAM_NAME, max: 64 },
  roleName: { re: IAM_NAME, max: 64 },
  groupName: { re: IAM_NAME, max: 128 },
  instanceProfileName: { re: IAM_NAME, max: 128 },
  policyName: { re: IAM_NAME, max: 128 },
  policyVersionId: { re: /^v[1-9]\d{0,5}$/, max: 8 },
  oidcProviderArn: { re: /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[\w.:/-]+$/, max: 2048 },
  samlProviderArn: { re: /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w.-]+$/, max: 2048 },
  oidcClientId: { re: /^[\x21-\x7e]+$/, max: 255 },
  credentialId: { re: /^\w+$/, max: 128 },
  policyArn: { re: /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, max: 2048 },
  accessKeyId: { re: /^[A-Z0-9]+$/, max: 128 },
  // 3-63 characters, lowercase letters, digits and single hyphens, not at either end.
  accountAlias: { re: /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/, max: 63 },
  trailName: { re: /^(?:[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]|arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128})$/, max: 2048 },
  accountId: { re: /^\d{12}$/, max: 12 },
  actorArn: { re: /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$/, max: 2048 },
  sessionName: { re: /^[\w+=,.@-]+$/, max: 64 },
} as const;

export type ParamKind = keyof typeof PATTERNS;

/** Checks the named params; optional ones may be absent. Returns why not, or null. */
export function checkParams(
  params: RemediationParams,
  required: Record<string, ParamKind>,
  optional: Record<string, ParamKind> = {},
): string | null {
  // Params reach here from Slack forms and stored plans: checked as if untyped.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (params === null || typeof params !== "object") return "params are missing";
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  for (const key of Object.keys(params)) {
    if (!known.has(key)) return `unexpected parameter ${key}`;
  }
  for (const [key, kind] of Object.entries(required)) {
    const value = params[key];
    if (value === undefined || value === "") return `missing parameter ${key}`;
    const why = checkValue(key, kind, value);
    if (why) return why;
  }
  for (const [key, kind] of Object.entries(optional)) {
    const value = params[key];
    if (value === undefined) continue;
    const why = checkValue(key, kind, value);
    if (why) return why;
  }
  return null;
}

function checkValue(key: string, kind: ParamKind, value: unknown): string | null {
  if (typeof value !== "string") return `parameter ${key} must be a string`;
  const p = PATTERNS[kind];
  if (value.length > p.max || !p.re.test(value)) return `parameter ${key} is not a valid ${kind}: ${JSON.stringify(value.slice(0, 80))}`;
  return null;
}

/** A non-empty string request parameter, else undefined. */
export function requestString(event: IamEvent, key: string): string | undefined {
  const value = event.requestParameters?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Undo-type remediations only make sense for a successful call of the right kind. */
export function checkUndoEvent(event: IamEvent, eventNames: readonly string[]): string | null {
  if (!eventNames.includes(event.eventName)) {
    return `this remediation undoes ${eventNames.join(" or ")}, not ${event.eventName || "an unnamed event"}`;
  }
  if (event.errorCode) return `the ${event.eventName} call failed (${event.errorCode}), so there is nothing to undo`;
  if (!event.requestParameters) return `the event has no request parameters`;
  return null;
}

/** Builds params from request parameters: { paramName: requestParameterKey }. */
export function paramsFrom(event: IamEvent, mapping: Record<string, string>): RemediationParams | { error: string } {
  const params: RemediationParams = {};
  for (const [param, key] of Object.entries(mapping)) {
    const value = requestString(event, key);
    if (value === undefined) return { error: `the event's request parameters have no ${key}` };
    params[param] = value;
  }
  return params;
}
