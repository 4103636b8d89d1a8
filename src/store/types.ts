// The state store behind one interface. SQLite (better-sqlite3) is the built-in engine; another engine
// (e.g. PostgreSQL for a multi-replica deployment) implements this interface. Methods are async so an
// engine with network I/O fits; the SQLite engine answers synchronously inside them.
import type { IamEvent, RemediationId, Severity } from "../domain.js";
import type { Outcome } from "../detect/types.js";
import type { AlertStatus } from "../alerts.js";

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
  mutedReason?: string;
  delivery: "pending" | "posted" | "muted";
  postAttempts: number;
  /** An attempt whose outcome is unknown (crash or timeout after sending): check Slack before posting again. */
  inDoubtSince?: Date;
  nextAttemptAt: Date;
  lastError?: string;
  channelId?: string;
  messageTs?: string;
  status: AlertStatus;
  acknowledgedBy?: string;
  acknowledgedAt?: Date;
  escalatedBy?: string;
  escalatedAt?: Date;
  escalationNote?: string;
  /** Many accounts: the account it was polled from and that account's display name (absent: the bot's own). */
  accountId?: string;
  accountName?: string;
}

export type NewAlert = Pick<
  AlertRecord,
  "eventId" | "eventName" | "severity" | "severityReason" | "outcome" | "event" | "eventTime" | "muted" | "mutedReason"
> &
  Partial<Pick<AlertRecord, "accountId" | "accountName">>;

export type RemediationState = "pending" | "executing" | "succeeded" | "failed" | "rejected" | "expired";

export interface RemediationRequestRecord {
  id: string;
  /** The alert it fixes, or null for a remediation requested from an audit finding. */
  alertEventId: string | null;
  findingId: string | null;
  remediationId: RemediationId;
  params: Record<string, string>;
  /** The dry-run plan shown to the requester and approver (JSON of RemediationPlan). */
  plan: unknown;
  requestedBy: string;
  requestedAt: Date;
  expiresAt: Date;
  state: RemediationState;
  decidedBy?: string;
  decidedAt?: Date;
  /** JSON of ExecutionResult once executed. */
  result?: unknown;
  channelId?: string;
  messageTs?: string;
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
  listAlerts(filter: { since?: Date; actorArn?: string; actorUserName?: string; includeMuted?: boolean; status?: AlertStatus; limit: number }): Promise<AlertRecord[]>;
  countByStatus(since: Date): Promise<StatusCounts>;

  createRemediationRequest(req: Omit<RemediationRequestRecord, "state">): Promise<void>;
  getRemediationRequest(id: string): Promise<RemediationRequestRecord | null>;
  setRemediationMessage(id: string, channelId: string, ts: string): Promise<void>;
  /**
   * Moves a pending, unexpired request to `to` (executing or rejected) atomically. Returns false when it
   * was not pending (already decided, executing or expired): the caller must not act.
   */
  claimRemediationRequest(id: string, to: "executing" | "rejected", by: string, at: Date): Promise<boolean>;
  finishRemediationRequest(id: string, state: "succeeded" | "failed", result: unknown): Promise<void>;
  /** Marks pending requests past their expiry as expired and returns them. */
  expireRemediationRequests(now: Date): Promise<RemediationRequestRecord[]>;
  listRemediationRequests(alertEventId: string): Promise<RemediationRequestRecord[]>;

  recordAction(a: Omit<ActionRecord, "id">): Promise<void>;
  listActions(filter: { since?: Date; limit?: number }): Promise<ActionRecord[]>;
  /** Every action, oldest first, for export. */
  iterateActions(): AsyncIterable<ActionRecord>;

  saveAuditReport(at: Date, report: unknown): Promise<void>;
  lastAuditReport(): Promise<{ at: Date; report: unknown } | null>;

  close(): Promise<void>;

  // --- many accounts (issue 12) ---
  /** Poll cursor of another account than the bot's own (which keeps getPollCursor). */
  getAccountPollCursor(accountId: string): Promise<Date | null>;
  setAccountPollCursor(accountId: string, at: Date): Promise<void>;
}
