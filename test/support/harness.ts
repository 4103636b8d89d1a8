// Starts fakes (Slack Web API, CloudTrail LookupEvents) and optionally moto, then the real app process
// pointed at them through SLACK_API_URL and the standard AWS_ENDPOINT_URL_* variables.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeCloudTrail, type FakeCloudTrail, type FakeCloudTrailOptions } from "../fakes/cloudtrail.js";
import { startFakeSlack, type FakeSlack, type SlackMessage } from "../fakes/slack.js";
import type { ActionRecord } from "../../src/store/types.js";
import { motoAccountResolver } from "./accounts.js";
import { recordedActions, waitForAction } from "./actions.js";
import { baseEnv, runApp, type AppProcess } from "./app-process.js";
import { startMoto, type Moto } from "./moto.js";
import { freePort } from "./ports.js";
import { alertEventId, topLevel } from "./slack-helpers.js";

// Shaped like a real Slack signing secret (32 lowercase hex): start-up refuses anything else.
export const SIGNING_SECRET = "0123456789abcdef0123456789abcdef";
export const ALERT_CHANNEL = "CALERTS01";
/** Operational notices go to their own channel in tests, so alert counts stay exact. */
export const NOTICE_CHANNEL = "CNOTICES1";

export interface Harness {
  slack: FakeSlack;
  cloudtrail: FakeCloudTrail;
  moto?: Moto | undefined;
  dataDir: string;
  /** The app's record of actions (in the harness's default SQLite database), oldest first. */
  actions: () => Promise<ActionRecord[]>;
  waitForAction: (pred: (a: ActionRecord) => boolean, timeoutMs?: number) => Promise<ActionRecord>;
  env: (extra?: Record<string, string | undefined>) => NodeJS.ProcessEnv;
  start: (extra?: Record<string, string | undefined>) => Promise<AppProcess>;
  close: () => Promise<void>;
}

export async function startHarness(
  opts: { moto?: boolean; slackRateLimit?: number; cloudtrail?: FakeCloudTrailOptions; perAccountCloudTrail?: boolean } = {},
): Promise<Harness> {
  const slack = await startFakeSlack(opts.slackRateLimit ? { postRateLimitPerChannel: opts.slackRateLimit } : {});
  const moto = opts.moto ? await startMoto() : undefined;
  // Many accounts: the fake serves each account its own events, telling accounts apart by access key (via moto).
  const cloudtrail = await startFakeCloudTrail({
    ...opts.cloudtrail,
    ...(opts.perAccountCloudTrail && moto ? { accountOf: motoAccountResolver(moto.endpoint) } : {}),
  });
  const dataDir = mkdtempSync(join(tmpdir(), "trailwatch-data-"));
  const apps: AppProcess[] = [];
  const dbPath = join(dataDir, "trailwatch.db");
  const env = (extra: Record<string, string | undefined> = {}) =>
    baseEnv({
      SLACK_BOT_TOKEN: "xoxb-test-token",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${slack.url}/api/`,
      ALERT_CHANNEL_ID: ALERT_CHANNEL,
      NOTICE_CHANNEL_ID: NOTICE_CHANNEL,
      DATABASE_URL: `sqlite:${dbPath}`,
      AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url,
      // IAM and STS go to moto when a test needs them; otherwise to a closed port (fail fast, never AWS).
      AWS_ENDPOINT_URL_IAM: moto?.endpoint ?? "http://127.0.0.1:9",
      AWS_ENDPOINT_URL_STS: moto?.endpoint ?? "http://127.0.0.1:9",
      // Every second: tests wait for polls, not measure them (an idle poll is one LookupEvents call).
      POLL_SCHEDULE: "* * * * * *",
      SLACK_POST_INTERVAL_MS: "50",
      ...extra,
    });
  return {
    slack,
    cloudtrail,
    moto,
    dataDir,
    actions: () => recordedActions(dbPath),
    waitForAction: (pred, timeoutMs) => waitForAction(dbPath, pred, timeoutMs),
    env,
    async start(extra = {}) {
      const port = String(await freePort());
      const app = runApp(env({ PORT: port, ...extra }));
      apps.push(app);
      await app.waitHealthy();
      return app;
    },
    async close() {
      for (const a of apps) await a.kill();
      await slack.close();
      await cloudtrail.close();
      await moto?.stop();
    },
  };
}

export const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);

/** Event ids of the alert messages (not thread replies) in the alert channel, in channel order. */
export function alertEventIds(h: Harness): string[] {
  return topLevel(h.slack, ALERT_CHANNEL).map((m) => String(alertEventId(m)));
}

/** Adds a CloudTrail record to the fake and waits for the alert message the app posts for it. */
export function alertPostedFor(h: Harness, record: Record<string, unknown>, timeoutMs = 40_000): Promise<SlackMessage> {
  const added = h.cloudtrail.addEvent(record);
  return h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => alertEventId(m) === added.EventId), timeoutMs, `alert for ${String(record.eventName)}`);
}
