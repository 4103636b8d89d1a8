// The state store behind one interface. SQLite (better-sqlite3) is the built-in engine; another engine
// (e.g. PostgreSQL for a multi-replica deployment) implements this interface. Methods are async so an
// engine with network I/O fits; the SQLite engine answers synchronously inside them.
import type { IamEvent, RemediationId, Severity } from "../domain.js";
import type { Outcome } from "../detect/types.js";
import type { AlertStatus } from "../alerts.js";
import type { SnapshotMeta } from "../snapshot/model.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { AuditReport } from "../audit/types.js";
import type { RemediationPlan } from "../remediation/types.js";
import type { StoredExecutionResult, UserFindingsReport } from "./codecs.js";

export type { UserFindingsReport } from "./codecs.js";

export interface AlertRecord {
  eventId: string;
  eventName: string;
  severity: Severity;
  severityReason: string;
  outcome: Outcome;
  event: IamEvent;
  eventTime: Date | null;
  detectedAt: Date;
  /** Muted alerts are recorded but never posted (MUTE_EVENTS, MUTE_PRINCIPALS, MIN_SEVERITY). */
  muted: boolean;
  mutedReason?: string | undefined;
  delivery: "pending" | "posted" | "muted";
  postAttempts: number;
  /** An attempt whose outcome is unknown (crash or timeout after sending): check Slack before posting again. */
  inDoubtSince?: Date | undefined;
  nextAttemptAt: Date;
  lastError?: string | undefined;
  channelId?: string | undefined;
  messageTs?: string | undefined;
  status: AlertStatus;
  acknowledgedBy?: string | undefined;
  acknowledgedAt?: Date | undefined;
  escalatedBy?: string | undefined;
  escalatedAt?: Date | undefined;
  escalationNote?: string | undefined;
  // Rules (RULES_FILE and the MUTE_* shorthand): the decision of the first rule that matched.
  /** Name of the rule that decided this alert (a suppressed alert's rule too). */
  ruleName?: string | undefined;
  /** Channel the rule routed the alert to; absent = ALERT_CHANNEL_ID. */
  routeChannel?: string | undefined;
  /** User group id the rule mentions on the alert. */
  mentionGroup?: string | undefined;
  /** Severity detection gave, when a rule overrode it (`severity` is the one after the override). */
  detectedSeverity?: Severity | undefined;
  /** The chain or digest this alert belongs to (src/grouping); absent when it stands alone. */
  groupId?: string | undefined;
  /** A details thread reply was sent and its answer never came (settled from the thread before resending). */
  detailsInDoubtSince?: Date | undefined;
  /** Many accounts: the account it was polled from and that account's display name (absent: the bot's own). */
  accountId?: string | undefined;
  accountName?: string | undefined;
}

export type NewAlert = Pick<
  AlertRecord,
  "eventId" | "eventName" | "severity" | "severityReason" | "outcome" | "event" | "eventTime" | "muted" | "mutedReason"
> &
  Partial<Pick<AlertRecord, "ruleName" | "routeChannel" | "mentionGroup" | "detectedSeverity" | "accountId" | "accountName">>;

/**
 * unknown: found executing after a crash, and IAM could not be read back to say whether it ran.
 * refused: approved, but the executor refused to run it (IAM drifted from the plan, wrong account, ...).
 */
export type RemediationState = "pending" | "executing" | "succeeded" | "failed" | "rejected" | "expired" | "unknown" | "refused";

export interface RemediationRequestRecord {
  id: string;
  /** The alert it fixes, or null for a remediation requested from an audit finding. */
  alertEventId: string | null;
  findingId: string | null;
  remediationId: RemediationId;
  params: Record<string, string>;
  /** The dry-run plan shown to the requester and approver (stored as JSON, decoded by src/store/codecs.ts). */
  plan: RemediationPlan;
  requestedBy: string;
  requestedAt: Date;
  expiresAt: Date;
  state: RemediationState;
  decidedBy?: string | undefined;
  decidedAt?: Date | undefined;
  /**
   * The instance (store owner id) whose approval claimed it for execution. Crash recovery between PostgreSQL
   * replicas settles an execution only once this instance is gone. Absent on requests claimed by an older build.
   */
  executedBy?: string | undefined;
  /** The execution's result once executed (or the read-back's, for a request settled after a crash). */
  result?: StoredExecutionResult | undefined;
  channelId?: string | undefined;
  messageTs?: string | undefined;
}

export interface ActionRecord {
  id: number;
  at: Date;
  /** Slack user id, or "system" for the bot's own actions. */
  actor: string;
  action: string;
  alertEventId: string | null;
  requestId: string | null;
  /** ok: done; refused: not authorized or not allowed; error: attempted and failed; noop: nothing to do. */
  result: "ok" | "refused" | "error" | "noop";
  detail: Record<string, unknown>;
}

export interface StatusCounts {
  open: number;
  acknowledged: number;
  escalated: number;
  remediated: number;
  muted: number;
}

export interface Store {
  /** End of the last poll window that completed; null before the first. */
  getPollCursor(): Promise<Date | null>;
  setPollCursor(at: Date): Promise<void>;

  /** Inserts the alert unless one with the same event id exists. Returns true when it was new. */
  insertAlert(alert: NewAlert, now: Date): Promise<boolean>;
  getAlert(eventId: string): Promise<AlertRecord | null>;
  /** Alerts waiting to be posted, oldest event first (whether or not their next attempt is due). */
  nextPendingAlerts(limit: number): Promise<AlertRecord[]>;
  pendingCount(): Promise<number>;
  markPostAttempt(eventId: string, at: Date): Promise<void>;
  markPosted(eventId: string, channelId: string, ts: string): Promise<void>;
  /** A failed attempt known not to have posted (inDoubt false) or of unknown outcome (inDoubt true). */
  markPostFailed(eventId: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void>;

  /** Sets acknowledged fields if not yet acknowledged. Returns the record and whether this call changed it. */
  acknowledge(eventId: string, user: string, at: Date): Promise<{ changed: boolean; alert: AlertRecord | null }>;
  escalate(eventId: string, user: string, at: Date, note: string): Promise<{ changed: boolean; alert: AlertRecord | null }>;
  setStatus(eventId: string, status: AlertStatus): Promise<void>;
  /** `accountIds`: only alerts polled from these accounts (null: alerts whose account was not recorded). */
  listAlerts(filter: { since?: Date; actorArn?: string; actorUserName?: string; accountIds?: readonly (string | null)[]; includeMuted?: boolean; status?: AlertStatus; limit: number }): Promise<AlertRecord[]>;
  countByStatus(since: Date): Promise<StatusCounts>;

  createRemediationRequest(req: Omit<RemediationRequestRecord, "state">): Promise<void>;
  getRemediationRequest(id: string): Promise<RemediationRequestRecord | null>;
  setRemediationMessage(id: string, channelId: string, ts: string): Promise<void>;
  /**
   * Moves a pending, unexpired request to `to` (executing or rejected) atomically. Returns false when it
   * was not pending (already decided, executing or expired): the caller must not act.
   */
  claimRemediationRequest(id: string, to: "executing" | "rejected", by: string, at: Date): Promise<boolean>;
  finishRemediationRequest(id: string, state: "succeeded" | "failed" | "refused", result: StoredExecutionResult): Promise<void>;
  /** Marks pending requests past their expiry as expired and returns them. */
  expireRemediationRequests(now: Date): Promise<RemediationRequestRecord[]>;
  listRemediationRequests(alertEventId: string): Promise<RemediationRequestRecord[]>;

  recordAction(a: Omit<ActionRecord, "id">): Promise<void>;
  listActions(filter: { since?: Date; limit?: number }): Promise<ActionRecord[]>;
  /** Every action, oldest first, for export. */
  iterateActions(): AsyncIterable<ActionRecord>;

  /** Stores a report and returns its id (what audit Remediate buttons name). */
  saveAuditReport(at: Date, report: AuditReport, scope?: "account"): Promise<number>;
  saveAuditReport(at: Date, report: UserFindingsReport, scope: "user"): Promise<number>;
  /** The latest full (scope "account") report. */
  lastAuditReport(): Promise<{ at: Date; report: AuditReport } | null>;

  close(): Promise<void>;

  // Audit remediation buttons (edge)
  /** A stored report by id, whatever its scope; null when unknown. */
  getAuditReport(id: number): Promise<StoredAuditReport | null>;
  // --- health and notices (issue 8) ---
  /** LookupEvents cursors of one account scope ("default" = the bot's own account): event name -> end of the last window read completely. */
  getLookupCursors(scope: string): Promise<Map<string, Date>>;
  setLookupCursors(scope: string, cursors: ReadonlyMap<string, Date>): Promise<void>;
  openHealthEpisodes(): Promise<HealthEpisodeRecord[]>;
  /** Records a new problem episode unless one with this scope and code is open; true when it was new. */
  openHealthEpisode(e: HealthEpisodeRecord): Promise<boolean>;
  /** Closes the open episode of this scope and code; true when there was one. */
  closeHealthEpisode(scope: string, code: string, at: Date): Promise<boolean>;
  /** Queues an operational notice under a unique key; false (nothing queued) when the key was seen before. */
  enqueueNotice(n: { key: string; createdAt: Date; text: string; blocks: unknown[] }): Promise<boolean>;
  pendingNotices(limit: number): Promise<NoticeRecord[]>;
  markNoticePosted(key: string, channelId: string, ts: string, at: Date): Promise<void>;
  markNoticeFailed(key: string, error: string): Promise<void>;
  // ---- IAM snapshots (restore) ----
  // Each snapshot belongs to one account scope ("default" for the bot's own account, else the account id);
  // dedup, listings and retention never cross scopes.
  /**
   * Stores a compressed snapshot of `scope`. When its hash equals that scope's latest snapshot, nothing new is
   * stored: the latest is marked confirmed at `at` (stored false).
   */
  saveSnapshot(s: { scope: string; at: Date; hash: string; data: Buffer; rawBytes: number }): Promise<{ meta: SnapshotMeta; stored: boolean }>;
  /** Any scope's snapshot by id: readers check `meta.scope` (src/snapshot/service.ts does). */
  getSnapshot(id: number): Promise<{ meta: SnapshotMeta; data: Buffer } | null>;
  /** One scope's snapshots, newest first. */
  listSnapshots(filter: { scope: string; takenAtOrBefore?: Date; limit: number }): Promise<SnapshotMeta[]>;
  /** The newest snapshot of every scope that has one. */
  latestSnapshots(): Promise<SnapshotMeta[]>;
  /** Deletes a scope's snapshots last confirmed before the date (retention), never its newest; returns how many. */
  pruneSnapshots(scope: string, confirmedBefore: Date): Promise<number>;
  // --- crash recovery (issue 8): remediations left "executing" by a crash ---
  /** Requests in state executing, oldest decision first. */
  listExecutingRemediationRequests(): Promise<RemediationRequestRecord[]>;
  /** Settles an executing request found after a crash. false when it was no longer executing. */
  settleRecoveredRemediationRequest(id: string, state: "succeeded" | "failed" | "unknown", result: StoredExecutionResult): Promise<boolean>;
  // --- Grouping: deletion chains and storm digests (src/grouping, src/slack/group-delivery.ts) ---
  /**
   * Pending alerts the grouper has decided on that are not inside a group whose message exists (those are
   * shown by updating it or in its thread), oldest event first.
   */
  nextPostableAlerts(limit: number): Promise<AlertRecord[]>;
  /** Pending alerts the grouper has not decided on yet, oldest event first. */
  ungroupedPendingAlerts(limit: number): Promise<AlertRecord[]>;
  /** Records the grouper's decisions and the groups they changed, atomically. */
  recordGrouping(decisions: readonly { eventId: string; groupId: string | null }[], groups: readonly GroupSnapshot[], now: Date): Promise<void>;
  /** Groups whose last event is at or after `since`, and the decided alerts of that period: the grouper's state. */
  groupingState(since: Date): Promise<{ groups: GroupSnapshot[]; alerts: { alert: AlertRecord; groupId: string | null }[] }>;
  getGroup(id: string): Promise<AlertGroupRecord | null>;
  /** Members of a group, oldest event first. */
  groupMembers(id: string): Promise<AlertRecord[]>;
  /** Groups with something still to show in Slack (no message yet, or members not yet shown), oldest first. */
  groupsWithWork(limit: number): Promise<AlertGroupRecord[]>;
  markGroupPostAttempt(id: string, at: Date): Promise<void>;
  /** The group's top-level message exists (posted, or adopted from its first member's own post). */
  markGroupPosted(id: string, channelId: string, ts: string): Promise<void>;
  markGroupPostFailed(id: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void>;
  /** Marks members as shown in the group's message (delivered): they point at its ts. */
  markGroupMembersShown(id: string, eventIds: readonly string[], at: Date): Promise<void>;
  /** Starts a thread reply listing `eventIds` (in doubt until finished); returns its sequence number. */
  startGroupReply(groupId: string, eventIds: readonly string[], at: Date): Promise<number>;
  /** Replies started and not finished (in doubt after a crash or timeout). */
  openGroupReplies(groupId: string): Promise<{ seq: number; eventIds: string[]; startedAt: Date }[]>;
  finishGroupReply(groupId: string, seq: number, ts: string, at: Date): Promise<void>;
  /** Slack answered with an error: the reply was not posted and its events are free for the next one. */
  dropGroupReply(groupId: string, seq: number): Promise<void>;
  /** The message now shows the group as it was at `at` (updates are needed only for later changes). */
  markGroupRendered(id: string, at: Date): Promise<void>;
  /** Alerts posted on their own whose details reply (first thread reply) is still owed and due. */
  alertsNeedingDetails(limit: number, now: Date): Promise<AlertRecord[]>;
  markDetailsAttempt(eventId: string, at: Date): Promise<void>;
  markDetailsPosted(eventId: string, ts: string): Promise<void>;
  markDetailsFailed(eventId: string, nextAttemptAt: Date, inDoubt: boolean): Promise<void>;
  /** Acknowledges every member not yet acknowledged; returns how many changed. */
  acknowledgeGroup(id: string, user: string, at: Date): Promise<number>;
  // --- many accounts (issue 12) ---
  /** Poll cursor of another account than the bot's own (which keeps getPollCursor). */
  getAccountPollCursor(accountId: string): Promise<Date | null>;
  setAccountPollCursor(accountId: string, at: Date): Promise<void>;
}

/** A chain or digest as stored: the grouper's snapshot plus the state of its Slack message. */
export interface AlertGroupRecord {
  id: string;
  snapshot: GroupSnapshot;
  channelId?: string | undefined;
  messageTs?: string | undefined;
  postAttempts: number;
  inDoubtSince?: Date | undefined;
  nextAttemptAt: Date;
  lastError?: string | undefined;
  /** Members whose events are in the store but not yet shown in Slack (top level or thread). */
  unshownMembers: number;
  /** Last change to the group's membership, so the message is updated only when something changed. */
  changedAt: Date;
  /** When the message last showed the group as it is (null: never updated since posting). */
  renderedAt?: Date | undefined;
}

/** One stretch of time during which a health problem held (issue 8). */
export interface HealthEpisodeRecord {
  scope: string;
  code: string;
  startedAt: Date;
  detail: Record<string, unknown>;
}

export interface NoticeRecord {
  key: string;
  createdAt: Date;
  text: string;
  blocks: unknown[];
  attempts: number;
  lastError?: string | undefined;
}

/** `account`: a full `/iam-audit` (the App Home's "last audit"); `user`: an `/iam-audit user` answer. */
export type AuditReportScope = "account" | "user";

/** A stored audit report by id, typed by its scope. */
export type StoredAuditReport =
  | { id: number; at: Date; scope: "account"; report: AuditReport }
  | { id: number; at: Date; scope: "user"; report: UserFindingsReport };
