// Turns a stored alert (and what people did with it) into its Slack message. Used for the first post and
// for every later chat.update, so the message always reflects the store.
import type { KnownBlock } from "@slack/types";
import type { AlertActivity, RemediationOutcomeView } from "../alerts.js";
import { getCatalogEntry } from "../catalog/index.js";
import { isIamDeletionEventName } from "../domain.js";
import type { AlertRecord, RemediationRequestRecord } from "../store/types.js";
import { ActionIds } from "./action-ids.js";
import { buildAlertDetails, buildAlertMessage } from "./blocks/alert.js";
import { inline } from "./mrkdwn.js";

export function activityOf(alert: AlertRecord, requests: RemediationRequestRecord[]): AlertActivity {
  const remediated: RemediationOutcomeView[] = requests
    .filter((r) => r.state === "succeeded" && r.decidedBy && r.decidedAt)
    .map((r) => ({
      summary: r.result?.summary ?? r.remediationId,
      requestedBy: r.requestedBy,
      approvedBy: r.decidedBy as string,
      at: r.decidedAt as Date,
    }));
  return {
    ...(alert.acknowledgedBy && alert.acknowledgedAt ? { acknowledged: { by: alert.acknowledgedBy, at: alert.acknowledgedAt } } : {}),
    ...(alert.escalatedBy && alert.escalatedAt ? { escalated: { by: alert.escalatedBy, at: alert.escalatedAt } } : {}),
    ...(remediated.length > 0 ? { remediated } : {}),
  };
}

export function renderAlert(alert: AlertRecord, requests: RemediationRequestRecord[], restorable?: string): { text: string; blocks: KnownBlock[] } {
  if (!isIamDeletionEventName(alert.eventName)) return renderMinimal(alert);
  const msg = buildAlertMessage(
    {
      event: alert.event,
      severity: alert.severity,
      severityReason: alert.severityReason,
      outcome: alert.outcome,
      ...(restorable ? { restorable } : {}),
      ...(alert.accountName ? { accountName: alert.accountName } : {}),
      ...(alert.ruleName ? { rule: { name: alert.ruleName, ...(alert.mentionGroup ? { mention: alert.mentionGroup } : {}) } } : {}),
    },
    getCatalogEntry(alert.eventName),
    activityOf(alert, requests),
  );
  return { text: msg.text, blocks: msg.blocks };
}

/** The details reply posted in the alert's thread: every fact and the catalog's full text. */
export function renderAlertDetails(alert: AlertRecord): { text: string; blocks: KnownBlock[] } | null {
  if (!isIamDeletionEventName(alert.eventName)) return null;
  return buildAlertDetails(
    { event: alert.event, severity: alert.severity, severityReason: alert.severityReason, outcome: alert.outcome },
    getCatalogEntry(alert.eventName),
  );
}

/** A small, always-valid message: used when Slack rejects the full blocks. Still carries the buttons. */
export function renderMinimal(alert: AlertRecord): { text: string; blocks: KnownBlock[] } {
  const actor = alert.event.actor.arn ?? alert.event.actor.type;
  const outcome = alert.outcome === "success" ? "succeeded" : `${alert.outcome}: ${alert.event.errorCode ?? "error"}`;
  const line = `[${alert.severity.toUpperCase()}] ${alert.eventName} by ${actor} in account ${alert.event.accountId || "unknown"} (${outcome}), event ${alert.eventId}`;
  const text = inline(line, 2900);
  const value = alert.eventId.slice(0, 2000);
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      {
        type: "actions",
        elements: [
          { type: "button", action_id: ActionIds.acknowledge, text: { type: "plain_text", text: "Acknowledge" }, value },
          { type: "button", action_id: ActionIds.escalate, text: { type: "plain_text", text: "Escalate" }, value },
          { type: "button", action_id: ActionIds.remediate, text: { type: "plain_text", text: "Remediate" }, value, style: "danger" },
        ],
      },
    ],
  };
}
