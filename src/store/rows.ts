// Row mappers shared by both engines of the Kysely store: a database row (snake_case columns, times as epoch
// milliseconds, JSON as text) to the records of the Store interface.
import type { IamEvent, RemediationId, Severity } from "../domain.js";
import type { AlertStatus } from "../alerts.js";
import type { Outcome } from "../detect/types.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { SnapshotMeta } from "../snapshot/model.js";
import type { ActionRecord, AlertGroupRecord, AlertRecord, RemediationRequestRecord, RemediationState } from "./types.js";

type Row = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const date = (v: unknown): Date | undefined => (typeof v === "number" ? new Date(v) : undefined);

function reviveEvent(json: string): IamEvent {
  const ev = JSON.parse(json) as IamEvent & { eventTime: string | null };
  return { ...ev, eventTime: ev.eventTime ? new Date(ev.eventTime) : null };
}

export function toAlert(r: Row): AlertRecord {
  return {
    eventId: r.event_id as string,
    eventName: r.event_name as string,
    severity: r.severity as Severity,
    severityReason: r.severity_reason as string,
    outcome: r.outcome as Outcome,
    event: reviveEvent(r.event_json as string),
    eventTime: date(r.event_time) ?? null,
    detectedAt: new Date(r.detected_at as number),
    muted: r.muted === 1,
    mutedReason: str(r.muted_reason),
    delivery: r.delivery as AlertRecord["delivery"],
    postAttempts: r.post_attempts as number,
    inDoubtSince: date(r.in_doubt_since),
    nextAttemptAt: new Date(r.next_attempt_at as number),
    lastError: str(r.last_error),
    channelId: str(r.channel_id),
    messageTs: str(r.message_ts),
    status: r.status as AlertStatus,
    acknowledgedBy: str(r.acknowledged_by),
    acknowledgedAt: date(r.acknowledged_at),
    escalatedBy: str(r.escalated_by),
    escalatedAt: date(r.escalated_at),
    escalationNote: str(r.escalation_note),
    ruleName: str(r.rule_name),
    routeChannel: str(r.route_channel),
    mentionGroup: str(r.mention_group),
    detectedSeverity: str(r.detected_severity) as Severity | undefined,
    groupId: str(r.group_id),
    detailsInDoubtSince: date(r.details_in_doubt_since),
    accountId: str(r.account_id),
    accountName: str(r.account_name),
  };
}

export function reviveSnapshot(json: string): GroupSnapshot {
  const g = JSON.parse(json) as Omit<GroupSnapshot, "firstAt" | "lastAt"> & { firstAt: string; lastAt: string };
  return { ...g, firstAt: new Date(g.firstAt), lastAt: new Date(g.lastAt) };
}

export function toGroup(r: Row): AlertGroupRecord {
  return {
    id: r.id as string,
    snapshot: reviveSnapshot(r.snapshot_json as string),
    channelId: str(r.channel_id),
    messageTs: str(r.message_ts),
    postAttempts: r.post_attempts as number,
    inDoubtSince: date(r.in_doubt_since),
    nextAttemptAt: new Date(r.next_attempt_at as number),
    lastError: str(r.last_error),
    unshownMembers: (r.unshown as number | undefined) ?? 0,
    changedAt: new Date(r.changed_at as number),
    renderedAt: date(r.rendered_at),
  };
}

export function toRequest(r: Row): RemediationRequestRecord {
  return {
    id: r.id as string,
    alertEventId: str(r.alert_event_id) ?? null,
    findingId: str(r.finding_id) ?? null,
    remediationId: r.remediation_id as RemediationId,
    params: JSON.parse(r.params_json as string) as Record<string, string>,
    plan: JSON.parse(r.plan_json as string) as unknown,
    requestedBy: r.requested_by as string,
    requestedAt: new Date(r.requested_at as number),
    expiresAt: new Date(r.expires_at as number),
    state: r.state as RemediationState,
    decidedBy: str(r.decided_by),
    decidedAt: date(r.decided_at),
    ...(typeof r.executed_by === "string" ? { executedBy: r.executed_by } : {}),
    result: typeof r.result_json === "string" ? (JSON.parse(r.result_json) as unknown) : undefined,
    channelId: str(r.channel_id),
    messageTs: str(r.message_ts),
  };
}

export function toAction(r: Row): ActionRecord {
  return {
    id: r.id as number,
    at: new Date(r.at as number),
    actor: r.actor as string,
    action: r.action as string,
    alertEventId: str(r.alert_event_id) ?? null,
    requestId: str(r.request_id) ?? null,
    result: r.result as ActionRecord["result"],
    detail: JSON.parse(r.detail_json as string) as Record<string, unknown>,
  };
}

export function toSnapshotMeta(r: Row): SnapshotMeta {
  return {
    id: r.id as number,
    takenAt: new Date(r.taken_at as number),
    confirmedAt: new Date(r.confirmed_at as number),
    hash: r.hash as string,
    rawBytes: r.raw_bytes as number,
    storedBytes: r.stored_bytes as number,
  };
}
