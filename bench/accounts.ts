// Many-account benchmark: the real AccountRegistry (roles assumed through a loopback STS) and AccountPollers
// against one fake CloudTrail that keeps each account's events and 2 calls/s quota apart (by access key).
//  A. 100 quiet accounts, one deletion in one of them: LookupEvents calls per minute and time to alert.
//  B. One busy account (thousands of deletions to page through) among 99 quiet ones: are the quiet ones slowed?
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { AccountPollers } from "../src/accounts/pollers.js";
import { AccountRegistry } from "../src/accounts/registry.js";
import { DEFAULT_LOOKUP_RATE } from "../src/cloudtrail/lookup.js";
import type { Logger } from "../src/log.js";
import { lookupOrder } from "../src/main.js";
import { KyselyStore } from "../src/store/kysely.js";
import { startFakeCloudTrail } from "../test/fakes/cloudtrail.js";
import { listenLoopback, readBody } from "../test/fakes/http-util.js";
import { iamRecord } from "../test/support/records.js";

const accountId = (i: number) => String(100000000000 + i);

/** LOOKUP_RATE as the bot reads it (default 1.5 calls/s per account), so another setting can be measured too. */
const LOOKUP_RATE = process.env.LOOKUP_RATE ? Number(process.env.LOOKUP_RATE) : DEFAULT_LOOKUP_RATE;

async function scenario(logger: Logger, opts: { accounts: number; busyDeletions: number }) {
  // STS: the access key it issues names the account, so the fake CloudTrail can tell accounts apart.
  const sts = await listenLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const params = new URLSearchParams(await readBody(req));
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(params.get("RoleArn") ?? "")?.[1] ?? "000000000000";
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>s</SecretAccessKey>` +
        `<SessionToken>t</SessionToken><Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/trailwatch/trailwatch</Arn><AssumedRoleId>AROA:trailwatch</AssumedRoleId></AssumedRoleUser>` +
        `</AssumeRoleResult></AssumeRoleResponse>`,
    );
  });
  const cloudtrail = await startFakeCloudTrail({ ratePerSecond: 2, accountOf: async (key) => /^ASIA(\d{12})$/.exec(key)?.[1] });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = cloudtrail.url;
  process.env.AWS_ACCESS_KEY_ID = "AKIABENCHBENCHBENCH0";
  process.env.AWS_SECRET_ACCESS_KEY = "bench";

  const now = Date.now();
  const target = accountId(Math.floor(opts.accounts / 2) + 1);
  const targetEvent = iamRecord({ eventName: "DeleteRole", eventTime: new Date(now - 5 * 60_000), requestParameters: { roleName: "bench-role" } });
  cloudtrail.addEvent({ ...targetEvent, recipientAccountId: target });
  const busy = accountId(0);
  for (let i = 0; i < opts.busyDeletions; i++) {
    const r = iamRecord({ eventName: "DetachUserPolicy", eventTime: new Date(now - 15 * 60_000 + i * 100), requestParameters: { userName: `u${i}`, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } });
    cloudtrail.addEvent({ ...r, recipientAccountId: busy });
  }

  const common = { region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, endpoint: "http://127.0.0.1:9" };
  const entries = Array.from({ length: opts.accounts }, (_, i) => ({ id: accountId(i), name: `acct-${i}`, roleArn: `arn:aws:iam::${accountId(i)}:role/trailwatch` }));
  const registry = new AccountRegistry({
    config: { source: "file", path: "bench", includeOwnAccount: false, entries },
    region: "us-east-1",
    cloudTrailRegion: "us-east-1",
    own: { iam: new IAMClient(common), cloudtrail: new CloudTrailClient(common), sts: new STSClient(common), botIdentity: async () => ({ arn: "arn:aws:iam::999999999999:user/bench", accountId: "999999999999" }) },
    logger,
  });
  await registry.load();
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-bench-accounts-")), "b.db"));
  const t0 = performance.now();
  let alertMs = Number.NaN;
  const pollers = new AccountPollers({
    registry,
    // As production passes LOOKUP_RATE (config.lookupRate, default 1.5/s) to every account's limiter.
    lookupOptions: { ratePerSecond: LOOKUP_RATE },
    store,
    logger,
    now: () => new Date(),
    lookbackMinutes: 20,
    noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" },
    eventNames: lookupOrder(),
    onNewAlert: () => {
      if (Number.isNaN(alertMs)) alertMs = performance.now() - t0;
    },
  });
  // Per-account poll durations, from each account's own "poll finished".
  const durations = new Map<string, number>();
  const polls = pollers.status().map(async (s) => {
    while (!durations.has(s.account.scope)) {
      await new Promise((r) => setTimeout(r, 50));
      const st = pollers.status().find((x) => x.account.scope === s.account.scope);
      if (st?.lastPollAt) durations.set(s.account.scope, performance.now() - t0);
    }
  });
  await pollers.tick();
  await Promise.all(polls);
  const tickMs = performance.now() - t0;
  const alerted = (await store.getAlert((targetEvent as { eventID: string }).eventID))?.accountName;
  const quiet = [...durations.entries()].filter(([scope]) => scope !== busy || opts.busyDeletions === 0).map(([, ms]) => ms / 1000).sort((a, b) => a - b);
  const calls = cloudtrail.calls.filter((c) => c.operation === "LookupEvents").length;
  const result = {
    accounts: opts.accounts,
    calls,
    throttled: cloudtrail.throttledCount,
    tickS: tickMs / 1000,
    timeToAlertS: alertMs / 1000,
    alertedAccount: alerted,
    quietMedianS: quiet[Math.floor(quiet.length / 2)] ?? Number.NaN,
    quietMaxS: quiet[quiet.length - 1] ?? Number.NaN,
    busyS: opts.busyDeletions > 0 ? (durations.get(busy) ?? Number.NaN) / 1000 : Number.NaN,
    failed: pollers.status().filter((s) => s.health === "failing").length,
  };
  await store.close();
  await cloudtrail.close();
  await sts.close();
  return result;
}

/** Prints the many-account figures (called from bench/run.ts). */
export async function accountsBench(logger: Logger): Promise<void> {
  if (!(LOOKUP_RATE > 0)) throw new Error(`LOOKUP_RATE must be a positive number of calls per second, not ${String(process.env.LOOKUP_RATE)}`);
  console.log(`\nmany accounts (one poller and limiter per account at LOOKUP_RATE ${LOOKUP_RATE}/s; fake CloudTrail with a 2 calls/s quota per account)`);
  console.log("scenario                                | accounts | calls/poll (= calls/min at one poll a minute) | throttled | time to alert | quiet polls: median / max | busy poll | failing");
  for (const [label, busyDeletions] of [
    ["100 quiet accounts", 0],
    ["1 busy (3,000 deletions) + 99 quiet", 3000],
  ] as const) {
    const r = await scenario(logger, { accounts: 100, busyDeletions });
    console.log(
      `${label.padEnd(39)} | ${String(r.accounts).padStart(8)} | ${String(r.calls).padStart(45)} | ${String(r.throttled).padStart(9)} | ${r.timeToAlertS.toFixed(2).padStart(11)} s | ${r.quietMedianS.toFixed(2).padStart(10)} s / ${r.quietMaxS.toFixed(2).padStart(6)} s | ${Number.isNaN(r.busyS) ? "        -" : `${r.busyS.toFixed(2).padStart(7)} s`} | ${r.failed}`,
    );
    if (r.alertedAccount !== "acct-51") console.log(`  (unexpected: the deletion was not recorded under its account: ${String(r.alertedAccount)})`);
  }
}
