// Row mappers shared by both engines of the Kysely store: a database row (snake_case columns, times as epoch
// milliseconds, JSON as text) to the records of the Store interface.
import type { RemediationId, Severity } from "../domain.js";
import type { AlertStatus } from "../alerts.js";
import type { Outcome } from "../detect/types.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { SnapshotMeta } from "../snapshot/model.js";
import { DetailSchema, ExecutionResultSchema, GroupSnapshotSchema, IamEventSchema, ParamsSchema, RemediationPlanSchema, decodeColumn } from "./codecs.js";
import type { ActionRecord, AlertGroupRecord, AlertRecord, RemediationRequestRecord, RemediationState } from "./types.js";

type Row = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const date = (v: unknown): Date | undefined => (typeof v === "number" ? new Date(v) : undefined);

/** Throws StoredRecordError when the stored event does not decode. */
export function toAlert(r: Row): AlertRecord {
  const eventId = r.event_id as string;
  return {
    eventId,
    eventName: r.event_name as string,
    severity: r.severity as Severity,
    severityReason: r.severity_reason as string,
    outcome: r.outcome as Outcome,
    event: decodeColumn(IamEventSchema, r.event_json, { table: "alert", id: eventId, column: "event_json" }),
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

/** The grouper's snapshot stored with a group; throws StoredRecordError when it does not decode. */
export function reviveSnapshot(r: Row): GroupSnapshot {
  return decodeColumn(GroupSnapshotSchema, r.snapshot_json, { table: "alert group", id: String(r.id), column: "snapshot_json" });
}

export function toGroup(r: Row): AlertGroupRecord {
  return {
    id: r.id as string,
    snapshot: reviveSnapshot(r),
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

/** Throws StoredRecordError naming the request and the column when its params, plan or result do not decode. */
export function toRequest(r: Row): RemediationRequestRecord {
  const id = r.id as string;
  const where = (column: string) => ({ table: "remediation request", id, column });
  return {
    id,
    alertEventId: str(r.alert_event_id) ?? null,
    findingId: str(r.finding_id) ?? null,
    remediationId: r.remediation_id as RemediationId,
    params: decodeColumn(ParamsSchema, r.params_json, where("params_json")),
    plan: decodeColumn(RemediationPlanSchema, r.plan_json, where("plan_json")),
    requestedBy: r.requested_by as string,
    requestedAt: new Date(r.requested_at as number),
    expiresAt: new Date(r.expires_at as number),
    state: r.state as RemediationState,
    decidedBy: str(r.decided_by),
    decidedAt: date(r.decided_at),
    ...(typeof r.executed_by === "string" ? { executedBy: r.executed_by } : {}),
    result: typeof r.result_json === "string" ? decodeColumn(ExecutionResultSchema, r.result_json, where("result_json")) : undefined,
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
    detail: decodeColumn(DetailSchema, r.detail_json, { table: "action", id: String(r.id), column: "detail_json" }),
  };
}

export function toSnapshotMeta(r: Row): SnapshotMeta {
  return {
    id: r.id as number,
    scope: r.scope as string,
    takenAt: new Date(r.taken_at as number),
    confirmedAt: new Date(r.confirmed_at as number),
    hash: r.hash as string,
    rawBytes: r.raw_bytes as number,
    storedBytes: r.stored_bytes as number,
  };
}
