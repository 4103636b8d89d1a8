// Remediation requests in process, against moto's IAM: Remediate's plans, the request in the alert's thread,
// Approve (four eyes, admin-level confirmation), Reject. A stubbed WebClient and an in-memory store.
import {
  AddUserToGroupCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListGroupsForUserCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ActionIds, BlockIds, CallbackIds, InputIds } from "../../../src/slack/action-ids.js";
import { AdminConfirmIds } from "../../../src/slack/blocks/workflow.js";
import { onRemediate, onRemediateSubmit, remediateRule, remediateSubmitRule } from "../../../src/slack/listeners/alerts.js";
import { adminConfirmRule, approveRule, onAdminConfirmSubmit, onApprove, onReject, rejectRule } from "../../../src/slack/listeners/remediation.js";
import { ModalMetadata } from "../../../src/slack/payloads.js";
import type { AlertRecord } from "../../../src/store/types.js";
import { useMoto, type Moto } from "../../support/moto.js";
import {
  APPROVER,
  APPROVER_2,
  buttonArgs,
  callsOf,
  CHANNEL,
  dispatch,
  ephemerals,
  listenerHarness,
  OUTSIDER,
  recorded,
  recordedLines,
  RESPONDER,
  seedAlert,
  submitArgs,
  type Harness,
} from "../../support/slack-listeners.js";

const ALERT_TS = "1699999999.000100";
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

const motoServer = useMoto();
let moto: Moto;
let h: Harness;

beforeEach(async () => {
  moto = motoServer.get();
  h = await listenerHarness({ iam: moto.iam(), cloudtrail: moto.cloudtrail() });
});
afterEach(async () => {
  await h.store.close();
});

/** bob was removed from admins: the alert, and IAM as it is after the deletion. */
async function removedFromGroup(): Promise<AlertRecord> {
  const iam = moto.iam();
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  await iam.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "bob" }));
  await iam.send(new RemoveUserFromGroupCommand({ GroupName: "admins", UserName: "bob" }));
  return seedAlert(h.store, { eventName: "RemoveUserFromGroup", requestParameters: { groupName: "admins", userName: "bob" } }, { ts: ALERT_TS });
}

/** AdministratorAccess was detached from ops-role: an admin-level re-attach. */
async function adminDetached(): Promise<AlertRecord> {
  const iam = moto.iam();
  await iam.send(new CreateRoleCommand({ RoleName: "ops-role", AssumeRolePolicyDocument: TRUST }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: "ops-role", PolicyArn: ADMIN }));
  await iam.send(new DetachRolePolicyCommand({ RoleName: "ops-role", PolicyArn: ADMIN }));
  return seedAlert(h.store, { eventName: "DetachRolePolicy", requestParameters: { roleName: "ops-role", policyArn: ADMIN } }, { ts: ALERT_TS });
}

const groupsOfBob = async () => ((await moto.iam().send(new ListGroupsForUserCommand({ UserName: "bob" }))).Groups ?? []).map((g) => g.GroupName);
const attachedToOps = async () => ((await moto.iam().send(new ListAttachedRolePoliciesCommand({ RoleName: "ops-role" }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);

/** Submits the Remediate form as `user` and returns the stored request's id. */
async function request(alert: AlertRecord, user: string, choice: string): Promise<string> {
  const form = submitArgs(h.web, {
    user,
    callbackId: CallbackIds.remediateModal,
    privateMetadata: ModalMetadata.encode({ eventId: alert.eventId }),
    values: { [BlockIds.remediationChoice]: { [InputIds.remediationChoice]: { type: "radio_buttons", selected_option: { value: choice } } } },
  });
  await dispatch(h.deps, remediateSubmitRule, onRemediateSubmit, form);
  const [req] = await h.store.listRemediationRequests(alert.eventId);
  if (!req) throw new Error(`no request stored; told: ${JSON.stringify(ephemerals(h.client))}`);
  return req.id;
}

const approve = (user: string, requestId: string) => dispatch(h.deps, approveRule, onApprove, buttonArgs(h.web, { user, actionId: ActionIds.approveRemediation, value: requestId }));
const reject = (user: string, requestId: string) => dispatch(h.deps, rejectRule, onReject, buttonArgs(h.web, { user, actionId: ActionIds.rejectRemediation, value: requestId }));
const textsTo = (user: string) => ephemerals(h.client).filter((e) => e.user === user).map((e) => String(e.text));

describe("onRemediate", () => {
  test("the form shows the dry-run plan with the exact call", async () => {
    const alert = await removedFromGroup();
    await dispatch(h.deps, remediateRule, onRemediate, buttonArgs(h.web, { user: RESPONDER, actionId: ActionIds.remediate, value: alert.eventId }));
    const [update] = callsOf(h.client.views.update);
    expect(JSON.stringify(update?.view)).toContain("AddUserToGroup");
    expect(JSON.stringify(update?.view)).toContain("Re-add user bob to group admins");
  });
});

describe("onRemediateSubmit", () => {
  test("stores a pending request and posts it with Approve and Reject in the alert's thread", async () => {
    const alert = await removedFromGroup();
    const id = await request(alert, RESPONDER, "readd-user-to-group");
    const [post] = callsOf(h.client.chat.postMessage);
    expect(post).toMatchObject({ channel: CHANNEL, thread_ts: ALERT_TS });
    expect(JSON.stringify(post?.blocks)).toContain(ActionIds.approveRemediation);
    expect(JSON.stringify(post?.blocks)).toContain(ActionIds.rejectRemediation);
    const stored = await h.store.getRemediationRequest(id);
    expect(stored).toMatchObject({ state: "pending", requestedBy: RESPONDER, channelId: CHANNEL, remediationId: "readd-user-to-group" });
    expect(stored?.messageTs).toBeTruthy();
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} remediation-request ok`]);
  });

  test("when the request cannot be posted it is still stored and recorded (the thread simply lacks it)", async () => {
    const alert = await removedFromGroup();
    h.client.chat.postMessage.mockRejectedValueOnce(new Error("channel_not_found"));
    const id = await request(alert, RESPONDER, "readd-user-to-group");
    expect((await h.store.getRemediationRequest(id))?.messageTs).toBeUndefined();
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} remediation-request ok`]);
  });
});

describe("onApprove", () => {
  test("a second approver runs it once: IAM changes, the outcome is posted in the thread, the alert is remediated", async () => {
    const alert = await removedFromGroup();
    const id = await request(alert, RESPONDER, "readd-user-to-group");
    await approve(APPROVER, id);
    expect(await groupsOfBob()).toEqual(["admins"]);
    const outcome = callsOf(h.client.chat.postMessage).find((m) => String(m.text).startsWith("Remediated"));
    expect(outcome).toMatchObject({ channel: CHANNEL, thread_ts: ALERT_TS });
    expect((await h.store.getRemediationRequest(id))?.state).toBe("succeeded");
    expect((await h.store.getAlert(alert.eventId))?.status).toBe("remediated");
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} remediation-request ok`, `${APPROVER} remediation-approve ok`]);

    // A second click runs nothing and says who approved.
    await approve(APPROVER_2, id);
    expect(textsTo(APPROVER_2)).toEqual([`This request was already approved by <@${APPROVER}>; it runs only once.`]);
    expect((await recorded(h.store)).at(-1)).toMatchObject({ actor: APPROVER_2, result: "noop", detail: { reason: "request is succeeded" } });
  });

  test("four eyes: the requester cannot approve their own request; a responder is no approver", async () => {
    const alert = await removedFromGroup();
    const id = await request(alert, APPROVER, "readd-user-to-group");
    await approve(APPROVER, id);
    await approve(RESPONDER, id);
    expect(textsTo(APPROVER)).toEqual(["You requested this remediation, so another approver must approve it (four-eyes rule). Nothing was changed."]);
    expect(textsTo(RESPONDER)).toEqual(["Only approvers (APPROVERS) may approve remediations. Nothing was changed."]);
    expect(await groupsOfBob()).toEqual([]);
    expect((await h.store.getRemediationRequest(id))?.state).toBe("pending");
    expect((await recorded(h.store)).slice(1).map((a) => [a.actor, a.action, a.result, a.requestId, a.detail.reason])).toEqual([
      [APPROVER, "remediation-approve", "refused", id, "requester cannot approve own request"],
      [RESPONDER, "remediation-approve", "refused", id, "not an approver"],
    ]);
  });

  test("an unknown request is answered privately and nothing is recorded", async () => {
    await approve(APPROVER, "00000000-0000-4000-8000-000000000000");
    expect(textsTo(APPROVER)).toEqual(["This remediation request is not known to trailwatch."]);
    expect(await recorded(h.store)).toEqual([]);
  });
});

describe("onAdminConfirmSubmit", () => {
  const confirmForm = (user: string, requestId: string, ticked: boolean) =>
    submitArgs(h.web, {
      user,
      callbackId: CallbackIds.adminConfirmModal,
      privateMetadata: requestId,
      values: ticked ? { [AdminConfirmIds.block]: { [AdminConfirmIds.action]: { type: "checkboxes", selected_options: [{ value: AdminConfirmIds.value }] } } } : {},
    });

  test("the button opens the dialog; an unticked submission is refused and keeps the dialog open; a ticked one runs it", async () => {
    const alert = await adminDetached();
    const id = await request(alert, RESPONDER, "reattach-managed-policy");
    await approve(APPROVER, id);
    const [dialog] = callsOf(h.client.views.open);
    expect(dialog).toMatchObject({ trigger_id: "trigger-1", view: { callback_id: CallbackIds.adminConfirmModal, private_metadata: id } });
    expect(await attachedToOps()).toEqual([]);

    const unticked = confirmForm(APPROVER, id, false);
    await dispatch(h.deps, adminConfirmRule, onAdminConfirmSubmit, unticked);
    expect(unticked.ack).toHaveBeenCalledWith({ response_action: "errors", errors: { [AdminConfirmIds.block]: "Tick the confirmation to approve an admin-level remediation." } });
    expect(textsTo(APPROVER)).toEqual(["This remediation grants admin-level access: approve it through the dialog and tick the confirmation. Nothing was changed."]);
    expect(await attachedToOps()).toEqual([]);

    const ticked = confirmForm(APPROVER, id, true);
    await dispatch(h.deps, adminConfirmRule, onAdminConfirmSubmit, ticked);
    expect(ticked.ack).toHaveBeenCalledWith();
    expect(await attachedToOps()).toEqual([ADMIN]);
    expect((await recorded(h.store)).filter((a) => a.action === "remediation-approve").map((a) => [a.result, a.detail.adminConfirmed ?? a.detail.reason])).toEqual([
      ["refused", "admin-level plan approved without the explicit confirmation"],
      ["ok", true],
    ]);
  });

  test("a responder's ticked submission is refused in the request's conversation; nothing runs", async () => {
    const alert = await adminDetached();
    const id = await request(alert, APPROVER, "reattach-managed-policy");
    await dispatch(h.deps, adminConfirmRule, onAdminConfirmSubmit, confirmForm(RESPONDER, id, true));
    expect(ephemerals(h.client)).toEqual([{ user: RESPONDER, channel: CHANNEL, text: "Only approvers (APPROVERS) may approve remediations. Nothing was changed." }]);
    expect(await attachedToOps()).toEqual([]);
  });
});

describe("onReject", () => {
  test("the requester withdraws their own request; approving it afterwards runs nothing", async () => {
    const alert = await removedFromGroup();
    const id = await request(alert, RESPONDER, "readd-user-to-group");
    await reject(RESPONDER, id);
    expect((await h.store.getRemediationRequest(id))?.state).toBe("rejected");
    expect(callsOf(h.client.chat.update).some((u) => JSON.stringify(u.blocks).includes(`<@${RESPONDER}>`))).toBe(true);
    await approve(APPROVER, id);
    expect(textsTo(APPROVER)).toEqual([`This request was already rejected by <@${RESPONDER}>.`]);
    expect(await groupsOfBob()).toEqual([]);
  });

  test("someone neither approver nor requester is refused; the request stays pending", async () => {
    const alert = await removedFromGroup();
    const id = await request(alert, RESPONDER, "readd-user-to-group");
    await reject(OUTSIDER, id);
    expect(textsTo(OUTSIDER)).toEqual(["Only approvers or the requester may reject this request. Nothing was changed."]);
    expect((await h.store.getRemediationRequest(id))?.state).toBe("pending");
    expect((await recorded(h.store)).at(-1)).toMatchObject({ actor: OUTSIDER, action: "remediation-reject", result: "refused", requestId: id, detail: { reason: "not an approver or the requester" } });
  });
});
