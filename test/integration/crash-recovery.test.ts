// A crash during execution, against the real process: three remediation requests are made through Slack,
// then the process is killed and each is left "executing" as a crash between the approval's claim and the
// stored outcome leaves it. IAM is set as each crash would have left it. After a restart every request is
// settled by reading IAM back (succeeded / failed / unknown), posted in its thread, shown on its message and
// recorded as a system action; no IAM write call is made.
import { join } from "node:path";
import { CreateAccountAliasCommand, CreateGroupCommand, CreateInstanceProfileCommand, CreateRoleCommand, CreateUserCommand, GetInstanceProfileCommand } from "@aws-sdk/client-iam";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startAwsProxy, type AwsProxy } from "../audit/support/aws-proxy.js";
import type { SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction, sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import type { AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, alertPostedFor, type Harness, SIGNING_SECRET, startHarness } from "../support/harness.js";
import { iamRecord } from "../support/records.js";
import { buttonValue } from "../support/slack-helpers.js";

const REQUESTER = "UREQ0001";
const APPROVER = "UAPPR001";
const IAM_WRITES = new Set(["AddRoleToInstanceProfile", "CreateAccountAlias", "AddUserToGroup", "TagInstanceProfile", "AttachRolePolicy", "PutRolePolicy"]);

let h: Harness;
let proxy: AwsProxy;
// Read-backs that do not see a change are retried after short waits: moto is consistent at once, so the waits only
// cost time (the default 1 s and 3 s allow for IAM's eventual consistency).
const env = { RESPONDERS: REQUESTER, APPROVERS: APPROVER, REMEDIATION_VERIFY_DELAYS_MS: "100,300" };

beforeAll(async () => {
  h = await startHarness({ moto: true });
  proxy = await startAwsProxy(h.moto!.endpoint);
});
afterAll(async () => {
  await proxy.stop();
  await h.close();
});

let seq = 0;
async function alertFor(eventName: string, requestParameters: Record<string, unknown>): Promise<SlackMessage> {
  const eventId = `c0000000-0000-4000-8000-00000000000${++seq}`;
  return alertPostedFor(h, iamRecord({ eventId, eventName, eventTime: new Date(Date.now() - 60_000), requestParameters }));
}

async function requestRemediation(app: AppProcess, msg: SlackMessage, remediationId: string): Promise<{ requestId: string; message: SlackMessage }> {
  const events = `${app.url}/slack/events`;
  const eventId = (msg.metadata?.event_payload as { event_id: string }).event_id;
  const viewsBefore = h.slack.views.length;
  await sendBlockAction(events, SIGNING_SECRET, blockActionPayload({ userId: REQUESTER, actionId: "alert_remediate", value: eventId, channelId: msg.channel, messageTs: msg.ts }));
  const view = await h.slack.waitFor((s) => (s.views.length > viewsBefore && s.views[s.views.length - 1]?.updates ? s.views[s.views.length - 1] : undefined), 15_000, "remediation modal");
  await sendViewSubmission(
    events,
    SIGNING_SECRET,
    viewSubmissionPayload({
      userId: REQUESTER,
      callbackId: "remediate_modal",
      privateMetadata: String(view.view.private_metadata),
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: remediationId }, value: remediationId } } } },
    }),
  );
  const message = await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && JSON.stringify(m.blocks).includes("remediation_approve")), 15_000, "request message");
  return { requestId: buttonValue(message, "remediation_approve"), message };
}

const dbPath = () => join(h.dataDir, "trailwatch.db");

test("requests left executing by a crash are settled from IAM, posted and recorded, and never re-executed", async () => {
  const iam = h.moto!.iam();
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
  await iam.send(new CreateRoleCommand({ RoleName: "web-role", AssumeRolePolicyDocument: trust }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));

  const first = await h.start(env);
  // All three deletions at once: one poll finds them, rather than a poll per alert.
  const [aliasAlert, profileAlert, groupAlert] = await Promise.all([
    alertFor("DeleteAccountAlias", { accountAlias: "acme-prod" }),
    alertFor("RemoveRoleFromInstanceProfile", { instanceProfileName: "web-profile", roleName: "web-role" }),
    alertFor("RemoveUserFromGroup", { groupName: "admins", userName: "bob" }),
  ]);
  const alias = await requestRemediation(first, aliasAlert, "recreate-account-alias");
  const profile = await requestRemediation(first, profileAlert, "readd-role-to-instance-profile");
  const group = await requestRemediation(first, groupAlert, "readd-user-to-group");

  // The request messages' ts are stored just after they are posted; wait for that before the crash.
  for (;;) {
    const db = new Database(dbPath(), { readonly: true });
    const n = (db.prepare("SELECT COUNT(*) AS n FROM remediation_requests WHERE message_ts IS NOT NULL").get() as { n: number }).n;
    db.close();
    if (n === 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // The crash: the approval had claimed each request (state executing) and the process died before storing
  // the outcome. The alias call reached AWS; the instance-profile calls did not; the group one is unknown.
  await first.kill();
  {
    const db = new Database(dbPath());
    try {
      const approvedAt = Date.now() - 30_000;
      const claim = db.prepare("UPDATE remediation_requests SET state = 'executing', decided_by = ?, decided_at = ? WHERE id = ? AND state = 'pending'");
      for (const id of [alias.requestId, profile.requestId, group.requestId]) expect(claim.run(APPROVER, approvedAt, id).changes).toBe(1);
    } finally {
      db.close();
    }
  }
  await iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-prod" }));
  // Reading the group back is denied to the restarted bot, so that outcome cannot be known.
  proxy.deny("ListGroupsForUser");
  proxy.calls.length = 0;
  const postsBefore = h.slack.callsTo("chat.postMessage").length;

  // The killed process is gone, so the restart takes its lease over at once.
  const second = await h.start({ ...env, AWS_ENDPOINT_URL_IAM: proxy.endpoint });
  await second.waitForLog((l) => l.msg === "crash recovery finished", 40_000);

  const thread = (m: SlackMessage) => h.slack.messages(ALERT_CHANNEL).filter((x) => x.thread_ts === m.ts && x.ts !== m.ts && !JSON.stringify(x.blocks).includes("remediation_approve"));
  const aliasOut = thread(aliasAlert).map((m) => JSON.stringify(m.blocks)).join("\n");
  expect(aliasOut).toContain("trailwatch stopped while this remediation was executing");
  expect(aliasOut).toContain("It was not run again");
  expect(aliasOut).toContain("Remediated:");
  expect(aliasOut).toContain("acme-prod");
  expect(aliasOut).toContain(`<@${APPROVER}>`);
  const profileOut = thread(profileAlert).map((m) => JSON.stringify(m.blocks)).join("\n");
  expect(profileOut).toContain("Remediation incomplete");
  expect(profileOut).toContain("Not in IAM");
  expect(profileOut).toContain("web-role is NOT in instance profile web-profile");
  const groupOut = thread(groupAlert).map((m) => JSON.stringify(m.blocks)).join("\n");
  expect(groupOut).toContain("Outcome unknown");
  expect(groupOut).toContain("iam:ListGroupsForUser");
  // Exactly one outcome per request, and nothing else was posted.
  expect(h.slack.callsTo("chat.postMessage").length - postsBefore).toBe(3);

  // The request messages show the settled state; the remediated alert says so.
  const current = (m: SlackMessage) => JSON.stringify(h.slack.message(m.channel, m.ts)?.blocks);
  await h.slack.waitFor(() => current(alias.message).includes("and executed") && current(profile.message).includes("execution failed") && current(group.message).includes("outcome is unknown"), 20_000, "request messages updated");
  await h.slack.waitFor(() => current(aliasAlert).includes("Remediated:"), 10_000, "alert shows remediated");

  // Stored and recorded as the bot's own action.
  const db = new Database(dbPath(), { readonly: true });
  try {
    const states = db.prepare("SELECT id, state FROM remediation_requests").all() as { id: string; state: string }[];
    const stateOf = (id: string) => states.find((s) => s.id === id)?.state;
    expect([stateOf(alias.requestId), stateOf(profile.requestId), stateOf(group.requestId)]).toEqual(["succeeded", "failed", "unknown"]);
    const actions = db.prepare("SELECT actor, result, request_id, detail_json FROM actions WHERE action = 'remediation-recover' ORDER BY id").all() as { actor: string; result: string; request_id: string; detail_json: string }[];
    expect(actions).toHaveLength(3);
    expect(actions.map((a) => [a.actor, a.request_id, a.result, (JSON.parse(a.detail_json) as { outcome: string }).outcome])).toEqual(expect.arrayContaining([
      ["system", alias.requestId, "ok", "succeeded"],
      ["system", profile.requestId, "error", "failed"],
      ["system", group.requestId, "error", "unknown"],
    ]));
  } finally {
    db.close();
  }

  // Never re-executed: no IAM write reached AWS, and the instance profile is still empty.
  expect(proxy.calls.filter((c) => IAM_WRITES.has(c.action))).toEqual([]);
  expect(proxy.calls.some((c) => c.action === "ListAccountAliases")).toBe(true);
  const p = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
  expect(p.InstanceProfile?.Roles ?? []).toHaveLength(0);

  // A further restart finds nothing left executing and posts nothing.
  await second.stop();
  const posts = h.slack.callsTo("chat.postMessage").length;
  const third = await h.start({ ...env, AWS_ENDPOINT_URL_IAM: proxy.endpoint });
  await third.waitForLog((l) => l.msg === "trailwatch ready");
  expect(third.logs.some((l) => l.msg === "crash recovery finished")).toBe(false);
  expect(h.slack.callsTo("chat.postMessage").length).toBe(posts);
}, 180_000);
