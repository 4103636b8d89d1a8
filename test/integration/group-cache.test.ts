// A user group's membership may be at most ten minutes old. Time must pass for that, so this file runs the
// app in-process with a clock the test controls (everything else as in production: HTTP receiver, signed
// requests, the fake Slack Web API, whose usergroups.users.list starts failing half-way).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { readConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startApp, type RunningApp } from "../../src/main.js";
import { ActionIds } from "../../src/slack/action-ids.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { startFakeSlack, type FakeSlack } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction, sendEvent } from "../fakes/slack-request.js";
import { freePort } from "../support/ports.js";
import { iamRecord } from "../support/records.js";

const SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const MEMBER = "UMEMBER01"; // a responder only through the group SONCALL01
const ROLE = "ledger-writer-role";
const MINUTE = 60_000;
let slack: FakeSlack;
let cloudtrail: FakeCloudTrail;
let app: RunningApp;
let url: string;
let eventId: string;
let offsetMs = 0;

beforeAll(async () => {
  slack = await startFakeSlack({ usergroups: { SONCALL01: [MEMBER] } });
  cloudtrail = await startFakeCloudTrail();
  // This file runs in its own worker process, so these settings do not leak into other test files.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url,
    AWS_ENDPOINT_URL_IAM: "http://127.0.0.1:9",
    AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9",
    AWS_ACCESS_KEY_ID: "AKIATESTTESTTESTTEST",
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const dbPath = join(mkdtempSync(join(tmpdir(), "tw-groups-")), "t.db");
  const seed = await KyselyStore.openSqlite(dbPath);
  const ev = normalizeRecord(iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() - 5 * MINUTE), requestParameters: { roleName: ROLE } }));
  eventId = ev.eventId;
  await seed.insertAlert({ eventId, eventName: "DeleteRole", severity: "high", severityReason: "test", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, new Date());
  await seed.close();
  const port = await freePort();
  const config = readConfig({
    SLACK_BOT_TOKEN: "xoxb-groups",
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${slack.url}/api/`,
    ALERT_CHANNEL_ID: "CGROUPS01",
    PORT: String(port),
    DATABASE_URL: `sqlite:${dbPath}`,
    POLL_SCHEDULE: "0 0 1 1 *",
    SLACK_POST_INTERVAL_MS: "0",
    RESPONDERS: "SONCALL01",
  });
  app = await startApp(config, { logger: createLogger("silent"), now: () => new Date(Date.now() + offsetMs) });
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await cloudtrail?.close();
});

/** Opens the Home tab as the member and returns what was published. */
async function openHome(): Promise<string> {
  const before = slack.callsTo("views.publish").length;
  await sendEvent(url, SECRET, { type: "app_home_opened", user: MEMBER, channel: "D0MEMBER", tab: "home" });
  await slack.waitFor((s) => s.callsTo("views.publish").length > before, 10_000, "home published");
  return JSON.stringify(slack.callsTo("views.publish").at(-1)?.params.view);
}

test("while Slack fails, a group's last answer counts for ten minutes, then its members may no longer act", async () => {
  expect(await openHome()).toContain(ROLE);

  // Slack's user-group API fails from now on.
  slack.failNext("usergroups.users.list", 10_000, { error: "fatal_error" });
  offsetMs = 9 * MINUTE;
  expect(await openHome()).toContain(ROLE);

  offsetMs = 11 * MINUTE;
  const home = await openHome();
  expect(home).toContain("only to responders and approvers");
  expect(home).toContain("Slack cannot confirm user-group membership right now");
  expect(home).not.toContain(ROLE);

  // Group-based permissions are refused too, and the refusal is recorded.
  const alert = (await app.store.getAlert(eventId))!;
  await sendBlockAction(url, SECRET, blockActionPayload({ userId: MEMBER, actionId: ActionIds.acknowledge, value: eventId, channelId: alert.channelId ?? "CGROUPS01", messageTs: alert.messageTs ?? "1.1" }));
  const refusal = await slack.waitFor((s) => s.ephemerals.find((e) => e.user === MEMBER && /not allowed/.test(e.text ?? "")), 10_000, "refusal");
  expect(refusal.text).toContain("Slack cannot confirm user-group membership right now");
  const recorded = (await app.store.listActions({ limit: 10 })).filter((a) => a.actor === MEMBER && a.action === "acknowledge");
  expect(recorded.map((a) => a.result)).toEqual(["refused"]);
  expect((await app.store.getAlert(eventId))?.status).toBe("open");
  expect(slack.callsTo("usergroups.users.list").filter((c) => c.error === "fatal_error").length).toBeGreaterThanOrEqual(2);

  // Once Slack answers again, membership counts again.
  slack.reset();
  slack.setUsergroup("SONCALL01", [MEMBER]);
  expect(await openHome()).toContain(ROLE);
}, 60_000);
