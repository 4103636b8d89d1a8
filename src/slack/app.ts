// Builds the Bolt app: HTTP mode (POST /slack/events, signed requests) or Socket Mode when SLACK_APP_TOKEN
// is set. Both serve GET /healthz. Transport only; listeners are registered from listeners/index.ts.
import type { IncomingMessage, ServerResponse } from "node:http";
import { App, SocketModeReceiver, type CustomRoute } from "@slack/bolt";

import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { metricsHandler } from "../metrics.js";
import { boltLogger } from "./bolt-logger.js";

export interface Health {
  ready: boolean;
  details: () => Promise<Record<string, unknown>>;
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
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      void health
        .details()
        .catch(() => ({}))
        .then((details) => {
          res.writeHead(health.ready ? 200 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: health.ready ? "ok" : "starting", ...details }));
        });
    },
  };
  // /metrics on PORT unless METRICS_PORT moves it to its own server.
  const routes: CustomRoute[] = [healthRoute, ...(config.metricsPort ? [] : [{ path: "/metrics", method: ["GET"], handler: metricsHandler }])];
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
    return { app: new App({ ...common, receiver: socket }), socket };
  }
  return {
    app: new App({
      ...common,
      customRoutes: routes,
      signingSecret: config.slack.signingSecret,
      port: config.port,
      endpoints: ["/slack/events"],
    }),
  };
}
