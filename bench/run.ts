// Benchmark: prints figures, asserts nothing (tests stay deterministic; targets are read from this output).
//  1. LookupEvents calls per poll and time to alert, with 0 / 1,000 / 20,000 read-only IAM events in the
//     window, against the fake LookupEvents endpoint throttled at 2 calls/s (the real quota), at the default
//     LOOKUP_RATE; throttled calls and the most calls the server received within one second.
//  1b. A 600-deletion storm, and the average cost of idle polls.
//  2. Records parsed (+ detection) and alerts rendered per second over the real corpus.
//  3. Peak memory (max RSS) of this process.
//  4. Replay: records/s and memory over 1 GiB of CloudTrail log files (bench/replay.ts).
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { WebClient } from "@slack/web-api";
import { getCatalogEntry } from "../src/catalog/index.js";
import { CloudTrailLookup, DEFAULT_LOOKUP_RATE } from "../src/cloudtrail/lookup.js";
import { normalizeLookupEvent, normalizeRecord, type LookupEventInput } from "../src/cloudtrail/normalize.js";
import { decide } from "../src/detect/index.js";
import type { IamDeletionEventName } from "../src/domain.js";
import { createLogger } from "../src/log.js";
import { lookupOrder } from "../src/main.js";
import { Poller } from "../src/poller.js";
import { buildAlertMessage } from "../src/slack/blocks/alert.js";
import { Delivery } from "../src/slack/delivery.js";
import { renderAlert, renderMinimal } from "../src/slack/render.js";
import { KyselyStore } from "../src/store/kysely.js";
import { startFakeCloudTrail } from "../test/fakes/cloudtrail.js";
import { startFakeSlack } from "../test/fakes/slack.js";
import { iamRecord } from "../test/support/records.js";
import { replayBench } from "./replay.js";
import { snapshotBench } from "./snapshot.js";
import { printStorm, stormBenchmark } from "./storm.js";
import { accountsBench } from "./accounts.js";
import { failoverBench } from "./failover.js";

const logger = createLogger("silent");
let maxPerSecondEver = 0;
const CHANNEL = "CBENCH001";
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 50);

async function pollScenario(noise: number, eventName: IamDeletionEventName) {
  const cloudtrail = await startFakeCloudTrail({ ratePerSecond: 2 });
  const slack = await startFakeSlack();
  const now = Date.now();
  cloudtrail.addReadOnlyIamNoise(noise, { start: now - 19 * 60_000, end: now - 1000 });
  cloudtrail.addEvent(iamRecord({ eventName, eventTime: new Date(now - 5 * 60_000), requestParameters: { roleName: "bench-role", instanceProfileName: "bench-profile", userName: "bench" } }));
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-bench-")), "b.db"));
  const client = new CloudTrailClient({ endpoint: cloudtrail.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
  const lookup = new CloudTrailLookup(client, {});
  const slackClient = new WebClient("xoxb-bench", { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
  const delivery = new Delivery({ store, client: slackClient, channelId: CHANNEL, logger, now: () => new Date(), postIntervalMs: 0, render: async (a) => renderAlert(a, []), renderMinimal });
  const poller = new Poller({ store, lookup, logger, now: () => new Date(), lookbackMinutes: 20, noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" }, eventNames: lookupOrder(), onNewAlert: () => { delivery.kick(); } });
  delivery.start();
  const t0 = performance.now();
  let alertedAt = 0;
  const watcher = setInterval(() => {
    if (!alertedAt && slack.messages(CHANNEL).length > 0) alertedAt = performance.now();
  }, 5);
  const result = await poller.pollOnce();
  const pollMs = performance.now() - t0;
  maxPerSecondEver = Math.max(maxPerSecondEver, cloudtrail.maxCallsInAnyWindow(1000));
  await slack.waitFor((s) => s.messages(CHANNEL).length > 0, 10_000);
  if (!alertedAt) alertedAt = performance.now();
  clearInterval(watcher);
  await delivery.stop();
  await store.close();
  await cloudtrail.close();
  await slack.close();
  return {
    noise,
    eventName,
    position: lookupOrder().indexOf(eventName) + 1,
    calls: result?.lookupCalls ?? -1,
    throttled: cloudtrail.throttledCount,
    maxPerSecond: cloudtrail.maxCallsInAnyWindow(1000),
    timeToAlertS: (alertedAt - t0) / 1000,
    pollS: pollMs / 1000,
  };
}

/** 600 deletions of mixed kinds in the window, with 2,000 read-only events: every one must be alerted. */
async function stormScenario() {
  const cloudtrail = await startFakeCloudTrail({ ratePerSecond: 2 });
  const now = Date.now();
  const names = lookupOrder();
  cloudtrail.addReadOnlyIamNoise(2_000, { start: now - 19 * 60_000, end: now - 1000 });
  for (let i = 0; i < 600; i++) {
    const name = names[i % names.length] as IamDeletionEventName;
    cloudtrail.addEvent(iamRecord({ eventName: name, eventTime: new Date(now - 18 * 60_000 + i * 1500), requestParameters: { roleName: `r${i}`, userName: `u${i}`, groupName: `g${i}`, instanceProfileName: `p${i}`, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } }));
  }
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-bench-")), "b.db"));
  const client = new CloudTrailClient({ endpoint: cloudtrail.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
  const lookup = new CloudTrailLookup(client, {});
  const poller = new Poller({ store, lookup, logger, now: () => new Date(), lookbackMinutes: 20, noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" }, eventNames: names });
  const t0 = performance.now();
  const r = await poller.pollOnce();
  const s = (performance.now() - t0) / 1000;
  const out = { calls: r?.lookupCalls ?? -1, alerts: (r?.newAlerts ?? 0) + (r?.muted ?? 0), strategy: r?.strategy, throttled: cloudtrail.throttledCount, maxPerSecond: cloudtrail.maxCallsInAnyWindow(1000), pollS: s };
  maxPerSecondEver = Math.max(maxPerSecondEver, out.maxPerSecond);
  await store.close();
  await cloudtrail.close();
  return out;
}

/** Polls of an account with no IAM events at all: what a quiet account pays. */
async function idleScenario(polls: number) {
  const cloudtrail = await startFakeCloudTrail({ ratePerSecond: 2 });
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-bench-")), "b.db"));
  const client = new CloudTrailClient({ endpoint: cloudtrail.url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
  const poller = new Poller({ store, lookup: new CloudTrailLookup(client, {}), logger, now: () => new Date(), lookbackMinutes: 20, noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" }, eventNames: lookupOrder() });
  for (let i = 0; i < polls; i++) await poller.pollOnce();
  const calls = cloudtrail.calls.length;
  const throttled = cloudtrail.throttledCount;
  await store.close();
  await cloudtrail.close();
  return { perPoll: calls / polls, throttled };
}

function corpusLines(): { file: string; raw: unknown }[] {
  const dir = new URL("../test/fixtures/cloudtrail/", import.meta.url);
  const out: { file: string; raw: unknown }[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.jsonl(\.gz)?$/.test(f))) {
    const buf = readFileSync(new URL(file, dir));
    const text = file.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
    for (const line of text.split("\n")) if (line.trim()) out.push({ file, raw: JSON.parse(line) as unknown });
  }
  return out;
}

function throughput() {
  const lines = corpusLines();
  const parse = (l: { file: string; raw: unknown }) => (l.file.startsWith("lookup-events-") ? normalizeLookupEvent(l.raw as LookupEventInput) : normalizeRecord(l.raw));
  // Parse + decide over every record, repeated to run for about two seconds.
  let n = 0;
  let t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const l of lines) decide(parse(l));
    n += lines.length;
  }
  const parsePerS = n / ((performance.now() - t0) / 1000);
  // Rendering: every corpus record rendered as if it were a DeleteRole alert (real, messy field values).
  const events = lines.map(parse);
  const entry = getCatalogEntry("DeleteRole");
  let r = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const ev of events) buildAlertMessage({ event: ev, severity: "high", severityReason: "bench", outcome: ev.errorCode ? "failed" : "success" }, entry);
    r += events.length;
  }
  const renderPerS = r / ((performance.now() - t0) / 1000);
  return { records: lines.length, parsePerS, renderPerS };
}

// `npm run bench -- accounts failover` runs only the named parts: polls, accounts, throughput, snapshot, storm,
// replay, failover (default: all).
const PARTS = ["polls", "accounts", "throughput", "snapshot", "storm", "replay", "failover"] as const;
const only = process.argv.slice(2);
const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown.length > 0) {
  console.error(`unknown benchmark part(s): ${unknown.join(", ")}; choose from ${PARTS.join(", ")}`);
  process.exit(2);
}
const want = (part: (typeof PARTS)[number]) => only.length === 0 || only.includes(part);

const order = lookupOrder();
if (want("polls")) {
  console.log(`trailwatch benchmark (LookupEvents fake throttled at 2 calls/s, LOOKUP_RATE ${DEFAULT_LOOKUP_RATE}; one deletion event in a 20-minute window)\n`);
  console.log("read-only noise | deletion looked up          | per-name position | calls/poll | throttled | max calls in 1 s (server) | time to alert | poll duration");
  for (const noise of [0, 1_000, 20_000]) {
    for (const name of [order[0] as IamDeletionEventName, "DeleteRole" as const, order[order.length - 1] as IamDeletionEventName]) {
      const r = await pollScenario(noise, name);
      console.log(
        `${String(r.noise).padStart(15)} | ${r.eventName.padEnd(27)} | ${String(r.position).padStart(17)} | ${String(r.calls).padStart(10)} | ${String(r.throttled).padStart(9)} | ${String(r.maxPerSecond).padStart(25)} | ${r.timeToAlertS.toFixed(2).padStart(11)} s | ${r.pollS.toFixed(2).padStart(11)} s`,
      );
    }
  }
  const storm = await stormScenario();
  console.log(
    `\n600-deletion storm (+2,000 read-only): ${storm.alerts} alerts stored, ${storm.calls} calls (${storm.strategy}), ${storm.throttled} throttled, max ${storm.maxPerSecond} calls in 1 s (server), poll ${storm.pollS.toFixed(1)} s`,
  );
  const idle = await idleScenario(5);
  console.log(`idle account: ${idle.perPoll.toFixed(2)} LookupEvents calls per poll on average (5 polls), ${idle.throttled} throttled`);
  console.log(`most LookupEvents calls the server saw within any one second, all scenarios: ${maxPerSecondEver}`);
}
if (want("accounts")) await accountsBench(logger);
if (want("throughput")) {
  const t = throughput();
  console.log(`\ncorpus: ${t.records} real records`);
  console.log(`parse + detect: ${Math.round(t.parsePerS).toLocaleString("en")} records/s`);
  console.log(`render alert (Block Kit, limits enforced): ${Math.round(t.renderPerS).toLocaleString("en")} messages/s`);
}
if (want("snapshot")) await snapshotBench();
if (want("storm")) printStorm(await stormBenchmark());
clearInterval(sampler);
const mem = process.memoryUsage();
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB; peak heap used (sampled): ${(Math.max(peakHeap, mem.heapUsed) / 1048576).toFixed(1)} MiB`);
if (want("replay")) await replayBench();
if (want("failover")) await failoverBench();
