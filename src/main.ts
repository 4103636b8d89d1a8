// Start-up: read config, build dependencies once, start Slack, the delivery loop and the poll schedule.
// Everything is passed explicitly (no globals), so tests can start the whole app against local fakes.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
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
import { keepLease, LeaseHeldError, PostgresLeadership, SqliteLeadership, type Leadership, type LeaseKeeper, type LeaseLostError } from "./lease/index.js";
import { PostgresLiveness } from "./lease/liveness.js";
import { createLogger, errorFields, type Logger } from "./log.js";
import { HealthModel } from "./health/model.js";
import { Notifier } from "./health/notices.js";
import { DEFAULT_SCOPE, type Poller } from "./poller.js";
import { OrphanedExecutions } from "./recovery/orphaned-executions.js";
import { recoverExecutingRequests } from "./services/recovery.js";
import { Rules } from "./rules/index.js";
import { setOutboxDepthSource, startMetricsServer } from "./metrics.js";
import { createBoltApp, type Health } from "./slack/app.js";
import { boltLogger } from "./slack/bolt-logger.js";
import { Delivery } from "./slack/delivery.js";
import { publishHome } from "./slack/listeners/home.js";
import { registerListeners } from "./slack/listeners/index.js";
import { expireRemediationRequests } from "./services/remediations.js";
import { slackNotifier } from "./slack/workflow-notifier.js";
import { renderAlert, renderAlertDetails, renderMinimal } from "./slack/render.js";
import { renderGroupMessage } from "./slack/group-message.js";
import { openConfiguredStore } from "./store/open.js";
import { SnapshotFleet } from "./snapshot/fleet.js";
import { accountRestoreLine } from "./snapshot/restorable.js";
import type { Store } from "./store/types.js";
import { stsGateway } from "./aws/sts-gateway.js";
import { TrailwatchError } from "./errors.js";

export interface RunningApp {
  stop(): Promise<void>;
  poller: Poller;
  health: HealthModel;
  notifier: Notifier;
  delivery: Delivery;
  store: Store;
  /** The rules in force; `reload` re-reads RULES_FILE (SIGHUP). */
  rules: Rules;
  accounts: AccountRegistry;
  pollers: AccountPollers;
}

/** Most severe operations first: each lookup is a call at 2/s, so the worst deletions are seen soonest. */
export function lookupOrder(): IamDeletionEventName[] {
  return [...IAM_DELETION_EVENT_NAMES].sort(
    (a, b) => SEVERITY_RANK[getCatalogEntry(b).severity] - SEVERITY_RANK[getCatalogEntry(a).severity],
  );
}

/** The longest gap between two runs of a cron schedule (over the next few runs), ms. */
export function pollIntervalMs(schedule: string): number {
  const task = cron.createTask(schedule, () => undefined);
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let gap = 60_000;
    for (let i = 1; i < runs.length; i++) gap = i === 1 ? (runs[1] as number) - (runs[0] as number) : Math.max(gap, (runs[i] as number) - (runs[i - 1] as number));
    return gap;
  } finally {
    void task.destroy();
  }
}

/** Resolves the bot's own AWS identity lazily and remembers it, so a slow STS does not block start-up. */
function botIdentityResolver(sts: STSClient, logger: Logger): () => Promise<BotIdentity | null> {
  let cached: BotIdentity | null = null;
  return async () => {
    if (cached) return cached;
    try {
      const out = await stsGateway(sts).getCallerIdentity();
      if (out.Arn && out.Account) cached = { arn: out.Arn, accountId: out.Account };
    } catch (err) {
      logger.warn(errorFields(err), "could not resolve the bot's own AWS identity (sts:GetCallerIdentity)");
    }
    return cached;
  };
}

/** A token Slack rejects is a configuration error; Slack being unreachable is an outage we ride out. */
export class SlackTokenError extends TrailwatchError {
  constructor(message: string) {
    super("slack-token-rejected", message);
  }
}

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
  /** The poller lease; by default a SQLite lease on the database file (none for an in-memory database). */
  leadership?: Leadership | null;
  /** Called when another instance took the lease over (this one stalled past its expiry): stop at once. */
  onLeaseLost?: (err: LeaseLostError) => void;
}

export async function startApp(config: Config, opts: StartOptions = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const now = opts.now ?? (() => new Date());
  // The lease comes first: a second instance must neither migrate the schema nor poll under a running one.
  const leadership: Leadership | null =
    opts.leadership !== undefined
      ? opts.leadership
      : config.postgresUrl
        ? new PostgresLeadership(config.postgresUrl, { now })
        : config.sqlitePath === ":memory:"
          ? null
          : new SqliteLeadership(config.sqlitePath, { ttlMs: config.leaseTtlMs, now });
  // PostgreSQL replicas: one that finds the lead taken serves Slack requests and waits for it (standby).
  const standbyAllowed = leadership?.allowsStandby === true;
  if (leadership) {
    const got = await leadership.acquire();
    if (!got.acquired && standbyAllowed) {
      logger.info({ owner: leadership.ownerId, database: leadership.resource, leader: got.holder.owner }, "another replica leads: serving Slack requests and waiting to take the lead");
    } else if (!got.acquired) {
      await leadership.release();
      throw new LeaseHeldError(leadership.resource, got.holder);
    } else logger.info(
      { owner: leadership.ownerId, database: leadership.resource, ...(got.tookOverFrom ? { tookOverFrom: got.tookOverFrom.owner, expiredAt: got.tookOverFrom.expiresAt.toISOString() } : {}) },
      got.tookOverFrom ? "poller lease taken over from an instance that crashed or stopped renewing it" : "poller lease acquired",
    );
  }
  // Renewed from now on: start-up (Slack checks, listening) can take longer than a short lease.
  const startKeeper = (held: Leadership): LeaseKeeper =>
    keepLease(held, {
        intervalMs: Math.max(500, Math.floor(config.leaseTtlMs / 3)),
        logger: logger.child({ component: "lease" }),
        onLost: (err) => {
          logger.fatal({ database: held.resource }, err.message);
          opts.onLeaseLost?.(err);
        },
      });
  const leaseKeeper = leadership?.isHeld ? startKeeper(leadership) : null;
  try {
    return await startWithLease(config, opts, logger, now, { leadership, leaseKeeper, startKeeper, standbyAllowed });
  } catch (err) {
    // Release at once, so a restart after fixing the problem (a rejected token) is not refused for a TTL.
    leaseKeeper?.stop();
    await leadership?.release().catch(() => undefined);
    throw err;
  }
}

async function startWithLease(
  config: Config,
  opts: StartOptions,
  logger: Logger,
  now: () => Date,
  {
    leadership,
    leaseKeeper: firstKeeper,
    startKeeper,
    standbyAllowed,
  }: { leadership: Leadership | null; leaseKeeper: LeaseKeeper | null; startKeeper: (l: Leadership) => LeaseKeeper; standbyAllowed: boolean },
): Promise<RunningApp> {
  let leaseKeeper = firstKeeper;
  let stopped = false;
  // First, before anything is opened: an invalid rules file stops start-up (RulesFileError, exit 2).
  const rules = new Rules(config.noise, config.rulesFile, logger.child({ component: "rules" }));
  // The store knows this instance by the lease's owner id: it records it on the remediations this replica executes.
  const storeLog = logger.child({ component: "store" });
  const store = instrumentedStore(
    await openConfiguredStore(config, {
      ...(leadership ? { owner: leadership.ownerId } : {}),
      onCorruptRow: (err) => {
        storeLog.error({ table: err.table, row: err.rowId, column: err.column, errorMessage: err.message }, "a stored row does not decode; it is left out of listings");
      },
    }),
  );
  setOutboxDepthSource(() => store.pendingCount());

  // Endpoints come from the standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables (SDK built-in).
  const cloudtrail = new CloudTrailClient({ region: config.aws.cloudTrailRegion, maxAttempts: 1 });
  const iam = new IAMClient({ region: config.aws.region, maxAttempts: 3 });
  const sts = new STSClient({ region: config.aws.region, maxAttempts: 3 });
  const botIdentity = botIdentityResolver(sts, logger);

  const intervalMs = pollIntervalMs(config.pollSchedule);
  const health = new HealthModel({ now, pollIntervalMs: intervalMs });
  health.registerScope(DEFAULT_SCOPE);
  // A standby replica polls nothing, so it has no CloudTrail problem of its own until it leads.
  health.setStandby(leadership !== null && !leadership.isHeld);
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
  // IAM snapshots of every watched account, each through that account's IAM client (the registry's list is read
  // at each run, so accounts discovery adds are snapshotted at the next one).
  const snapshots = new SnapshotFleet({
    store,
    accounts: () => accounts.list(),
    iamFor: (scope) => accounts.clientsForScope(scope).iam,
    logger: logger.child({ component: "snapshot" }),
    now,
    retentionDays: config.snapshot.retentionDays,
    schedule: config.snapshot.schedule,
  });
  // The delivery client posts alerts itself and owns retrying, so every attempt is visible to the outbox.
  const deliveryClient = new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    logger: boltLogger(logger, "slack-web"),
  });
  // Known bot ids spare Bolt an auth.test per incoming request; unknown (Slack down) it looks them up itself.
  const slackIds = await verifySlackToken(deliveryClient, logger);
  const delivery = new Delivery({
    botId: slackIds?.botId ?? null,
    store,
    client: deliveryClient,
    channelId: config.alertChannelId,
    logger: logger.child({ component: "delivery" }),
    now,
    postIntervalMs: config.slack.postIntervalMs,
    render: async (alert) =>
      renderAlert(alert, await store.listRemediationRequests(alert.eventId), await accountRestoreLine(alert.event, accounts.multiAccount ? alert.accountId : undefined, accounts.ownAccountId(), snapshots, logger)),
    renderMinimal,
    renderDetails: (alert) => Promise.resolve(renderAlertDetails(alert)),
    grouping: {
      // Late events can join a group as long as a poll can still find them.
      settings: { ...config.grouping, lateJoinMs: config.lookbackMinutes * 60_000 },
      // One account polled: every alert is the own account's, so no account check (and no STS call) is needed.
      render: (group, members) => renderGroupMessage(store, group, members, { snapshots, logger, ownAccountId: accounts.multiAccount ? accounts.ownAccountId() : undefined }),
    },
    onSlackResult: (r) => { health.slackResult(r); },
  });
  // Operational notices (cannot see CloudTrail, cannot post, clock skew, coverage, a watched account unreachable) go through their own outbox.
  const notifier = new Notifier({
    store,
    health,
    client: deliveryClient,
    channelId: config.noticeChannelId,
    approvers: config.approvers,
    logger: logger.child({ component: "notices" }),
    now,
    onSlackResult: (r) => { health.slackResult(r); },
    refreshHome: async (userIds) => {
      for (const id of userIds) await publishHome(listenerDeps, app.client, id);
    },
  });
  let ready = false;
  const healthRoute: Health = {
    get ready() {
      return ready;
    },
    status: () => health.publicStatus(),
    details: async () => ({
      health: health.details(),
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
  const { app, socket } = createBoltApp(config, logger, healthRoute, slackIds);
  const pollers = new AccountPollers({
    registry: accounts,
    lookupOptions: { ratePerSecond: config.lookupRate },
    store,
    logger,
    now,
    lookbackMinutes: config.lookbackMinutes,
    noise: config.noise,
    rules,
    eventNames: lookupOrder(),
    onNewAlert: () => { delivery.kick(); },
    // The health model and its notices follow the bot's own account; other accounts have their own notices.
    pollerHooks: (scope) =>
      scope !== DEFAULT_SCOPE
        ? {}
        : {
            onPollFinished: async (result) => {
              health.pollFinished(result);
              await notifier.sync();
              // A failed poll is tried again soon rather than at the next tick, so a real outage is called within
              // about a minute and a one-off error costs little.
              if (!result.completed && !stopped && !retryTimer) {
                retryTimer = setTimeout(() => {
                  retryTimer = null;
                  if (!stopped) void pollers.pollScope(scope);
                }, Math.min(intervalMs / 4, 10_000));
                retryTimer.unref();
              }
            },
            onCoverage: (n) => notifier.coverage(n),
          },
    // Per-account notices share the health notices' store-kept episodes and outbox (the notifier posts them).
    notices: new AccountNotices({ store, notifier, logger: logger.child({ component: "accounts" }), now }),
  });
  const poller = pollers.primary() as Poller;
  const metricsServer = config.metricsPort ? await startMetricsServer(config.metricsPort) : undefined;
  let retryTimer: NodeJS.Timeout | null = null;

  // The delivery client does not retry: a membership question must fail fast (and then fail closed), not
  // wait minutes while the clicker's request times out.
  const auth = new Authorizer(deliveryClient, config.responders, config.approvers, logger.child({ component: "auth" }), () => now().getTime());
  if (auth.nobodyConfigured) {
    logger.warn("RESPONDERS and APPROVERS are empty: every button and command will be refused until they are set");
  }
  const listenerDeps = {
    config,
    store,
    logger,
    now,
    iam,
    cloudtrail,
    botIdentity,
    client: app.client,
    auth,
    health: { model: health, context: notifier.context },
    snapshots,
    accounts,
    accountPollers: pollers,
  };
  registerListeners(app, listenerDeps);
  // Listed before Slack requests are served: anything executing now was left so by a crash.
  // On PostgreSQL another live replica may be executing one right now, so replicas do not reconcile them here:
  // the leader settles only the executions of replicas that are gone (orphaned below).
  const leftExecuting = standbyAllowed ? [] : await store.listExecutingRemediationRequests();
  // PostgreSQL replicas: a lock that lives as long as this process, taken before Slack requests are served (so
  // before this replica can claim an execution), tells the leader whose executions are orphaned.
  const liveness = standbyAllowed && config.postgresUrl && leadership ? new PostgresLiveness(config.postgresUrl, leadership.ownerId, { logger: logger.child({ component: "liveness" }) }) : null;
  await liveness?.start();
  const orphaned =
    liveness && leadership
      ? new OrphanedExecutions({
          store,
          liveness,
          settle: (requests) => recoverExecutingRequests(listenerDeps, slackNotifier(listenerDeps, app.client), requests),
          isLeader: () => leadership.isHeld,
          logger: logger.child({ component: "crash-recovery" }),
          now,
          // A dead replica's execution is settled within one LEASE_TTL_SECONDS of its death (default a minute).
          intervalMs: config.leaseTtlMs,
        })
      : null;

  await app.init();
  if (socket) {
    // In Socket Mode start() resolves only once the WebSocket is connected. Polling and delivery must not
    // wait for Slack, so connect in the background and keep retrying; /healthz is served meanwhile.
    const connect = (first: boolean): void => {
      (first ? app.start() : socket.client.start())
        .then(() => { logger.info({ mode: "socket", port: config.port }, "slack app connected (Socket Mode)"); })
        .catch((err: unknown) => {
          const code = (err as { data?: { error?: string } }).data?.error;
          if (code && REJECTED_TOKEN_ERRORS.has(code)) {
            opts.onFatal?.(new SlackTokenError(`SLACK_APP_TOKEN was rejected by Slack (${code})`));
            return;
          }
          if (stopped) return;
          logger.error(errorFields(err), "Socket Mode connection failed; retrying in 30 s (polling continues)");
          setTimeout(() => { connect(false); }, 30_000).unref();
        });
    };
    connect(true);
  } else {
    await app.start();
    logger.info({ mode: "http", port: config.port }, "slack app started");
  }

  rules.watch();
  // Leader-only work: polling, outbox delivery and snapshots. With SQLite the lease is held by now; a PostgreSQL
  // replica in standby starts it when it takes the lead.
  let task: ReturnType<typeof cron.schedule> | undefined;
  let firstPoll: Promise<unknown> = Promise.resolve();
  const lead = (): void => {
    health.setStandby(false);
    delivery.start();
    task = cron.schedule(
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
          info: (m: string) => { logger.debug({ component: "cron" }, m); },
          warn: (m: string) => { logger.debug({ component: "cron" }, m); },
          error: (m: string | Error) => { logger.error({ component: "cron" }, String(m)); },
          debug: (m: string | Error) => { logger.debug({ component: "cron" }, String(m)); },
        },
      },
    );
    // A first IAM snapshot of every watched account now (restores need one from before a deletion), then on SNAPSHOT_SCHEDULE.
    snapshots.start();
    // A first poll right away, so a restart (or a new leader) catches up without waiting for the schedule.
    firstPoll = pollers.tick().catch((err: unknown) => { logger.error(errorFields(err), "first poll failed"); });
    // Executions a dead replica left behind: now (the previous leader may be one) and then periodically.
    orphaned?.start();
  };
  let standbyTimer: NodeJS.Timeout | undefined;
  if (!leadership || leadership.isHeld) lead();
  else if (standbyAllowed) {
    // The leader's lock goes with its session, so a dead leader is replaced within one retry (a third of LEASE_TTL_SECONDS).
    let trying = false;
    const held = leadership;
    standbyTimer = setInterval(() => {
      if (trying || stopped) return;
      trying = true;
      held
        .acquire()
        .then((got) => {
          if (!got.acquired || stopped) return;
          clearInterval(standbyTimer);
          standbyTimer = undefined;
          logger.info({ owner: held.ownerId, database: held.resource }, "took the lead: polling, delivering and taking snapshots");
          leaseKeeper = startKeeper(held);
          lead();
        })
        .catch((err: unknown) => { logger.warn(errorFields(err), "could not try for the lead; trying again"); })
        .finally(() => {
          trying = false;
        });
    }, Math.max(500, Math.floor(config.leaseTtlMs / 3)));
    standbyTimer.unref();
  }
  // Remediation requests expire (REMEDIATION_EXPIRY_HOURS); approving checks expiry too, this tidies messages.
  const expiryTimer = setInterval(() => {
    expireRemediationRequests(listenerDeps, slackNotifier(listenerDeps, app.client)).catch((err: unknown) => { logger.error(errorFields(err), "expiring remediation requests failed"); });
  }, 60_000);
  expiryTimer.unref();
  // Problems that come from silence (no poll completing, Slack failing for 5 minutes) need a clock tick.
  // Only the leader posts notices: replicas would otherwise each post the same one.
  const healthTimer = setInterval(() => {
    if (task) void notifier.sync();
  }, 5_000);
  healthTimer.unref();
  const recovery =
    leftExecuting.length === 0
      ? Promise.resolve()
      : recoverExecutingRequests(listenerDeps, slackNotifier(listenerDeps, app.client), leftExecuting)
          .then((counts) => { logger.info({ counts }, "crash recovery finished"); })
          .catch((err: unknown) => { logger.error(errorFields(err), "crash recovery failed"); });
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
            .catch((err: unknown) => { logger.error(errorFields(err), "could not re-list the organization's accounts; keeping the current list"); });
        }, config.accounts.refreshMinutes * 60_000)
      : undefined;
  refreshTimer?.unref();
  ready = true;
  logger.info(
    {
      schedule: config.pollSchedule,
      lookbackMinutes: config.lookbackMinutes,
      lookupRate: config.lookupRate,
      channel: config.alertChannelId,
      rulesFile: config.rulesFile,
      rules: rules.current().size,
      accounts: pollers.size,
    },
    "trailwatch ready",
  );

  return {
    poller,
    health,
    notifier,
    delivery,
    store,
    rules,
    accounts,
    pollers,
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      rules.close();
      clearInterval(expiryTimer);
      clearInterval(healthTimer);
      if (retryTimer) clearTimeout(retryTimer);
      if (refreshTimer) clearInterval(refreshTimer);
      if (standbyTimer) clearInterval(standbyTimer);
      await task?.stop();
      await snapshots.stop();
      // The first poll counts as running below: a hanging account must not hold shutdown past the deadline.
      void firstPoll;
      await recovery;
      await orphaned?.stop();
      // Let a running poll finish its current page; the cursor only advances when a poll completes.
      const deadline = Date.now() + 20_000;
      while (pollers.isRunning && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await delivery.stop();
      await app.stop().catch((err: unknown) => { logger.warn(errorFields(err), "error while stopping the Slack app"); });
      await new Promise((r) => {
        if (metricsServer) metricsServer.close(r);
        else r(undefined);
      });
      await store.close();
      // Last: until here this replica may still finish an execution, which must not look orphaned meanwhile.
      await liveness?.stop();
      leaseKeeper?.stop();
      await leadership?.release();
      logger.info("trailwatch stopped");
    },
  };
}
