// SQLite engine for the Store (better-sqlite3). WAL mode, schema versioned with PRAGMA user_version so an
// upgrade applies only the migrations the file has not seen. Single writer: trailwatch runs one replica.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { IamEvent, RemediationId, Severity } from "../domain.js";
import type { AlertStatus } from "../alerts.js";
import type { Outcome } from "../detect/types.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { SnapshotMeta } from "../snapshot/model.js";
import type {
  ActionRecord,
  AlertGroupRecord,
  AuditReportScope,
  AlertRecord,
  HealthEpisodeRecord,
  NoticeRecord,
  NewAlert,
  RemediationRequestRecord,
  RemediationState,
  StatusCounts,
  Store,
} from "./types.js";

/** Ordered migrations; index + 1 is the schema version after applying it. Never edit a shipped one. */
export const MIGRATIONS: string[] = [
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
  // Audit remediation buttons (edge): a button names a stored report and a finding in it. `/iam-audit user`
  // answers are stored too (scope 'user') so their buttons work the same way, without becoming the App
  // Home's "last audit".
  `
  ALTER TABLE audit_reports ADD COLUMN scope TEXT NOT NULL DEFAULT 'account';
  `,
  // Rules: the decision of the rule that matched (name, routed channel, mention, severity before override).
  `
  ALTER TABLE alerts ADD COLUMN rule_name TEXT;
  ALTER TABLE alerts ADD COLUMN route_channel TEXT;
  ALTER TABLE alerts ADD COLUMN mention_group TEXT;
  ALTER TABLE alerts ADD COLUMN detected_severity TEXT;
  `,
  // Health and notices (issue 8): a LookupEvents cursor per account scope and event name, problem episodes,
  // and an outbox of operational notices so a restart neither loses nor reposts one.
  `
  CREATE TABLE lookup_cursors (scope TEXT NOT NULL, event_name TEXT NOT NULL, cursor INTEGER NOT NULL, PRIMARY KEY (scope, event_name));
  CREATE TABLE health_episodes (
    scope TEXT NOT NULL,
    code TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    cleared_at INTEGER,
    detail_json TEXT NOT NULL,
    PRIMARY KEY (scope, code, started_at)
  );
  CREATE INDEX health_episodes_open ON health_episodes (cleared_at);
  CREATE TABLE notices (
    key TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    text TEXT NOT NULL,
    blocks_json TEXT NOT NULL,
    posted_at INTEGER,
    channel_id TEXT,
    message_ts TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX notices_pending ON notices (posted_at, created_at);
  `,
  // IAM snapshots (restore): compressed content stored once per hash; a row per distinct state in time.
  `
  CREATE TABLE iam_snapshot_blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL);
  CREATE TABLE iam_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at INTEGER NOT NULL,
    confirmed_at INTEGER NOT NULL,
    hash TEXT NOT NULL REFERENCES iam_snapshot_blobs (hash),
    raw_bytes INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL
  );
  CREATE INDEX iam_snapshots_taken ON iam_snapshots (taken_at);
  `,
  // Grouping (deletion chains, storm digests): which group each alert joined, the groups and their Slack
  // message (same in-doubt protocol as alerts), and thread replies listing members.
  `
  ALTER TABLE alerts ADD COLUMN grouped INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE alerts ADD COLUMN group_id TEXT;
  ALTER TABLE alerts ADD COLUMN reply_seq INTEGER;
  ALTER TABLE alerts ADD COLUMN details_state TEXT;
  ALTER TABLE alerts ADD COLUMN details_ts TEXT;
  ALTER TABLE alerts ADD COLUMN details_in_doubt_since INTEGER;
  ALTER TABLE alerts ADD COLUMN details_next_at INTEGER;
  CREATE INDEX alerts_details ON alerts (details_state);
  CREATE INDEX alerts_group ON alerts (group_id, event_time);
  CREATE INDEX alerts_ungrouped ON alerts (delivery, grouped);
  CREATE TABLE alert_groups (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    snapshot_json TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    channel_id TEXT,
    message_ts TEXT,
    post_attempts INTEGER NOT NULL DEFAULT 0,
    in_doubt_since INTEGER,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    changed_at INTEGER NOT NULL,
    rendered_at INTEGER
  );
  CREATE INDEX alert_groups_last ON alert_groups (last_at);
  CREATE TABLE alert_group_replies (
    group_id TEXT NOT NULL REFERENCES alert_groups(id),
    seq INTEGER NOT NULL,
    event_ids_json TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ts TEXT,
    PRIMARY KEY (group_id, seq)
  );
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
           actor_user_name, detected_at, muted, muted_reason, delivery, next_attempt_at,
           rule_name, route_channel, mention_group, detected_severity, account_id, account_name)
         VALUES (@eventId, @eventName, @severity, @severityReason, @outcome, @eventJson, @eventTime, @actorArn,
           @actorUserName, @now, @muted, @mutedReason, @delivery, @now,
           @ruleName, @routeChannel, @mentionGroup, @detectedSeverity, @accountId, @accountName)
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
        ruleName: a.ruleName ?? null,
        routeChannel: a.routeChannel ?? null,
        mentionGroup: a.mentionGroup ?? null,
        detectedSeverity: a.detectedSeverity ?? null,
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
        // Posted on its own: its details reply (catalog text, every fact) is owed in its thread.
        "UPDATE alerts SET delivery = 'posted', channel_id = ?, message_ts = ?, in_doubt_since = NULL, last_error = NULL, details_state = COALESCE(details_state, 'wanted') WHERE event_id = ?",
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

  async finishRemediationRequest(id: string, state: "succeeded" | "failed" | "refused", result: unknown): Promise<void> {
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

  async saveAuditReport(at: Date, report: unknown, scope: AuditReportScope = "account"): Promise<number> {
    const res = this.db.prepare("INSERT INTO audit_reports (at, report_json, scope) VALUES (?, ?, ?)").run(at.getTime(), JSON.stringify(report), scope);
    return Number(res.lastInsertRowid);
  }

  async lastAuditReport(): Promise<{ at: Date; report: unknown } | null> {
    const row = this.db.prepare("SELECT * FROM audit_reports WHERE scope = 'account' ORDER BY id DESC LIMIT 1").get() as Row | undefined;
    return row ? { at: new Date(row.at as number), report: JSON.parse(row.report_json as string) as unknown } : null;
  }

  // Audit remediation buttons (edge)
  async getAuditReport(id: number): Promise<{ id: number; at: Date; scope: AuditReportScope; report: unknown } | null> {
    const row = this.db.prepare("SELECT * FROM audit_reports WHERE id = ?").get(id) as Row | undefined;
    if (!row) return null;
    return { id, at: new Date(row.at as number), scope: row.scope === "user" ? "user" : "account", report: JSON.parse(row.report_json as string) as unknown };
  }

  // --- health and notices (issue 8) ---

  async getLookupCursors(scope: string): Promise<Map<string, Date>> {
    const rows = this.db.prepare("SELECT event_name, cursor FROM lookup_cursors WHERE scope = ?").all(scope) as Row[];
    return new Map(rows.map((r) => [r.event_name as string, new Date(r.cursor as number)]));
  }

  async setLookupCursors(scope: string, cursors: ReadonlyMap<string, Date>): Promise<void> {
    const stmt = this.db.prepare(
      "INSERT INTO lookup_cursors (scope, event_name, cursor) VALUES (?, ?, ?) ON CONFLICT(scope, event_name) DO UPDATE SET cursor = excluded.cursor",
    );
    this.db.transaction(() => {
      for (const [name, at] of cursors) stmt.run(scope, name, at.getTime());
    })();
  }

  async openHealthEpisodes(): Promise<HealthEpisodeRecord[]> {
    const rows = this.db.prepare("SELECT * FROM health_episodes WHERE cleared_at IS NULL ORDER BY started_at").all() as Row[];
    return rows.map((r) => ({
      scope: r.scope as string,
      code: r.code as string,
      startedAt: new Date(r.started_at as number),
      detail: JSON.parse(r.detail_json as string) as Record<string, unknown>,
    }));
  }

  async openHealthEpisode(e: HealthEpisodeRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const open = this.db.prepare("SELECT 1 FROM health_episodes WHERE scope = ? AND code = ? AND cleared_at IS NULL").get(e.scope, e.code);
      if (open) return false;
      this.db
        .prepare("INSERT INTO health_episodes (scope, code, started_at, detail_json) VALUES (?, ?, ?, ?)")
        .run(e.scope, e.code, e.startedAt.getTime(), JSON.stringify(e.detail));
      return true;
    })();
  }

  async closeHealthEpisode(scope: string, code: string, at: Date): Promise<boolean> {
    const res = this.db.prepare("UPDATE health_episodes SET cleared_at = ? WHERE scope = ? AND code = ? AND cleared_at IS NULL").run(at.getTime(), scope, code);
    return res.changes > 0;
  }

  async enqueueNotice(n: { key: string; createdAt: Date; text: string; blocks: unknown[] }): Promise<boolean> {
    const res = this.db
      .prepare("INSERT INTO notices (key, created_at, text, blocks_json) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING")
      .run(n.key, n.createdAt.getTime(), n.text, JSON.stringify(n.blocks));
    return res.changes === 1;
  }

  async pendingNotices(limit: number): Promise<NoticeRecord[]> {
    const rows = this.db.prepare("SELECT * FROM notices WHERE posted_at IS NULL ORDER BY created_at, key LIMIT ?").all(limit) as Row[];
    return rows.map((r) => ({
      key: r.key as string,
      createdAt: new Date(r.created_at as number),
      text: r.text as string,
      blocks: JSON.parse(r.blocks_json as string) as unknown[],
      attempts: r.attempts as number,
      lastError: str(r.last_error),
    }));
  }

  async markNoticePosted(key: string, channelId: string, ts: string, at: Date): Promise<void> {
    this.db.prepare("UPDATE notices SET posted_at = ?, channel_id = ?, message_ts = ?, last_error = NULL WHERE key = ?").run(at.getTime(), channelId, ts, key);
  }

  async markNoticeFailed(key: string, error: string): Promise<void> {
    this.db.prepare("UPDATE notices SET attempts = attempts + 1, last_error = ? WHERE key = ?").run(error.slice(0, 500), key);
  }

  // ---- IAM snapshots (restore) ----

  async saveSnapshot(s: { at: Date; hash: string; data: Buffer; rawBytes: number }): Promise<{ meta: SnapshotMeta; stored: boolean }> {
    return this.db.transaction(() => {
      const latest = this.db.prepare("SELECT * FROM iam_snapshots ORDER BY taken_at DESC, id DESC LIMIT 1").get() as Row | undefined;
      if (latest && latest.hash === s.hash) {
        const confirmed = Math.max(latest.confirmed_at as number, s.at.getTime());
        this.db.prepare("UPDATE iam_snapshots SET confirmed_at = ? WHERE id = ?").run(confirmed, latest.id);
        return { meta: toSnapshotMeta({ ...latest, confirmed_at: confirmed }), stored: false };
      }
      this.db.prepare("INSERT OR IGNORE INTO iam_snapshot_blobs (hash, data) VALUES (?, ?)").run(s.hash, s.data);
      const info = this.db
        .prepare("INSERT INTO iam_snapshots (taken_at, confirmed_at, hash, raw_bytes, stored_bytes) VALUES (?, ?, ?, ?, ?)")
        .run(s.at.getTime(), s.at.getTime(), s.hash, s.rawBytes, s.data.length);
      const row = this.db.prepare("SELECT * FROM iam_snapshots WHERE id = ?").get(info.lastInsertRowid) as Row;
      return { meta: toSnapshotMeta(row), stored: true };
    })();
  }

  async getSnapshot(id: number): Promise<{ meta: SnapshotMeta; data: Buffer } | null> {
    const row = this.db
      .prepare("SELECT s.*, b.data FROM iam_snapshots s JOIN iam_snapshot_blobs b ON b.hash = s.hash WHERE s.id = ?")
      .get(id) as Row | undefined;
    return row ? { meta: toSnapshotMeta(row), data: row.data as Buffer } : null;
  }

  async listSnapshots(filter: { takenAtOrBefore?: Date; limit: number }): Promise<SnapshotMeta[]> {
    const rows = this.db
      .prepare("SELECT * FROM iam_snapshots WHERE taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT ?")
      .all(filter.takenAtOrBefore?.getTime() ?? Number.MAX_SAFE_INTEGER, filter.limit) as Row[];
    return rows.map(toSnapshotMeta);
  }

  async pruneSnapshots(confirmedBefore: Date): Promise<number> {
    return this.db.transaction(() => {
      const { changes } = this.db.prepare("DELETE FROM iam_snapshots WHERE confirmed_at < ?").run(confirmedBefore.getTime());
      this.db.prepare("DELETE FROM iam_snapshot_blobs WHERE hash NOT IN (SELECT hash FROM iam_snapshots)").run();
      return changes;
    })();
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

  // --- crash recovery (issue 8) ---
  async listExecutingRemediationRequests(): Promise<RemediationRequestRecord[]> {
    return (
      this.db.prepare("SELECT * FROM remediation_requests WHERE state = 'executing' ORDER BY decided_at, id").all() as Row[]
    ).map(toRequest);
  }

  async settleRecoveredRemediationRequest(id: string, state: "succeeded" | "failed" | "unknown", result: unknown): Promise<boolean> {
    const res = this.db
      .prepare("UPDATE remediation_requests SET state = ?, result_json = ? WHERE id = ? AND state = 'executing'")
      .run(state, JSON.stringify(result), id);
    return res.changes === 1;
  }

  // --- Grouping: deletion chains and storm digests ---

  async nextPostableAlerts(limit: number): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT a.* FROM alerts a LEFT JOIN alert_groups g ON g.id = a.group_id
         WHERE a.delivery = 'pending' AND a.grouped = 1 AND (a.group_id IS NULL OR g.message_ts IS NULL)
         ORDER BY COALESCE(a.event_time, a.detected_at), a.event_id LIMIT ?`,
      )
      .all(limit) as Row[];
    return rows.map(toAlert);
  }

  async ungroupedPendingAlerts(limit: number): Promise<AlertRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM alerts WHERE delivery = 'pending' AND grouped = 0
         ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ?`,
      )
      .all(limit) as Row[];
    return rows.map(toAlert);
  }

  async recordGrouping(decisions: readonly { eventId: string; groupId: string | null }[], groups: readonly GroupSnapshot[], now: Date): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO alert_groups (id, kind, snapshot_json, first_at, last_at, next_attempt_at, changed_at)
       VALUES (@id, @kind, @json, @first, @last, @now, @now)
       ON CONFLICT(id) DO UPDATE SET snapshot_json = excluded.snapshot_json, first_at = excluded.first_at,
         last_at = excluded.last_at, changed_at = excluded.changed_at`,
    );
    const decide = this.db.prepare("UPDATE alerts SET grouped = 1, group_id = ? WHERE event_id = ?");
    this.db.transaction(() => {
      for (const g of groups) {
        upsert.run({ id: g.id, kind: g.kind, json: JSON.stringify(g), first: g.firstAt.getTime(), last: g.lastAt.getTime(), now: now.getTime() });
      }
      for (const d of decisions) decide.run(d.groupId, d.eventId);
    })();
  }

  async groupingState(since: Date): Promise<{ groups: GroupSnapshot[]; alerts: { alert: AlertRecord; groupId: string | null }[] }> {
    const groups = (this.db.prepare("SELECT snapshot_json FROM alert_groups WHERE last_at >= ? ORDER BY first_at").all(since.getTime()) as Row[]).map((r) =>
      reviveSnapshot(r.snapshot_json as string),
    );
    const alerts = (
      this.db
        .prepare("SELECT * FROM alerts WHERE grouped = 1 AND COALESCE(event_time, detected_at) >= ? ORDER BY COALESCE(event_time, detected_at)")
        .all(since.getTime()) as Row[]
    ).map((r) => ({ alert: toAlert(r), groupId: str(r.group_id) ?? null }));
    return { groups, alerts };
  }

  private static readonly GROUP_SELECT = `SELECT g.*, (SELECT COUNT(*) FROM alerts a WHERE a.group_id = g.id AND a.delivery = 'pending') AS unshown
    FROM alert_groups g`;

  async getGroup(id: string): Promise<AlertGroupRecord | null> {
    const row = this.db.prepare(`${SqliteStore.GROUP_SELECT} WHERE g.id = ?`).get(id) as Row | undefined;
    return row ? toGroup(row) : null;
  }

  async groupMembers(id: string): Promise<AlertRecord[]> {
    return (this.db.prepare("SELECT * FROM alerts WHERE group_id = ? ORDER BY COALESCE(event_time, detected_at), event_id").all(id) as Row[]).map(toAlert);
  }

  async groupsWithWork(limit: number): Promise<AlertGroupRecord[]> {
    const rows = this.db
      .prepare(
        // Driven by pending alerts (indexed) so the cost does not grow with the history of groups.
        `${SqliteStore.GROUP_SELECT}
         WHERE g.id IN (SELECT group_id FROM alerts WHERE delivery = 'pending' AND group_id IS NOT NULL)
           OR g.changed_at > COALESCE(g.rendered_at, 0)
         ORDER BY g.first_at LIMIT ?`,
      )
      .all(limit) as Row[];
    // A group whose every member is muted or was posted alone has nothing to show.
    return rows.map(toGroup).filter((g) => g.messageTs !== undefined || g.unshownMembers > 0);
  }

  async markGroupPostAttempt(id: string, at: Date): Promise<void> {
    this.db
      .prepare("UPDATE alert_groups SET post_attempts = post_attempts + 1, in_doubt_since = COALESCE(in_doubt_since, ?) WHERE id = ?")
      .run(at.getTime(), id);
  }

  async markGroupPosted(id: string, channelId: string, ts: string): Promise<void> {
    this.db
      .prepare("UPDATE alert_groups SET channel_id = ?, message_ts = ?, in_doubt_since = NULL, last_error = NULL WHERE id = ?")
      .run(channelId, ts, id);
  }

  async markGroupPostFailed(id: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void> {
    this.db
      .prepare(
        `UPDATE alert_groups SET next_attempt_at = ?, last_error = ?,
           in_doubt_since = CASE WHEN ? THEN in_doubt_since ELSE NULL END WHERE id = ?`,
      )
      .run(nextAttemptAt.getTime(), error.slice(0, 1000), inDoubt ? 1 : 0, id);
  }

  async markGroupMembersShown(id: string, eventIds: readonly string[], _at: Date): Promise<void> {
    const g = this.db.prepare("SELECT channel_id, message_ts FROM alert_groups WHERE id = ?").get(id) as Row | undefined;
    if (!g || typeof g.message_ts !== "string") return;
    const mark = this.db.prepare(
      `UPDATE alerts SET delivery = 'posted', channel_id = ?, message_ts = ?, in_doubt_since = NULL, last_error = NULL
       WHERE event_id = ? AND group_id = ? AND delivery = 'pending'`,
    );
    this.db.transaction(() => {
      for (const e of eventIds) mark.run(g.channel_id, g.message_ts, e, id);
    })();
  }

  async startGroupReply(groupId: string, eventIds: readonly string[], at: Date): Promise<number> {
    return this.db.transaction(() => {
      const row = this.db.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM alert_group_replies WHERE group_id = ?").get(groupId) as Row;
      const seq = row.next as number;
      this.db
        .prepare("INSERT INTO alert_group_replies (group_id, seq, event_ids_json, started_at) VALUES (?, ?, ?, ?)")
        .run(groupId, seq, JSON.stringify(eventIds), at.getTime());
      const claim = this.db.prepare("UPDATE alerts SET reply_seq = ? WHERE event_id = ? AND group_id = ?");
      for (const e of eventIds) claim.run(seq, e, groupId);
      return seq;
    })();
  }

  async openGroupReplies(groupId: string): Promise<{ seq: number; eventIds: string[]; startedAt: Date }[]> {
    return (
      this.db.prepare("SELECT * FROM alert_group_replies WHERE group_id = ? AND ts IS NULL ORDER BY seq").all(groupId) as Row[]
    ).map((r) => ({ seq: r.seq as number, eventIds: JSON.parse(r.event_ids_json as string) as string[], startedAt: new Date(r.started_at as number) }));
  }

  async finishGroupReply(groupId: string, seq: number, ts: string, at: Date): Promise<void> {
    const row = this.db.prepare("SELECT event_ids_json FROM alert_group_replies WHERE group_id = ? AND seq = ?").get(groupId, seq) as Row | undefined;
    if (!row) return;
    this.db.transaction(() => {
      this.db.prepare("UPDATE alert_group_replies SET ts = ? WHERE group_id = ? AND seq = ?").run(ts, groupId, seq);
    })();
    await this.markGroupMembersShown(groupId, JSON.parse(row.event_ids_json as string) as string[], at);
  }

  async dropGroupReply(groupId: string, seq: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare("UPDATE alerts SET reply_seq = NULL WHERE group_id = ? AND reply_seq = ?").run(groupId, seq);
      this.db.prepare("DELETE FROM alert_group_replies WHERE group_id = ? AND seq = ? AND ts IS NULL").run(groupId, seq);
    })();
  }

  async markGroupRendered(id: string, at: Date): Promise<void> {
    this.db.prepare("UPDATE alert_groups SET rendered_at = ? WHERE id = ?").run(at.getTime(), id);
  }

  async alertsNeedingDetails(limit: number, now: Date): Promise<AlertRecord[]> {
    return (
      this.db
        .prepare(
          `SELECT * FROM alerts WHERE details_state = 'wanted' AND message_ts IS NOT NULL AND COALESCE(details_next_at, 0) <= ?
           ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ?`,
        )
        .all(now.getTime(), limit) as Row[]
    ).map(toAlert);
  }

  async markDetailsAttempt(eventId: string, at: Date): Promise<void> {
    this.db.prepare("UPDATE alerts SET details_in_doubt_since = COALESCE(details_in_doubt_since, ?) WHERE event_id = ?").run(at.getTime(), eventId);
  }

  async markDetailsPosted(eventId: string, ts: string): Promise<void> {
    this.db.prepare("UPDATE alerts SET details_state = 'posted', details_ts = ?, details_in_doubt_since = NULL WHERE event_id = ?").run(ts, eventId);
  }

  async markDetailsFailed(eventId: string, nextAttemptAt: Date, inDoubt: boolean): Promise<void> {
    this.db
      .prepare(
        `UPDATE alerts SET details_next_at = ?,
           details_in_doubt_since = CASE WHEN ? THEN details_in_doubt_since ELSE NULL END WHERE event_id = ?`,
      )
      .run(nextAttemptAt.getTime(), inDoubt ? 1 : 0, eventId);
  }

  async acknowledgeGroup(id: string, user: string, at: Date): Promise<number> {
    return this.db
      .prepare(
        `UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ?,
           status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END
         WHERE group_id = ? AND acknowledged_by IS NULL`,
      )
      .run(user, at.getTime(), id).changes;
  }
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

/** Opens the store named by DATABASE_URL. Only sqlite: is built in. */
export function openStore(sqlitePath: string): Store {
  return new SqliteStore(sqlitePath);
}
