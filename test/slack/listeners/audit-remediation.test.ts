// The Remediate button of an /iam-audit finding in process, against moto's IAM: the remediation comes from
// the stored report the button names, never from the button itself.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ActionIds } from "../../../src/slack/action-ids.js";
import { auditRemediateRule, onAuditRemediate } from "../../../src/slack/listeners/audit-remediation.js";
import { AuditRemediateValue } from "../../../src/slack/payloads.js";
import { useMoto, type Moto } from "../../support/moto.js";
import { buttonArgs, callsOf, CHANNEL, dispatch, ephemerals, listenerHarness, OUTSIDER, recorded, RESPONDER, type Harness } from "../../support/slack-listeners.js";
import { auditReport } from "../../support/stored.js";

const FINDING = "account:password-policy";
const DM = "D0DIRECTMSG";
const motoServer = useMoto();
let moto: Moto;
let h: Harness;
let reportId: number;

beforeEach(async () => {
  moto = motoServer.get();
  h = await listenerHarness({ iam: moto.iam(), cloudtrail: moto.cloudtrail() });
  reportId = await h.store.saveAuditReport(
    new Date(),
    auditReport([{ id: FINDING, check: "password-policy", severity: "medium", title: "No password policy", detail: "d", remediation: { id: "enforce-password-policy", params: {} } }]),
  );
});
afterEach(async () => {
  await h.store.close();
});

const click = (user: string, value: string, o: { channel?: string; responseUrl?: string } = {}) => buttonArgs(h.web, { user, actionId: ActionIds.auditRemediate, value, ...o });
const valueFor = (finding: string, report = reportId) => AuditRemediateValue.encode({ report, finding });

describe("onAuditRemediate", () => {
  test("plans the reported finding's remediation, stores the request and posts it where the button was clicked", async () => {
    await dispatch(h.deps, auditRemediateRule, onAuditRemediate, click(RESPONDER, valueFor(FINDING)));
    const [post] = callsOf(h.client.chat.postMessage);
    expect(post?.channel).toBe(CHANNEL);
    expect(JSON.stringify(post?.blocks)).toContain("UpdateAccountPasswordPolicy");
    expect(ephemerals(h.client)).toEqual([]);
    const [rec] = await recorded(h.store);
    expect(rec).toMatchObject({ actor: RESPONDER, action: "remediation-request", result: "ok", detail: { report: reportId, finding: FINDING, remediation: "enforce-password-policy", channel: CHANNEL } });
    expect(await h.store.getRemediationRequest(String(rec?.requestId))).toMatchObject({ findingId: FINDING, alertEventId: null, state: "pending" });
  });

  test("a DM the bot cannot post in: the request goes to the alert channel and the clicker is told where", async () => {
    h.client.chat.postMessage.mockRejectedValueOnce(new Error("channel_not_found"));
    const args = click(RESPONDER, valueFor(FINDING), { channel: DM, responseUrl: "https://hooks.slack.com/actions/T1/1/x" });
    await dispatch(h.deps, auditRemediateRule, onAuditRemediate, args);
    expect(callsOf(h.client.chat.postMessage).map((p) => p.channel)).toEqual([DM, CHANNEL]);
    expect(args.respond).toHaveBeenCalledWith({ response_type: "ephemeral", replace_original: false, text: `The remediation request was posted for approval in <#${CHANNEL}>.` });
  });

  test("a button naming a finding the report never had is refused and recorded; nothing is requested", async () => {
    await dispatch(h.deps, auditRemediateRule, onAuditRemediate, click(RESPONDER, valueFor("user:root:forged")));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["This Remediate button does not match a finding trailwatch reported, so nothing was requested. Run `/iam-audit` again."]);
    expect(callsOf(h.client.chat.postMessage)).toEqual([]);
    expect((await recorded(h.store))[0]).toMatchObject({ result: "refused", detail: { reason: "no such finding with a remediation in the stored report (forged or stale button)" } });
  });

  test("an old-format value is refused before anything else, with the value recorded", async () => {
    const forged = JSON.stringify({ remediation: "deactivate-access-key", params: { accessKeyId: "AKIAFORGEDFORGED0001" } });
    await dispatch(h.deps, auditRemediateRule, onAuditRemediate, click(OUTSIDER, forged));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["This Remediate button is not valid (it may come from an older trailwatch). Nothing was requested. Run `/iam-audit` again."]);
    expect((await recorded(h.store))[0]).toMatchObject({ actor: OUTSIDER, result: "refused", detail: { reason: "invalid button value", value: forged } });
  });

  test("someone not in RESPONDERS is refused privately; the refusal names the report and finding", async () => {
    await dispatch(h.deps, auditRemediateRule, onAuditRemediate, click(OUTSIDER, valueFor(FINDING)));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["You are not allowed to request remediations (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed."]);
    expect((await recorded(h.store))[0]).toMatchObject({ actor: OUTSIDER, action: "remediation-request", result: "refused", detail: { reason: "not a responder", report: reportId, finding: FINDING } });
  });
});
