// Notices: one per problem episode, a recovery that counts what was caught up, no repost after a restart,
// approvers DMed when the alert channel is unusable, untrusted text escaped. Stubbed WebClient, real store.
import type { WebClient } from "@slack/web-api";
import { describe, expect, test } from "vitest";
import { HealthModel } from "../../src/health/model.js";
import { coverageMessage, Notifier, problemMessage } from "../../src/health/notices.js";
import { createLogger } from "../../src/log.js";
import type { PollResult } from "../../src/poller.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { iamRecord } from "../support/records.js";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";

const CHANNEL = "CALERTS01";

function clock(start = Date.parse("2026-12-01T10:00:00Z")) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

function stubSlack(opts: { channelError?: () => string | null } = {}) {
  const posts: { channel: string; text: string; blocks: unknown[] }[] = [];
  const client = {
    chat: {
      postMessage: async (a: { channel: string; text: string; blocks: unknown[] }) => {
        const err = a.channel === CHANNEL ? opts.channelError?.() : null;
        if (err) throw Object.assign(new Error(`An API error occurred: ${err}`), { code: "slack_webapi_platform_error", data: { ok: false, error: err } });
        posts.push(a);
        return { ok: true, ts: `${posts.length}.000` };
      },
    },
    usergroups: { users: { list: async () => ({ ok: true, users: ["UAPPROVER2", "UAPPROVER3"] }) } },
  };
  return { client: client as unknown as WebClient, posts };
}

const ok = (): PollResult => ({ scope: "default", start: new Date(), end: new Date(), lookupCalls: 1, eventsSeen: 0, newAlerts: 0, muted: 0, malformed: 0, failedLookups: [], completed: true, strategy: "eventsource" });
const denied = (message = "not authorized to perform: cloudtrail:LookupEvents"): PollResult => ({
  ...ok(),
  completed: false,
  failedLookups: ["EventSource=iam.amazonaws.com"],
  failure: { kind: "denied", code: "AccessDeniedException", message, missingPermission: "cloudtrail:LookupEvents" },
});

function setup(store: KyselyStore, c: ReturnType<typeof clock>, slack = stubSlack()) {
  const health = new HealthModel({ now: c.now, pollIntervalMs: 60_000 });
  health.registerScope("default");
  const notifier = new Notifier({ store, health, client: slack.client, channelId: CHANNEL, approvers: ["UAPPROVER1", "SAPPROVERS"], logger: createLogger("silent"), now: c.now, onSlackResult: (r) => { health.slackResult(r); } });
  return { health, notifier, slack };
}

describe("CloudTrail blind episode", () => {
  test("one notice per episode naming LookupEvents and the fix; a recovery notice counts the deletions caught up", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { health, notifier, slack } = setup(store, c);
    for (let i = 0; i < 6; i++) {
      health.pollFinished(denied());
      await notifier.sync();
      c.advance(10_000);
    }
    expect(slack.posts).toHaveLength(1);
    const text = JSON.stringify(slack.posts[0]?.blocks);
    expect(text).toContain("LookupEvents");
    expect(text).toContain("cloudtrail:LookupEvents");
    expect(text).toMatch(/How to fix/);
    expect(text).toMatch(/90 days/);

    // Two deletions made while blind are found by the recovering poll.
    const since = new Date(c.now().getTime() - 60_000);
    for (const id of ["d1", "d2"]) {
      const ev = normalizeRecord(iamRecord({ eventId: id, eventName: "DeleteRole", eventTime: since }));
      await store.insertAlert({ eventId: id, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, c.now());
    }
    health.pollFinished(ok());
    await notifier.sync();
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[1]?.text).toMatch(/can see CloudTrail again/);
    expect(JSON.stringify(slack.posts[1]?.blocks)).toMatch(/2 deletions\*/);
    await notifier.sync();
    expect(slack.posts).toHaveLength(2);
  });

  test("a restart with the problem still there does not post the notice again", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const first = setup(store, c);
    for (let i = 0; i < 3; i++) first.health.pollFinished(denied());
    await first.notifier.sync();
    expect(first.slack.posts).toHaveLength(1);

    c.advance(60_000);
    const second = setup(store, c);
    // Not yet blind in the new process (one failure): the open episode must neither be closed nor reposted.
    second.health.pollFinished(denied());
    await second.notifier.sync();
    for (let i = 0; i < 2; i++) second.health.pollFinished(denied());
    await second.notifier.sync();
    expect(second.slack.posts).toHaveLength(0);
  });

  test("untrusted text in an AWS error message cannot ping or link", () => {
    const msg = problemMessage(
      { code: "cloudtrail_blind", scope: "default", since: new Date(), degrades: true, failure: { kind: "denied", code: "AccessDeniedException", message: "<!channel> <https://evil|click>" } },
      { alertChannelId: CHANNEL, scopeLabel: () => "this AWS account" },
    );
    const text = JSON.stringify(msg.blocks);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<https://evil");
    expect(text).toContain("&lt;!channel&gt;");
  });

  test("missing credentials are said as such, not as a denial", () => {
    const msg = problemMessage(
      { code: "cloudtrail_blind", scope: "default", since: new Date(), degrades: true, failure: { kind: "no-credentials", code: "CredentialsProviderError", message: "x" } },
      { alertChannelId: CHANNEL, scopeLabel: () => "this AWS account" },
    );
    expect(JSON.stringify(msg.blocks)).toMatch(/no AWS credentials/);
    expect(JSON.stringify(msg.blocks)).not.toMatch(/access denied/);
  });
});

describe("alert channel unusable", () => {
  test("not_in_channel: the notice goes to every approver by DM (user groups expanded)", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const slack = stubSlack({ channelError: () => "not_in_channel" });
    const { health, notifier } = setup(store, c, slack);
    health.slackResult({ ok: false, error: "not_in_channel" });
    await notifier.sync();
    expect(health.publicStatus()).toEqual({ status: "degraded", problems: ["slack_unusable"] });
    expect(slack.posts.map((p) => p.channel).sort()).toEqual(["UAPPROVER1", "UAPPROVER2", "UAPPROVER3"]);
    expect(slack.posts[0]?.text).toContain(`<#${CHANNEL}>`);
    expect(JSON.stringify(slack.posts[0]?.blocks)).toContain("/invite @trailwatch");
    await notifier.sync();
    expect(slack.posts).toHaveLength(3);
  });

  test("coverage notices are said once per database", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { notifier, slack } = setup(store, c);
    await notifier.coverage({ scope: "default", kind: "first-start", watchingFrom: c.now() });
    await notifier.coverage({ scope: "default", kind: "first-start", watchingFrom: c.now() });
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]?.text).toMatch(/watching this AWS account/);
  });

  test("after downtime beyond 90 days the notice names the range that cannot be checked any more", () => {
    const from = new Date("2026-06-01T00:00:00Z");
    const to = new Date("2026-09-02T00:00:00Z");
    const msg = coverageMessage({ scope: "default", kind: "gap", from, to }, { alertChannelId: CHANNEL, scopeLabel: () => "this AWS account" });
    const text = JSON.stringify(msg.blocks);
    expect(text).toMatch(/cannot be checked/);
    expect(text).toContain(`<!date^${from.getTime() / 1000}^`);
    expect(text).toContain(`<!date^${to.getTime() / 1000}^`);
  });
});
