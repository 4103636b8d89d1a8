// Prometheus metrics (prom-client), in one registry the rest of the code feeds through the named objects and
// functions below. Served as GET /metrics on PORT, or on METRICS_PORT when set (then not on PORT). Label values
// are account names and ids, event names and outcomes: never ARNs, user names or error text.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: "trailwatch_" });

const registers = [metricsRegistry];

export const polls = new Counter({
  name: "trailwatch_polls_total",
  help: "Polls run per account, by result (completed: every lookup succeeded; failed: the poll ended early).",
  labelNames: ["account", "result"] as const,
  registers,
});

export const pollDuration = new Histogram({
  name: "trailwatch_poll_duration_seconds",
  help: "Duration of one poll of one account.",
  labelNames: ["account"] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600],
  registers,
});

export const lastCompletedPoll = new Gauge({
  name: "trailwatch_last_completed_poll_timestamp_seconds",
  help: "When the last complete poll of the account ended (Unix time; 0: never since start-up).",
  labelNames: ["account"] as const,
  registers,
});

export const lookupCalls = new Counter({
  name: "trailwatch_lookup_events_calls_total",
  help: "LookupEvents calls attempted, retries included (with a role that cannot be assumed they fail before leaving the process).",
  labelNames: ["account"] as const,
  registers,
});

export const lookupThrottles = new Counter({
  name: "trailwatch_lookup_events_throttled_total",
  help: "LookupEvents calls answered with a throttling error.",
  labelNames: ["account"] as const,
  registers,
});

export const accountUp = new Gauge({
  name: "trailwatch_account_up",
  help: "1 when the account's last poll completed, 0 when it failed (role not assumable, denied, outage).",
  labelNames: ["account"] as const,
  registers,
});

/** Newest event time seen per account (epoch ms), for the lag gauge computed at scrape time. */
const newestEventMs = new Map<string, number>();

/** @public Registered on creation and filled at scrape time: nothing imports it. */
export const lag = new Gauge({
  name: "trailwatch_lag_seconds",
  help: "Now minus the time of the newest CloudTrail event seen in the account (absent until one is seen).",
  labelNames: ["account"] as const,
  registers,
  collect() {
    const now = Date.now();
    for (const [account, ms] of newestEventMs) this.set({ account }, Math.max(0, (now - ms) / 1000));
  },
});

/** Records the time of an event a lookup returned (the lag gauge follows the newest per account). */
export function observeEventTime(account: string, eventTime: Date | undefined): void {
  const ms = eventTime?.getTime();
  if (ms === undefined || Number.isNaN(ms)) return;
  if (ms > (newestEventMs.get(account) ?? 0)) newestEventMs.set(account, ms);
}

export const alertsDetected = new Counter({
  name: "trailwatch_alerts_total",
  help: "New alerts recorded, by severity and event name (muted ones too, with muted=\"true\").",
  labelNames: ["severity", "event", "muted"] as const,
  registers,
});

let outboxDepthSource: (() => Promise<number>) | undefined;

/** @public Registered on creation and filled at scrape time: nothing imports it. */
export const outboxDepth = new Gauge({
  name: "trailwatch_outbox_depth",
  help: "Alerts recorded but not yet posted to Slack.",
  registers,
  async collect() {
    if (outboxDepthSource) this.set(await outboxDepthSource());
  },
});

/** Tells the outbox gauge where to read its depth (the store's pending count). */
export function setOutboxDepthSource(source: () => Promise<number>): void {
  outboxDepthSource = source;
}

const slackPostLatency = new Histogram({
  name: "trailwatch_slack_post_duration_seconds",
  help: "Time chat.postMessage took for alert posts, by result.",
  labelNames: ["result"] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
  registers,
});

const slackPostErrors = new Counter({
  name: "trailwatch_slack_post_errors_total",
  help: "Failed alert posts, by Slack error code (or the network error name).",
  labelNames: ["error"] as const,
  registers,
});

/** Times one alert post; call the returned function with the error (if any) when Slack's answer is known. */
export function startSlackPost(): (err?: unknown) => void {
  const end = slackPostLatency.startTimer();
  return (err?: unknown) => {
    end({ result: err === undefined ? "ok" : "error" });
    if (err !== undefined) slackPostErrors.inc({ error: slackErrorLabel(err) });
  };
}

function slackErrorLabel(err: unknown): string {
  const e = err as { data?: { error?: unknown }; code?: unknown; name?: unknown };
  const code = typeof e.data?.error === "string" ? e.data.error : typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "error";
  // Bounded label cardinality: Slack error codes are short snake_case words.
  return /^[\w.-]{1,60}$/.test(code) ? code : "other";
}

export const actions = new Counter({
  name: "trailwatch_actions_total",
  help: "Recorded actions (acknowledge, escalate, remediation requests and decisions, /iam-audit, ...) by result.",
  labelNames: ["action", "result"] as const,
  registers,
});

export const remediationOutcomes = new Counter({
  name: "trailwatch_remediation_outcomes_total",
  help: "Executed remediations by remediation id and outcome (succeeded or failed).",
  labelNames: ["remediation", "outcome"] as const,
  registers,
});

/** When each account's last IAM snapshot was taken or confirmed unchanged, by account label. */
const lastSnapshotMs = new Map<string, number>();

/** @public Registered on creation and filled at scrape time: nothing imports it. */
export const snapshotAge = new Gauge({
  name: "trailwatch_snapshot_age_seconds",
  help: "Seconds since the account's last IAM snapshot was taken or confirmed unchanged (absent until one is).",
  labelNames: ["account"] as const,
  registers,
  collect() {
    this.reset();
    const now = Date.now();
    for (const [account, ms] of lastSnapshotMs) this.set({ account }, Math.max(0, (now - ms) / 1000));
  },
});

/** The snapshot fleet calls this after each successful snapshot of an account (its id, or its scope). */
export function setSnapshotTakenAt(account: string, at: Date): void {
  lastSnapshotMs.set(account, at.getTime());
}

/** Drops the accounts no longer watched (bounded label set). */
export function forgetSnapshotAccounts(keep: ReadonlySet<string>): void {
  for (const account of lastSnapshotMs.keys()) if (!keep.has(account)) lastSnapshotMs.delete(account);
}

/** Handles GET /metrics (Prometheus text format). */
export function metricsHandler(_req: IncomingMessage, res: ServerResponse): void {
  metricsRegistry
    .metrics()
    .then((body) => {
      res.writeHead(200, { "content-type": metricsRegistry.contentType });
      res.end(body);
    })
    .catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`metrics collection failed: ${(err as Error).message}\n`);
    });
}

/** A separate server for METRICS_PORT, answering GET /metrics only. */
export async function startMetricsServer(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics") { metricsHandler(req, res); return; }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => { resolve(); });
  });
  return server;
}
