// Issue 9, black-box: the real app process, signed Slack requests, the fake Slack Web API, IAM in moto.
// An approval given after IAM changed behind the plan changes nothing and says why; admin-level plans need
// the confirmation dialog; an event from another account gets no plan that could run.
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import type { AppProcess } from "../support/app-process.js";
import { buttonValue } from "../support/slack-helpers.js";
import { ALERT_CHANNEL, alertPostedFor, type Harness, SIGNING_SECRET, startHarness } from "../support/harness.js";
import { actionLine } from "../support/actions.js";
import { iamRecord } from "../support/records.js";
import { clickButton, current as currentIn, ephemeralsFor as ephemeralsIn, eventIdOf } from "../support/slack-helpers.js";

const REQUESTER = "UAPPR001";
const APPROVER = "UAPPR002";
const THIRD = "UAPPR003";
const ACCOUNT = "123456789012";
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

let h: Harness;
let app: AppProcess;
let events: string;

beforeAll(async () => {
  h = await startHarness({ moto: true });
  app = await h.start({ APPROVERS: `${REQUESTER},${APPROVER},${THIRD}` });
  events = `${app.url}/slack/events`;
});
afterAll(async () => {
  await h.close();
});

let seq = 0;
async function alertFor(eventName: string, requestParameters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<SlackMessage> {
  const eventId = `1000000${++seq}-aaaa-bbbb-cccc-dddddddddddd`;
  return alertPostedFor(h, { ...iamRecord({ eventId, eventName, eventTime: new Date(Date.now() - 60_000), requestParameters }), ...extra });
}

const click = (user: string, actionId: string, value: string, msg: SlackMessage) => clickButton(events, SIGNING_SECRET, user, actionId, value, msg);
const current = (m: SlackMessage) => currentIn(h.slack, m);
const ephemeralsFor = (user: string) => ephemeralsIn(h.slack, user);
const recorded = async () => (await h.actions()).map((a) => `${actionLine(a)} ${String(a.requestId)}`);

async function openPlans(msg: SlackMessage, user: string): Promise<{ modal: string; privateMetadata: string }> {
  const before = h.slack.views.length;
  await click(user, "alert_remediate", eventIdOf(msg), msg);
  const view = await h.slack.waitFor((s) => (s.views.length > before && s.views[s.views.length - 1]?.updates ? s.views[s.views.length - 1] : undefined), 15_000, "remediation modal with plans");
  return { modal: JSON.stringify(view.view.blocks), privateMetadata: String(view.view.private_metadata) };
}

async function requestRemediation(msg: SlackMessage, user: string, remediationId: string): Promise<{ requestId: string; message: SlackMessage; modal: string }> {
  const { modal, privateMetadata } = await openPlans(msg, user);
  await sendViewSubmission(
    events,
    SIGNING_SECRET,
    viewSubmissionPayload({
      userId: user,
      callbackId: "remediate_modal",
      privateMetadata,
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: remediationId }, value: remediationId } } } },
    }),
  );
  const message = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && JSON.stringify(m.blocks).includes("remediation_approve")),
    15_000,
    "remediation request message",
  );
  return { requestId: buttonValue(message, "remediation_approve"), message, modal };
}

async function attached(role: string): Promise<string[]> {
  const res = await h.moto!.iam().send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (res.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "");
}

describe("approval bound to the policy's content", () => {
  test("the policy swapped for Action * before approval: IAM unchanged, thread and approver told why, the request cannot be approved again", async () => {
    const iam = h.moto!.iam();
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/AppReadOnly`;
    await iam.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: "AppReadOnly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
      }),
    );
    const msg = await alertFor("DetachRolePolicy", { roleName: "app-role", policyArn });
    const { requestId, message } = await requestRemediation(msg, REQUESTER, "reattach-managed-policy");
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain("Bound to:");
    expect(shown).toContain("DefaultVersionId v1");
    expect(shown).toMatch(/Undoes DetachRolePolicy made by `arn:aws:iam::123456789012:user\/alice`/);
    expect(shown).not.toContain("admin-level");

    // The attacker makes the policy an admin policy while the request waits.
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        SetAsDefault: true,
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      }),
    );
    await click(APPROVER, "remediation_approve", requestId, message);

    const outcome = await h.slack.waitFor(
      (s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && (m.text ?? "").startsWith("Remediation refused")),
      20_000,
      "refusal in the thread",
    );
    const outcomeText = JSON.stringify(outcome.blocks);
    expect(outcomeText).toContain("IAM changed since the request was made");
    expect(outcomeText).toContain("DefaultVersionId was v1, is now v2");
    await h.slack.waitFor(() => ephemeralsFor(APPROVER).some((t) => t.includes("nothing was changed in IAM") && t.includes("DefaultVersionId was v1, is now v2")), 5000);
    expect(await attached("app-role")).toEqual([]);
    await h.slack.waitFor(() => JSON.stringify(current(message).blocks).includes("refused before any change"), 5000);
    expect(JSON.stringify(current(message).blocks)).not.toContain("remediation_approve");

    // A refused request is terminal: a later (even forged) approval does nothing.
    await click(THIRD, "remediation_approve", requestId, message);
    await h.slack.waitFor(() => ephemeralsFor(THIRD).some((t) => t.includes("cannot be approved again")), 5000);
    expect(await attached("app-role")).toEqual([]);
    await h.waitForAction((a) => a.actor === THIRD && a.result === "noop");
    expect(await recorded()).toEqual(expect.arrayContaining([`${APPROVER} remediation-approve refused ${requestId}`, `${THIRD} remediation-approve noop ${requestId}`]));
  });
});

describe("admin-level re-attach needs the confirmation dialog", () => {
  test("the button opens a dialog; a submission without the tick is refused; with it, the policy is attached", async () => {
    const iam = h.moto!.iam();
    const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    await iam.send(new CreateRoleCommand({ RoleName: "ops-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "ops-role", PolicyArn: admin }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: "ops-role", PolicyArn: admin }));
    const msg = await alertFor("DetachRolePolicy", { roleName: "ops-role", policyArn: admin });
    const { requestId, message } = await requestRemediation(msg, REQUESTER, "reattach-managed-policy");
    expect(JSON.stringify(message.blocks)).toContain("Grants admin-level access");
    expect(JSON.stringify(message.blocks)).toContain("AdministratorAccess, an admin-level policy");

    const viewsBefore = h.slack.views.length;
    await click(APPROVER, "remediation_approve", requestId, message);
    const dialog = await h.slack.waitFor((s) => s.views.slice(viewsBefore).find((v) => v.view.callback_id === "remediation_admin_confirm"), 10_000, "confirmation dialog");
    expect(JSON.stringify(dialog.view.blocks)).toContain("I understand this grants admin-level access");
    expect(await attached("ops-role")).toEqual([]);

    // A submission without the confirmation (a forged one, or the box left empty) runs nothing.
    const unticked = await sendViewSubmission(events, SIGNING_SECRET, viewSubmissionPayload({ userId: APPROVER, callbackId: "remediation_admin_confirm", privateMetadata: requestId, values: {} }));
    expect(unticked.status).toBe(200);
    await h.slack.waitFor(() => ephemeralsFor(APPROVER).some((t) => t.includes("grants admin-level access: approve it through the dialog")), 5000);
    expect(await attached("ops-role")).toEqual([]);

    await sendViewSubmission(
      events,
      SIGNING_SECRET,
      viewSubmissionPayload({
        userId: APPROVER,
        callbackId: "remediation_admin_confirm",
        privateMetadata: requestId,
        values: { admin_confirm: { admin_confirm_input: { type: "checkboxes", selected_options: [{ text: { type: "plain_text", text: "I understand this grants admin-level access" }, value: "confirmed" }] } } },
      }),
    );
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && (m.text ?? "").startsWith("Remediated")), 20_000, "outcome");
    expect(await attached("ops-role")).toEqual([admin]);
  });
});

describe("accounts", () => {
  test("an event from another account offers no plan that could run in the bot's account", async () => {
    const iam = h.moto!.iam();
    await iam.send(new CreateRoleCommand({ RoleName: "other-role", AssumeRolePolicyDocument: TRUST }));
    const msg = await alertFor("DetachRolePolicy", { roleName: "other-role", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, { recipientAccountId: "999988887777" });
    const { modal } = await openPlans(msg, REQUESTER);
    expect(modal).toContain("the event happened in account 999988887777, but the bot acts in account 123456789012");
    expect(modal).not.toContain("remediation_choice");
    expect(await attached("other-role")).toEqual([]);
  });
});
