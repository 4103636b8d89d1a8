// Start-up: read config, build dependencies once, start Slack, the delivery loop and the poll schedule.
// Everything is passed explicitly (no globals), so tests can start the whole app against local fakes.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { WebClient } from "@slack/web-api";
import cron from "node-cron";
import { AccountNotices } from "./accounts/notices.js";
import { AccountPollers } from "./accounts/pollers.js";
import { AccountRegistry } from "./accounts/registry.js";
import { instrumentedStore } from "./accounts/store.js";
import { Authorizer } from "./auth/index.js";
import { getCatalogEntry } from "./catalog/index.js";
import type { Config } from "./config.js";
import { IAM_DELETION_EVENT_NAMES, SEVERITY_RANK, type BotIdentity, type IamDeletionEventName } from "./domain.js";
import { createLogger, errorFields, type Logger } from "./log.js";
import { setOutboxDepthSource, startMetricsServer } from "./metrics.js";
import type { Poller } from "./poller.js";
import { createBoltApp, type Health } from "./slack/app.js";
import { boltLogger } from "./slack/bolt-logger.js";
import { Delivery } from "./slack/delivery.js";
import { registerListeners } from "./slack/listeners/index.js";
import { expireRequests } from "./slack/listeners/remediation.js";
import { renderAlert, renderMinimal } from "./slack/render.js";
import { openStore } from "./store/sqlite.js";
import type { Store } from "./store/types.js";

export interface RunningApp {
  stop(): Promise<void>;
  poller: Poller;
  delivery: Delivery;
  store: Store;
  accounts: AccountRegistry;
  pollers: AccountPollers;
}

/** Most severe operations first: each lookup is a call at 2/s, so the worst deletions are seen soonest. */
export function lookupOrder(): IamDeletionEventName[] {
  return [...IAM_DELETION_EVENT_NAMES].sort(
    (a, b) => SEVERITY_RANK[getCatalogEntry(b).severity] - SEVERITY_RANK[getCatalogEntry(a).severity],
  );
}

/** Resolves the bot's own AWS identity lazily and remembers it, so a slow STS does not block start-up. */
function botIdentityResolver(sts: STSClient, logger: Logger): () => Promise<BotIdentity | null> {
  let cached: BotIdentity | null = null;
  return async () => {
    if (cached) return cached;
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      if (out.Arn && out.Account) cached = { arn: out.Arn, accountId: out.Account };
    } catch (err) {
      logger.warn(errorFields(err), "could not resolve the bot's own AWS identity (sts:GetCallerIdentity)");
    }
    return cached;
  };
}

/** A token Slack rejects is a configuration error; Slack being unreachable is an outage we ride out. */
export class SlackTokenError extends Error {}

const REJECTED_TOKEN_ERRORS = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"]);

async function verifySlackToken(client: WebClient, logger: Logger): Promise<{ botId: string; botUserId: string } | null> {
  try {
    const res = await client.auth.test();
    logger.info({ team: res.team, botUserId: res.user_id }, "Slack token verified");
    return res.bot_id && res.user_id ? { botId: res.bot_id, botUserId: res.user_id } : null;
  } catch (err) {
    const data = (err as { data?: { error?: string } }).data;
    if (data?.error && REJECTED_TOKEN_ERRORS.has(data.error)) {
      throw new SlackTokenError(`SLACK_BOT_TOKEN was rejected by Slack (${data.error})`);
    }
    logger.warn(errorFields(err), "Slack is not reachable at start-up; polling continues and alerts wait in the store");
    return null;
  }
}

export interface StartOptions {
  logger?: Logger;
  now?: () => Date;
  /** Called when a problem found after start-up makes running pointless (a rejected Socket Mode token). */
  onFatal?: (err: SlackTokenError) => void;
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const now = opts.now ?? (() => new Date());
  const store = instrumentedStore(openStore(config.sqlitePath));
  setOutboxDepthSource(() => store.pendingCount());

  // Endpoints come from the standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables (SDK built-in).
  const cloudtrail = new CloudTrailClient({ region: config.aws.cloudTrailRegion, maxAttempts: 1 });
  const iam = new IAMClient({ region: config.aws.region, maxAttempts: 3 });
  const sts = new STSClient({ region: config.aws.region, maxAttempts: 3 });
  const botIdentity = botIdentityResolver(sts, logger);
  // Many accounts: the own account with the clients above, others through roles assumed from them.
  const accounts = new AccountRegistry({
    config: config.accounts,
    region: config.aws.region,
    cloudTrailRegion: config.aws.cloudTrailRegion,
    own: { iam, cloudtrail, sts, botIdentity },
    logger: logger.child({ component: "accounts" }),
    now,
  });
  await accounts.load();
  // The delivery client posts alerts itself and owns retrying, so every attempt is visible to the outbox.
  const deliveryClient = new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    logger: boltLogger(logger, "slack-web"),
  });
  const delivery = new Delivery({
    store,
    client: deliveryClient,
    channelId: config.alertChannelId,
    logger: logger.child({ component: "delivery" }),
    now,
    postIntervalMs: config.slack.postIntervalMs,
    render: async (alert) => renderAlert(alert, await store.listRemediationRequests(alert.eventId)),
    renderMinimal,
  });
  let ready = false;
  const health: Health = {
    get ready() {
      return ready;
    },
    details: async () => ({
      lastPollCompletedAt: poller.lastCompletedAt?.toISOString() ?? null,
      lastPoll: poller.lastResult
        ? { completed: poller.lastResult.completed, newAlerts: poller.lastResult.newAlerts, lookupCalls: poller.lastResult.lookupCalls }
        : null,
      lastPollError: poller.lastError,
      pendingAlerts: await store.pendingCount(),
      postedSinceStart: delivery.posted,
      lastSlackError: delivery.lastError,
      // Counts only: the port may be public, so account names and ids stay in /iam-audit accounts.
      ...(accounts.multiAccount ? { accounts: { watched: pollers.size, failing: pollers.status().filter((s) => s.health === "failing").length } } : {}),
    }),
  };
  // Known bot ids spare Bolt an auth.test per incoming request; unknown (Slack down) it looks them up itself.
  const { app, socket } = createBoltApp(config, logger, health, await verifySlackToken(deliveryClient, logger));
  const pollers = new AccountPollers({
    registry: accounts,
    store,
    logger,
    now,
    lookbackMinutes: config.lookbackMinutes,
    noise: config.noise,
    eventNames: lookupOrder(),
    onNewAlert: () => delivery.kick(),
    notices: new AccountNotices({ client: deliveryClient, channelId: config.alertChannelId, logger: logger.child({ component: "accounts" }), now }),
  });
  const poller = pollers.primary() as Poller;
  const metricsServer = config.metricsPort ? await startMetricsServer(config.metricsPort) : undefined;

  const auth = new Authorizer(app.client, config.responders, config.approvers, logger.child({ component: "auth" }));
  if (auth.nobodyConfigured) {
    logger.warn("RESPONDERS and APPROVERS are empty: every button and command will be refused until they are set");
  }
  const listenerDeps = { config, store, logger, now, iam, cloudtrail, botIdentity, client: app.client, auth, accounts, accountPollers: pollers };
  registerListeners(app, listenerDeps);

  await app.init();
  let stopped = false;
  if (socket) {
    // In Socket Mode start() resolves only once the WebSocket is connected. Polling and delivery must not
    // wait for Slack, so connect in the background and keep retrying; /healthz is served meanwhile.
    const connect = (first: boolean): void => {
      (first ? app.start() : socket.client.start())
        .then(() => logger.info({ mode: "socket", port: config.port }, "slack app connected (Socket Mode)"))
        .catch((err: unknown) => {
          const code = (err as { data?: { error?: string } }).data?.error;
          if (code && REJECTED_TOKEN_ERRORS.has(code)) {
            opts.onFatal?.(new SlackTokenError(`SLACK_APP_TOKEN was rejected by Slack (${code})`));
            return;
          }
          if (stopped) return;
          logger.error(errorFields(err), "Socket Mode connection failed; retrying in 30 s (polling continues)");
          setTimeout(() => connect(false), 30_000).unref();
        });
    };
    connect(true);
  } else {
    await app.start();
    logger.info({ mode: "http", port: config.port }, "slack app started");
  }

  delivery.start();
  const task = cron.schedule(
    config.pollSchedule,
    () => {
      // Not awaited: each account polls on its own, so a slow account never holds back the next tick of the others.
      void pollers.tick();
    },
    {
      name: "poll",
      noOverlap: true,
      // node-cron warns on stderr when a tick meets a running poll; that is expected (a poll can outlast
      // the schedule while catching up), so its messages go to the structured log at debug level.
      logger: {
        info: (m: string) => logger.debug({ component: "cron" }, m),
        warn: (m: string) => logger.debug({ component: "cron" }, m),
        error: (m: string | Error) => logger.error({ component: "cron" }, String(m)),
        debug: (m: string | Error) => logger.debug({ component: "cron" }, String(m)),
      },
    },
  );
  // Remediation requests expire (REMEDIATION_EXPIRY_HOURS); approving checks expiry too, this tidies messages.
  const expiryTimer = setInterval(() => {
    expireRequests(listenerDeps).catch((err: unknown) => logger.error(errorFields(err), "expiring remediation requests failed"));
  }, 60_000);
  expiryTimer.unref();
  // ORG_ROLE_NAME: accounts joining (or leaving) the organization are picked up without a restart.
  const refreshTimer =
    config.accounts.source === "organizations"
      ? setInterval(() => {
          accounts
            .refresh()
            .then(({ added, removed }) => {
              pollers.sync();
              if (added.length + removed.length > 0) logger.info({ added: added.map((a) => a.scope), removed: removed.map((a) => a.scope) }, "organization accounts changed");
            })
            .catch((err: unknown) => logger.error(errorFields(err), "could not re-list the organization's accounts; keeping the current list"));
        }, config.accounts.refreshMinutes * 60_000)
      : undefined;
  refreshTimer?.unref();
  // A first poll right away, so a restart catches up without waiting for the schedule.
  const firstPoll = pollers.tick().catch((err: unknown) => logger.error(errorFields(err), "first poll failed"));
  ready = true;
  logger.info({ schedule: config.pollSchedule, lookbackMinutes: config.lookbackMinutes, channel: config.alertChannelId, accounts: pollers.size }, "trailwatch ready");

  return {
    poller,
    delivery,
    store,
    accounts,
    pollers,
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      clearInterval(expiryTimer);
      if (refreshTimer) clearInterval(refreshTimer);
      await task.stop();
      // The first poll counts as running below: a hanging account must not hold shutdown past the deadline.
      void firstPoll;
      // Let a running poll finish its current page; the cursor only advances when a poll completes.
      const deadline = Date.now() + 20_000;
      while (pollers.isRunning && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await delivery.stop();
      await app.stop().catch((err: unknown) => logger.warn(errorFields(err), "error while stopping the Slack app"));
      await new Promise((r) => (metricsServer ? metricsServer.close(r) : r(undefined)));
      await store.close();
      logger.info("trailwatch stopped");
    },
  };
}
