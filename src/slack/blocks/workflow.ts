// Pure Block Kit builders for the interactive workflow: the escalation modal and post, the remediation
// modal (dry-run plans), and the remediation request message with Approve / Reject.
import type { KnownBlock, ModalView } from "@slack/types";
import type { AlertRecord, RemediationRequestRecord } from "../../store/types.js";
import type { ExecutionResult, RemediationPlan } from "../../remediation/types.js";
import { bindingText } from "../../remediation/bindings.js";
import { ADMIN_CONFIRMATION } from "../../remediation/executor.js";
import { ActionIds, BlockIds, CallbackIds, InputIds } from "../action-ids.js";
import { ModalMetadata } from "../payloads.js";
import { code, inline, prose, slackDate, truncateEscaped, userMention } from "../mrkdwn.js";
import { LIMITS } from "./limits.js";

/** One line that names the alert: used in escalations, requests and the App Home. */
export function alertSummary(alert: AlertRecord): string {
  const resources = alert.event.resources.slice(0, 3).map((r) => `${r.label} ${code(r.value, 80)}`).join(", ");
  const who = alert.event.actor.arn ?? alert.event.actor.type;
  return `*${inline(alert.eventName, 80)}* (${alert.severity}) by ${code(who, 200)}${resources ? ` on ${resources}` : ""}`;
}

const plain = (text: string) => ({ type: "plain_text" as const, text: text.slice(0, 75) });

/** A modal about one alert: its metadata names the alert, and it opens with the alert's summary. */
function alertModal(alert: AlertRecord, o: { callbackId: string; title: string; close: string; submit?: string | undefined }, blocks: KnownBlock[]): ModalView {
  return {
    type: "modal",
    callback_id: o.callbackId,
    private_metadata: ModalMetadata.encode({ eventId: alert.eventId }),
    title: plain(o.title),
    ...(o.submit === undefined ? {} : { submit: plain(o.submit) }),
    close: plain(o.close),
    blocks: [{ type: "section", text: { type: "mrkdwn", text: alertSummary(alert) } }, ...blocks],
  };
}

export function escalateModal(alert: AlertRecord): ModalView {
  return alertModal(alert, { callbackId: CallbackIds.escalateModal, title: "Escalate alert", submit: "Escalate", close: "Cancel" }, [
    {
      type: "input",
      block_id: BlockIds.escalateNote,
      optional: true,
      label: plain("Note for the on-call team"),
      element: { type: "plain_text_input", action_id: InputIds.escalateNote, multiline: true, max_length: 2000 },
    },
  ]);
}

export function escalationPost(alert: AlertRecord, by: string, note: string, permalink: string | null, oncallGroupId?: string): { text: string; blocks: KnownBlock[] } {
  const mention = oncallGroupId ? `<!subteam^${oncallGroupId}> ` : "";
  const link = permalink && /^https?:\/\/[^\s<>|]+$/.test(permalink) ? ` <${permalink}|View alert>` : "";
  const text = `${mention}Escalated by ${userMention(by)}: ${alertSummary(alert)}${link}`;
  const blocks: KnownBlock[] = [{ type: "section", text: { type: "mrkdwn", text: truncateEscaped(text, LIMITS.sectionText) } }];
  if (note.trim()) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Note:*\n${prose(note, 2900)}` } });
  }
  return { text: inline(`Escalation: ${alert.eventName} (${alert.severity})`, 200), blocks };
}

/** The remediation modal's frame: the same view while loading and with its plans (only then a submit). */
const remediateFrame = (alert: AlertRecord, blocks: KnownBlock[], submit?: string): ModalView =>
  alertModal(alert, { callbackId: CallbackIds.remediateModal, title: "Remediate", close: "Close", submit }, blocks);

export function remediateLoadingModal(alert: AlertRecord): ModalView {
  return remediateFrame(alert, [{ type: "context", elements: [{ type: "mrkdwn", text: "Computing dry-run plans against live IAM…" }] }]);
}

/** The admin-level warning of a plan, or "" when it grants no admin-level access. */
function adminWarning(plan: RemediationPlan): string {
  const reasons = Array.isArray(plan.adminReasons) ? plan.adminReasons : [];
  if (reasons.length === 0) return "";
  const lines = [`⚠️ *Grants admin-level access.* The approver must confirm it explicitly.`];
  for (const r of reasons.slice(0, 5)) lines.push(`• ${prose(r, 300)}`);
  if (reasons.length > 5) lines.push(`• …and ${reasons.length - 5} more`);
  return lines.join("\n");
}

/** The lines that describe a plan: state found, what it is bound to, exact calls, or why it cannot apply. */
function planLines(plan: RemediationPlan): string {
  const lines: string[] = [];
  lines.push(`${plan.applicable ? "✅" : "🚫"} *${inline(plan.title, 150)}*`);
  lines.push(prose(plan.reason, 500));
  const warning = plan.applicable ? adminWarning(plan) : "";
  if (warning) lines.push(warning);
  if (plan.undoes) {
    const when = plan.undoes.eventTime ? ` at ${inline(plan.undoes.eventTime, 40)}` : "";
    lines.push(`• Undoes ${inline(plan.undoes.eventName, 60)} made by ${code(plan.undoes.actor, 200)}${when}`);
    if (plan.undoes.deliberate) lines.push(`• ⚠️ Possibly deliberate: ${prose(plan.undoes.deliberate, 300)}`);
  }
  const bindings = Array.isArray(plan.bindings) ? plan.bindings : [];
  for (const b of bindings.slice(0, 8)) lines.push(`• Bound to: ${code(bindingText(b), 250)}`);
  if (bindings.length > 8) lines.push(`• Bound to ${bindings.length - 8} more (re-checked at approval)`);
  for (const o of plan.observations.slice(0, 8)) lines.push(`• Found: ${prose(o, 300)}`);
  for (const n of (plan.notes ?? []).slice(0, 8)) lines.push(`• ⚠️ ${prose(n, 400)}`);
  for (const c of plan.calls.slice(0, 20)) lines.push(`• Will call ${code(c.api, 60)}: ${prose(c.description, 300)}`);
  if (plan.calls.length > 20) lines.push(`• …and ${plan.calls.length - 20} more call(s), listed in the request's record`);
  return truncateEscaped(lines.join("\n"), LIMITS.sectionText);
}

export function remediateModal(alert: AlertRecord, plans: RemediationPlan[]): ModalView {
  const applicable = plans.map((p, i) => ({ p, i })).filter(({ p }) => p.applicable);
  const blocks: KnownBlock[] = [{ type: "context", elements: [{ type: "mrkdwn", text: "Dry run: nothing has been changed. A second approver must approve before anything runs." }] }];
  for (const plan of plans.slice(0, 20)) {
    blocks.push({ type: "divider" });
    blocks.push({ type: "section", text: { type: "mrkdwn", text: planLines(plan) } });
  }
  if (plans.length === 0) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: "No remediation fits this event." } });
  }
  if (applicable.length > 0) {
    blocks.push({
      type: "input",
      block_id: BlockIds.remediationChoice,
      label: plain("Request this remediation"),
      element: {
        type: "radio_buttons",
        action_id: InputIds.remediationChoice,
        options: applicable.slice(0, 10).map(({ p }) => ({ text: plain(p.title), value: p.remediationId })),
      },
    });
  }
  return remediateFrame(alert, blocks, applicable.length > 0 ? "Request approval" : undefined);
}

function stateLine(req: RemediationRequestRecord): string {
  const when = req.decidedAt ? ` at ${slackDate(req.decidedAt)}` : "";
  const by = req.decidedBy ? userMention(req.decidedBy) : "";
  switch (req.state) {
    case "pending":
      return `⏳ Waiting for an approver other than ${userMention(req.requestedBy)}. Expires ${slackDate(req.expiresAt)}.`;
    case "executing":
      return `⚙️ Approved by ${by}${when}: executing…`;
    case "succeeded":
      return `✅ Approved by ${by}${when} and executed.`;
    case "failed":
      return `❌ Approved by ${by}${when}; execution failed (see thread).`;
    case "rejected":
      return `✋ Rejected by ${by}${when}. Nothing was changed.`;
    case "expired":
      return `⌛ Expired at ${slackDate(req.expiresAt)} without approval. Nothing was changed.`;
    case "unknown":
      return `❓ Approved by ${by}${when}; trailwatch stopped while executing and could not read IAM back, so the outcome is unknown (see thread).`;
    case "refused":
      return `🚫 Approved by ${by}${when}, but refused before any change (see the thread for why). Nothing was changed; it cannot be approved again. Request a new plan if the change is still wanted.`;
  }
}

export function requestMessage(req: RemediationRequestRecord, plan: RemediationPlan): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: { type: "mrkdwn", text: `*Remediation requested* by ${userMention(req.requestedBy)} (request ${code(req.id, 60)})` },
    },
    { type: "section", text: { type: "mrkdwn", text: planLines(plan) } },
    { type: "context", elements: [{ type: "mrkdwn", text: stateLine(req) }] },
  ];
  if (req.state === "pending") {
    const admin = Array.isArray(plan.adminReasons) && plan.adminReasons.length > 0;
    blocks.push({
      type: "actions",
      block_id: BlockIds.remediationActions,
      elements: [
        admin
          ? // Admin-level: the click opens a dialog with the explicit confirmation instead of running.
            { type: "button", action_id: ActionIds.approveRemediation, text: plain("Review and approve…"), style: "primary", value: req.id }
          : {
              type: "button",
              action_id: ActionIds.approveRemediation,
              text: plain("Approve"),
              style: "primary",
              value: req.id,
              confirm: {
                title: plain("Run this remediation?"),
                text: { type: "mrkdwn", text: `This changes IAM now: ${inline(plan.title, 200)}.` },
                confirm: plain("Approve and run"),
                deny: plain("Cancel"),
              },
            },
        { type: "button", action_id: ActionIds.rejectRemediation, text: plain("Reject"), style: "danger", value: req.id },
      ],
    });
  }
  return { text: inline(`Remediation requested: ${plan.title} (${req.state})`, 500), blocks };
}

export const AdminConfirmIds = { block: "admin_confirm", action: "admin_confirm_input", value: "confirmed" } as const;

/** The dialog an approver must fill in before an admin-level plan runs. private_metadata: the request id. */
export function adminConfirmModal(req: RemediationRequestRecord, plan: RemediationPlan): ModalView {
  return {
    type: "modal",
    callback_id: CallbackIds.adminConfirmModal,
    private_metadata: req.id,
    title: plain("Admin-level access"),
    submit: plain("Approve and run"),
    close: plain("Cancel"),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${inline(plan.title, 200)}* (request ${code(req.id, 60)}, requested by ${userMention(req.requestedBy)})` } },
      { type: "section", text: { type: "mrkdwn", text: truncateEscaped(adminWarning(plan), LIMITS.sectionText) } },
      {
        type: "input",
        block_id: AdminConfirmIds.block,
        label: plain("Confirmation"),
        element: {
          type: "checkboxes",
          action_id: AdminConfirmIds.action,
          options: [{ text: { type: "plain_text", text: ADMIN_CONFIRMATION }, value: AdminConfirmIds.value }],
        },
      },
    ],
  };
}

export function outcomeMessage(plan: RemediationPlan, result: ExecutionResult, approvedBy: string): { text: string; blocks: KnownBlock[] } {
  const lines: string[] = [];
  if (result.drift && result.drift.length > 0) {
    lines.push(`🚫 *Not executed — IAM changed since the request was made.* Nothing was changed in IAM; request a new plan if the change is still wanted.`);
    for (const d of result.drift.slice(0, 10)) lines.push(`• ${prose(d, 300)}`);
  } else if (result.refused) {
    lines.push(`🚫 *Not executed:* ${prose(result.refused, 500)}`);
  } else if (result.ok) {
    lines.push(`✅ *Remediated:* ${prose(result.summary, 500)} (approved by ${userMention(approvedBy)})`);
  } else {
    lines.push(`❌ *Remediation failed:* ${prose(plan.title, 200)}`);
    if (result.failed) {
      lines.push(`AWS refused ${code(result.failed.call.api, 60)}: ${code(result.failed.errorName, 80)} ${prose(result.failed.message, 600)}`);
    }
  }
  if (result.done.length > 0) lines.push(`*Done:*\n${result.done.map((c) => `• ${prose(c.description, 250)}`).join("\n")}`);
  if (result.notDone.length > 0) lines.push(`*Not done:*\n${result.notDone.map((c) => `• ${prose(c.description, 250)}`).join("\n")}`);
  if (!result.refused) {
    lines.push(`*Read back from IAM:* ${result.verification.ok ? "verified" : "NOT verified"}`);
    for (const d of result.verification.details.slice(0, 8)) lines.push(`• ${prose(d, 250)}`);
  }
  const text = truncateEscaped(lines.join("\n"), LIMITS.sectionText);
  return {
    text: inline(result.ok ? `Remediated: ${result.summary}` : result.refused ? `Remediation refused: ${plan.title}` : `Remediation failed: ${plan.title}`, 500),
    blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
  };
}
