// The outbox for chains, digests and details replies, in process against the fake Slack: exactly once
// across lost answers and restarts, messages grow in place, forged messages never count.
import { LogLevel, WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { DEFAULT_GROUPING } from "../../src/grouping/grouper.js";
import { createLogger } from "../../src/log.js";
import { Delivery } from "../../src/slack/delivery.js";
import { renderGroupMessage } from "../../src/slack/group-message.js";
import { renderAlert, renderAlertDetails, renderMinimal } from "../../src/slack/render.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { startFakeSlack, type FakeSlack, type SlackMessage } from "../fakes/slack.js";
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

function delivery(withDetails = true): Delivery {
  const client = new WebClient("xoxb-test", { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 }, timeout: 2000, logLevel: LogLevel.ERROR });
  const d = new Delivery({
    store,
    client,
    channelId: CHANNEL,
    logger: createLogger("silent"),
    now: () => new Date(),
    postIntervalMs: 0,
    render: async (a) => renderAlert(a, []),
    renderMinimal,
    ...(withDetails ? { renderDetails: async (a: Parameters<typeof renderAlertDetails>[0]) => renderAlertDetails(a) } : {}),
    grouping: { settings: DEFAULT_GROUPING, render: (g, m) => renderGroupMessage(store, g, m), digestUpdateIntervalMs: 0 },
    maxBackoffMs: 0,
  });
  return d;
}

let n = 0;
async function add(eventName: string, params: Record<string, string>, secondsAgo: number): Promise<string> {
  const eventId = `ev-${++n}`;
  const ev = normalizeRecord(iamRecord({ eventId, eventName, eventTime: new Date(Date.now() - secondsAgo * 1000), requestParameters: params }));
  await store.insertAlert({ eventId, eventName, severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, new Date(Date.now() - 5_000));
  return eventId;
}

/** Drains like the loop does, until nothing is left to do (or `rounds` pass). */
async function drain(d: Delivery, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const did = await d.drainOnce();
    if (did === 0 && (await store.pendingCount()) === 0) return;
  }
}

const top = (): SlackMessage[] => slack.messages(CHANNEL).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
const replies = (ts: string): SlackMessage[] => slack.messages(CHANNEL).filter((m) => m.thread_ts === ts && m.ts !== ts);

describe("single alerts", () => {
  test("an alert alone gets its details reply (risks, recovery, every fact) in its thread, once", async () => {
    await add("DeleteRole", { roleName: "app" }, 60);
    const d = delivery();
    await drain(d);
    await drain(d);
    expect(top()).toHaveLength(1);
    const r = replies(top()[0]!.ts);
    expect(r).toHaveLength(1);
    expect(r[0]!.text).toMatch(/^Details: \[HIGH\] DeleteRole/);
    expect(JSON.stringify(r[0]!.blocks)).toContain("*Recovery:*");
  });

  test("a details reply whose answer was lost is found in the thread after a restart, not posted twice", async () => {
    await add("DeleteUser", { userName: "bob" }, 60);
    await drain(delivery(false)); // the alert itself
    expect(replies(top()[0]!.ts)).toHaveLength(0);
    slack.dropResponsesFor("chat.postMessage", 1);
    await delivery().drainOnce(); // details reply sent, answer lost
    expect(replies(top()[0]!.ts)).toHaveLength(1);
    await drain(delivery());
    expect(replies(top()[0]!.ts)).toHaveLength(1);
    expect(slack.callsTo("conversations.replies").length).toBeGreaterThan(0);
  });
});

describe("chains", () => {
  test("a chain of one is posted as an alert, then grows in place when the next step arrives", async () => {
    await add("DetachRolePolicy", { roleName: "app", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, 60);
    const d = delivery();
    await drain(d);
    expect(top()).toHaveLength(1);
    const ts = top()[0]!.ts;
    expect(top()[0]!.text).toMatch(/^\[HIGH\] DetachRolePolicy/);
    await add("DeleteRole", { roleName: "app" }, 55);
    await drain(d);
    expect(top()).toHaveLength(1);
    expect(top()[0]!.ts).toBe(ts);
    expect(top()[0]!.text).toContain("Deletion chain");
    expect((await store.listAlerts({ limit: 10 })).every((a) => a.delivery === "posted" && a.messageTs === ts)).toBe(true);
  });

  test("a chain whose post answer was lost is recorded from the channel after a restart, not posted twice", async () => {
    for (const [name, params] of [
      ["RemoveRoleFromInstanceProfile", { roleName: "web", instanceProfileName: "web" }],
      ["DeleteRolePolicy", { roleName: "web", policyName: "inline" }],
      ["DeleteRole", { roleName: "web" }],
    ] as const) {
      await add(name, params, 60);
    }
    slack.dropResponsesFor("chat.postMessage", 1);
    await delivery().drainOnce();
    expect(top()).toHaveLength(1); // Slack has it; the bot does not know
    // Someone else forges a message with the same group metadata: it must not be taken for ours.
    slack.addForeignMessage(CHANNEL, { text: "forged", metadata: top()[0]!.metadata! });
    await drain(delivery());
    const ours = top().filter((m) => m.text !== "forged");
    expect(ours).toHaveLength(1);
    const group = (await store.listAlerts({ limit: 1 }))[0]!;
    expect(group.messageTs).toBe(ours[0]!.ts);
  });
});

describe("digests", () => {
  test("a storm is one message; every event lands in exactly one thread reply, even when a reply's answer is lost", async () => {
    for (let i = 0; i < 120; i++) await add("DeleteUser", { userName: `u${i}` }, 100 - i * 0.5);
    const d = delivery();
    // Post the digest, then lose the answer to the first reply.
    await d.drainOnce();
    expect(top()).toHaveLength(1);
    slack.dropResponsesFor("chat.postMessage", 1);
    await d.drainOnce();
    await drain(delivery()); // a restart settles the in-doubt reply and finishes the thread
    expect(top()).toHaveLength(1);
    const thread = replies(top()[0]!.ts);
    const text = thread.map((m) => JSON.stringify(m.blocks)).join("\n");
    for (let i = 0; i < 120; i++) expect(text.split(`\`u${i}\``).length - 1).toBe(1);
    expect(top()[0]!.text).toContain("Deletion storm: 120 IAM deletions");
    expect(await store.pendingCount()).toBe(0);
  });
});
