// The account registry: credentials assumed through STS (reached via AWS_ENDPOINT_URL_STS) and refreshed before
// they expire, discovery through AWS Organizations (moto) with new accounts picked up by a refresh, and
// clients refused for an account that is not watched.
import type { IncomingMessage, ServerResponse } from "node:http";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AccountRegistry, type OwnClients } from "../../src/accounts/registry.js";
import { createLogger } from "../../src/log.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { listenLoopback, readBody, type LoopbackServer } from "../fakes/http-util.js";
import { MOTO_ACCOUNT_ID, startMoto, TEST_CREDENTIALS, type Moto } from "../support/moto.js";

const logger = createLogger("silent");
const PAYMENTS = "444455556666";

function ownClients(identity: { arn: string; accountId: string } | null): OwnClients {
  const common = { region: "us-east-1", credentials: TEST_CREDENTIALS, endpoint: "http://127.0.0.1:9" };
  return { iam: new IAMClient(common), cloudtrail: new CloudTrailClient(common), sts: new STSClient(common), botIdentity: async () => identity };
}

describe("assumed-role credentials", () => {
  let sts: LoopbackServer;
  let cloudtrail: FakeCloudTrail;
  const assumeCalls: Record<string, string>[] = [];
  let lifetimeMs = 3600_000;
  let deny = false;

  beforeAll(async () => {
    sts = await listenLoopback(async (req: IncomingMessage, res: ServerResponse) => {
      const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
      assumeCalls.push(params);
      if (deny) {
        res.writeHead(403, { "content-type": "text/xml" });
        res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>');
        return;
      }
      const n = assumeCalls.length;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
          `<AccessKeyId>ASIATESTKEY${String(n).padStart(9, "0")}</AccessKeyId><SecretAccessKey>s${n}</SecretAccessKey><SessionToken>t${n}</SessionToken>` +
          `<Expiration>${new Date(Date.now() + lifetimeMs).toISOString()}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::${PAYMENTS}:assumed-role/trailwatch/trailwatch</Arn><AssumedRoleId>AROAX:trailwatch</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>r${n}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
    cloudtrail = await startFakeCloudTrail({ ratePerSecond: false });
    // The inner STS client of fromTemporaryCredentials must find STS the way every client does.
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = cloudtrail.url;
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  });
  afterAll(async () => {
    await sts.close();
    await cloudtrail.close();
  });

  async function registry(): Promise<AccountRegistry> {
    const r = new AccountRegistry({
      config: { source: "file", path: "x", includeOwnAccount: true, entries: [{ id: PAYMENTS, name: "payments-prod", roleArn: `arn:aws:iam::${PAYMENTS}:role/trailwatch`, externalId: "ext-123" }] },
      region: "us-east-1",
      cloudTrailRegion: "us-east-1",
      own: ownClients({ arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/bot`, accountId: MOTO_ACCOUNT_ID }),
      logger,
    });
    await r.load();
    return r;
  }
  const lookup = (c: CloudTrailClient) => c.send(new LookupEventsCommand({ MaxResults: 1 }));

  test("credentials are assumed once with the externalId, reused while valid, and renewed before they expire", async () => {
    const r = await registry();
    const ct = r.clientsFor(PAYMENTS).cloudtrail;
    lifetimeMs = 3600_000;
    assumeCalls.length = 0;
    await lookup(ct);
    await lookup(ct);
    expect(assumeCalls).toHaveLength(1);
    expect(assumeCalls[0]).toMatchObject({ Action: "AssumeRole", RoleArn: `arn:aws:iam::${PAYMENTS}:role/trailwatch`, RoleSessionName: "trailwatch", ExternalId: "ext-123" });
    expect(cloudtrail.calls.at(-1)?.accessKeyId).toBe("ASIATESTKEY000000001");

    // Credentials that expire within the SDK's refresh window (5 minutes) are renewed before the next call.
    const r2 = await registry();
    const ct2 = r2.clientsFor(PAYMENTS).cloudtrail;
    lifetimeMs = 2 * 60_000;
    assumeCalls.length = 0;
    await lookup(ct2);
    await lookup(ct2);
    // (The SDK resolves the identity more than once per call, so count renewals, not exact calls.)
    expect(assumeCalls.length).toBeGreaterThanOrEqual(2);
    const keys = cloudtrail.calls.slice(-2).map((c) => c.accessKeyId);
    expect(keys[0]).not.toBe(keys[1]);
    expect(r2.assumeState(PAYMENTS)?.ok).toBe(true);
  });

  test("a refused AssumeRole is remembered with its classification; an unwatched account gets no clients", async () => {
    const r = await registry();
    deny = true;
    try {
      await expect(lookup(r.clientsFor(PAYMENTS).cloudtrail)).rejects.toThrow(/AssumeRole/);
    } finally {
      deny = false;
    }
    expect(r.assumeState(PAYMENTS)).toMatchObject({ ok: false, error: { kind: "denied", code: "AccessDenied" } });
    expect(() => r.clientsFor("999999999999")).toThrow(/not among the accounts trailwatch watches/);
    // No account id (alerts from before many-account support) and the own id both mean the own clients.
    expect(r.clientsFor(undefined).iam).toBe(r.clientsFor(MOTO_ACCOUNT_ID).iam);
  });
});

describe("ORG_ROLE_NAME discovery (moto Organizations)", () => {
  let moto: Moto;
  let org: OrganizationsClient;
  beforeAll(async () => {
    moto = await startMoto();
    org = new OrganizationsClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  });
  afterAll(async () => {
    await moto.stop();
  });

  test("active accounts are watched through the role, the own account by its default credentials; a refresh adds new ones", async () => {
    await org.send(new CreateAccountCommand({ AccountName: "payments-prod", Email: "p@example.com" }));
    const r = new AccountRegistry({
      config: { source: "organizations", roleName: "OrgAudit", refreshMinutes: 60, includeOwnAccount: true },
      region: "us-east-1",
      cloudTrailRegion: "us-east-1",
      own: ownClients({ arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/bot`, accountId: MOTO_ACCOUNT_ID }),
      logger,
      organizations: org,
    });
    await r.load();
    const listed = r.list();
    expect(listed[0]).toMatchObject({ scope: "default", id: MOTO_ACCOUNT_ID, own: true });
    expect(listed[0]?.roleArn).toBeUndefined();
    const payments = listed.find((a) => a.name === "payments-prod");
    expect(payments?.roleArn).toBe(`arn:aws:iam::${payments?.id}:role/OrgAudit`);
    expect(listed).toHaveLength(2);

    await org.send(new CreateAccountCommand({ AccountName: "new-team", Email: "n@example.com" }));
    const { added, removed } = await r.refresh();
    expect(added.map((a) => a.name)).toEqual(["new-team"]);
    expect(removed).toEqual([]);
    expect(r.list()).toHaveLength(3);
  });

  test("without the own account (INCLUDE_OWN_ACCOUNT=false) only the members are watched", async () => {
    const r = new AccountRegistry({
      config: { source: "organizations", roleName: "OrgAudit", refreshMinutes: 60, includeOwnAccount: false },
      region: "us-east-1",
      cloudTrailRegion: "us-east-1",
      own: ownClients({ arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/bot`, accountId: MOTO_ACCOUNT_ID }),
      logger,
      organizations: org,
    });
    await r.load();
    expect(r.list().some((a) => a.own || a.id === MOTO_ACCOUNT_ID)).toBe(false);
    expect(r.list().length).toBeGreaterThan(0);
  });
});
