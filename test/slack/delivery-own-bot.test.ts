// Crash recovery must not trust metadata alone: a message anyone posted with an alert's metadata must not
// make the outbox believe the alert was delivered.
import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { createLogger } from "../../src/log.js";
import { alertMetadata } from "../../src/slack/action-ids.js";
import { Delivery } from "../../src/slack/delivery.js";
import { renderAlert, renderMinimal } from "../../src/slack/render.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { FAKE_SLACK_IDENTITY, startFakeSlack, type FakeSlack } from "../fakes/slack.js";
import { iamRecord } from "../support/records.js";

const CHANNEL = "CALERTS01";
let slack: FakeSlack;
let store: KyselyStore;

beforeEach(async () => {
  slack = await startFakeSlack();
  store = await KyselyStore.openSqlite(":memory:");
});
afterEach(async () => {
  await store.close();
  await slack.close();
});

function delivery(botId: string | null): Delivery {
  const client = new WebClient("xoxb-test", { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
  return new Delivery({
    store,
    client,
    channelId: CHANNEL,
    logger: createLogger("silent"),
    now: () => new Date(),
    postIntervalMs: 0,
    render: async (a) => renderAlert(a, []),
    renderMinimal,
    botId,
  });
}

async function inDoubtAlert(eventId: string): Promise<void> {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date(Date.now() - 60_000), requestParameters: { roleName: "app" } }));
  await store.insertAlert({ eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, new Date());
  // An earlier attempt whose answer never came back.
  await store.markPostAttempt(eventId, new Date(Date.now() - 5_000));
}

const alertPosts = () => slack.messages(CHANNEL).filter((m) => m.bot_id === FAKE_SLACK_IDENTITY.botId);

describe("settling an in-doubt post from channel history", () => {
  test("a message with the alert's metadata posted by someone else does not suppress the alert", async () => {
    await inDoubtAlert("ev-forged");
    slack.addForeignMessage(CHANNEL, { text: "nothing to see", metadata: alertMetadata("ev-forged") });
    const d = delivery(null);
    expect(await d.deliver((await store.getAlert("ev-forged"))!)).toBe(true);
    expect(alertPosts()).toHaveLength(1);
    expect(alertPosts()[0]?.text).toContain("DeleteRole");
    expect((await store.getAlert("ev-forged"))?.messageTs).toBe(alertPosts()[0]?.ts);
    // The bot id was learnt from auth.test since start-up did not provide it.
    expect(slack.callsTo("auth.test")).toHaveLength(1);
  });

  test("our own earlier post is recorded instead of posting again", async () => {
    await inDoubtAlert("ev-ours");
    const earlier = await new WebClient("xoxb-test", { slackApiUrl: `${slack.url}/api/` }).chat.postMessage({ channel: CHANNEL, text: "alert", metadata: alertMetadata("ev-ours") });
    const d = delivery(FAKE_SLACK_IDENTITY.botId);
    expect(await d.deliver((await store.getAlert("ev-ours"))!)).toBe(true);
    expect(alertPosts()).toHaveLength(1);
    expect((await store.getAlert("ev-ours"))?.messageTs).toBe(earlier.ts);
    expect(slack.callsTo("auth.test")).toHaveLength(0);
  });

  test("when Slack cannot tell us our bot id, the alert stays in doubt and is retried later", async () => {
    await inDoubtAlert("ev-later");
    slack.failNext("auth.test", 1, "http503");
    const d = delivery(null);
    expect(await d.deliver((await store.getAlert("ev-later"))!)).toBe(false);
    expect(slack.messages(CHANNEL)).toHaveLength(0);
    const after = await store.getAlert("ev-later");
    expect(after?.delivery).toBe("pending");
    expect(after?.inDoubtSince).toBeInstanceOf(Date);
  });
});
