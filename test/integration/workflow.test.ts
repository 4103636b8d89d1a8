// The interactive workflow driven as Slack drives it: signed block_actions and view_submission payloads
// over HTTP to the running app, the app's Slack client talking to the fake Web API, IAM in moto.
import { CreateInstanceProfileCommand, CreateRoleCommand, GetInstanceProfileCommand, ListAccountAliasesCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import type { AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, alertPostedFor, type Harness, SIGNING_SECRET, startHarness } from "../support/harness.js";
import { actionLine } from "../support/actions.js";
import { requestRemediation as requestRemediationIn } from "../support/remediate.js";
import { iamRecord } from "../support/records.js";
import { clickButton, current as currentIn, ephemeralsFor as ephemeralsIn, eventIdOf } from "../support/slack-helpers.js";

const RESPONDER = "URESP001";
const GROUP_MEMBER = "URESP002"; // responder through the user group SONCALL1
const APPROVER_A = "UAPPR001";
const APPROVER_B = "UAPPR002";
const OUTSIDER = "UOUTSIDE";
const ESCALATIONS = "CESCAL001";

let h: Harness;
let app: AppProcess;
let events: string;

beforeAll(async () => {
  h = await startHarness({ moto: true });
  h.slack.setUsergroup("SONCALL1", [GROUP_MEMBER]);
  app = await h.start({
    RESPONDERS: `${RESPONDER},SONCALL1`,
    APPROVERS: `${APPROVER_A},${APPROVER_B}`,
    ESCALATION_CHANNEL_ID: ESCALATIONS,
    ONCALL_USERGROUP_ID: "SONCALL1",
  });
  events = `${app.url}/slack/events`;
});
afterAll(async () => {
  await h.close();
});

let seq = 0;
/** Makes CloudTrail show a new event and waits for its alert message. */
async function alertFor(eventName: string, requestParameters: Record<string, unknown>): Promise<SlackMessage> {
  const eventId = `0000000${++seq}-aaaa-bbbb-cccc-dddddddddddd`;
  return alertPostedFor(h, iamRecord({ eventId, eventName, eventTime: new Date(Date.now() - 60_000), requestParameters }));
}


const click = (user: string, actionId: string, value: string, msg: SlackMessage) => clickButton(events, SIGNING_SECRET, user, actionId, value, msg);

const current = (m: SlackMessage) => currentIn(h.slack, m);
const blocksText = (m: SlackMessage) => JSON.stringify(current(m).blocks);
const ephemeralsFor = (user: string) => ephemeralsIn(h.slack, user);

async function actionLog(): Promise<string[]> {
  return (await h.actions()).map(actionLine);
}

describe("authorization", () => {
  test("someone not in RESPONDERS gets a private refusal, the alert does not change, the refusal is recorded", async () => {
    const msg = await alertFor("DeleteUser", { userName: "temp" });
    const before = blocksText(msg);
    const res = await click(OUTSIDER, "alert_acknowledge", eventIdOf(msg), msg);
    expect(res.status).toBe(200);
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === OUTSIDER), 5000);
    expect(ephemeralsFor(OUTSIDER).join("\n")).toMatch(/not allowed/);
    expect(blocksText(msg)).toBe(before);
    await h.waitForAction((a) => a.actor === OUTSIDER && a.result === "refused");
  });
});

describe("acknowledge", () => {
  test("updates the alert in place once; a second click tells who already acknowledged", async () => {
    const msg = await alertFor("DeleteGroupPolicy", { groupName: "ops", policyName: "deny" });
    await click(GROUP_MEMBER, "alert_acknowledge", eventIdOf(msg), msg);
    await h.slack.waitFor(() => blocksText(msg).includes("Acknowledged by"), 5000, "acknowledged line");
    expect(blocksText(msg)).toContain(`<@${GROUP_MEMBER}>`);
    expect(blocksText(msg)).not.toContain('"alert_acknowledge"');
    const updates = h.slack.callsTo("chat.update").length;

    await click(RESPONDER, "alert_acknowledge", eventIdOf(msg), msg);
    await h.slack.waitFor(() => ephemeralsFor(RESPONDER).some((t) => t.includes("Already acknowledged")), 5000);
    expect(ephemeralsFor(RESPONDER).find((t) => t.includes("Already acknowledged"))).toContain(`<@${GROUP_MEMBER}>`);
    expect(h.slack.callsTo("chat.update").length).toBe(updates);
  });
});

describe("escalate", () => {
  test("opens a modal, posts to the escalation channel with link, note and on-call mention, and refuses a second time", async () => {
    const msg = await alertFor("DeletePolicy", { policyArn: "arn:aws:iam::123456789012:policy/boundary" });
    await click(RESPONDER, "alert_escalate", eventIdOf(msg), msg);
    const view = await h.slack.waitFor((s) => s.views.find((v) => (v.view.callback_id as string) === "escalate_modal" && String(v.view.private_metadata).includes(eventIdOf(msg))), 5000);
    await sendViewSubmission(
      events,
      SIGNING_SECRET,
      viewSubmissionPayload({ userId: RESPONDER, callbackId: "escalate_modal", privateMetadata: String(view.view.private_metadata), values: { escalate_note: { escalate_note_input: "Looks like <!channel> someone's cleanup" } } }),
    );
    const post = await h.slack.waitFor((s) => s.messages(ESCALATIONS)[0], 5000, "escalation post");
    const postJson = JSON.stringify(post.blocks);
    expect(postJson).toContain("<!subteam^SONCALL1>");
    expect(postJson).toContain(`/archives/${ALERT_CHANNEL}/p`);
    expect(postJson).toContain("someone's cleanup");
    expect(postJson).not.toContain("<!channel>");
    await h.slack.waitFor(() => blocksText(msg).includes("Escalated by"), 5000);

    await click(GROUP_MEMBER, "alert_escalate", eventIdOf(msg), msg);
    await h.slack.waitFor(() => ephemeralsFor(GROUP_MEMBER).some((t) => t.includes("already escalated")), 5000);
    expect(h.slack.messages(ESCALATIONS)).toHaveLength(1);
  });
});

/** Clicks Remediate, waits for the plans, submits the chosen remediation; returns the request message. */
const requestRemediation = (msg: SlackMessage, user: string, remediationId: string) => requestRemediationIn(h.slack, events, msg, user, remediationId);

describe("remediate", () => {
  test("dry run shows the exact call; self-approval and non-approvers are refused; a second approver executes it once; IAM changes", async () => {
    const iam = h.moto!.iam();
    await iam.send(new CreateRoleCommand({ RoleName: "web-role", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    const msg = await alertFor("RemoveRoleFromInstanceProfile", { instanceProfileName: "web-profile", roleName: "web-role" });

    const { requestId, message, modal } = await requestRemediation(msg, APPROVER_A, "readd-role-to-instance-profile");
    expect(modal).toContain("AddRoleToInstanceProfile");
    expect(modal).toContain("web-profile");
    expect(JSON.stringify(message.blocks)).toContain(`<@${APPROVER_A}>`);

    // Four eyes: the requester cannot approve, even as an approver.
    await click(APPROVER_A, "remediation_approve", requestId, message);
    await h.slack.waitFor(() => ephemeralsFor(APPROVER_A).some((t) => t.includes("four-eyes")), 5000);
    // A responder who is not an approver cannot approve.
    await click(RESPONDER, "remediation_approve", requestId, message);
    await h.slack.waitFor(() => ephemeralsFor(RESPONDER).some((t) => t.includes("Only approvers")), 5000);
    let profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    expect(profile.InstanceProfile?.Roles ?? []).toHaveLength(0);

    // Two approvals at once: the request executes exactly once.
    await Promise.all([click(APPROVER_B, "remediation_approve", requestId, message), click(APPROVER_B, "remediation_approve", requestId, message)]);
    const outcome = await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && (m.text ?? "").startsWith("Remediated")), 20_000, "outcome");
    expect(JSON.stringify(outcome.blocks)).toContain("verified");
    profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(["web-role"]);
    expect(profile.InstanceProfile?.Tags).toEqual(expect.arrayContaining([{ Key: "trailwatch:remediation-request", Value: requestId }]));
    await h.slack.waitFor(() => ephemeralsFor(APPROVER_B).some((t) => t.includes("runs only once")), 5000);
    expect(h.slack.messages(ALERT_CHANNEL).filter((m) => m.thread_ts === msg.ts && /^Remediat(ed|ion failed)/.test(m.text ?? ""))).toHaveLength(1);
    await h.slack.waitFor(() => blocksText(msg).includes("Remediated:"), 5000);
    expect(blocksText(msg)).toMatch(new RegExp(`requested by <@${APPROVER_A}>, approved by <@${APPROVER_B}>`));

    const log = await actionLog();
    expect(log).toEqual(expect.arrayContaining([`${APPROVER_A} remediation-request ok`, `${APPROVER_A} remediation-approve refused`, `${RESPONDER} remediation-approve refused`, `${APPROVER_B} remediation-approve ok`, `${APPROVER_B} remediation-approve noop`]));
  });

  test("a rejected request changes nothing and cannot be approved afterwards", async () => {
    const iam = h.moto!.iam();
    const msg = await alertFor("DeleteAccountAlias", { accountAlias: "acme-prod" });
    const { requestId, message, modal } = await requestRemediation(msg, RESPONDER, "recreate-account-alias");
    expect(modal).toContain("CreateAccountAlias");
    expect(modal).toContain("acme-prod");
    await click(APPROVER_A, "remediation_reject", requestId, message);
    await h.slack.waitFor(() => JSON.stringify(current(message).blocks).includes("Rejected by"), 5000);
    await click(APPROVER_B, "remediation_approve", requestId, message);
    await h.slack.waitFor(() => ephemeralsFor(APPROVER_B).some((t) => t.includes("already rejected")), 5000);
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases ?? []).toEqual([]);
  });
});
