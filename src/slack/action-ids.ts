// Every action_id, callback_id, block_id, input id and metadata event type in one place, shared by the
// Block Kit builders and the listeners, so a renamed id cannot silently break a button or a form.

export const ActionIds = {
  acknowledge: "alert_acknowledge",
  escalate: "alert_escalate",
  remediate: "alert_remediate",
  approveRemediation: "remediation_approve",
  rejectRemediation: "remediation_reject",
  auditRemediate: "audit_remediate",
  openConsole: "alert_open_console",
} as const;

export const CallbackIds = {
  escalateModal: "escalate_modal",
  remediateModal: "remediate_modal",
  adminConfirmModal: "remediation_admin_confirm",
} as const;

export const BlockIds = {
  escalateNote: "escalate_note",
  remediationChoice: "remediation_choice",
  remediationActions: "remediation_actions",
} as const;

/** action_ids of the inputs inside the modals' input blocks (read back from view.state.values). */
export const InputIds = {
  escalateNote: "escalate_note_input",
  remediationChoice: "remediation_choice_input",
} as const;

/** block_ids of the alert message, which updates and tests find blocks by. */
export const AlertBlockIds = {
  header: "alert_header",
  summary: "alert_summary",
  context: "alert_context",
  detailsTitle: "alert_details_title",
  facts: "alert_facts",
  who: "alert_who",
  what: "alert_what",
  why: "alert_why",
  links: "alert_links",
  rule: "alert_rule",
  parseError: "alert_parse_error",
  activity: "alert_activity",
  actions: "alert_actions",
} as const;

/** Slack message metadata event type carrying the CloudTrail event id of an alert. */
export const ALERT_METADATA_EVENT_TYPE = "trailwatch_alert";

/**
 * The metadata every alert message carries (on post and on every update): it is how the outbox proves,
 * after a crash, that an alert was already posted.
 */
export function alertMetadata(eventId: string): { event_type: string; event_payload: { event_id: string } } {
  return { event_type: ALERT_METADATA_EVENT_TYPE, event_payload: { event_id: eventId } };
}
