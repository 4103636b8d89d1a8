// The alert buttons and forms in process: each listener behind its authorization rule, a stubbed WebClient,
// an in-memory store. What the clicker sees (ephemeral texts, modals, the edited alert) and what is recorded.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ModalMetadata } from "../../../src/slack/payloads.js";
import { ActionIds, BlockIds, CallbackIds, InputIds } from "../../../src/slack/action-ids.js";
import {
  acknowledgeRule,
  escalateRule,
  escalateSubmitRule,
  NOT_RESPONDER,
  onAcknowledge,
  onEscalate,
  onEscalateSubmit,
  onRemediate,
  onRemediateSubmit,
  remediateRule,
  remediateSubmitRule,
  UNKNOWN_ALERT,
} from "../../../src/slack/listeners/alerts.js";
import type { AlertRecord } from "../../../src/store/types.js";
import { buttonArgs, callsOf, CHANNEL, dispatch, ephemerals, listenerHarness, OUTSIDER, recorded, recordedLines, RESPONDER, seedAlert, submitArgs, type Harness } from "../../support/slack-listeners.js";

const ALERT_TS = "1699999999.000100";
let h: Harness;
let alert: AlertRecord;

beforeEach(async () => {
  h = await listenerHarness({ env: { ESCALATION_CHANNEL_ID: "CESCALATE1" } });
  alert = await seedAlert(h.store, { eventName: "DeleteRole", requestParameters: { roleName: "billing-admin-role" } }, { ts: ALERT_TS });
});
afterEach(async () => {
  await h.store.close();
});

const click = (user: string, actionId: string, value = alert.eventId) => buttonArgs(h.web, { user, actionId, value });
const escalateForm = (user: string, note: string, eventId = alert.eventId) =>
  submitArgs(h.web, { user, callbackId: CallbackIds.escalateModal, privateMetadata: ModalMetadata.encode({ eventId }), values: { [BlockIds.escalateNote]: { [InputIds.escalateNote]: { type: "plain_text_input", value: note } } } });
const remediateForm = (user: string, choice: string) =>
  submitArgs(h.web, {
    user,
    callbackId: CallbackIds.remediateModal,
    privateMetadata: ModalMetadata.encode({ eventId: alert.eventId }),
    values: { [BlockIds.remediationChoice]: { [InputIds.remediationChoice]: { type: "radio_buttons", selected_option: { value: choice } } } },
  });

describe("onAcknowledge", () => {
  test("a responder acknowledges: acked at once, the alert message edited in place, recorded ok", async () => {
    const args = click(RESPONDER, ActionIds.acknowledge);
    await dispatch(h.deps, acknowledgeRule, onAcknowledge, args);
    expect(args.ack).toHaveBeenCalledTimes(1);
    const updates = callsOf(h.client.chat.update);
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ channel: CHANNEL, ts: ALERT_TS });
    expect(JSON.stringify(updates[0]?.blocks)).toContain(`Acknowledged by <@${RESPONDER}>`);
    expect((await h.store.getAlert(alert.eventId))?.acknowledgedBy).toBe(RESPONDER);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} acknowledge ok`]);
    expect(ephemerals(h.client)).toEqual([]);
  });

  test("a second click changes nothing and says who acknowledged", async () => {
    await dispatch(h.deps, acknowledgeRule, onAcknowledge, click(RESPONDER, ActionIds.acknowledge));
    await dispatch(h.deps, acknowledgeRule, onAcknowledge, click(RESPONDER, ActionIds.acknowledge));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual([expect.stringMatching(new RegExp(`^Already acknowledged by <@${RESPONDER}> at <!date\\^`))]);
    expect(callsOf(h.client.chat.update)).toHaveLength(1);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} acknowledge ok`, `${RESPONDER} acknowledge noop`]);
  });

  test("someone not in RESPONDERS is refused privately; the alert is unchanged and the refusal recorded", async () => {
    await dispatch(h.deps, acknowledgeRule, onAcknowledge, click(OUTSIDER, ActionIds.acknowledge));
    expect(ephemerals(h.client)).toEqual([{ user: OUTSIDER, channel: CHANNEL, text: NOT_RESPONDER }]);
    expect(callsOf(h.client.chat.update)).toEqual([]);
    expect((await h.store.getAlert(alert.eventId))?.acknowledgedBy).toBeUndefined();
    const [refusal] = await recorded(h.store);
    expect(refusal).toMatchObject({ actor: OUTSIDER, action: "acknowledge", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder" } });
  });

  test("an unknown alert is answered privately and nothing is recorded", async () => {
    await dispatch(h.deps, acknowledgeRule, onAcknowledge, click(RESPONDER, ActionIds.acknowledge, "no-such-event"));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual([UNKNOWN_ALERT]);
    expect(await recorded(h.store)).toEqual([]);
  });
});

describe("onEscalate", () => {
  test("a responder gets the escalation form for this alert", async () => {
    await dispatch(h.deps, escalateRule, onEscalate, click(RESPONDER, ActionIds.escalate));
    const [open] = callsOf(h.client.views.open);
    expect(open).toMatchObject({ trigger_id: "trigger-1", view: { callback_id: CallbackIds.escalateModal, private_metadata: ModalMetadata.encode({ eventId: alert.eventId }) } });
    expect(await recorded(h.store)).toEqual([]);
  });

  test("when Slack cannot open the form, the clicker is told to try again", async () => {
    h.client.views.open.mockRejectedValueOnce(new Error("expired_trigger_id"));
    await dispatch(h.deps, escalateRule, onEscalate, click(RESPONDER, ActionIds.escalate));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["Could not open the escalation form; please try again."]);
  });

  test("an alert already escalated is not escalated twice", async () => {
    await h.store.escalate(alert.eventId, "UEARLIER01", new Date(), "");
    await dispatch(h.deps, escalateRule, onEscalate, click(RESPONDER, ActionIds.escalate));
    expect(callsOf(h.client.views.open)).toEqual([]);
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["This alert was already escalated by <@UEARLIER01>; it is not escalated twice."]);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} escalate noop`]);
  });
});

describe("onEscalateSubmit", () => {
  test("posts the escalation with the note and a link to the alert, marks the alert and records the channel", async () => {
    await dispatch(h.deps, escalateSubmitRule, onEscalateSubmit, escalateForm(RESPONDER, "looks like an attacker"));
    const [post] = callsOf(h.client.chat.postMessage);
    expect(post?.channel).toBe("CESCALATE1");
    const shown = JSON.stringify(post);
    expect(shown).toContain("looks like an attacker");
    expect(shown).toContain(`https://example.slack.com/archives/${CHANNEL}/p${ALERT_TS.replace(".", "")}`);
    expect((await h.store.getAlert(alert.eventId))?.escalatedBy).toBe(RESPONDER);
    expect(callsOf(h.client.chat.update)).toHaveLength(1);
    const [rec] = await recorded(h.store);
    expect(rec).toMatchObject({ action: "escalate", result: "ok", detail: { note: "looks like an attacker", channel: "CESCALATE1" } });
  });

  test("when the escalation channel refuses the post, the alert stays escalated, the user is told and the error recorded", async () => {
    h.client.chat.postMessage.mockRejectedValueOnce(new Error("not_in_channel"));
    await dispatch(h.deps, escalateSubmitRule, onEscalateSubmit, escalateForm(RESPONDER, "n"));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["The alert is marked escalated, but posting to the escalation channel failed: check that the bot is in that channel."]);
    expect(await recordedLines(h.store)).toEqual([`${RESPONDER} escalate error`]);
  });

  test("an outsider's submission is refused and recorded; nothing is posted", async () => {
    await dispatch(h.deps, escalateSubmitRule, onEscalateSubmit, escalateForm(OUTSIDER, "n"));
    expect(callsOf(h.client.chat.postMessage)).toEqual([]);
    expect(ephemerals(h.client)).toEqual([{ user: OUTSIDER, channel: CHANNEL, text: NOT_RESPONDER }]);
    expect(await recordedLines(h.store)).toEqual([`${OUTSIDER} escalate refused`]);
  });
});

describe("onRemediate", () => {
  test("opens the form at once, then fills in a plan per remediation offered", async () => {
    await dispatch(h.deps, remediateRule, onRemediate, click(RESPONDER, ActionIds.remediate));
    expect(callsOf(h.client.views.open)).toHaveLength(1);
    const [update] = callsOf(h.client.views.update);
    expect(update).toMatchObject({ view_id: "V0MODAL1", view: { callback_id: CallbackIds.remediateModal } });
    expect(JSON.stringify(update?.view)).toContain("this test does not expect an AWS call");
  });

  test("an outsider is refused before any form opens, and the refusal is recorded as remediation-open", async () => {
    await dispatch(h.deps, remediateRule, onRemediate, click(OUTSIDER, ActionIds.remediate));
    expect(callsOf(h.client.views.open)).toEqual([]);
    expect(ephemerals(h.client).map((e) => e.text)).toEqual([NOT_RESPONDER]);
    expect(await recordedLines(h.store)).toEqual([`${OUTSIDER} remediation-open refused`]);
  });
});

describe("onRemediateSubmit", () => {
  test("a remediation IAM cannot plan now is refused in the alert's thread, with the reason, and recorded", async () => {
    await dispatch(h.deps, remediateSubmitRule, onRemediateSubmit, remediateForm(RESPONDER, "restore-role"));
    const [told] = ephemerals(h.client);
    expect(told).toMatchObject({ user: RESPONDER, channel: CHANNEL, thread_ts: ALERT_TS });
    expect(String(told?.text)).toMatch(/^That remediation cannot be requested now: /);
    expect(callsOf(h.client.chat.postMessage)).toEqual([]);
    const [rec] = await recorded(h.store);
    expect(rec).toMatchObject({ action: "remediation-request", result: "refused", requestId: null, detail: { remediation: "restore-role" } });
  });

  test("a remediation not offered for this alert is refused as such", async () => {
    await dispatch(h.deps, remediateSubmitRule, onRemediateSubmit, remediateForm(RESPONDER, "start-trail-logging"));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual(["That remediation cannot be requested now: it is not offered for this alert."]);
    expect((await recorded(h.store))[0]?.detail).toEqual({ reason: "remediation not offered for this alert", remediation: "start-trail-logging" });
  });

  test("an outsider's submission is refused with the remediation chosen in the record", async () => {
    await dispatch(h.deps, remediateSubmitRule, onRemediateSubmit, remediateForm(OUTSIDER, "restore-role"));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual([NOT_RESPONDER]);
    expect((await recorded(h.store))[0]).toMatchObject({ actor: OUTSIDER, result: "refused", detail: { reason: "not a responder", remediation: "restore-role" } });
  });
});
