// The four-eyes flow as two people click it in Slack, against the real app: the requester clicks Remediate on
// an alert, picks a remediation in the modal of plans and submits it; the request message appears in the alert's
// thread and a second person approves it; the outcome is posted in the thread. One copy for every test file.
import type { FakeSlack, SlackMessage } from "../fakes/slack.js";
import { sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import { ALERT_CHANNEL, SIGNING_SECRET } from "./harness.js";
import { buttonValue, clickButton, eventIdOf } from "./slack-helpers.js";

interface RemediationRun {
  /** The modal's blocks (the plans offered), as JSON. */
  modal: string;
  /** The request message's blocks, as JSON. */
  request: string;
  /** The outcome message's blocks, as JSON. */
  outcome: string;
}

/** Clicks Remediate on `msg` as `user`, waits for the plans, submits `remediationId`; returns the request message. */
export async function requestRemediation(slack: FakeSlack, eventsUrl: string, msg: SlackMessage, user: string, remediationId: string): Promise<{ requestId: string; message: SlackMessage; modal: string }> {
  const viewsBefore = slack.views.length;
  await clickButton(eventsUrl, SIGNING_SECRET, user, "alert_remediate", eventIdOf(msg), msg);
  const view = await slack.waitFor((s) => (s.views.length > viewsBefore && s.views[s.views.length - 1]?.updates ? s.views[s.views.length - 1] : undefined), 20_000, "remediation modal with plans");
  const modal = JSON.stringify(view.view.blocks);
  await sendViewSubmission(
    eventsUrl,
    SIGNING_SECRET,
    viewSubmissionPayload({
      userId: user,
      callbackId: "remediate_modal",
      privateMetadata: String(view.view.private_metadata),
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: remediationId }, value: remediationId } } } },
    }),
  );
  const message = await slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && JSON.stringify(m.blocks).includes("remediation_approve") && !JSON.stringify(m.blocks).includes("Rejected")),
    20_000,
    "remediation request message",
  );
  return { requestId: buttonValue(message, "remediation_approve"), message, modal };
}

/** Requests `remediationId` from alert `msg` as `requester` and has `approver` approve it; waits for the outcome. */
export async function remediateAndApprove(slack: FakeSlack, eventsUrl: string, msg: SlackMessage, remediationId: string, requester: string, approver: string): Promise<RemediationRun> {
  const { requestId, message, modal } = await requestRemediation(slack, eventsUrl, msg, requester, remediationId);
  await clickButton(eventsUrl, SIGNING_SECRET, approver, "remediation_approve", requestId, message);
  const outcome = await slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === msg.ts && /^Remediat(ed|ion failed)/.test(m.text ?? "")), 60_000, "outcome");
  return { modal, request: JSON.stringify(message.blocks), outcome: JSON.stringify(outcome.blocks) };
}
