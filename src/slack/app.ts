// Builds the Bolt app: HTTP mode (POST /slack/events, signed requests) or Socket Mode when SLACK_APP_TOKEN
// is set. Both serve GET /healthz. Transport only; listeners are registered from listeners/index.ts. Both
// drop replayed requests and re-delivered events first (request-guard.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { App, HTTPReceiver, SocketModeReceiver, type CustomRoute } from "@slack/bolt";

import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { metricsHandler } from "../metrics.js";
import { boltLogger } from "./bolt-logger.js";
import { RequestGuard } from "./request-guard.js";

export interface Health {
  ready: boolean;
  /** The public answer: a status and problem codes only. */
  status: () => { status: "ok" | "degraded"; problems: string[] };
  /** Everything, for loopback callers only. */
  details: () => Promise<Record<string, unknown>>;
}

/**
 * A caller on this host, not relayed by a proxy. Details (ARNs, account ids, error text) go only to such
 * callers, since the port may be public; a request a local reverse proxy relays carries X-Forwarded-For.
 */
function isLoopbackCaller(req: IncomingMessage): boolean {
  const addr = req.socket.remoteAddress ?? "";
  const local = addr === "127.0.0.1" || addr === "::1" || addr === "::ffff:127.0.0.1";
  return local && req.headers["x-forwarded-for"] === undefined && req.headers.forwarded === undefined;
}

/** GET /healthz: 503 while starting or while any problem holds, else 200. */
export async function healthResponse(health: Health, loopback: boolean): Promise<{ status: number; body: Record<string, unknown> }> {
  const pub = health.ready ? health.status() : { status: "degraded" as const, problems: ["starting"] };
  const code = pub.problems.length > 0 ? 503 : 200;
  if (!loopback) return { status: code, body: { status: pub.status, problems: pub.problems } };
  const details = await health.details().catch(() => ({}));
  return { status: code, body: { ...details, status: pub.status, problems: pub.problems } };
}

export interface BoltApp {
  app: App;
  /** Socket Mode only: the receiver, so start-up can retry its connection without blocking. */
  socket?: SocketModeReceiver;
}

export function createBoltApp(config: Config, logger: Logger, health: Health, ids: { botId: string; botUserId: string } | null): BoltApp {
  const healthRoute: CustomRoute = {
    path: "/healthz",
    method: ["GET"],
    handler: (req: IncomingMessage, res: ServerResponse) => {
      void healthResponse(health, isLoopbackCaller(req)).then(({ status, body }) => {
        res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      });
    },
  };
  // Liveness for orchestrators: the process answers. Never fails on a CloudTrail deny or a Slack outage,
  // since restarting the pod fixes neither and would only add a blind spot.
  const liveRoute: CustomRoute = {
    path: "/livez",
    method: ["GET"],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end('{"status":"alive"}');
    },
  };
  // Replays and re-delivered events are dropped before any other middleware or listener sees them.
  const guard = new RequestGuard(logger.child({ component: "request-guard" }));
  const guarded = (app: App): App => {
    app.use(guard.middleware);
    return app;
  };
  // /metrics on PORT unless METRICS_PORT moves it to its own server.
  const routes: CustomRoute[] = [healthRoute, liveRoute, ...(config.metricsPort ? [] : [{ path: "/metrics", method: ["GET"], handler: metricsHandler }])];
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    // Interactive responses should not hang for half an hour on an outage: a few quick retries at most.
    retryConfig: { retries: 5, factor: 3.86 }, // web-api's fiveRetriesInFiveMinutes
    timeout: 10_000,
  };
  const common = {
    token: config.slack.botToken,
    logger: boltLogger(logger),
    clientOptions,
    deferInitialization: true,
    // Bolt would call auth.test at init and block start-up while Slack is down; main.ts verifies the token
    // itself and keeps polling through a Slack outage.
    tokenVerificationEnabled: false,
    ...(ids ? { botId: ids.botId, botUserId: ids.botUserId } : {}),
  };
  if (config.slack.appToken) {
    const socket = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: boltLogger(logger),
      customRoutes: routes,
      // Socket Mode serves customRoutes on this port; its own client (apps.connections.open) needs the
      // same API base URL as every other client (GovSlack, tests).
      installerOptions: { port: config.port, clientOptions },
    });
    return { app: guarded(new App({ ...common, receiver: socket })), socket };
  }
  // Built here rather than by App so that every verified signature reaches the replay guard.
  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret ?? "",
    endpoints: ["/slack/events"],
    port: config.port,
    customRoutes: routes,
    logger: boltLogger(logger),
    customPropertiesExtractor: guard.extract,
  });
  return { app: guarded(new App({ ...common, receiver })) };
}
