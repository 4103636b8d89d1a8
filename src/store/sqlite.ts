// SQLite engine for the Store (better-sqlite3). WAL mode, schema versioned with PRAGMA user_version so an
// upgrade applies only the migrations the file has not seen. Single writer: trailwatch runs one replica.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { IamEvent, RemediationId, Severity } from "../domain.js";
import type { AlertStatus } from "../alerts.js";
import type { Outcome } from "../detect/types.js";
import type {
  ActionRecord,
  AlertRecord,
  NewAlert,
  RemediationRequestRecord,
  RemediationState,
  StatusCounts,
  Store,
} from "./types.js";

/** Ordered migrations; index + 1 is the schema version after applying it. Never edit a shipped one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE alerts (
    event_id TEXT PRIMARY KEY,
    event_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_reason TEXT NOT NULL,
    outcome TEXT NOT NULL,
    event_json TEXT NOT NULL,
    event_time INTEGER,
    actor_arn TEXT,
    actor_user_name TEXT,
    detected_at INTEGER NOT NULL,
    muted INTEGER NOT NULL DEFAULT 0,
    muted_reason TEXT,
    delivery TEXT NOT NULL,
    post_attempts INTEGER NOT NULL DEFAULT 0,
    in_doubt_since INTEGER,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    channel_id TEXT,
    message_ts TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    escalated_by TEXT,
    escalated_at INTEGER,
    escalation_note TEXT
  );
  CREATE INDEX alerts_delivery ON alerts (delivery, event_time);
  CREATE INDEX alerts_time ON alerts (event_time);
  CREATE INDEX alerts_actor ON alerts (actor_arn);
  CREATE TABLE remediation_requests (
    id TEXT PRIMARY KEY,
    alert_event_id TEXT REFERENCES alerts(event_id),
    finding_id TEXT,
    remediation_id TEXT NOT NULL,
    params_json TEXT NOT NULL,
    plan_json TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    result_json TEXT,
    channel_id TEXT,
    message_ts TEXT
  );
  CREATE INDEX remediation_alert ON remediation_requests (alert_event_id);
  CREATE INDEX remediation_state ON remediation_requests (state, expires_at);
  CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    alert_event_id TEXT,
    request_id TEXT,
    result TEXT NOT NULL,
    detail_json TEXT NOT NULL
  );
  CREATE INDEX actions_at ON actions (at);
  CREATE TABLE audit_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, report_json TEXT NOT NULL);
  `,
  // Many accounts: the account an alert was polled from and its display name at the time (NULL: the bot's
  // own account, as every alert before this migration). Per-account poll cursors live in meta.
  `
  ALTER TABLE alerts ADD COLUMN account_id TEXT;
  ALTER TABLE alerts ADD COLUMN account_name TEXT;
  `,
];

type Row = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const date = (v: unknown): Date | undefined => (typeof v === "number" ? new Date(v) : undefined);

function reviveEvent(json: string): IamEvent {
  const ev = JSON.parse(json) as IamEvent & { eventTime: string | null };
  return { ...ev, eventTime: ev.eventTime ? new Date(ev.eventTime) : null };
}

function toAlert(r: Row): AlertRecord {
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
    accountId: str(r.account_id),
    accountName: str(r.account_name),
  };
}

function toRequest(r: Row): RemediationRequestRecord {
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
    result: typeof r.result_json === "string" ? (JSON.parse(r.result_json) as unknown) : undefined,
    channelId: str(r.channel_id),
    messageTs: str(r.message_ts),
  };
}

function toAction(r: Row): ActionRecord {
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

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  /** Current schema version (number of applied migrations). */
  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${current} is newer than this trailwatch build supports (${MIGRATIONS.length}); upgrade trailwatch`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      const sql = MIGRATIONS[v] as string;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async getPollCursor(): Promise<Date | null> {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'poll_cursor'").get() as Row | undefined;
    return row ? new Date(Number(row.value)) : null;
  }

  async setPollCursor(at: Date): Promise<void> {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES ('poll_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(String(at.getTime()));
  }

  async insertAlert(a: NewAlert, now: Date): Promise<boolean> {
    const res = this.db
      .prepare(
        `INSERT INTO alerts (event_id, event_name, severity, severity_reason, outcome, event_json, event_time, actor_arn,
           actor_user_name, detected_at, muted, muted_reason, delivery, next_attempt_at, account_id, account_name)
         VALUES (@eventId, @eventName, @severity, @severityReason, @outcome, @eventJson, @eventTime, @actorArn,
           @actorUserName, @now, @muted, @mutedReason, @delivery, @now, @accountId, @accountName)
         ON CONFLICT(event_id) DO NOTHING`,
      )
      .run({
        eventId: a.eventId,
        eventName: a.eventName,
        severity: a.severity,
        severityReason: a.severityReason,
        outcome: a.outcome,
        eventJson: JSON.stringify(a.event),
        eventTime: a.eventTime ? a.eventTime.getTime() : null,
        actorArn: a.event.actor.arn ?? a.event.actor.roleArn ?? null,
        actorUserName: a.event.actor.userName ?? a.event.actor.roleName ?? null,
        now: now.getTime(),
        muted: a.muted ? 1 : 0,
        mutedReason: a.mutedReason ?? null,
        delivery: a.muted ? "muted" : "pending",
        accountId: a.accountId ?? null,
        accountName: a.accountName ?? null,
      });
    return res.changes === 1;
  }

  async getAlert(eventId: string): Promise<AlertRecord | null> {
    const row = this.db.prepare("SELECT * FROM alerts WHERE event_id = ?").get(eventId) as Row | undefined;
    return row ? toAlert(row) : null;
  }

  async nextPendingAlerts(limit: number): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts WHERE delivery = 'pending'
         ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ?`,
      )
      .all(limit) as Row[];
    return rows.map(toAlert);
  }

  async pendingCount(): Promise<number> {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM alerts WHERE delivery = 'pending'").get() as Row;
    return row.n as number;
  }

  async markPostAttempt(eventId: string, at: Date): Promise<void> {
    this.db
      .prepare("UPDATE alerts SET post_attempts = post_attempts + 1, in_doubt_since = COALESCE(in_doubt_since, ?) WHERE event_id = ?")
      .run(at.getTime(), eventId);
  }

  async markPosted(eventId: string, channelId: string, ts: string): Promise<void> {
    this.db
      .prepare(
        "UPDATE alerts SET delivery = 'posted', channel_id = ?, message_ts = ?, in_doubt_since = NULL, last_error = NULL WHERE event_id = ?",
      )
      .run(channelId, ts, eventId);
  }

  async markPostFailed(eventId: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void> {
    this.db
      .prepare(
        `UPDATE alerts SET next_attempt_at = ?, last_error = ?,
           in_doubt_since = CASE WHEN ? THEN in_doubt_since ELSE NULL END WHERE event_id = ?`,
      )
      .run(nextAttemptAt.getTime(), error.slice(0, 1000), inDoubt ? 1 : 0, eventId);
  }

  async acknowledge(eventId: string, user: string, at: Date): Promise<{ changed: boolean; alert: AlertRecord | null }> {
    const res = this.db
      .prepare(
        `UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ?,
           status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END
         WHERE event_id = ? AND acknowledged_by IS NULL`,
      )
      .run(user, at.getTime(), eventId);
    return { changed: res.changes === 1, alert: await this.getAlert(eventId) };
  }

  async escalate(eventId: string, user: string, at: Date, note: string): Promise<{ changed: boolean; alert: AlertRecord | null }> {
    const res = this.db
      .prepare(
        `UPDATE alerts SET escalated_by = ?, escalated_at = ?, escalation_note = ?,
           status = CASE WHEN status IN ('open', 'acknowledged') THEN 'escalated' ELSE status END
         WHERE event_id = ? AND escalated_by IS NULL`,
      )
      .run(user, at.getTime(), note, eventId);
    return { changed: res.changes === 1, alert: await this.getAlert(eventId) };
  }

  async setStatus(eventId: string, status: AlertStatus): Promise<void> {
    this.db.prepare("UPDATE alerts SET status = ? WHERE event_id = ?").run(status, eventId);
  }

  async listAlerts(filter: {
    since?: Date;
    actorArn?: string;
    actorUserName?: string;
    includeMuted?: boolean;
    status?: AlertStatus;
    limit: number;
  }): Promise<AlertRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.since) {
      where.push("COALESCE(event_time, detected_at) >= ?");
      args.push(filter.since.getTime());
    }
    if (filter.actorArn || filter.actorUserName) {
      where.push("(actor_arn = ? OR actor_user_name = ?)");
      args.push(filter.actorArn ?? "", filter.actorUserName ?? "");
    }
    if (!filter.includeMuted) where.push("muted = 0");
    if (filter.status) {
      where.push("status = ?");
      args.push(filter.status);
    }
    const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY COALESCE(event_time, detected_at) DESC, event_id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit) as Row[]).map(toAlert);
  }

  async countByStatus(since: Date): Promise<StatusCounts> {
    const rows = this.db
      .prepare(
        `SELECT CASE WHEN muted = 1 THEN 'muted' ELSE status END AS s, COUNT(*) AS n FROM alerts
         WHERE COALESCE(event_time, detected_at) >= ? GROUP BY s`,
      )
      .all(since.getTime()) as Row[];
    const counts: StatusCounts = { open: 0, acknowledged: 0, escalated: 0, remediated: 0, muted: 0 };
    for (const r of rows) counts[r.s as keyof StatusCounts] = r.n as number;
    return counts;
  }

  async createRemediationRequest(req: Omit<RemediationRequestRecord, "state">): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO remediation_requests (id, alert_event_id, finding_id, remediation_id, params_json, plan_json,
           requested_by, requested_at, expires_at, state, channel_id, message_ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(
        req.id,
        req.alertEventId,
        req.findingId,
        req.remediationId,
        JSON.stringify(req.params),
        JSON.stringify(req.plan),
        req.requestedBy,
        req.requestedAt.getTime(),
        req.expiresAt.getTime(),
        req.channelId ?? null,
        req.messageTs ?? null,
      );
  }

  async getRemediationRequest(id: string): Promise<RemediationRequestRecord | null> {
    const row = this.db.prepare("SELECT * FROM remediation_requests WHERE id = ?").get(id) as Row | undefined;
    return row ? toRequest(row) : null;
  }

  async setRemediationMessage(id: string, channelId: string, ts: string): Promise<void> {
    this.db.prepare("UPDATE remediation_requests SET channel_id = ?, message_ts = ? WHERE id = ?").run(channelId, ts, id);
  }

  async claimRemediationRequest(id: string, to: "executing" | "rejected", by: string, at: Date): Promise<boolean> {
    const res = this.db
      .prepare(
        `UPDATE remediation_requests SET state = ?, decided_by = ?, decided_at = ?
         WHERE id = ? AND state = 'pending' AND expires_at > ?`,
      )
      .run(to, by, at.getTime(), id, at.getTime());
    return res.changes === 1;
  }

  async finishRemediationRequest(id: string, state: "succeeded" | "failed", result: unknown): Promise<void> {
    this.db
      .prepare("UPDATE remediation_requests SET state = ?, result_json = ? WHERE id = ? AND state = 'executing'")
      .run(state, JSON.stringify(result), id);
  }

  async expireRemediationRequests(now: Date): Promise<RemediationRequestRecord[]> {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare("SELECT * FROM remediation_requests WHERE state = 'pending' AND expires_at <= ?")
        .all(now.getTime()) as Row[];
      this.db
        .prepare("UPDATE remediation_requests SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?")
        .run(now.getTime());
      return rows.map((r) => ({ ...toRequest(r), state: "expired" as const }));
    })();
  }

  async listRemediationRequests(alertEventId: string): Promise<RemediationRequestRecord[]> {
    return (
      this.db.prepare("SELECT * FROM remediation_requests WHERE alert_event_id = ? ORDER BY requested_at").all(alertEventId) as Row[]
    ).map(toRequest);
  }

  async recordAction(a: Omit<ActionRecord, "id">): Promise<void> {
    this.db
      .prepare(
        "INSERT INTO actions (at, actor, action, alert_event_id, request_id, result, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(a.at.getTime(), a.actor, a.action, a.alertEventId, a.requestId, a.result, JSON.stringify(a.detail));
  }

  async listActions(filter: { since?: Date; limit?: number }): Promise<ActionRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM actions WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?")
      .all(filter.since?.getTime() ?? 0, filter.limit ?? 100) as Row[];
    return rows.map(toAction);
  }

  async *iterateActions(): AsyncIterable<ActionRecord> {
    for (const row of this.db.prepare("SELECT * FROM actions ORDER BY id").iterate() as IterableIterator<Row>) {
      yield toAction(row);
    }
  }

  async saveAuditReport(at: Date, report: unknown): Promise<void> {
    this.db.prepare("INSERT INTO audit_reports (at, report_json) VALUES (?, ?)").run(at.getTime(), JSON.stringify(report));
  }

  async lastAuditReport(): Promise<{ at: Date; report: unknown } | null> {
    const row = this.db.prepare("SELECT * FROM audit_reports ORDER BY id DESC LIMIT 1").get() as Row | undefined;
    return row ? { at: new Date(row.at as number), report: JSON.parse(row.report_json as string) as unknown } : null;
  }

  // --- many accounts ---

  async getAccountPollCursor(accountId: string): Promise<Date | null> {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(`poll_cursor:${accountId}`) as Row | undefined;
    return row ? new Date(Number(row.value)) : null;
  }

  async setAccountPollCursor(accountId: string, at: Date): Promise<void> {
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(`poll_cursor:${accountId}`, String(at.getTime()));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens the store named by DATABASE_URL. Only sqlite: is built in. */
export function openStore(sqlitePath: string): Store {
  return new SqliteStore(sqlitePath);
}
