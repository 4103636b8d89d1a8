// A local fake of the CloudTrail JSON 1.1 API that serves LookupEvents only, for integration tests and the
// benchmark. It follows the wire format and request rules in the AWS API reference for LookupEvents:
// one lookup attribute at most, inclusive epoch-second time bounds, MaxResults 1-50, newest first, an
// opaque NextToken bound to the request's parameters, and the 2 TPS limit answered with ThrottlingException.
//
// Events carry a `deliveredAt` time so tests can model CloudTrail's delivery delay: an event is returned only
// once the fake's clock (`now`, injectable) reaches it. Paging is stable: the first page fixes a snapshot
// (clock value and insertion sequence) that the NextToken carries, so events that become visible or are
// added later never shift or duplicate the remaining pages.
//
// SigV4 is not checked (any Authorization is accepted). The rate limit runs on the real monotonic clock,
// since it paces actual requests; the injected clock only decides event visibility.
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { destroyConnection, isRecord, listenLoopback, readBody, sendJson, type LoopbackServer } from "./http-util.js";

/**
 * X-Amz-Target of LookupEvents. botocore sends the long form (service model `targetPrefix`); the JS SDK v3
 * (3.11xx) sends `CloudTrail_20131101.LookupEvents`. AWS accepts both, and so does the fake.
 */
export const LOOKUP_EVENTS_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents";
const TARGET_PATTERN = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.(\w+)$/;
const AMZ_JSON = "application/x-amz-json-1.1";

export const LOOKUP_ATTRIBUTE_KEYS = [
  "EventId",
  "EventName",
  "ReadOnly",
  "Username",
  "ResourceType",
  "ResourceName",
  "EventSource",
  "AccessKeyId",
] as const;
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** One item of a LookupEvents response, as it travels on the wire (EventTime in epoch seconds). */
export interface LookupEventItem {
  EventId: string;
  EventName?: string | undefined;
  /** "true" or "false": a string on the wire. */
  ReadOnly?: string | undefined;
  AccessKeyId?: string | undefined;
  /** Epoch seconds. */
  EventTime: number;
  EventSource?: string | undefined;
  Username?: string | undefined;
  Resources?: LookupResource[] | undefined;
  /** The whole record as a JSON string (not necessarily valid JSON for raw events). */
  CloudTrailEvent?: string | undefined;
}

export interface LookupResource {
  ResourceType?: string | undefined;
  ResourceName?: string | undefined;
}

export interface FakeCloudTrailOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Clock for event visibility (`deliveredAt`) and call timestamps, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** LookupEvents calls per second (token bucket refill); `false` disables throttling. Default 2. */
  ratePerSecond?: number | false | undefined;
  /** Token bucket capacity. Default: `ratePerSecond`. */
  burst?: number | undefined;
  /** Account id used in generated records. Default "123456789012". */
  accountId?: string | undefined;
  /**
   * How far AWS's clock is from this host's, ms: the `Date` header of every answer is real now + offset, and so
   * is the fake's own "now" (default event times, `deliveredAt`). A host clock 30 minutes fast is -1_800_000.
   */
  clockOffsetMs?: number | undefined;
  /**
   * Many accounts: resolves the account a request is for from the access key id of its SigV4 Authorization
   * header (e.g. through moto, which maps assumed-role keys to their account). When set, each account sees
   * only its own events and has its own rate limit, as in AWS; when absent, every request sees every event.
   */
  accountOf?: (accessKeyId: string) => Promise<string | undefined>;
}

export interface AddEventOptions {
  /** Epoch ms (on the fake's clock) from which the event is returned. Default: now. */
  deliveredAt?: number | undefined;
  /** Resources of the item; default derived from `record.resources` or IAM `requestParameters`. */
  resources?: LookupResource[] | undefined;
  /** Username of the item; default derived from `record.userIdentity`. */
  username?: string | undefined;
  /** Account whose event history holds the event (with `accountOf`); default: `recipientAccountId`, else `accountId`. */
  account?: string | undefined;
}

export interface NoiseOptions {
  /** First and last event time of the window (epoch ms or Date); events are spread evenly over it. */
  start: number | Date;
  end: number | Date;
  /** Epoch ms from which the events are visible. Default: now. */
  deliveredAt?: number | undefined;
}

export interface CloudTrailCall {
  /** Wall-clock epoch ms of the request (`Date.now()`). */
  time: number;
  /** Arrival time on a monotonic clock (epoch-based ms), for rate checks as the server sees them. */
  received: number;
  /** The fake clock's value at the request. */
  clock: number;
  /** Operation from X-Amz-Target, e.g. "LookupEvents" ("" when the header is missing). */
  operation: string;
  attributeKey?: string | undefined;
  attributeValue?: string | undefined;
  /** StartTime / EndTime as sent (epoch seconds). */
  startTime?: number | undefined;
  endTime?: number | undefined;
  maxResults?: number | undefined;
  hasNextToken: boolean;
  throttled: boolean;
  /** HTTP status, or null when the connection was reset by `failNext(n, "reset")`. */
  status: number | null;
  /** `__type` of an error answer. */
  errorType?: string | undefined;
  /** Number of events in a successful answer. */
  returned?: number | undefined;
  /** Access key id from the Authorization header. */
  accessKeyId?: string | undefined;
  /** Account the request was resolved to (with `accountOf`). */
  account?: string | undefined;
}

export interface FakeCloudTrail {
  readonly url: string;
  readonly port: number;
  /** Every request in arrival order. */
  readonly calls: readonly CloudTrailCall[];
  /** Number of calls answered with ThrottlingException. */
  readonly throttledCount: number;
  /**
   * The most LookupEvents calls that arrived within any window of `windowMs` (default 1000), as received;
   * only calls from index `from` of `calls` on when given.
   */
  maxCallsInAnyWindow(windowMs?: number, from?: number): number;
  /** While set, every LookupEvents call answers AccessDeniedException (HTTP 400, JSON `__type`) with this message. */
  setDeny(message: string | null): void;
  /** Number of stored events (visible or not). */
  readonly eventCount: number;
  /** Adds a CloudTrail record; returns the LookupEvents item it will be served as. */
  addEvent(record: object, opts?: AddEventOptions): LookupEventItem;
  /** Adds a LookupEvents item as-is (e.g. with a CloudTrailEvent that is not valid JSON). */
  addRawEvent(item: Partial<LookupEventItem> & { EventTime: number }, opts?: { deliveredAt?: number }): LookupEventItem;
  /** Adds `count` read-only IAM events (GetRole, ListPolicies, ...) spread evenly over a time window. */
  addReadOnlyIamNoise(count: number, opts: NoiseOptions): void;
  /**
   * The next `n` requests fail: with an HTTP status (InternalFailure / ServiceUnavailable), a connection reset,
   * or "throttle" (ThrottlingException, counted in `throttledCount`, whatever the token bucket says).
   */
  failNext(n: number, status?: number | "reset" | "throttle"): void;
  /** Changes the rate limit (see `FakeCloudTrailOptions.ratePerSecond`); refills the bucket. */
  setRateLimit(ratePerSecond: number | false, burst?: number): void;
  /** Clears events, calls, counters and injected failures; refills the token bucket. Options stay. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. Point `CloudTrailClient({ endpoint: fake.url, ... })` at it. */
export async function startFakeCloudTrail(opts: FakeCloudTrailOptions = {}): Promise<FakeCloudTrail> {
  const fake = new FakeCloudTrailServer(opts);
  await fake.listen(opts.port ?? 0);
  return fake;
}

interface StoredEvent {
  /** Insertion order; ties on time sort the later insertion first. */
  seq: number;
  timeMs: number;
  deliveredAt: number;
  item: LookupEventItem;
  account: string;
}

interface LookupQuery {
  attribute?: { key: LookupAttributeKey; value: string } | undefined;
  startMs: number;
  endMs: number;
  maxResults: number;
  /** Only insight events were asked for; the fake has none. */
  insightsOnly: boolean;
  /** Digest of the parameters a NextToken is bound to. */
  paramsKey: string;
}

/** Position after the last item of a page plus the snapshot the first page saw. */
interface PageCursor {
  paramsKey: string;
  snapshotClock: number;
  snapshotSeq: number;
  lastTimeMs: number;
  lastSeq: number;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
  ) {
    this.tokens = capacity;
  }

  tryTake(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

type InjectedFailure = number | "reset" | "throttle";

class FakeCloudTrailServer implements FakeCloudTrail {
  readonly calls: CloudTrailCall[] = [];
  throttledCount = 0;

  private server: LoopbackServer | undefined;
  private readonly now: () => number;
  private readonly accountId: string;
  private bucket: TokenBucket | undefined;
  private events: StoredEvent[] = [];
  /** `events` sorted newest first; rebuilt lazily after additions. */
  private sorted: StoredEvent[] = [];
  private sortedIsStale = false;
  private nextSeq = 1;
  private failures: InjectedFailure[] = [];
  private readonly rateOptions: { ratePerSecond: number | false; burst: number | undefined };
  private deny: string | null = null;
  private readonly accountOf: FakeCloudTrailOptions["accountOf"];
  private readonly accountBuckets = new Map<string, TokenBucket | undefined>();

  constructor(opts: FakeCloudTrailOptions) {
    const base = opts.now ?? Date.now;
    const offset = opts.clockOffsetMs ?? 0;
    this.now = offset === 0 ? base : () => base() + offset;
    this.accountId = opts.accountId ?? "123456789012";
    this.accountOf = opts.accountOf;
    this.rateOptions = { ratePerSecond: opts.ratePerSecond ?? 2, burst: opts.burst };
    this.setRateLimit(this.rateOptions.ratePerSecond, this.rateOptions.burst);
  }

  async listen(port: number): Promise<void> {
    this.server = await listenLoopback((req, res) => this.handle(req, res), port);
  }

  get url(): string {
    return this.listening().url;
  }

  get port(): number {
    return this.listening().port;
  }

  get eventCount(): number {
    return this.events.length;
  }

  close(): Promise<void> {
    return this.listening().close();
  }

  addEvent(record: object, opts: AddEventOptions = {}): LookupEventItem {
    const full: Record<string, unknown> = { ...(record as Record<string, unknown>) };
    if (typeof full.eventID !== "string") full.eventID = randomUUID();
    if (typeof full.eventTime !== "string") full.eventTime = isoSeconds(this.now());
    const timeMs = Date.parse(full.eventTime as string);
    if (Number.isNaN(timeMs)) throw new Error(`addEvent: eventTime is not an ISO time: ${String(full.eventTime)}`);

    const identity = isRecord(full.userIdentity) ? full.userIdentity : {};
    const item: LookupEventItem = {
      EventId: full.eventID as string,
      EventName: optionalString(full.eventName),
      ReadOnly: readOnlyString(full.readOnly),
      AccessKeyId: optionalString(identity.accessKeyId),
      EventTime: timeMs / 1000,
      EventSource: optionalString(full.eventSource),
      Username: opts.username ?? usernameOf(identity),
      Resources: opts.resources ?? resourcesOf(full),
      CloudTrailEvent: JSON.stringify(full),
    };
    const recipient = optionalString(full.recipientAccountId);
    this.store(item, timeMs, opts.deliveredAt, opts.account ?? recipient);
    return item;
  }

  addRawEvent(
    item: Partial<LookupEventItem> & { EventTime: number },
    opts: { deliveredAt?: number; account?: string } = {},
  ): LookupEventItem {
    const stored: LookupEventItem = { ...item, EventId: item.EventId ?? randomUUID() };
    this.store(stored, item.EventTime * 1000, opts.deliveredAt, opts.account);
    return stored;
  }

  addReadOnlyIamNoise(count: number, opts: NoiseOptions): void {
    const startMs = +opts.start;
    const endMs = +opts.end;
    if (endMs < startMs) throw new Error("addReadOnlyIamNoise: end is before start");
    const step = count > 1 ? (endMs - startMs) / (count - 1) : 0;
    for (let i = 0; i < count; i++) {
      // Whole seconds, as in real records.
      const timeMs = Math.floor((startMs + i * step) / 1000) * 1000;
      const template = NOISE_TEMPLATES[i % NOISE_TEMPLATES.length] as NoiseTemplate;
      this.addEvent(noiseRecord(template, i, timeMs, this.accountId), { deliveredAt: opts.deliveredAt });
    }
  }

  maxCallsInAnyWindow(windowMs = 1000, from = 0): number {
    const times = this.calls.slice(from).filter((c) => c.operation === "LookupEvents").map((c) => c.received);
    times.sort((a, b) => a - b);
    let max = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= windowMs) lo++;
      max = Math.max(max, hi - lo + 1);
    }
    return max;
  }

  setDeny(message: string | null): void {
    this.deny = message;
  }

  failNext(n: number, status: number | "reset" | "throttle" = 500): void {
    for (let i = 0; i < n; i++) this.failures.push(status);
  }

  setRateLimit(ratePerSecond: number | false, burst?: number): void {
    this.rateOptions.ratePerSecond = ratePerSecond;
    this.rateOptions.burst = burst;
    this.bucket = ratePerSecond === false ? undefined : new TokenBucket(ratePerSecond, burst ?? ratePerSecond);
    this.accountBuckets?.clear();
  }

  reset(): void {
    this.events = [];
    this.sorted = [];
    this.sortedIsStale = false;
    this.calls.length = 0;
    this.throttledCount = 0;
    this.failures = [];
    this.deny = null;
    // nextSeq keeps counting, so a NextToken from before the reset can never match new events.
    this.setRateLimit(this.rateOptions.ratePerSecond, this.rateOptions.burst);
  }

  // --- request handling ---

  private listening(): LoopbackServer {
    if (!this.server) throw new Error("fake CloudTrail is not listening");
    return this.server;
  }

  private store(item: LookupEventItem, timeMs: number, deliveredAt: number | undefined, account?: string): void {
    this.events.push({ seq: this.nextSeq++, timeMs, deliveredAt: deliveredAt ?? this.now(), item, account: account ?? this.accountId });
    this.sortedIsStale = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Arrival is when the request's head came in, before its body is read.
    const received = performance.timeOrigin + performance.now();
    const body = await readBody(req);
    const target = headerValue(req, "x-amz-target");
    const call: CloudTrailCall = {
      time: Date.now(),
      received,
      clock: this.now(),
      operation: TARGET_PATTERN.exec(target)?.[1] ?? target,
      hasNextToken: false,
      throttled: false,
      status: null,
    };
    this.calls.push(call);
    call.accessKeyId = /Credential=([A-Z0-9]+)\//.exec(headerValue(req, "authorization"))?.[1];
    if (this.accountOf) call.account = call.accessKeyId ? await this.accountOf(call.accessKeyId).catch(() => undefined) : undefined;

    const failure = this.failures.shift();
    if (failure === "reset") {
      destroyConnection(req, res);
      return;
    }
    try {
      if (failure === "throttle") {
        call.throttled = true;
        this.throttledCount++;
        throw new AwsError("ThrottlingException", "Rate exceeded");
      }
      if (failure !== undefined) {
        throw new AwsError(failure === 503 ? "ServiceUnavailable" : "InternalFailure", "injected failure", failure);
      }
      if (req.method !== "POST" || (req.url ?? "/").split("?")[0] !== "/") {
        throw new AwsError("UnknownOperationException", `${req.method ?? "?"} ${req.url ?? ""} is not served`, 404);
      }
      if (call.operation !== "LookupEvents") {
        throw new AwsError("UnknownOperationException", `the fake serves LookupEvents only, not "${target}"`);
      }
      const input = parseJsonObject(body);
      if (input) describeInput(call, input);
      if (this.deny !== null) throw new AwsError("AccessDeniedException", this.deny);
      // The rate limit applies before validation: a malformed request still spends a token.
      if (this.accountOf && call.account === undefined) {
        throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
      }
      const bucket = this.accountOf ? this.bucketOf(call.account as string) : this.bucket;
      if (bucket && !bucket.tryTake()) {
        call.throttled = true;
        this.throttledCount++;
        throw new AwsError("ThrottlingException", "Rate exceeded");
      }
      if (!input) throw new AwsError("SerializationException", "request body is not a JSON object");
      const output = this.lookupEvents(input, call.account);
      call.status = 200;
      call.returned = output.Events.length;
      sendJson(res, 200, output, { "x-amzn-RequestId": randomUUID(), Date: new Date(this.now()).toUTCString() }, AMZ_JSON);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      call.status = err.status;
      call.errorType = err.type;
      sendJson(
        res,
        err.status,
        { __type: err.type, message: err.message },
        { "X-Amzn-ErrorType": err.type, "x-amzn-RequestId": randomUUID(), Date: new Date(this.now()).toUTCString() },
        AMZ_JSON,
      );
    }
  }

  /** Many accounts: each account has its own token bucket (the quota is per account and region). */
  private bucketOf(account: string): TokenBucket | undefined {
    if (!this.accountBuckets.has(account)) {
      const { ratePerSecond, burst } = this.rateOptions;
      this.accountBuckets.set(account, ratePerSecond === false ? undefined : new TokenBucket(ratePerSecond, burst ?? ratePerSecond));
    }
    return this.accountBuckets.get(account);
  }

  private lookupEvents(input: Record<string, unknown>, account?: string): { Events: LookupEventItem[]; NextToken?: string } {
    const query = parseLookupQuery(input);
    const token = input.NextToken;
    let cursor: PageCursor;
    if (token === undefined || token === null || token === "") {
      cursor = {
        paramsKey: query.paramsKey,
        snapshotClock: this.now(),
        snapshotSeq: this.nextSeq - 1,
        lastTimeMs: Number.POSITIVE_INFINITY,
        lastSeq: Number.POSITIVE_INFINITY,
      };
    } else {
      cursor = decodeToken(token, query.paramsKey);
    }
    if (query.insightsOnly) return { Events: [] };

    const sorted = this.sortedEvents();
    // Newest first: skip everything newer than EndTime and everything up to the previous page's last item.
    let i = firstIndex(sorted, (e) => e.timeMs <= query.endMs && isAfter(e, cursor));
    const page: StoredEvent[] = [];
    let hasMore = false;
    for (; i < sorted.length; i++) {
      const event = sorted[i] as StoredEvent;
      if (event.timeMs < query.startMs) break;
      if (event.seq > cursor.snapshotSeq || event.deliveredAt > cursor.snapshotClock) continue;
      if (account !== undefined && event.account !== account) continue;
      if (query.attribute && !matches(event.item, query.attribute.key, query.attribute.value)) continue;
      if (page.length === query.maxResults) {
        hasMore = true;
        break;
      }
      page.push(event);
    }
    const last = page[page.length - 1];
    if (!hasMore || !last) return { Events: page.map((e) => e.item) };
    return {
      Events: page.map((e) => e.item),
      NextToken: encodeToken({ ...cursor, lastTimeMs: last.timeMs, lastSeq: last.seq }),
    };
  }

  private sortedEvents(): StoredEvent[] {
    if (this.sortedIsStale) {
      this.sorted = [...this.events].sort((a, b) => b.timeMs - a.timeMs || b.seq - a.seq);
      this.sortedIsStale = false;
    }
    return this.sorted;
  }
}

// --- request parsing ---

/** The request body as a JSON object, or undefined when it is not one. An empty body counts as `{}`. */
function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body === "" ? "{}" : body);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Fills the call log from the raw input, before validation, so rejected calls are described too. */
function describeInput(call: CloudTrailCall, input: Record<string, unknown>): void {
  const attrs = Array.isArray(input.LookupAttributes) ? input.LookupAttributes : [];
  const first: unknown = attrs[0];
  if (isRecord(first)) {
    call.attributeKey = optionalString(first.AttributeKey);
    call.attributeValue = optionalString(first.AttributeValue);
  }
  if (typeof input.StartTime === "number") call.startTime = input.StartTime;
  if (typeof input.EndTime === "number") call.endTime = input.EndTime;
  if (typeof input.MaxResults === "number") call.maxResults = input.MaxResults;
  call.hasNextToken = typeof input.NextToken === "string" && input.NextToken !== "";
}

function parseLookupQuery(input: Record<string, unknown>): LookupQuery {
  const attrs = input.LookupAttributes ?? [];
  if (!Array.isArray(attrs)) throw new AwsError("SerializationException", "LookupAttributes must be a list");
  if (attrs.length > 1) {
    throw new AwsError("InvalidLookupAttributesException", "You can only specify one lookup attribute.");
  }
  let attribute: LookupQuery["attribute"];
  const raw: unknown = attrs[0];
  if (raw !== undefined) {
    if (!isRecord(raw)) throw new AwsError("SerializationException", "a lookup attribute must be an object");
    const key = raw.AttributeKey;
    const value = raw.AttributeValue;
    if (typeof key !== "string" || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
      throw new AwsError("InvalidLookupAttributesException", `Invalid attribute key: ${String(key)}`);
    }
    if (typeof value !== "string" || value.length === 0 || value.length > 2000) {
      throw new AwsError("InvalidLookupAttributesException", "AttributeValue must be 1-2000 characters");
    }
    attribute = { key: key as LookupAttributeKey, value };
  }

  const start = optionalTime(input.StartTime, "StartTime");
  const end = optionalTime(input.EndTime, "EndTime");
  if (start !== undefined && end !== undefined && start > end) {
    throw new AwsError("InvalidTimeRangeException", "Start time must be before end time.");
  }

  const maxResults = input.MaxResults ?? 50;
  if (typeof maxResults !== "number" || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
    throw new AwsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.");
  }

  const category = input.EventCategory;
  if (category !== undefined && category !== null && category !== "insight") {
    throw new AwsError("InvalidEventCategoryException", `Invalid event category: ${JSON.stringify(category)}`);
  }

  const paramsKey = createHash("sha256")
    .update(JSON.stringify([attribute?.key, attribute?.value, start, end, category ?? null]))
    .digest("hex")
    .slice(0, 16);
  return {
    attribute,
    startMs: start === undefined ? Number.NEGATIVE_INFINITY : start * 1000,
    endMs: end === undefined ? Number.POSITIVE_INFINITY : end * 1000,
    maxResults,
    insightsOnly: category === "insight",
    paramsKey,
  };
}

function optionalTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new AwsError("SerializationException", `${name} must be a number of epoch seconds`);
  }
  return value;
}

function encodeToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeToken(token: unknown, paramsKey: string): PageCursor {
  const invalid = new AwsError("InvalidNextTokenException", "Invalid NextToken.");
  if (typeof token !== "string") throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (
    !isRecord(parsed) ||
    parsed.paramsKey !== paramsKey ||
    typeof parsed.snapshotClock !== "number" ||
    typeof parsed.snapshotSeq !== "number" ||
    typeof parsed.lastTimeMs !== "number" ||
    typeof parsed.lastSeq !== "number"
  ) {
    throw invalid;
  }
  return parsed as unknown as PageCursor;
}

// --- querying ---

/** True when `event` sorts strictly after the cursor's last item (newest-first order). */
function isAfter(event: StoredEvent, cursor: PageCursor): boolean {
  return event.timeMs < cursor.lastTimeMs || (event.timeMs === cursor.lastTimeMs && event.seq < cursor.lastSeq);
}

/** Binary search: the first index whose element satisfies `pred`, for a predicate monotone over `items`. */
function firstIndex<T>(items: readonly T[], pred: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function matches(item: LookupEventItem, key: LookupAttributeKey, value: string): boolean {
  switch (key) {
    case "ResourceType":
      return (item.Resources ?? []).some((r) => r.ResourceType === value);
    case "ResourceName":
      return (item.Resources ?? []).some((r) => r.ResourceName === value);
    default:
      return item[key] === value;
  }
}

// --- deriving item fields from a record ---

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

/** ISO 8601 without milliseconds, as CloudTrail writes eventTime. */
function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function readOnlyString(value: unknown): string {
  if (value === true || value === "true") return "true";
  return "false";
}

/** The "User name" LookupEvents shows: the IAM user, the role session, or "root". */
function usernameOf(identity: Record<string, unknown>): string | undefined {
  const type = identity.type;
  if (typeof identity.userName === "string" && type !== "Root") return identity.userName;
  if (type === "Root") return "root";
  if (type === "AssumedRole" && typeof identity.arn === "string") return identity.arn.split("/").pop();
  return optionalString(identity.principalId);
}

const IAM_RESOURCE_PARAMS: ReadonlyArray<[param: string, type: string]> = [
  ["policyArn", "AWS::IAM::Policy"],
  ["userName", "AWS::IAM::User"],
  ["roleName", "AWS::IAM::Role"],
  ["groupName", "AWS::IAM::Group"],
  ["instanceProfileName", "AWS::IAM::InstanceProfile"],
  ["accessKeyId", "AWS::IAM::AccessKey"],
];

/** `record.resources` ({type, ARN}) when present, else the IAM names found in `requestParameters`. */
function resourcesOf(record: Record<string, unknown>): LookupResource[] {
  if (Array.isArray(record.resources) && record.resources.length > 0) {
    return record.resources.filter(isRecord).map((r) => ({
      ResourceType: optionalString(r.type),
      ResourceName: optionalString(r.ARN),
    }));
  }
  const params = isRecord(record.requestParameters) ? record.requestParameters : {};
  const resources: LookupResource[] = [];
  for (const [param, type] of IAM_RESOURCE_PARAMS) {
    const name = params[param];
    if (typeof name === "string") resources.push({ ResourceType: type, ResourceName: name });
  }
  return resources;
}

// --- read-only noise ---

const READ_ONLY_POLICIES = ["ReadOnlyAccess", "SecurityAudit"] as const;

interface NoiseTemplate {
  eventName: string;
  params: (i: number) => Record<string, unknown> | null;
}

const NOISE_TEMPLATES: readonly NoiseTemplate[] = [
  { eventName: "GetRole", params: (i) => ({ roleName: `app-role-${i % 40}` }) },
  { eventName: "ListPolicies", params: () => ({ scope: "Local", onlyAttached: false }) },
  { eventName: "ListRoles", params: () => null },
  { eventName: "GetUser", params: (i) => ({ userName: `user-${i % 25}` }) },
  { eventName: "ListAttachedRolePolicies", params: (i) => ({ roleName: `app-role-${i % 40}` }) },
  { eventName: "GetPolicy", params: (i) => ({ policyArn: `arn:aws:iam::aws:policy/${READ_ONLY_POLICIES[i % 2]}` }) },
  { eventName: "ListUsers", params: () => null },
  { eventName: "GetAccountSummary", params: () => null },
  { eventName: "ListRolePolicies", params: (i) => ({ roleName: `app-role-${i % 40}` }) },
  { eventName: "ListGroupsForUser", params: (i) => ({ userName: `user-${i % 25}` }) },
  {
    eventName: "GetPolicyVersion",
    params: () => ({ policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", versionId: "v1" }),
  },
  { eventName: "ListAccessKeys", params: (i) => ({ userName: `user-${i % 25}` }) },
];

function noiseRecord(template: NoiseTemplate, i: number, timeMs: number, accountId: string): Record<string, unknown> {
  const session = `scanner-${i % 7}`;
  const eventTime = isoSeconds(timeMs);
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "AssumedRole",
      principalId: `AROANOISEEXAMPLE00001:${session}`,
      arn: `arn:aws:sts::${accountId}:assumed-role/SecurityAudit/${session}`,
      accountId,
      accessKeyId: `ASIANOISE${String(i % 97).padStart(11, "0")}`,
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROANOISEEXAMPLE00001",
          arn: `arn:aws:iam::${accountId}:role/SecurityAudit`,
          accountId,
          userName: "SecurityAudit",
        },
        attributes: { creationDate: eventTime, mfaAuthenticated: "false" },
      },
    },
    eventTime,
    eventSource: "iam.amazonaws.com",
    eventName: template.eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: `10.0.${(i >> 8) & 255}.${i & 255}`,
    userAgent: "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/iam#1.34.3",
    requestParameters: template.params(i),
    responseElements: null,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: true,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: accountId,
    eventCategory: "Management",
  };
}
