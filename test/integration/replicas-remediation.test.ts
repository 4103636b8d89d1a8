// A remediation approved through replica B while replica A holds the lead (PostgreSQL): the request made through
// A is found by B in the shared database, the approval clicked on both replicas at once executes exactly once.
import { CreateInstanceProfileCommand, CreateRoleCommand, GetInstanceProfileCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction, sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import { ALERT_CHANNEL, SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";
import { buttonValue } from "../support/slack-helpers.js";

const APPROVER_A = "UAPPR001";
const APPROVER_B = "UAPPR002";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the PostgreSQL replica remediation test: ${missing}`);

let h: Harness;
let cluster: PgCluster;
beforeAll(async () => {
  if (missing) return;
  cluster = await startPostgres();
  h = await startHarness({ moto: true });
});
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});

const click = (url: string, user: string, actionId: string, value: string, msg: SlackMessage) =>
  sendBlockAction(`${url}/slack/events`, SIGNING_SECRET, blockActionPayload({ userId: user, actionId, value, channelId: msg.channel, messageTs: msg.ts }));

test.skipIf(missing !== null)("requested through the leader, approved through the standby and the leader at once: executed exactly once", async () => {
  const env = { DATABASE_URL: cluster.url, LEASE_TTL_SECONDS: "2", APPROVERS: `${APPROVER_A},${APPROVER_B}` };
  const a = await h.start(env);
  await a.waitForLog((l) => l.msg === "poll finished", 40_000);
  const b = await h.start(env);
  await b.waitForLog((l) => l.msg.startsWith("another replica leads"), 40_000);

  const iam = h.moto!.iam();
  await iam.send(new CreateRoleCommand({ RoleName: "web-role", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
  const eventId = "00000001-aaaa-bbbb-cccc-dddddddddddd";
  h.cloudtrail.addEvent(iamRecord({ eventId, eventName: "RemoveRoleFromInstanceProfile", eventTime: new Date(Date.now() - 60_000), requestParameters: { instanceProfileName: "web-profile", roleName: "web-role" } }));
  const msg = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === eventId),
    40_000,
    "alert",
  );

  // Requested through the leader A.
  await click(a.url, APPROVER_A, "alert_remediate", eventId, msg);
  const view = await h.slack.waitFor((s) => (s.views.at(-1)?.updates ? s.views.at(-1) : undefined), 10_000, "remediation modal with plans");
  await sendViewSubmission(
    `${a.url}/slack/events`,
    SIGNING_SECRET,
    viewSubmissionPayload({
      userId: APPROVER_A,
      callbackId: "remediate_modal",
      privateMetadata: String(view.view.private_metadata),
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: "readd-role-to-instance-profile" }, value: "readd-role-to-instance-profile" } } } },
    }),
  );
  const request = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && JSON.stringify(m.blocks).includes("remediation_approve")),
    10_000,
    "remediation request message",
  );
  const requestId = buttonValue(request, "remediation_approve");

  // Approved by B's user through both replicas at the same moment: the store's claim lets exactly one run it.
  await Promise.all([click(b.url, APPROVER_B, "remediation_approve", requestId, request), click(a.url, APPROVER_B, "remediation_approve", requestId, request)]);
  await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && (m.text ?? "").startsWith("Remediated")), 30_000, "outcome");
  const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
  expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(["web-role"]);
  await h.slack.waitFor(() => h.slack.ephemerals.some((e) => e.user === APPROVER_B && (e.text ?? "").includes("runs only once")), 10_000, "second approval told");
  expect(h.slack.messages(ALERT_CHANNEL).filter((m) => m.thread_ts === msg.ts && /^Remediat(ed|ion failed)/.test(m.text ?? ""))).toHaveLength(1);
  const approvals = [...a.logs, ...b.logs].filter((l) => l.msg === "action recorded" && l.action === "remediation-approve").map((l) => String(l.result));
  expect(approvals.sort()).toEqual(["noop", "ok"]);
}, 240_000);
