// One poller per account: an account whose STS never answers keeps only itself busy; the other account's poll
// completes, its alert is recorded under its name, and its next tick runs while the stuck one is still pending.
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, expect, test } from "vitest";
import { AccountPollers } from "../../src/accounts/pollers.js";
import { AccountRegistry } from "../../src/accounts/registry.js";
import { createLogger } from "../../src/log.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { listenLoopback, readBody, type LoopbackServer } from "../fakes/http-util.js";
import { iamRecord } from "../support/records.js";

const GOOD = "444455556666";
const STUCK = "777788889999";
let sts: LoopbackServer;
let cloudtrail: FakeCloudTrail;
const held: ServerResponse[] = [];

beforeAll(async () => {
  sts = await listenLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const account = /iam::(\d{12}):role/.exec(new URLSearchParams(await readBody(req)).get("RoleArn") ?? "")?.[1] ?? "";
    if (account === STUCK) {
      held.push(res); // never answered while the test runs
      return;
    }
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>` +
        `<Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
    );
  });
  cloudtrail = await startFakeCloudTrail({ accountOf: async (key) => /^ASIA(\d{12})$/.exec(key)?.[1] });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = cloudtrail.url;
  process.env.AWS_ACCESS_KEY_ID = "AKIATESTTESTTESTTEST";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await cloudtrail.close();
  await sts.close();
});

test("an account whose STS hangs does not hold back the other account's polls", async () => {
  const deletion = iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() - 60_000), requestParameters: { roleName: "r" } });
  cloudtrail.addEvent({ ...deletion, recipientAccountId: GOOD });
  const common = { region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, endpoint: "http://127.0.0.1:9" };
  const registry = new AccountRegistry({
    config: {
      source: "file",
      path: "t",
      includeOwnAccount: false,
      entries: [
        { id: GOOD, name: "payments-prod", roleArn: `arn:aws:iam::${GOOD}:role/trailwatch` },
        { id: STUCK, name: "stuck", roleArn: `arn:aws:iam::${STUCK}:role/trailwatch` },
      ],
    },
    region: "us-east-1",
    cloudTrailRegion: "us-east-1",
    own: { iam: new IAMClient(common), cloudtrail: new CloudTrailClient(common), sts: new STSClient(common), botIdentity: async () => ({ arn: "arn:aws:iam::123456789012:user/b", accountId: "123456789012" }) },
    logger: createLogger("silent"),
  });
  await registry.load();
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-pollers-")), "t.db"));
  const pollers = new AccountPollers({
    registry,
    store,
    logger: createLogger("silent"),
    now: () => new Date(),
    lookbackMinutes: 20,
    noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" },
    eventNames: ["DeleteRole", "DeleteUser"],
  });
  void pollers.tick();
  const deadline = Date.now() + 20_000;
  const good = () => pollers.status().find((s) => s.account.id === GOOD);
  while (!good()?.lastCompletedAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(good()?.health).toBe("ok");
  expect(pollers.status().find((s) => s.account.id === STUCK)?.health).toBe("not polled yet");
  expect(held.length).toBeGreaterThan(0);
  expect(pollers.isRunning).toBe(true);
  expect(await store.getAlert(String(deletion.eventID))).toMatchObject({ accountId: GOOD, accountName: "payments-prod" });

  // The next tick polls the good account again although the stuck one has not finished its first poll.
  // (tick() itself never resolves here: it waits for every account, the stuck one included.) A quiet poll
  // costs one EventSource lookup, a busy one more: what matters is that the good account is looked up again.
  const callsBefore = cloudtrail.calls.filter((c) => c.account === GOOD).length;
  const polledAt = good()?.lastPollAt;
  void pollers.tick();
  const again = Date.now() + 20_000;
  while (good()?.lastPollAt === polledAt && Date.now() < again) await new Promise((r) => setTimeout(r, 20));
  expect(good()?.lastPollAt).not.toBe(polledAt);
  expect(good()?.health).toBe("ok");
  expect(cloudtrail.calls.filter((c) => c.account === GOOD).length).toBeGreaterThan(callsBefore);
  expect(cloudtrail.calls.some((c) => c.account === STUCK)).toBe(false);
  await store.close();
});
