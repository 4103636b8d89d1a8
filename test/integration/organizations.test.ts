// ORG_ROLE_NAME end to end: the real process lists the organization's accounts in moto and polls the member
// account through the role; outside an organization it stops with exit code 2.
import { CreateAccountCommand, CreateOrganizationCommand, ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { afterAll, beforeAll, expect, test } from "vitest";
import { listenLoopback, readBody, sendJson } from "../fakes/http-util.js";
import { runApp } from "../support/app-process.js";
import { ALERT_CHANNEL, startHarness, type Harness } from "../support/harness.js";
import { MOTO_ACCOUNT_ID, TEST_CREDENTIALS } from "../support/moto.js";
import { freePort } from "../support/ports.js";
import { iamRecord } from "../support/records.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ moto: true, perAccountCloudTrail: true });
});
afterAll(async () => {
  await h.close();
});

test("outside an organization, or without organizations:ListAccounts, ORG_ROLE_NAME stops start-up with one line and exit code 2", async () => {
  // moto answers ListAccounts even without an organization, so AWS's two refusals come from a tiny stand-in.
  let answer = { __type: "AWSOrganizationsNotInUseException", Message: "Your account is not a member of an organization." };
  const orgs = await listenLoopback(async (req, res) => {
    await readBody(req);
    sendJson(res, 400, answer, { "x-amzn-ErrorType": answer.__type }, "application/x-amz-json-1.1");
  });
  try {
    const run = async () => {
      const app = runApp(h.env({ ORG_ROLE_NAME: "OrgAudit", AWS_ENDPOINT_URL_ORGANIZATIONS: orgs.url, PORT: String(await freePort()) }));
      expect(await app.exited).toBe(2);
      // (stderr may also carry the AWS SDK's Node version warning: only trailwatch's own lines count.)
      const lines = app.stderr().split("\n").filter((l) => l.startsWith("trailwatch:"));
      expect(lines).toHaveLength(1);
      return lines[0];
    };
    expect(await run()).toBe("trailwatch: configuration error: ORG_ROLE_NAME is set, but the bot's account is not in an AWS Organization: list the accounts in ACCOUNTS_FILE instead");
    answer = { __type: "AccessDeniedException", Message: "You don't have permissions to access this resource." };
    expect(await run()).toMatch(/^trailwatch: configuration error: ORG_ROLE_NAME needs organizations:ListAccounts, which was denied \(AccessDeniedException\): run trailwatch in the organization's management account or a delegated administrator account$/);
  } finally {
    await orgs.close();
  }
});

test("the member accounts are discovered and polled through the role; their deletions are alerted under their names", async () => {
  const endpoint = (h.moto as NonNullable<Harness["moto"]>).endpoint;
  const org = new OrganizationsClient({ endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  await org.send(new CreateAccountCommand({ AccountName: "data-platform", Email: "d@example.com" }));
  const member = (await org.send(new ListAccountsCommand({}))).Accounts?.find((a) => a.Name === "data-platform")?.Id as string;
  const record = iamRecord({ eventName: "DeleteUser", eventTime: new Date(Date.now() - 60_000), requestParameters: { userName: "etl" } });
  const item = h.cloudtrail.addEvent({ ...record, recipientAccountId: member });
  const app = await h.start({ ORG_ROLE_NAME: "OrgAudit", AWS_ENDPOINT_URL_ORGANIZATIONS: endpoint });
  const msg = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === item.EventId),
    40_000,
    "member account alert",
  );
  expect(JSON.stringify(msg.blocks)).toContain("*data-platform*");
  expect(app.logs.some((l) => l.msg === "account watched" && l.account === member)).toBe(true);
  expect(app.logs.some((l) => l.msg === "account watched" && l.account === "default")).toBe(true);
  // The member account was polled with the role's credentials, the own one with the default chain.
  const accounts = new Set(h.cloudtrail.calls.filter((c) => c.status === 200).map((c) => c.account));
  expect(accounts).toEqual(new Set([member, MOTO_ACCOUNT_ID]));
});
