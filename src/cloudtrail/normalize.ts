// Normalises CloudTrail records (log-file records, and items of the LookupEvents API) into IamEvent.
// Both entry points are total: any input shape gives an IamEvent, never an exception. Strings stay raw
// (escaping for Slack is the renderer's job) but are bounded (see LIMITS).
import type { Actor, AffectedResource, IamEvent } from "../domain.js";
import { classifyClient } from "./normalize-client.js";
import {
  resourcesFromLookupSummary,
  resourcesFromParameters,
  resourcesFromRecordResources,
} from "./normalize-resources.js";
import {
  LIMITS,
  bool,
  bound,
  describeError,
  field,
  isObject,
  parseTime,
  presentText,
  text,
  type JsonObject,
} from "./normalize-values.js";

export { classifyClient } from "./normalize-client.js";
export { parseTime } from "./normalize-values.js";

/**
 * An item of the CloudTrail LookupEvents response. Matches the SDK's `Event` (EventTime is a Date there);
 * EventTime may also be an ISO string (AWS CLI JSON output) or epoch seconds (the wire format).
 */
export interface LookupEventInput {
  EventId?: string | undefined;
  EventName?: string | undefined;
  EventTime?: Date | string | number | undefined;
  EventSource?: string | undefined;
  Username?: string | undefined;
  AccessKeyId?: string | undefined;
  ReadOnly?: string | undefined;
  Resources?: { ResourceType?: string | undefined; ResourceName?: string | undefined }[] | undefined;
  CloudTrailEvent?: string | undefined;
}

/** Normalises one CloudTrail log record (already JSON-parsed). Never throws. */
export function normalizeRecord(record: unknown): IamEvent {
  try {
    if (!isObject(record)) {
      return emptyEvent(`record is not a JSON object (got ${describeType(record)})`);
    }
    return fromRecord(record);
  } catch (e) {
    // Only reachable with exotic inputs (throwing getters, proxies); a record must never crash the poller.
    return emptyEvent(`could not normalise record: ${describeError(e)}`);
  }
}

/**
 * Normalises one LookupEvents item: the full record in CloudTrailEvent, with the summary fields filling
 * what the record lacks. When CloudTrailEvent is missing, not JSON or not an object, the event is built
 * from the summary fields alone and `parseError` says why. Never throws.
 */
export function normalizeLookupEvent(ev: LookupEventInput): IamEvent {
  try {
    const summary: unknown = ev;
    const parsed = parseCloudTrailEvent(field(summary, "CloudTrailEvent"));
    if ("record" in parsed) return fillFromSummary(fromRecord(parsed.record), summary);
    const problem = parsed.problem;
    return fromSummary(summary, problem);
  } catch (e) {
    return emptyEvent(`could not normalise LookupEvents item: ${describeError(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------

function parseCloudTrailEvent(raw: unknown): { record: JsonObject } | { problem: string } {
  if (raw === undefined || raw === null || raw === "") return { problem: "CloudTrailEvent is missing" };
  if (typeof raw !== "string") return { problem: `CloudTrailEvent is not a string (got ${describeType(raw)})` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return { problem: `CloudTrailEvent is not valid JSON: ${describeError(e)}` };
  }
  if (!isObject(parsed)) return { problem: `CloudTrailEvent is not a JSON object (got ${describeType(parsed)})` };
  return { record: parsed };
}

function fromRecord(r: JsonObject): IamEvent {
  const actor = normalizeActor(field(r, "userIdentity"));
  if (text(field(field(r, "inScopeOf"), "issuerType")) === "AWS::STS::AssumeRoot") actor.assumedRoot = true;
  const userAgent = text(field(r, "userAgent"), LIMITS.userAgent) ?? "";
  const requestParameters = readParameters(field(r, "requestParameters"));

  let resources: AffectedResource[] = resourcesFromParameters(requestParameters);
  if (resources.length === 0) resources = resourcesFromRecordResources(field(r, "resources"));

  const ev: IamEvent = {
    eventId: text(field(r, "eventID")) ?? "",
    eventName: text(field(r, "eventName")) ?? "",
    eventSource: text(field(r, "eventSource")) ?? "",
    eventTime: parseTime(field(r, "eventTime")),
    awsRegion: text(field(r, "awsRegion")) ?? "",
    accountId: text(field(r, "recipientAccountId")) ?? actor.accountId ?? "",
    actor,
    sourceIp: text(field(r, "sourceIPAddress"), LIMITS.sourceIp) ?? "",
    userAgent,
    client: classifyClient({
      userAgent,
      invokedBy: actor.invokedBy,
      sessionCredentialFromConsole: bool(field(r, "sessionCredentialFromConsole")),
      actorType: actor.type,
    }),
    requestParameters,
    resources,
  };
  const errorCode = presentText(field(r, "errorCode"));
  if (errorCode !== undefined) ev.errorCode = errorCode;
  const errorMessage = presentText(field(r, "errorMessage"), LIMITS.errorMessage);
  if (errorMessage !== undefined) ev.errorMessage = errorMessage;
  const readOnly = bool(field(r, "readOnly"));
  if (readOnly !== undefined) ev.readOnly = readOnly;
  return ev;
}

/** requestParameters as an object, or null (JSON null, the string "null", absent, or any non-object). */
function readParameters(v: unknown): Record<string, unknown> | null {
  if (isObject(v)) return v;
  // Some exports stringify nested objects; accept a string holding a JSON object.
  if (typeof v === "string" && v.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObject(parsed)) return parsed;
    } catch {
      return null;
    }
  }
  return null;
}

const ASSUMED_ROLE_ARN_RE = /^arn:[^:]*:(?:sts|iam)::[^:]*:assumed-role\/([^/]+)(?:\/(.+))?$/;
const IAM_USER_ARN_RE = /^arn:[^:]*:iam::[^:]*:user\/(?:.*\/)?([^/]+)$/;

function normalizeActor(ui: unknown): Actor {
  const actor: Actor = {
    type: text(field(ui, "type")) ?? "Unknown",
    mfaAuthenticated: null,
  };
  const set = <K extends keyof Actor>(key: K, value: Actor[K] | undefined): void => {
    if (value !== undefined) actor[key] = value;
  };
  const arn = text(field(ui, "arn"), LIMITS.arn);
  const principalId = text(field(ui, "principalId"));
  set("arn", arn);
  set("principalId", principalId);
  set("accountId", text(field(ui, "accountId")));
  set("accessKeyId", text(field(ui, "accessKeyId")));
  set("userName", text(field(ui, "userName")));
  set("invokedBy", text(field(ui, "invokedBy")));

  const sessionContext = field(ui, "sessionContext");
  const mfa = bool(field(field(sessionContext, "attributes"), "mfaAuthenticated"));
  if (mfa !== undefined) actor.mfaAuthenticated = mfa;
  if (bool(field(sessionContext, "assumedRoot")) === true) actor.assumedRoot = true;

  const assumed = arn !== undefined ? ASSUMED_ROLE_ARN_RE.exec(arn) : null;
  if (actor.type === "AssumedRole" || assumed) {
    const issuer = field(sessionContext, "sessionIssuer");
    set("roleArn", text(field(issuer, "arn"), LIMITS.arn));
    // The role ARN is not rebuilt from the assumed-role ARN: that ARN omits the role's path
    // (e.g. /aws-reserved/sso.amazonaws.com/), so a rebuilt ARN could name a different role.
    set("roleName", text(field(issuer, "userName")) ?? assumed?.[1]);
    let sessionName = assumed?.[2];
    if (sessionName === undefined && principalId !== undefined && principalId.includes(":")) {
      sessionName = principalId.slice(principalId.indexOf(":") + 1) || undefined;
    }
    set("sessionName", sessionName);
  }
  if (actor.userName === undefined && actor.type === "IAMUser" && arn !== undefined) {
    set("userName", IAM_USER_ARN_RE.exec(arn)?.[1]);
  }
  return actor;
}

function fillFromSummary(ev: IamEvent, s: unknown): IamEvent {
  if (ev.eventId === "") ev.eventId = text(field(s, "EventId")) ?? "";
  if (ev.eventName === "") ev.eventName = text(field(s, "EventName")) ?? "";
  if (ev.eventSource === "") ev.eventSource = text(field(s, "EventSource")) ?? "";
  ev.eventTime ??= parseTime(field(s, "EventTime"));
  if (ev.resources.length === 0) ev.resources = resourcesFromLookupSummary(field(s, "Resources"));
  if (ev.readOnly === undefined) {
    const readOnly = bool(field(s, "ReadOnly"));
    if (readOnly !== undefined) ev.readOnly = readOnly;
  }
  if (ev.actor.accessKeyId === undefined) {
    const key = text(field(s, "AccessKeyId"));
    if (key !== undefined) ev.actor.accessKeyId = key;
  }
  return ev;
}

function fromSummary(s: unknown, parseError: string): IamEvent {
  const actor: Actor = { type: "Unknown", mfaAuthenticated: null };
  // LookupEvents' Username is the IAM user name, or the session name for assumed roles.
  const userName = text(field(s, "Username"));
  if (userName !== undefined) actor.userName = userName;
  const accessKeyId = text(field(s, "AccessKeyId"));
  if (accessKeyId !== undefined) actor.accessKeyId = accessKeyId;
  const ev: IamEvent = {
    eventId: text(field(s, "EventId")) ?? "",
    eventName: text(field(s, "EventName")) ?? "",
    eventSource: text(field(s, "EventSource")) ?? "",
    eventTime: parseTime(field(s, "EventTime")),
    awsRegion: "",
    accountId: "",
    actor,
    sourceIp: "",
    userAgent: "",
    client: "unknown",
    requestParameters: null,
    resources: resourcesFromLookupSummary(field(s, "Resources")),
    parseError: bound(parseError, LIMITS.parseError),
  };
  const readOnly = bool(field(s, "ReadOnly"));
  if (readOnly !== undefined) ev.readOnly = readOnly;
  return ev;
}

function emptyEvent(parseError: string): IamEvent {
  return {
    eventId: "",
    eventName: "",
    eventSource: "",
    eventTime: null,
    awsRegion: "",
    accountId: "",
    actor: { type: "Unknown", mfaAuthenticated: null },
    sourceIp: "",
    userAgent: "",
    client: "unknown",
    requestParameters: null,
    resources: [],
    parseError: bound(parseError, LIMITS.parseError),
  };
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
