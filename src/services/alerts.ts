// The alert workflows: Acknowledge, Escalate, and the plans a Remediate offers. Authorization happens at the
// edge before any of these runs (src/slack/listeners/authorize.ts); a service records what it did or did not
// do, and returns a result the edge renders.
import { getCatalogEntry } from "../catalog/index.js";
import { withRestore } from "../catalog/remedies.js";
import { isIamDeletionEventName, type RemediationId } from "../domain.js";
import { definitionFor, offeredFor, planRemediation, subjectFromEvent } from "../remediation/index.js";
import type { RemediationParams, RemediationPlan } from "../remediation/types.js";
import type { AlertRecord } from "../store/types.js";
import { recordAction } from "./actions.js";
import type { ServiceDeps } from "./deps.js";
import { chainRestore, chainRootDeletion, groupOf, groupOffers, remediationContext } from "./groups.js";
import { remediationDeps, restoreUnavailable } from "./remediation-deps.js";

/** Shows a changed alert (its message, or its group's) where people see it; implemented at the edge. */
export interface AlertNotifier {
  alertChanged(eventId: string): Promise<void>;
}

/** The longest escalation note kept. */
const ESCALATION_NOTE_MAX = 2000;

/** An alert by its event id; null when trailwatch does not know it. */
export async function findAlert(deps: Pick<ServiceDeps, "store">, eventId: string): Promise<AlertRecord | null> {
  return deps.store.getAlert(eventId);
}

export type AcknowledgeResult =
  | { kind: "not_found" }
  | { kind: "already"; by: string | undefined; at: Date | undefined }
  | { kind: "ok"; alert: AlertRecord; alsoAcknowledged: number };

/**
 * Acknowledges the alert (once: a second click changes nothing and says who did). One Acknowledge covers a
 * whole chain or digest: every member is acknowledged in the store too.
 */
export async function acknowledgeAlert(deps: ServiceDeps, notifier: AlertNotifier, input: { user: string; eventId: string }): Promise<AcknowledgeResult> {
  const { user } = input;
  const alert = await deps.store.getAlert(input.eventId);
  if (!alert) return { kind: "not_found" };
  const base = { actor: user, action: "acknowledge", alertEventId: alert.eventId, requestId: null } as const;
  const { changed, alert: after } = await deps.store.acknowledge(alert.eventId, user, deps.now());
  if (!changed) {
    await recordAction(deps, { ...base, result: "noop", detail: { reason: "already acknowledged", by: after?.acknowledgedBy } });
    return { kind: "already", by: after?.acknowledgedBy, at: after?.acknowledgedAt };
  }
  const covered = alert.groupId && (await groupOf(deps.store, alert)) ? await deps.store.acknowledgeGroup(alert.groupId, user, deps.now()) : 0;
  await recordAction(deps, { ...base, result: "ok", detail: covered > 0 ? { groupId: alert.groupId, alsoAcknowledged: covered } : {} });
  await notifier.alertChanged(alert.eventId);
  return { kind: "ok", alert: after ?? alert, alsoAcknowledged: covered };
}

export type EscalationCheck = { kind: "not_found" } | { kind: "already"; by: string } | { kind: "ok"; alert: AlertRecord };

/** Whether the alert may still be escalated (before the note is asked for); an alert is escalated once. */
export async function checkEscalation(deps: ServiceDeps, input: { user: string; eventId: string }): Promise<EscalationCheck> {
  const alert = await deps.store.getAlert(input.eventId);
  if (!alert) return { kind: "not_found" };
  if (alert.escalatedBy) {
    await recordAction(deps, { actor: input.user, action: "escalate", alertEventId: alert.eventId, requestId: null, result: "noop", detail: { reason: "already escalated" } });
    return { kind: "already", by: alert.escalatedBy };
  }
  return { kind: "ok", alert };
}

/** Where an escalation is posted: ESCALATION_CHANNEL_ID, else the alert's thread. */
interface EscalationTarget {
  channel: string;
  threadTs?: string;
}

/** Posts the escalation; false when Slack refused it. Implemented at the edge. */
export interface EscalationPoster extends AlertNotifier {
  postEscalation(alert: AlertRecord, by: string, note: string, target: EscalationTarget): Promise<boolean>;
}

export type EscalateResult =
  | { kind: "not_found" }
  /** alert: as it was before this submission. */
  | { kind: "already"; alert: AlertRecord; by: string | undefined }
  | { kind: "ok"; alert: AlertRecord; target: EscalationTarget; posted: boolean };

/** Marks the alert escalated with the note, posts the escalation and records whether it could be posted. */
export async function escalateAlert(deps: ServiceDeps, poster: EscalationPoster, input: { user: string; eventId: string; note: string }): Promise<EscalateResult> {
  const { user } = input;
  const alert = await deps.store.getAlert(input.eventId);
  if (!alert) return { kind: "not_found" };
  const note = input.note.slice(0, ESCALATION_NOTE_MAX);
  const base = { actor: user, action: "escalate", alertEventId: alert.eventId, requestId: null } as const;
  const { changed, alert: after } = await deps.store.escalate(alert.eventId, user, deps.now(), note);
  if (!changed || !after) {
    await recordAction(deps, { ...base, result: "noop", detail: { reason: "already escalated" } });
    return { kind: "already", alert, by: after?.escalatedBy };
  }
  const target: EscalationTarget = deps.config.escalationChannelId
    ? { channel: deps.config.escalationChannelId }
    : { channel: after.channelId ?? deps.config.alertChannelId, ...(after.messageTs ? { threadTs: after.messageTs } : {}) };
  const posted = await poster.postEscalation(after, user, note, target);
  await recordAction(deps, { ...base, result: posted ? "ok" : "error", detail: { note, channel: target.channel } });
  await poster.alertChanged(alert.eventId);
  return { kind: "ok", alert: after, target, posted };
}

/** Plans for every remediation the catalog offers for this alert, computed against live IAM. */
export async function plansFor(deps: ServiceDeps, alert: AlertRecord, requestId?: string): Promise<RemediationPlan[]> {
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
        ? Promise.resolve(notOffered(o.id, o.params, noRestore))
        : planRemediation(o.id, o.params, rdeps, requestId, isWhole(o) ? wholeSubject : subject),
    ),
  );
}

/** A restore shown with why it is not offered, so the responder is not left wondering where it went. */
function notOffered(id: RemediationId, params: RemediationParams, reason: string): RemediationPlan {
  return { remediationId: id, title: definitionFor(id)?.planTitle(params) ?? id, params, applicable: false, reason, observations: [], calls: [], bindings: [] };
}
