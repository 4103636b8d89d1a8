// Remediation expiry needs time to pass, so this file runs the app in-process with a clock the test
// controls (everything else is as in production: HTTP receiver, signed requests, fake Slack, moto).
// It also checks that the record of actions survives a restart and exports as JSON lines.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ListAccountAliasesCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startApp, type RunningApp } from "../../src/main.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { startFakeSlack, type FakeSlack, type SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction, sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import { nodeArgs, REPO_ROOT } from "../support/app-build.js";
import { startMoto, TEST_CREDENTIALS, type Moto } from "../support/moto.js";
import { freePort } from "../support/ports.js";
import { iamRecord } from "../support/records.js";
import { buttonValue } from "../support/slack-helpers.js";

const SECRET = "e0e1e2e3e4e5e6e7e8e9eaebecedeeef";
const CHANNEL = "CEXPIRY01";
let slack: FakeSlack;
let cloudtrail: FakeCloudTrail;
let moto: Moto;
let app: RunningApp;
let url: string;
let dbPath: string;
let offsetMs = 0;

beforeAll(async () => {
  slack = await startFakeSlack();
  cloudtrail = await startFakeCloudTrail();
  moto = await startMoto();
  // This file runs in its own worker process, so these settings do not leak into other test files.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url,
    AWS_ENDPOINT_URL_IAM: moto.endpoint,
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const port = await freePort();
  dbPath = join(mkdtempSync(join(tmpdir(), "tw-expiry-")), "t.db");
  const config = readConfig({
    SLACK_BOT_TOKEN: "xoxb-expiry",
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${slack.url}/api/`,
    ALERT_CHANNEL_ID: CHANNEL,
    PORT: String(port),
    DATABASE_URL: `sqlite:${dbPath}`,
    POLL_SCHEDULE: "*/2 * * * * *",
    SLACK_POST_INTERVAL_MS: "0",
    RESPONDERS: "UREQ0001",
    APPROVERS: "UAPP0001",
    REMEDIATION_EXPIRY_HOURS: "2",
  });
  app = await startApp(config, { logger: createLogger("silent"), now: () => new Date(Date.now() + offsetMs) });
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await app.stop();
  await slack.close();
  await cloudtrail.close();
  await moto.stop();
});

const click = (user: string, actionId: string, value: string, m: SlackMessage) =>
  sendBlockAction(url, SECRET, blockActionPayload({ userId: user, actionId, value, channelId: m.channel, messageTs: m.ts }));

test("an expired request is never executed, says so, and the record of actions exports as JSON lines", async () => {
  cloudtrail.addEvent(iamRecord({ eventId: "eeeeeeee-0000-0000-0000-000000000001", eventName: "DeleteAccountAlias", eventTime: new Date(Date.now() - 60_000), requestParameters: { accountAlias: "acme-prod" } }));
  // Notices share the alert channel here (no NOTICE_CHANNEL_ID): the first-start notice may come first.
  const alert = await slack.waitFor((s) => s.messages(CHANNEL).find((m) => m.metadata?.event_type === "trailwatch_alert" && (!m.thread_ts || m.thread_ts === m.ts)), 40_000, "alert");

  await click("UREQ0001", "alert_remediate", "eeeeeeee-0000-0000-0000-000000000001", alert);
  const view = await slack.waitFor((s) => s.views.find((v) => v.updates > 0), 10_000, "plans");
  await sendViewSubmission(
    url,
    SECRET,
    viewSubmissionPayload({
      userId: "UREQ0001",
      callbackId: "remediate_modal",
      privateMetadata: String(view.view.private_metadata),
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: "x" }, value: "recreate-account-alias" } } } },
    }),
  );
  // The alert's thread also holds its details reply; the request is the reply with Approve/Reject.
  const request = await slack.waitFor(
    (s) => s.messages(CHANNEL).find((m) => m.thread_ts === alert.ts && m.ts !== alert.ts && JSON.stringify(m.blocks ?? []).includes("remediation_approve")),
    10_000,
    "request",
  );
  const requestId = buttonValue(request, "remediation_approve");

  offsetMs = 3 * 3600_000; // three hours later: past REMEDIATION_EXPIRY_HOURS=2
  await click("UAPP0001", "remediation_approve", requestId, request);
  await slack.waitFor((s) => s.ephemerals.some((e) => e.user === "UAPP0001" && (e.text ?? "").includes("expired")), 10_000, "expired notice");
  await slack.waitFor((s) => JSON.stringify(s.message(CHANNEL, request.ts)?.blocks).includes("Expired"), 10_000, "request marked expired");
  expect((await moto.iam().send(new ListAccountAliasesCommand({}))).AccountAliases ?? []).toEqual([]);

  // The record survives the process (stop = restart) and exports as JSON lines.
  await app.stop();
  const { stdout } = await promisify(execFile)(process.execPath, nodeArgs("src/cli/export-actions.ts"), {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: `sqlite:${dbPath}` },
  });
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { actor: string; action: string; result: string; requestId: string | null; at: string });
  expect(lines.map((l) => `${l.actor} ${l.action} ${l.result}`)).toEqual([
    "UREQ0001 remediation-request ok",
    "system remediation-expire ok",
    "UAPP0001 remediation-approve noop",
  ]);
  expect(lines.every((l) => !Number.isNaN(Date.parse(l.at)))).toBe(true);
  expect(lines[0]?.requestId).toBe(requestId);
});
