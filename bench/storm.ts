// Storm benchmark: 600 IAM deletions by one actor within a few minutes (an attacker's clean-up, or a
// `terraform destroy`), through the real poller and delivery against the fakes: LookupEvents throttled at
// 2 calls/s, Slack limited to 1 post and 1 update per second per channel, posts paced at the default
// SLACK_POST_INTERVAL_MS. Reports top-level posts, time until every event is visible, and 429s.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { WebClient } from "@slack/web-api";
import { CloudTrailLookup } from "../src/cloudtrail/lookup.js";
import { DEFAULT_GROUPING } from "../src/grouping/grouper.js";
import { createLogger } from "../src/log.js";
import { lookupOrder } from "../src/main.js";
import { Poller } from "../src/poller.js";
import { Delivery } from "../src/slack/delivery.js";
import { renderGroupMessage } from "../src/slack/group-message.js";
import { renderAlert, renderAlertDetails, renderMinimal } from "../src/slack/render.js";
import { KyselyStore } from "../src/store/kysely.js";
import { startFakeCloudTrail } from "../test/fakes/cloudtrail.js";
import { FAKE_SLACK_IDENTITY, startFakeSlack } from "../test/fakes/slack.js";
import { ASSUMED_DEPLOYER, iamRecord } from "../test/support/records.js";

export interface StormResult {
  deletions: number;
  topLevelPosts: number;
  secondsToFullyInSlack: number;
  slack429s: number;
  lookupThrottled: number;
  slackWrites: number;
}

export async function stormBenchmark(count = 600): Promise<StormResult> {
  const logger = createLogger("silent");
  const channel = "CSTORM001";
  const cloudtrail = await startFakeCloudTrail({ ratePerSecond: 2 });
  const slack = await startFakeSlack({ postRateLimitPerChannel: 1 });
  slack.setUpdateRateLimit(1);
  const ops: [string, (n: string) => Record<string, string>][] = [
    ["DeleteRole", (n) => ({ roleName: n })],
    ["DetachRolePolicy", (n) => ({ roleName: n, policyArn: "arn:aws:iam::123456789012:policy/app" })],
    ["DeleteUser", (n) => ({ userName: n })],
    ["DeletePolicy", (n) => ({ policyArn: `arn:aws:iam::123456789012:policy/${n}` })],
    ["DeleteGroup", (n) => ({ groupName: n })],
    ["DeleteInstanceProfile", (n) => ({ instanceProfileName: n })],
  ];
  const names: string[] = [];
  const start = Date.now() - 4 * 60_000;
  for (let i = 0; i < count; i++) {
    const name = `bench-storm-${String(i).padStart(4, "0")}`;
    const [eventName, params] = ops[i % ops.length] as (typeof ops)[number];
    names.push(name);
    cloudtrail.addEvent(iamRecord({ eventName, eventTime: new Date(start + i * 300), identity: ASSUMED_DEPLOYER, requestParameters: params(name) }));
  }
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-storm-")), "s.db"));
  const client = new CloudTrailClient({ endpoint: cloudtrail.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
  const slackClient = new WebClient("xoxb-bench", { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
  const delivery = new Delivery({
    store,
    client: slackClient,
    channelId: channel,
    logger,
    now: () => new Date(),
    postIntervalMs: 1100,
    render: async (a) => renderAlert(a, []),
    renderMinimal,
    renderDetails: async (a) => renderAlertDetails(a),
    botId: FAKE_SLACK_IDENTITY.botId,
    grouping: { settings: DEFAULT_GROUPING, render: (g, m) => renderGroupMessage(store, g, m) },
  });
  const poller = new Poller({
    store,
    lookup: new CloudTrailLookup(client, {}),
    logger,
    now: () => new Date(),
    lookbackMinutes: 20,
    noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" },
    eventNames: lookupOrder(),
    onNewAlert: () => { delivery.kick(); },
  });
  const t0 = performance.now();
  delivery.start();
  await poller.pollOnce();
  const visible = (): number => {
    const text = slack.messages(channel).map((m) => `${m.text ?? ""}${JSON.stringify(m.blocks ?? [])}`).join("\n");
    return names.filter((n) => text.includes(n)).length;
  };
  await slack.waitFor(() => visible() === count, 600_000, "every storm event visible");
  const seconds = (performance.now() - t0) / 1000;
  await delivery.stop();
  const writes = ["chat.postMessage", "chat.update"].flatMap((m) => slack.callsTo(m));
  const result: StormResult = {
    deletions: count,
    topLevelPosts: slack.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts).length,
    secondsToFullyInSlack: seconds,
    slack429s: writes.filter((c) => c.status === 429).length,
    lookupThrottled: cloudtrail.throttledCount,
    slackWrites: writes.length,
  };
  await store.close();
  await cloudtrail.close();
  await slack.close();
  return result;
}

export function printStorm(r: StormResult): void {
  console.log(`\nstorm: ${r.deletions} deletions by one actor (Slack limited to 1 post + 1 update per second per channel)`);
  console.log(`  top-level posts: ${r.topLevelPosts} (target ≤ 10)`);
  console.log(`  fully in Slack (top level + threads) after: ${r.secondsToFullyInSlack.toFixed(1)} s (target ≤ 120 s)`);
  console.log(`  Slack 429s: ${r.slack429s} (target 0); Slack writes: ${r.slackWrites}; LookupEvents throttled: ${r.lookupThrottled}`);
}
