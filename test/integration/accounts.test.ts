// Many accounts end to end: the real app process with ACCOUNTS_FILE, roles assumed through STS (moto behind a
// recording proxy reached through AWS_ENDPOINT_URL_STS), and a fake CloudTrail that serves each account only
// its own events (it tells accounts apart by the access key moto issued for each assumed role).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, DeleteRoleCommand, GetAccountPasswordPolicyCommand, GetInstanceProfileCommand, GetRoleCommand, type IAMClient, ListRoleTagsCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { blockActionPayload, sendBlockAction, sendSlashCommand } from "../fakes/slack-request.js";
import { iamInAccount, startStsProxy, type StsProxy } from "../support/accounts.js";
import type { AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, NOTICE_CHANNEL, SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { MOTO_ACCOUNT_ID } from "../support/moto.js";
import { iamRecord } from "../support/records.js";
import { remediateAndApprove } from "../support/remediate.js";
import { alertEventId, allText, buttonsIn, buttonValue, clickButton, visibleTexts } from "../support/slack-helpers.js";
import { decodePolicyDocument } from "../../src/remediation/aws.js";

const PAYMENTS = "444455556666";
const SANDBOX = "777788889999";
const PAYMENTS_ROLE = `arn:aws:iam::${PAYMENTS}:role/trailwatch`;
const SANDBOX_ROLE = `arn:aws:iam::${SANDBOX}:role/trailwatch`;
const EXTERNAL_ID = "tw-payments-7f3a";
const APPROVER_A = "UAPPR001";
const APPROVER_B = "UAPPR002";

const LEDGER_ROLE = "ledger-role";
const SHADOW_ROLE = "shadow-role";
const trustFor = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

let h: Harness;
let sts: StsProxy;
let app: AppProcess;
/** IAM in the payments account (moto), as the test sets it up and checks it. */
let paymentsIam: IAMClient;

/** A deletion recorded in `account`'s event history, made by a user of that account (a minute ago unless `eventTime`). */
function deletionIn(account: string, eventName: string, requestParameters: Record<string, unknown>, eventId: string, eventTime = new Date(Date.now() - 60_000)) {
  const record = iamRecord({
    eventId,
    eventName,
    eventTime,
    requestParameters,
    identity: { type: "IAMUser", principalId: "AIDAEXAMPLEBOB000001", arn: `arn:aws:iam::${account}:user/bob`, accountId: account, userName: "bob" },
  });
  return h.cloudtrail.addEvent({ ...record, recipientAccountId: account });
}

const eventIdOf = alertEventId;
// Top-level alerts: a parent with a details reply in its thread has thread_ts === ts.
const alertMessages = () => h.slack.messages(ALERT_CHANNEL).filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && eventIdOf(m) !== undefined);
const alertWithId = (id: string) => alertMessages().find((m) => eventIdOf(m) === id);

beforeAll(async () => {
  h = await startHarness({ moto: true, perAccountCloudTrail: true });
  sts = await startStsProxy((h.moto as NonNullable<Harness["moto"]>).endpoint);
  sts.deny.add(SANDBOX_ROLE);
  const file = join(h.dataDir, "accounts.yaml");
  writeFileSync(
    file,
    [
      "accounts:",
      `  - id: "${PAYMENTS}"`,
      "    name: payments-prod",
      `    roleArn: ${PAYMENTS_ROLE}`,
      `    externalId: ${EXTERNAL_ID}`,
      `  - id: "${SANDBOX}"`,
      "    name: legacy-sandbox",
      `    roleArn: ${SANDBOX_ROLE}`,
      "",
    ].join("\n"),
  );
  // Roles the start-up snapshots hold: one in the payments account only, and one of another name in the own
  // account only (a deletion of that name in payments must not be restored from the own account's snapshot).
  const moto = h.moto as NonNullable<Harness["moto"]>;
  paymentsIam = await iamInAccount(moto, PAYMENTS_ROLE);
  await paymentsIam.send(
    new CreateRoleCommand({ RoleName: LEDGER_ROLE, Path: "/apps/", Description: "ledger writer", AssumeRolePolicyDocument: trustFor("lambda.amazonaws.com"), Tags: [{ Key: "team", Value: "ledger" }] }),
  );
  await moto.iam().send(new CreateRoleCommand({ RoleName: SHADOW_ROLE, AssumeRolePolicyDocument: trustFor("ec2.amazonaws.com") }));
  deletionIn(MOTO_ACCOUNT_ID, "DeleteRole", { roleName: "own-role" }, "00000000-0000-4000-8000-00000000000a");
  deletionIn(PAYMENTS, "DeleteUser", { userName: "payments-batch" }, "00000000-0000-4000-8000-00000000000b");
  // Never visible to the bot: its role cannot be assumed.
  deletionIn(SANDBOX, "DeletePolicy", { policyArn: `arn:aws:iam::${SANDBOX}:policy/boundary` }, "00000000-0000-4000-8000-00000000000c");
  app = await h.start({ ACCOUNTS_FILE: file, AWS_ENDPOINT_URL_STS: sts.url, APPROVERS: `${APPROVER_A},${APPROVER_B}` });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await sts?.close();
});

describe("ACCOUNTS_FILE with a reachable and an unreachable account beside the bot's own", () => {
  test("deletions in the own and the reachable account are alerted, the reachable one under its display name", async () => {
    await h.slack.waitFor(() => alertMessages().length >= 2, 40_000, "two alerts");
    const own = alertWithId("00000000-0000-4000-8000-00000000000a");
    const payments = alertWithId("00000000-0000-4000-8000-00000000000b");
    expect(own).toBeDefined();
    expect(payments).toBeDefined();
    expect(JSON.stringify(payments?.blocks)).toContain("*payments-prod*");
    expect(JSON.stringify(payments?.blocks)).toContain(PAYMENTS);
    expect(JSON.stringify(own?.blocks)).not.toContain("payments-prod");
    expect(alertWithId("00000000-0000-4000-8000-00000000000c")).toBeUndefined();
    // Each account's lookups reached CloudTrail with that account's own credentials.
    const accountsSeen = new Set(h.cloudtrail.calls.filter((c) => c.status === 200).map((c) => c.account));
    expect(accountsSeen).toEqual(new Set([MOTO_ACCOUNT_ID, PAYMENTS]));
  });

  test("AssumeRole goes through AWS_ENDPOINT_URL_STS with the externalId of the account that has one", async () => {
    await h.slack.waitFor(() => sts.requests.some((r) => r.action === "AssumeRole" && r.params.RoleArn === SANDBOX_ROLE), 30_000, "sandbox AssumeRole");
    const payments = sts.requests.filter((r) => r.action === "AssumeRole" && r.params.RoleArn === PAYMENTS_ROLE);
    expect(payments.length).toBeGreaterThan(0);
    for (const r of payments) {
      expect(r.params.ExternalId).toBe(EXTERNAL_ID);
      expect(r.params.RoleSessionName).toBe("trailwatch");
    }
    const sandbox = sts.requests.filter((r) => r.action === "AssumeRole" && r.params.RoleArn === SANDBOX_ROLE);
    expect(sandbox.every((r) => r.params.ExternalId === undefined)).toBe(true);
  });

  test("the unreachable account is reported in Slack once, by name and id, and the others keep being polled", async () => {
    const notice = await h.slack.waitFor(
      // Operational notices go to NOTICE_CHANNEL_ID (the harness gives them their own channel).
      (s) => s.messages(NOTICE_CHANNEL).find((m) => eventIdOf(m) === undefined && (m.text ?? "").includes("legacy-sandbox")),
      30_000,
      "unreachable account notice",
    );
    // The notification text names the account; the message says why and what to fix.
    expect(notice.text).toContain(SANDBOX);
    const shown = visibleTexts(notice.blocks).join("\n");
    expect(shown).toContain(SANDBOX);
    expect(shown).toContain("AccessDenied");
    expect(shown).toContain(SANDBOX_ROLE);
    expect(app.logs.some((l) => l.msg === "a watched account cannot be polled; posting a notice" && l.account === SANDBOX)).toBe(true);
    // More polls of every account, still one notice: one per episode, not one per poll.
    const sandboxAttempts = () => sts.requests.filter((r) => r.action === "AssumeRole" && r.params.RoleArn === SANDBOX_ROLE).length;
    const before = { attempts: sandboxAttempts(), paymentsCalls: h.cloudtrail.calls.filter((c) => c.account === PAYMENTS).length };
    await h.slack.waitFor(() => sandboxAttempts() > before.attempts + 1, 30_000, "more sandbox attempts");
    await h.slack.waitFor(() => h.cloudtrail.calls.filter((c) => c.account === PAYMENTS).length > before.paymentsCalls, 30_000, "more payments polls");
    const notices = h.slack.messages(NOTICE_CHANNEL).filter((m) => eventIdOf(m) === undefined && (m.text ?? "").includes("legacy-sandbox"));
    expect(h.slack.messages(ALERT_CHANNEL).filter((m) => (m.text ?? "").includes("legacy-sandbox"))).toHaveLength(0);
    expect(notices).toHaveLength(1);
  });
});

describe("remediation in the event's account", () => {
  test("re-adding a role to an instance profile acts in the account the deletion happened in, through its role", async () => {
    const ownIam = (h.moto as NonNullable<Harness["moto"]>).iam();
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    // The same names exist in both accounts; only the payments profile lost its role.
    for (const iam of [paymentsIam, ownIam]) {
      await iam.send(new CreateRoleCommand({ RoleName: "web-role", AssumeRolePolicyDocument: trust }));
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web" }));
    }
    await ownIam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "web", RoleName: "web-role" }));
    const eventId = "00000000-0000-4000-8000-00000000000d";
    deletionIn(PAYMENTS, "RemoveRoleFromInstanceProfile", { instanceProfileName: "web", roleName: "web-role" }, eventId);
    const msg = await h.slack.waitFor(() => alertWithId(eventId), 40_000, "payments alert");
    expect(JSON.stringify(msg.blocks)).toContain("payments-prod");

    const run = await remediateAndApprove(h.slack, `${app.url}/slack/events`, msg, "readd-role-to-instance-profile", APPROVER_A, APPROVER_B);
    // The plan was made against the payments account: its profile is empty there (in the own account it is not).
    expect(run.modal).toContain("AddRoleToInstanceProfile");
    const approved = await h.waitForAction((a) => a.action === "remediation-approve" && a.actor === APPROVER_B, 30_000);
    expect(approved.result).toBe("ok");
    const inPayments = await paymentsIam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web" }));
    expect(inPayments.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(["web-role"]);
    expect(inPayments.InstanceProfile?.Roles?.[0]?.Arn).toContain(PAYMENTS);
    const inOwn = await ownIam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web" }));
    expect(inOwn.InstanceProfile?.Roles).toHaveLength(1);
  });
});

describe("restore in the event's account", () => {
  const afterPaymentsSnapshot = async (): Promise<Date> => {
    await app.waitForLog((l) => l.msg === "IAM snapshot stored" && l.account === PAYMENTS, 60_000);
    await new Promise((r) => setTimeout(r, 1100)); // CloudTrail times have whole seconds: the deletion is after the snapshot
    return new Date();
  };

  test("a role deleted in the member account is restorable from that account's snapshot and comes back there, not in the own account", async () => {
    const at = await afterPaymentsSnapshot();
    await paymentsIam.send(new DeleteRoleCommand({ RoleName: LEDGER_ROLE }));
    const eventId = "00000000-0000-4000-8000-00000000000e";
    deletionIn(PAYMENTS, "DeleteRole", { roleName: LEDGER_ROLE }, eventId, at);
    const msg = await h.slack.waitFor(() => alertWithId(eventId), 40_000, "payments DeleteRole alert");
    expect(allText(msg)).toContain("payments-prod");
    expect(allText(msg)).toMatch(/restorable from the snapshot of \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    const run = await remediateAndApprove(h.slack, `${app.url}/slack/events`, msg, "restore-role", APPROVER_A, APPROVER_B);
    expect(run.modal).toMatch(/Restore role ledger-role from snapshot #\d+/);
    expect(run.outcome).toContain("verified");
    const role = (await paymentsIam.send(new GetRoleCommand({ RoleName: LEDGER_ROLE }))).Role;
    expect(role?.Arn).toBe(`arn:aws:iam::${PAYMENTS}:role/apps/${LEDGER_ROLE}`);
    expect(role?.Description).toBe("ledger writer");
    expect(decodePolicyDocument(role?.AssumeRolePolicyDocument ?? "")).toEqual(JSON.parse(trustFor("lambda.amazonaws.com")));
    const tags = (await paymentsIam.send(new ListRoleTagsCommand({ RoleName: LEDGER_ROLE }))).Tags ?? [];
    expect(tags).toContainEqual({ Key: "team", Value: "ledger" });
    expect(tags.find((t) => t.Key === "trailwatch:restored-from")?.Value).toMatch(/^snapshot-\d+$/);
    // Nothing was created in the bot's own account.
    await expect((h.moto as NonNullable<Harness["moto"]>).iam().send(new GetRoleCommand({ RoleName: LEDGER_ROLE }))).rejects.toMatchObject({ name: "NoSuchEntityException" });
  });

  test("a role of the same name in the own account does not make a member account's deletion restorable", async () => {
    const at = await afterPaymentsSnapshot();
    const eventId = "00000000-0000-4000-8000-00000000000f";
    // shadow-role exists (and is in the snapshots) in the own account only.
    deletionIn(PAYMENTS, "DeleteRole", { roleName: SHADOW_ROLE }, eventId, at);
    const msg = await h.slack.waitFor(() => alertWithId(eventId), 40_000, "payments shadow-role alert");
    expect(allText(msg)).toMatch(/not restorable from a snapshot: the snapshot of [^"]* does not hold role shadow-role/);
    expect(allText(msg)).not.toMatch(/restorable from the snapshot of/);

    const viewsBefore = h.slack.views.length;
    await clickButton(`${app.url}/slack/events`, SIGNING_SECRET, APPROVER_A, "alert_remediate", eventId, msg);
    const view = await h.slack.waitFor((s) => (s.views.length > viewsBefore && s.views[s.views.length - 1]?.updates ? s.views[s.views.length - 1] : undefined), 20_000, "plans");
    // The payments snapshot is the one the plan reads, and it has no such role.
    expect(JSON.stringify(view.view.blocks)).toMatch(/does not hold role shadow-role/);
    expect((await (h.moto as NonNullable<Harness["moto"]>).iam().send(new GetRoleCommand({ RoleName: SHADOW_ROLE }))).Role?.Arn).toBe(`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/${SHADOW_ROLE}`);
    await expect(paymentsIam.send(new GetRoleCommand({ RoleName: SHADOW_ROLE }))).rejects.toMatchObject({ name: "NoSuchEntityException" });
  });
});

describe("/iam-audit report <account>", () => {
  /** Sends `/iam-audit <text>` and waits for the complete answer (the one post, or the last part). */
  async function iamAudit(text: string, id: string): Promise<{ blocks?: unknown[]; text?: string }[]> {
    const res = await sendSlashCommand(`${app.url}/slack/events`, SIGNING_SECRET, { command: "/iam-audit", text, user_id: APPROVER_A, channel_id: ALERT_CHANNEL, response_url: h.slack.responseUrl(id) });
    expect(res.status).toBe(200);
    return h.slack.waitFor(
      (s) => {
        const posts = s.responses(id).map((p) => p.body as { blocks?: unknown[]; text?: string });
        const m = /\(part (\d+) of (\d+)\)$/.exec(posts[posts.length - 1]?.text ?? "");
        return posts.length > 0 && (!m || m[1] === m[2]) ? posts : undefined;
      },
      60_000,
      `answer to ${text}`,
    );
  }

  test("payments-prod: read through its role and named; its Remediate sets the password policy in payments-prod only", async () => {
    const moto = h.moto as NonNullable<Harness["moto"]>;
    const policyIn = (iam: IAMClient) => iam.send(new GetAccountPasswordPolicyCommand({})).then((r) => r.PasswordPolicy?.MinimumPasswordLength, (err: unknown) => (err instanceof Error ? err.name : "?"));
    expect(await policyIn(paymentsIam)).toBe("NoSuchEntityException");

    const posts = await iamAudit("report payments-prod", "report-payments");
    const text = posts.map((p) => visibleTexts(p.blocks ?? []).join("\n")).join("\n");
    expect(text).toContain(`*Account:* *payments-prod* \`${PAYMENTS}\``);
    const remediate = posts.flatMap((p) => buttonsIn(p.blocks ?? [])).find((b) => b.action_id === "audit_remediate" && (b.value ?? "").includes("password-policy:missing"));
    expect(remediate).toBeDefined();
    await sendBlockAction(`${app.url}/slack/events`, SIGNING_SECRET, blockActionPayload({ userId: APPROVER_A, actionId: "audit_remediate", value: remediate?.value ?? "", channelId: ALERT_CHANNEL }));
    const request = await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.text?.startsWith("Remediation requested") && JSON.stringify(m.blocks).includes("UpdateAccountPasswordPolicy")), 20_000, "request posted");
    const requestId = buttonValue(request, "remediation_approve");
    await sendBlockAction(`${app.url}/slack/events`, SIGNING_SECRET, blockActionPayload({ userId: APPROVER_B, actionId: "remediation_approve", value: requestId, channelId: ALERT_CHANNEL, messageTs: request.ts }));
    const approved = await h.waitForAction((a) => a.action === "remediation-approve" && a.actor === APPROVER_B && a.requestId === requestId, 30_000);
    expect(approved.result).toBe("ok");
    expect(await policyIn(paymentsIam)).toBe(14);
    expect(await policyIn(moto.iam())).toBe("NoSuchEntityException");
  }, 120_000);

  test("an account whose role cannot be assumed, and one not watched, are answered as such", async () => {
    const sandbox = (await iamAudit("report legacy-sandbox", "report-sandbox")).map((p) => p.text ?? "").join("\n");
    expect(sandbox).toContain(`trailwatch cannot act in account *legacy-sandbox* \`${SANDBOX}\`: AWS denied \`sts:AssumeRole\``);
    const foreign = (await iamAudit("user arn:aws:iam::999988887777:user/alice", "user-foreign")).map((p) => p.text ?? "").join("\n");
    expect(foreign).toContain("Account `999988887777` is not among the accounts trailwatch watches");
  }, 60_000);
});

describe("/metrics", () => {
  test("after polls and alerts, the Prometheus text shows them per account, with the outbox and Slack posts", async () => {
    await h.slack.waitFor(() => alertMessages().length >= 2, 40_000, "alerts");
    const scrape = async () => {
      const res = await fetch(`${app.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      return res.text();
    };
    // Wait until every reachable account has completed a poll (one EventSource lookup when quiet).
    let text = "";
    const deadline = Date.now() + 60_000;
    for (;;) {
      text = await scrape();
      if ([PAYMENTS, MOTO_ACCOUNT_ID].every((a) => text.includes(`trailwatch_polls_total{account="${a}",result="completed"}`))) break;
      if (Date.now() > deadline) throw new Error(`no completed polls in /metrics:\n${text.slice(0, 3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(new RegExp(`^trailwatch_polls_total\\{account="${PAYMENTS}",result="completed"\\} (\\d+)`, "m"))).toBeGreaterThanOrEqual(1);
    expect(value(new RegExp(`^trailwatch_polls_total\\{account="${SANDBOX}",result="failed"\\} (\\d+)`, "m"))).toBeGreaterThanOrEqual(1);
    expect(value(new RegExp(`^trailwatch_account_up\\{account="${SANDBOX}"\\} (\\d+)`, "m"))).toBe(0);
    expect(value(new RegExp(`^trailwatch_account_up\\{account="${MOTO_ACCOUNT_ID}"\\} (\\d+)`, "m"))).toBe(1);
    // Every completed poll made at least one lookup; the counter never exceeds what the server received.
    const lookups = value(new RegExp(`^trailwatch_lookup_events_calls_total\\{account="${PAYMENTS}"\\} (\\d+)`, "m"));
    expect(lookups).toBeGreaterThanOrEqual(value(new RegExp(`^trailwatch_polls_total\\{account="${PAYMENTS}",result="completed"\\} (\\d+)`, "m")));
    expect(lookups).toBeLessThanOrEqual(h.cloudtrail.calls.filter((c) => c.account === PAYMENTS && c.operation === "LookupEvents").length);
    expect(text).toMatch(new RegExp(`^trailwatch_poll_duration_seconds_count\\{account="${PAYMENTS}"\\} [1-9]`, "m"));
    expect(value(/^trailwatch_alerts_total\{severity="\w+",event="DeleteUser",muted="false"\} (\d+)/m)).toBe(1);
    // The own account's DeleteRole and the two of the restore tests.
    expect(value(/^trailwatch_alerts_total\{severity="\w+",event="DeleteRole",muted="false"\} (\d+)/m)).toBe(3);
    expect(value(new RegExp(`^trailwatch_lag_seconds\\{account="${PAYMENTS}"\\} ([\\d.]+)`, "m"))).toBeGreaterThan(0);
    expect(value(/^trailwatch_outbox_depth (\d+)/m)).toBe(0);
    expect(value(/^trailwatch_slack_post_duration_seconds_count\{result="ok"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    // One snapshot age per account that has a snapshot; none for the account whose role cannot be assumed.
    await app.waitForLog((l) => l.msg === "IAM snapshot stored" && l.account === PAYMENTS, 60_000);
    text = await scrape();
    for (const a of [MOTO_ACCOUNT_ID, PAYMENTS]) expect(value(new RegExp(`^trailwatch_snapshot_age_seconds\\{account="${a}"\\} ([\\d.e+-]+)$`, "m"))).toBeGreaterThanOrEqual(0);
    expect(text).not.toContain(`trailwatch_snapshot_age_seconds{account="${SANDBOX}"}`);
    // No ARNs, user names or error text in labels.
    expect(text).not.toContain("arn:aws");
  });
});

describe("/iam-audit accounts", () => {
  test("lists every watched account with its last poll and health, the unreachable one as failing", async () => {
    await h.slack.waitFor(() => sts.requests.some((r) => r.params.RoleArn === SANDBOX_ROLE), 30_000, "sandbox tried");
    await app.waitForLog((l) => l.msg === "poll finished" && l.account === PAYMENTS && l.completed === true, 60_000);
    await app.waitForLog((l) => typeof l.msg === "string" && l.msg.startsWith("IAM snapshots of the watched accounts finished"), 60_000);
    const res = await sendSlashCommand(`${app.url}/slack/events`, SIGNING_SECRET, {
      command: "/iam-audit",
      text: "accounts",
      user_id: APPROVER_A,
      channel_id: ALERT_CHANNEL,
      response_url: h.slack.responseUrl("accounts-1"),
    });
    expect(res.status).toBe(200);
    const posts = await h.slack.waitFor((s) => (s.responses("accounts-1").length > 0 ? s.responses("accounts-1") : undefined), 20_000, "answer");
    const text = JSON.stringify(posts.map((p) => p.body));
    expect(text).toContain("Watched AWS accounts:* 3");
    expect(text).toContain("1 failing");
    expect(text).toMatch(/\*legacy-sandbox\* `777788889999`\\n⚠️ \*failing\*/);
    expect(text).toMatch(/\*payments-prod\* `444455556666`\\n✅ ok · last poll <!date\^/);
    expect(text).toContain(`\`${MOTO_ACCOUNT_ID}\` · bot's own account`);
    // Each account's last snapshot: the unreachable one has none, and says its snapshot failed.
    expect(text).toMatch(/\*payments-prod\*[^"]*\\nlast IAM snapshot <!date\^\d+\^[^"]*\(#\d+\)/);
    expect(text).toMatch(/\*legacy-sandbox\*[^"]*\\nno IAM snapshot yet · ⚠️ \*snapshot failed\* <!date\^\d+\^[^"]*AccessDenied/);
  });
});
