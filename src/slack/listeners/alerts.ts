// Alert buttons: Acknowledge, Escalate (modal + post), Remediate (modal with dry-run plans + request). Each is
// registered behind the authorization middleware (RESPONDERS or APPROVERS); the listener calls a service and
// renders its result.
import type { App, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { acknowledgeAlert, checkEscalation, escalateAlert, findAlert, plansFor } from "../../services/alerts.js";
import { requestAlertRemediation } from "../../services/remediations.js";
import type { RemediationPlan } from "../../remediation/types.js";
import type { AlertRecord } from "../../store/types.js";
import { ActionIds, BlockIds, CallbackIds, InputIds } from "../action-ids.js";
import { escalateModal, remediateLoadingModal, remediateModal } from "../blocks/workflow.js";
import { slackDate, userMention } from "../mrkdwn.js";
import { AlertButtonValue, decodeOrNull, ModalMetadata } from "../payloads.js";
import { authorize, tellUser, type AccessRule, type ButtonArgs, type SubmitArgs } from "./authorize.js";
import type { ListenerDeps } from "./deps.js";
import { slackNotifier } from "../workflow-notifier.js";

export const NOT_RESPONDER = "You are not allowed to act on trailwatch alerts (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed.";
export const UNKNOWN_ALERT = "This alert is not known to trailwatch.";

/** The alert a button names (its value is the event id); null when the value is bad or the alert unknown. */
async function alertOfButton(deps: ListenerDeps, args: ButtonArgs): Promise<AlertRecord | null> {
  const eventId = decodeOrNull(AlertButtonValue, args.action.value);
  return eventId === null ? null : findAlert(deps, eventId);
}

/** The alert a modal acts on (its private_metadata); null when the metadata is bad or the alert unknown. */
async function alertOfModal(deps: ListenerDeps, args: SubmitArgs): Promise<AlertRecord | null> {
  const meta = decodeOrNull(ModalMetadata, args.view.private_metadata);
  return meta ? findAlert(deps, meta.eventId) : null;
}

const tellUnknownAlert = async (deps: ListenerDeps, args: ButtonArgs): Promise<void> => tellUser(args.client, deps, args.body.channel?.id, args.body.user.id, UNKNOWN_ALERT);

/** What every alert button and form requires, and what a refused user is told. */
const RESPONDER_ONLY = { role: "responder", reason: "not a responder", text: NOT_RESPONDER, explainMembership: true } as const;

/** Responders act on an alert's buttons; the refusal names the alert and the action the button is for. */
function alertButtonRule(action: string): AccessRule<ButtonArgs> {
  return {
    ...RESPONDER_ONLY,
    subject: async (deps, args) => {
      const alert = await alertOfButton(deps, args);
      return alert ? { action, alertEventId: alert.eventId, requestId: null, channel: args.body.channel?.id } : null;
    },
    unknown: tellUnknownAlert,
  };
}

const remediationChoice = (args: SubmitArgs): string | undefined => args.view.state.values[BlockIds.remediationChoice]?.[InputIds.remediationChoice]?.selected_option?.value;

/** Responders submit the alert's forms; an unknown alert's form is dropped without a word. */
function alertModalRule(action: string, detail: (args: SubmitArgs) => Record<string, unknown> = () => ({})): AccessRule<SubmitArgs> {
  return {
    ...RESPONDER_ONLY,
    subject: async (deps, args) => {
      const alert = await alertOfModal(deps, args);
      return alert ? { action, alertEventId: alert.eventId, requestId: null, detail: detail(args), channel: alert.channelId } : null;
    },
  };
}

export const acknowledgeRule = alertButtonRule("acknowledge");
export const escalateRule = alertButtonRule("escalate");
export const escalateSubmitRule = alertModalRule("escalate");
export const remediateRule = alertButtonRule("remediation-open");
export const remediateSubmitRule = alertModalRule("remediation-request", (args) => ({ remediation: remediationChoice(args) }));

/** Acknowledge: the alert message is edited in place; a second click says who acknowledged. */
export async function onAcknowledge(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { body, client } = args;
  const user = body.user.id;
  const eventId = decodeOrNull(AlertButtonValue, args.action.value);
  const r = eventId === null ? ({ kind: "not_found" } as const) : await acknowledgeAlert(deps, slackNotifier(deps, client), { user, eventId });
  if (r.kind === "not_found") return tellUser(client, deps, body.channel?.id, user, UNKNOWN_ALERT);
  if (r.kind === "already") {
    const when = r.at ? ` at ${slackDate(r.at)}` : "";
    return tellUser(client, deps, body.channel?.id, user, `Already acknowledged by ${userMention(r.by ?? "")}${when}.`);
  }
}

/** Escalate: opens the form for a note (an alert is escalated once). */
export async function onEscalate(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { body, client } = args;
  const user = body.user.id;
  const eventId = decodeOrNull(AlertButtonValue, args.action.value);
  const r = eventId === null ? ({ kind: "not_found" } as const) : await checkEscalation(deps, { user, eventId });
  if (r.kind === "not_found") return tellUser(client, deps, body.channel?.id, user, UNKNOWN_ALERT);
  if (r.kind === "already") {
    return tellUser(client, deps, body.channel?.id, user, `This alert was already escalated by ${userMention(r.by)}; it is not escalated twice.`);
  }
  try {
    await client.views.open({ trigger_id: body.trigger_id, view: escalateModal(r.alert) });
  } catch (err) {
    deps.logger.error({ eventId: r.alert.eventId, ...errorFields(err) }, "could not open the escalation modal");
    await tellUser(client, deps, body.channel?.id, user, "Could not open the escalation form; please try again.");
  }
}

/** The escalation form: posts to the escalation channel (or the alert's thread) and marks the alert. */
export async function onEscalateSubmit(deps: ListenerDeps, args: SubmitArgs): Promise<void> {
  const { body, view, client } = args;
  const user = body.user.id;
  const meta = decodeOrNull(ModalMetadata, view.private_metadata);
  if (!meta) return;
  const rawNote = view.state.values[BlockIds.escalateNote]?.[InputIds.escalateNote]?.value;
  const note = typeof rawNote === "string" ? rawNote : "";
  const r = await escalateAlert(deps, slackNotifier(deps, client), { user, eventId: meta.eventId, note });
  if (r.kind === "already") return tellUser(client, deps, r.alert.channelId, user, `This alert was already escalated by ${userMention(r.by ?? "")}.`);
  if (r.kind === "ok" && !r.posted) {
    await tellUser(client, deps, r.alert.channelId, user, "The alert is marked escalated, but posting to the escalation channel failed: check that the bot is in that channel.");
  }
}

/** Remediate: opens the form at once (trigger ids live ~3 s), then fills in the plans once IAM has answered. */
export async function onRemediate(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const { body, client } = args;
  const user = body.user.id;
  const alert = await alertOfButton(deps, args);
  if (!alert) return tellUser(client, deps, body.channel?.id, user, UNKNOWN_ALERT);
  let viewId: string | undefined;
  try {
    viewId = (await client.views.open({ trigger_id: body.trigger_id, view: remediateLoadingModal(alert) })).view?.id;
  } catch (err) {
    deps.logger.error({ eventId: alert.eventId, ...errorFields(err) }, "could not open the remediation modal");
    return tellUser(client, deps, body.channel?.id, user, "Could not open the remediation form; please try again.");
  }
  const plans = await plansFor(deps, alert).catch((err: unknown) => {
    deps.logger.error({ eventId: alert.eventId, ...errorFields(err) }, "planning remediations failed");
    return [] as RemediationPlan[];
  });
  if (viewId) await client.views.update({ view_id: viewId, view: remediateModal(alert, plans) });
}

/** The remediation form: re-plans the chosen remediation and posts the request in the alert's thread. */
export async function onRemediateSubmit(deps: ListenerDeps, args: SubmitArgs): Promise<void> {
  const { body, view, client } = args;
  const user = body.user.id;
  const meta = decodeOrNull(ModalMetadata, view.private_metadata);
  if (!meta) return;
  const r = await requestAlertRemediation(deps, slackNotifier(deps, client), { user, eventId: meta.eventId, choice: remediationChoice(args) });
  if (r.kind === "not_offered") {
    return tellUser(client, deps, r.alert.channelId, user, `That remediation cannot be requested now: ${r.reason ?? "it is not offered for this alert"}.`, r.alert.messageTs);
  }
}

export function registerAlertListeners(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.acknowledge, authorize(deps, acknowledgeRule), (args) => onAcknowledge(deps, args));
  app.action<BlockButtonAction>(ActionIds.escalate, authorize(deps, escalateRule), (args) => onEscalate(deps, args));
  app.view<ViewSubmitAction>(CallbackIds.escalateModal, authorize(deps, escalateSubmitRule), (args) => onEscalateSubmit(deps, args));
  app.action<BlockButtonAction>(ActionIds.remediate, authorize(deps, remediateRule), (args) => onRemediate(deps, args));
  app.view<ViewSubmitAction>(CallbackIds.remediateModal, authorize(deps, remediateSubmitRule), (args) => onRemediateSubmit(deps, args));
}
