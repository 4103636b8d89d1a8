// Alert buttons: Acknowledge, Escalate (modal + post), Remediate (modal with dry-run plans + request).
// Every handler acks first (Slack's 3 seconds), then authorizes on the server, whatever the message shows.
import { randomUUID } from "node:crypto";
import type { App, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import { getCatalogEntry } from "../../catalog/index.js";
import { withRestore } from "../../catalog/remedies.js";
import { isIamDeletionEventName, type RemediationId } from "../../domain.js";
import { errorFields } from "../../log.js";
import { definitionFor, offeredFor, planRemediation, subjectFromEvent } from "../../remediation/index.js";
import type { RemediationParams, RemediationPlan } from "../../remediation/types.js";
import type { AlertRecord } from "../../store/types.js";
import { ActionIds, BlockIds, CallbackIds, InputIds } from "../action-ids.js";
import { escalateModal, escalationPost, remediateLoadingModal, remediateModal } from "../blocks/workflow.js";
import { decodeOrNull, ModalMetadata } from "../payloads.js";
import { slackDate, userMention } from "../mrkdwn.js";
import { alertFromValue, createRemediationRequest, membershipNote, record, refreshAlertMessage, remediationDeps, restoreUnavailable, tellUser } from "./alert-service.js";
import type { ListenerDeps } from "./deps.js";
import { chainRestore, chainRootDeletion, groupOf, groupOffers, remediationContext } from "./group-service.js";

const NOT_RESPONDER = "You are not allowed to act on trailwatch alerts (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed.";

/** Plans for every remediation the catalog offers for this alert, computed against live IAM. */
export async function plansFor(deps: ListenerDeps, alert: AlertRecord, requestId?: string): Promise<RemediationPlan[]> {
  if (!isIamDeletionEventName(alert.eventName)) return [];
  const entry = getCatalogEntry(alert.eventName);
  const rdeps = await remediationDeps(deps, alert.accountId);
  // A chain or digest offers what fits the whole group; ctx carries its root and first event time.
  const ctx = await remediationContext(deps.store, alert);
  const offers = ctx ? groupOffers(ctx, rdeps.botIdentity) : offeredFor(withRestore(alert.eventName, entry.remediations), alert.event, rdeps.botIdentity);
  const subject = subjectFromEvent(alert.event, rdeps.botIdentity);
  // A chain's single Restore undoes the chain's deletion of its root: its plan names that call and its actor.
  const whole = ctx ? chainRestore(ctx) : null;
  const rootDeletion = ctx ? chainRootDeletion(ctx) : undefined;
  const wholeSubject = rootDeletion ? subjectFromEvent(rootDeletion.event, rdeps.botIdentity) : subject;
  const isWhole = (o: { id: RemediationId; params: RemediationParams }) => whole !== null && o.id === whole.id && JSON.stringify(o.params) === JSON.stringify(whole.params);
  const noRestore = await restoreUnavailable(deps, alert.accountId ?? alert.event.accountId);
  return Promise.all(
    offers.map((o) =>
      noRestore && o.id.startsWith("restore-")
        ? notOffered(o.id, o.params, noRestore)
        : planRemediation(o.id, o.params, rdeps, requestId, isWhole(o) ? wholeSubject : subject),
    ),
  );
}

/** A restore shown with why it is not offered, so the responder is not left wondering where it went. */
function notOffered(id: RemediationId, params: RemediationParams, reason: string): RemediationPlan {
  return { remediationId: id, title: definitionFor(id)?.planTitle(params) ?? id, params, applicable: false, reason, observations: [], calls: [], bindings: [] };
}

export function registerAlertListeners(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.acknowledge, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const alert = await alertFromValue(deps, action.value);
    if (!alert) return tellUser(client, deps, body.channel?.id, user, "This alert is not known to trailwatch.");
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { actor: user, action: "acknowledge", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder" } });
      return tellUser(client, deps, body.channel?.id, user, NOT_RESPONDER + membershipNote(deps));
    }
    const { changed, alert: after } = await deps.store.acknowledge(alert.eventId, user, deps.now());
    if (!changed) {
      await record(deps, { actor: user, action: "acknowledge", alertEventId: alert.eventId, requestId: null, result: "noop", detail: { reason: "already acknowledged", by: after?.acknowledgedBy } });
      const when = after?.acknowledgedAt ? ` at ${slackDate(after.acknowledgedAt)}` : "";
      return tellUser(client, deps, body.channel?.id, user, `Already acknowledged by ${userMention(after?.acknowledgedBy ?? "")}${when}.`);
    }
    // One Acknowledge covers a whole chain or digest: every member is acknowledged in the store too.
    const covered = alert.groupId && (await groupOf(deps.store, alert)) ? await deps.store.acknowledgeGroup(alert.groupId, user, deps.now()) : 0;
    await record(deps, { actor: user, action: "acknowledge", alertEventId: alert.eventId, requestId: null, result: "ok", detail: covered > 0 ? { groupId: alert.groupId, alsoAcknowledged: covered } : {} });
    await refreshAlertMessage(deps, alert.eventId);
  });

  app.action<BlockButtonAction>(ActionIds.escalate, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const alert = await alertFromValue(deps, action.value);
    if (!alert) return tellUser(client, deps, body.channel?.id, user, "This alert is not known to trailwatch.");
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder" } });
      return tellUser(client, deps, body.channel?.id, user, NOT_RESPONDER + membershipNote(deps));
    }
    if (alert.escalatedBy) {
      await record(deps, { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null, result: "noop", detail: { reason: "already escalated" } });
      return tellUser(client, deps, body.channel?.id, user, `This alert was already escalated by ${userMention(alert.escalatedBy)}; it is not escalated twice.`);
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: escalateModal(alert) });
    } catch (err) {
      deps.logger.error({ eventId: alert.eventId, ...errorFields(err) }, "could not open the escalation modal");
      await tellUser(client, deps, body.channel?.id, user, "Could not open the escalation form; please try again.");
    }
  });

  app.view<ViewSubmitAction>(CallbackIds.escalateModal, async ({ ack, body, view, client }) => {
    await ack();
    const user = body.user.id;
    const meta = decodeOrNull(ModalMetadata, view.private_metadata);
    const alert = meta ? await deps.store.getAlert(meta.eventId) : null;
    if (!alert) return;
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder" } });
      return tellUser(client, deps, alert.channelId, user, NOT_RESPONDER + membershipNote(deps));
    }
    const rawNote = view.state.values[BlockIds.escalateNote]?.[InputIds.escalateNote]?.value;
    const note = typeof rawNote === "string" ? rawNote.slice(0, 2000) : "";
    const { changed, alert: after } = await deps.store.escalate(alert.eventId, user, deps.now(), note);
    if (!changed || !after) {
      await record(deps, { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null, result: "noop", detail: { reason: "already escalated" } });
      return tellUser(client, deps, alert.channelId, user, `This alert was already escalated by ${userMention(after?.escalatedBy ?? "")}.`);
    }
    let permalink: string | null = null;
    if (after.channelId && after.messageTs) {
      try {
        permalink = (await client.chat.getPermalink({ channel: after.channelId, message_ts: after.messageTs })).permalink ?? null;
      } catch (err) {
        deps.logger.warn({ eventId: alert.eventId, ...errorFields(err) }, "could not get the alert permalink");
      }
    }
    const post = escalationPost(after, user, note, permalink, deps.config.oncallUsergroupId);
    const target = deps.config.escalationChannelId
      ? { channel: deps.config.escalationChannelId }
      : { channel: after.channelId ?? deps.config.alertChannelId, ...(after.messageTs ? { thread_ts: after.messageTs } : {}) };
    let result: "ok" | "error" = "ok";
    try {
      await client.chat.postMessage({ ...target, text: post.text, blocks: post.blocks });
    } catch (err) {
      result = "error";
      deps.logger.error({ eventId: alert.eventId, ...errorFields(err) }, "could not post the escalation");
      await tellUser(client, deps, after.channelId, user, "The alert is marked escalated, but posting to the escalation channel failed: check that the bot is in that channel.");
    }
    await record(deps, { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null, result, detail: { note, channel: target.channel } });
    await refreshAlertMessage(deps, alert.eventId);
  });

  app.action<BlockButtonAction>(ActionIds.remediate, async ({ ack, body, action, client }) => {
    await ack();
    const user = body.user.id;
    const alert = await alertFromValue(deps, action.value);
    if (!alert) return tellUser(client, deps, body.channel?.id, user, "This alert is not known to trailwatch.");
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { actor: user, action: "remediation-open", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder" } });
      return tellUser(client, deps, body.channel?.id, user, NOT_RESPONDER + membershipNote(deps));
    }
    // Open at once (trigger ids live ~3 s), then fill in the plans once IAM has answered.
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
  });

  app.view<ViewSubmitAction>(CallbackIds.remediateModal, async ({ ack, body, view, client }) => {
    await ack();
    const user = body.user.id;
    const meta = decodeOrNull(ModalMetadata, view.private_metadata);
    const alert = meta ? await deps.store.getAlert(meta.eventId) : null;
    if (!alert) return;
    const choice = view.state.values[BlockIds.remediationChoice]?.[InputIds.remediationChoice]?.selected_option?.value;
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { actor: user, action: "remediation-request", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: "not a responder", remediation: choice } });
      return tellUser(client, deps, alert.channelId, user, NOT_RESPONDER + membershipNote(deps));
    }
    const requestId = randomUUID();
    // Re-plan at submission: what is stored and shown to the approver reflects IAM now, not when the modal opened.
    const plans = await plansFor(deps, alert, requestId);
    const plan = plans.find((p) => p.remediationId === choice);
    if (!plan || !plan.applicable) {
      await record(deps, { actor: user, action: "remediation-request", alertEventId: alert.eventId, requestId: null, result: "refused", detail: { reason: plan ? plan.reason : "remediation not offered for this alert", remediation: choice } });
      return tellUser(client, deps, alert.channelId, user, `That remediation cannot be requested now: ${plan ? plan.reason : "it is not offered for this alert"}.`, alert.messageTs);
    }
    const { message: msg } = await createRemediationRequest(deps, { id: requestId, plan, requestedBy: user, alertEventId: alert.eventId, findingId: null });
    const channel = alert.channelId ?? deps.config.alertChannelId;
    try {
      const posted = await client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, ...(alert.messageTs ? { thread_ts: alert.messageTs } : {}) });
      if (posted.ts) await deps.store.setRemediationMessage(requestId, channel, posted.ts);
    } catch (err) {
      deps.logger.error({ eventId: alert.eventId, requestId, ...errorFields(err) }, "could not post the remediation request");
    }
    await record(deps, { actor: user, action: "remediation-request", alertEventId: alert.eventId, requestId, result: "ok", detail: { remediation: plan.remediationId, params: plan.params, calls: plan.calls.map((c) => c.api) } });
  });
}
