// One Store implementation for both engines: Kysely over better-sqlite3 or over pg, with the schema versioned by
// Kysely's Migrator (src/store/migrations.ts). The SQL is the portable subset both engines share (ON CONFLICT,
// RETURNING, COALESCE, CASE), compiled by Kysely to each dialect's placeholders. Times are integer milliseconds
// in both (BIGINT on PostgreSQL, read back as numbers), JSON is text, booleans are 0/1.
//
// Atomicity: every multi-statement change runs in db.transaction(); single-statement claims (a remediation
// moving out of pending, an alert acknowledged once) rely on the UPDATE's WHERE, which PostgreSQL re-checks
// after a concurrent writer commits, so two replicas can never both win.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type RawBuilder } from "kysely";
import pg from "pg";
import type { AlertStatus } from "../alerts.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { SnapshotMeta } from "../snapshot/model.js";
import { TrailwatchError } from "../aws/errors.js";
import { StoreMigrations, type Dialect } from "./migrations.js";
import { reviveSnapshot, toAction, toAlert, toGroup, toRequest, toSnapshotMeta } from "./rows.js";
import { AuditReportSchema, BlocksSchema, DetailSchema, EventIdsSchema, StoredRecordError, UserFindingsReportSchema, decodeColumn, type StoredExecutionResult, type UserFindingsReport } from "./codecs.js";
import type { AuditReport } from "../audit/types.js";
import type {
  ActionRecord,
  AlertGroupRecord,
  AlertRecord,
  AuditReportScope,
  StoredAuditReport,
  HealthEpisodeRecord,
  NewAlert,
  NoticeRecord,
  RemediationRequestRecord,
  StatusCounts,
  Store,
} from "./types.js";

type Row = Record<string, unknown>;
type Db = Kysely<unknown>;

const INT8_OID = 20;

/** A pg pool whose BIGINT columns (times in ms, counts) come back as numbers, as better-sqlite3 gives them. */
function createPgPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: {
      // BIGINT (epoch milliseconds, counts) as a number; every other type as pg parses it.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-enum-assignment -- pg's own parser, typed any
      getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? "text"))) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (restart, failover) is discarded by the pool; without a listener
  // the event would crash the process. The next query opens a new connection, or fails and is reported there.
  pool.on("error", () => undefined);
  return pool;
}

export class MigrationError extends TrailwatchError {
  constructor(message: string, cause?: unknown) {
    super("store-migration", message, { cause });
  }
}

/** Applies every pending migration; returns the names applied now. */
async function migrateToLatest(db: Db, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StoreMigrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const msg = error instanceof Error ? error.message : JSON.stringify(error);
    throw new MigrationError(`database migration failed: ${msg}`, error);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** How long a claim on pending alerts keeps other replicas off them; renewed at every read, so only a dead or cut-off holder lets it lapse (its in-flight alerts then wait this long). */
const OUTBOX_CLAIM_MS = 20_000;

export interface KyselyStoreOptions {
  /**
   * This instance's id: who claims outbox rows (PostgreSQL) and who executes the remediations it claims
   * (remediation_requests.executed_by). Default a random id per store.
   */
  owner?: string;
  now?: () => Date;
  /**
   * Told about a stored row whose JSON does not decode (StoredRecordError names the table, row and column)
   * and that a listing therefore leaves out. Default: a process warning. Reading such a row by id throws.
   */
  onCorruptRow?: (err: StoredRecordError) => void;
}

export class KyselyStore implements Store {
  readonly owner: string;
  private readonly now: () => Date;
  private readonly onCorruptRow: (err: StoredRecordError) => void;

  private constructor(
    readonly db: Db,
    readonly dialect: Dialect,
    opts: KyselyStoreOptions = {},
  ) {
    this.owner = opts.owner ?? randomUUID();
    this.now = opts.now ?? (() => new Date());
    this.onCorruptRow =
      opts.onCorruptRow ??
      ((err) => {
        process.emitWarning(err.message, { code: err.code });
      });
  }

  /** Maps rows, leaving out (and reporting) those whose stored JSON does not decode: one bad row never hides the rest. */
  private decodeRows<T>(rows: Row[], map: (r: Row) => T): T[] {
    const out: T[] = [];
    for (const r of rows) {
      try {
        out.push(map(r));
      } catch (err) {
        if (!(err instanceof StoredRecordError)) throw err;
        this.onCorruptRow(err);
      }
    }
    return out;
  }

  /** Opens (and, unless `migrate: false`, migrates) a SQLite file, or ":memory:". */
  static async openSqlite(path: string, opts: { migrate?: boolean } & Pick<KyselyStoreOptions, "onCorruptRow"> = {}): Promise<KyselyStore> {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
    raw.pragma("foreign_keys = ON");
    raw.pragma("busy_timeout = 5000");
    const store = new KyselyStore(new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) }), "sqlite", opts.onCorruptRow ? { onCorruptRow: opts.onCorruptRow } : {});
    return KyselyStore.migrated(store, opts.migrate);
  }

  /** Opens (and migrates) a PostgreSQL database by URL. */
  static async openPostgres(url: string, opts: { migrate?: boolean; poolSize?: number } & KyselyStoreOptions = {}): Promise<KyselyStore> {
    const store = new KyselyStore(new Kysely<unknown>({ dialect: new PostgresDialect({ pool: createPgPool(url, opts.poolSize) }) }), "postgres", opts);
    return KyselyStore.migrated(store, opts.migrate);
  }

  /** Migrates a store just opened, unless `migrate` is false; closes it when that fails. */
  private static async migrated(store: KyselyStore, migrate: boolean | undefined): Promise<KyselyStore> {
    try {
      if (migrate !== false) await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  migrate(): Promise<string[]> {
    return migrateToLatest(this.db, this.dialect);
  }

  private async all(q: RawBuilder<Row>, ex: Db = this.db): Promise<Row[]> {
    return (await q.execute(ex)).rows;
  }

  private async one(q: RawBuilder<Row>, ex: Db = this.db): Promise<Row | undefined> {
    return (await q.execute(ex)).rows[0];
  }

  private async run(q: RawBuilder<unknown>, ex: Db = this.db): Promise<number> {
    return Number((await q.execute(ex)).numAffectedRows ?? 0);
  }

  async getPollCursor(): Promise<Date | null> {
    const row = await this.one(sql`SELECT value FROM meta WHERE key = 'poll_cursor'`);
    return row ? new Date(Number(row.value)) : null;
  }

  async setPollCursor(at: Date): Promise<void> {
    await this.run(sql`INSERT INTO meta (key, value) VALUES ('poll_cursor', ${String(at.getTime())}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  }

  async insertAlert(a: NewAlert, now: Date): Promise<boolean> {
    const n = await this.run(sql`
      INSERT INTO alerts (event_id, event_name, severity, severity_reason, outcome, event_json, event_time, actor_arn,
        actor_user_name, detected_at, muted, muted_reason, delivery, next_attempt_at,
        rule_name, route_channel, mention_group, detected_severity, account_id, account_name)
      VALUES (${a.eventId}, ${a.eventName}, ${a.severity}, ${a.severityReason}, ${a.outcome}, ${JSON.stringify(a.event)},
        ${a.eventTime ? a.eventTime.getTime() : null}, ${a.event.actor.arn ?? a.event.actor.roleArn ?? null},
        ${a.event.actor.userName ?? a.event.actor.roleName ?? null}, ${now.getTime()}, ${a.muted ? 1 : 0}, ${a.mutedReason ?? null},
        ${a.muted ? "muted" : "pending"}, ${now.getTime()}, ${a.ruleName ?? null}, ${a.routeChannel ?? null}, ${a.mentionGroup ?? null},
        ${a.detectedSeverity ?? null}, ${a.accountId ?? null}, ${a.accountName ?? null})
      ON CONFLICT (event_id) DO NOTHING`);
    return n === 1;
  }

  async getAlert(eventId: string): Promise<AlertRecord | null> {
    const row = await this.one(sql`SELECT * FROM alerts WHERE event_id = ${eventId}`);
    return row ? toAlert(row) : null;
  }

  async nextPendingAlerts(limit: number): Promise<AlertRecord[]> {
    if (this.dialect === "postgres") return this.claimPending(sql`TRUE`, limit);
    return this.decodeRows(await this.all(sql`SELECT * FROM alerts WHERE delivery = 'pending' ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ${limit}`), toAlert);
  }

  /**
   * PostgreSQL outbox claim: the pending alerts matching `cond` that no other replica claimed (or whose claim
   * lapsed) become ours for OUTBOX_CLAIM_MS. FOR UPDATE SKIP LOCKED lets two replicas claim at the same moment
   * without waiting on each other and without both getting a row, so an alert is never posted by two.
   */
  private async claimPending(cond: RawBuilder<unknown>, limit: number): Promise<AlertRecord[]> {
    const now = this.now().getTime();
    const rows = await this.all(sql`UPDATE alerts SET claimed_by = ${this.owner}, claimed_until = ${now + OUTBOX_CLAIM_MS}
      WHERE event_id IN (
        SELECT a.event_id FROM alerts a LEFT JOIN alert_groups g ON g.id = a.group_id
        WHERE a.delivery = 'pending' AND ${cond}
          AND (a.claimed_by IS NULL OR a.claimed_by = ${this.owner} OR a.claimed_until < ${now})
        ORDER BY COALESCE(a.event_time, a.detected_at), a.event_id LIMIT ${limit}
        FOR UPDATE OF a SKIP LOCKED)
      RETURNING *`);
    return this.decodeRows(rows, toAlert).sort(
      (x, y) => (x.eventTime ?? x.detectedAt).getTime() - (y.eventTime ?? y.detectedAt).getTime() || (x.eventId < y.eventId ? -1 : x.eventId > y.eventId ? 1 : 0),
    );
  }

  async pendingCount(): Promise<number> {
    const row = await this.one(sql`SELECT COUNT(*) AS n FROM alerts WHERE delivery = 'pending'`);
    return Number(row?.n ?? 0);
  }

  async markPostAttempt(eventId: string, at: Date): Promise<void> {
    await this.run(sql`UPDATE alerts SET post_attempts = post_attempts + 1, in_doubt_since = COALESCE(in_doubt_since, ${at.getTime()}) WHERE event_id = ${eventId}`);
  }

  async markPosted(eventId: string, channelId: string, ts: string): Promise<void> {
    // Posted on its own: its details reply (catalog text, every fact) is owed in its thread.
    await this.run(sql`UPDATE alerts SET delivery = 'posted', channel_id = ${channelId}, message_ts = ${ts}, in_doubt_since = NULL, last_error = NULL,
      details_state = COALESCE(details_state, 'wanted') WHERE event_id = ${eventId}`);
  }

  async markPostFailed(eventId: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void> {
    await this.run(sql`UPDATE alerts SET next_attempt_at = ${nextAttemptAt.getTime()}, last_error = ${error.slice(0, 1000)},
      in_doubt_since = CASE WHEN ${inDoubt ? 1 : 0} = 1 THEN in_doubt_since ELSE NULL END WHERE event_id = ${eventId}`);
  }

  async acknowledge(eventId: string, user: string, at: Date): Promise<{ changed: boolean; alert: AlertRecord | null }> {
    const n = await this.run(sql`UPDATE alerts SET acknowledged_by = ${user}, acknowledged_at = ${at.getTime()},
      status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END
      WHERE event_id = ${eventId} AND acknowledged_by IS NULL`);
    return { changed: n === 1, alert: await this.getAlert(eventId) };
  }

  async escalate(eventId: string, user: string, at: Date, note: string): Promise<{ changed: boolean; alert: AlertRecord | null }> {
    const n = await this.run(sql`UPDATE alerts SET escalated_by = ${user}, escalated_at = ${at.getTime()}, escalation_note = ${note},
      status = CASE WHEN status IN ('open', 'acknowledged') THEN 'escalated' ELSE status END
      WHERE event_id = ${eventId} AND escalated_by IS NULL`);
    return { changed: n === 1, alert: await this.getAlert(eventId) };
  }

  async setStatus(eventId: string, status: AlertStatus): Promise<void> {
    await this.run(sql`UPDATE alerts SET status = ${status} WHERE event_id = ${eventId}`);
  }

  async listAlerts(filter: { since?: Date; actorArn?: string; actorUserName?: string; accountIds?: readonly (string | null)[]; includeMuted?: boolean; status?: AlertStatus; limit: number }): Promise<AlertRecord[]> {
    const where: RawBuilder<unknown>[] = [];
    if (filter.since) where.push(sql`COALESCE(event_time, detected_at) >= ${filter.since.getTime()}`);
    if (filter.actorArn || filter.actorUserName) where.push(sql`(actor_arn = ${filter.actorArn ?? ""} OR actor_user_name = ${filter.actorUserName ?? ""})`);
    if (filter.accountIds) {
      const ids = filter.accountIds.filter((id): id is string => id !== null);
      const either = [...(ids.length > 0 ? [sql`account_id IN (${sql.join(ids)})`] : []), ...(filter.accountIds.includes(null) ? [sql`account_id IS NULL`] : [])];
      where.push(either.length > 0 ? sql`(${sql.join(either, sql` OR `)})` : sql`1 = 0`);
    }
    if (!filter.includeMuted) where.push(sql`muted = 0`);
    if (filter.status) where.push(sql`status = ${filter.status}`);
    const cond = where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
    return this.decodeRows(
      await this.all(sql`SELECT * FROM alerts ${cond} ORDER BY COALESCE(event_time, detected_at) DESC, event_id LIMIT ${filter.limit}`),
      toAlert,
    );
  }

  async countByStatus(since: Date): Promise<StatusCounts> {
    const rows = await this.all(sql`SELECT CASE WHEN muted = 1 THEN 'muted' ELSE status END AS s, COUNT(*) AS n FROM alerts
      WHERE COALESCE(event_time, detected_at) >= ${since.getTime()} GROUP BY CASE WHEN muted = 1 THEN 'muted' ELSE status END`);
    const counts: StatusCounts = { open: 0, acknowledged: 0, escalated: 0, remediated: 0, muted: 0 };
    for (const r of rows) counts[r.s as keyof StatusCounts] = Number(r.n);
    return counts;
  }

  async createRemediationRequest(req: Omit<RemediationRequestRecord, "state">): Promise<void> {
    await this.run(sql`INSERT INTO remediation_requests (id, alert_event_id, finding_id, remediation_id, params_json, plan_json,
        requested_by, requested_at, expires_at, state, channel_id, message_ts)
      VALUES (${req.id}, ${req.alertEventId}, ${req.findingId}, ${req.remediationId}, ${JSON.stringify(req.params)}, ${JSON.stringify(req.plan)},
        ${req.requestedBy}, ${req.requestedAt.getTime()}, ${req.expiresAt.getTime()}, 'pending', ${req.channelId ?? null}, ${req.messageTs ?? null})`);
  }

  async getRemediationRequest(id: string): Promise<RemediationRequestRecord | null> {
    const row = await this.one(sql`SELECT * FROM remediation_requests WHERE id = ${id}`);
    return row ? toRequest(row) : null;
  }

  async setRemediationMessage(id: string, channelId: string, ts: string): Promise<void> {
    await this.run(sql`UPDATE remediation_requests SET channel_id = ${channelId}, message_ts = ${ts} WHERE id = ${id}`);
  }

  async claimRemediationRequest(id: string, to: "executing" | "rejected", by: string, at: Date): Promise<boolean> {
    // The executing instance is recorded with the claim, in the same statement: crash recovery between replicas
    // must never find an execution without knowing whose it is.
    const n = await this.run(sql`UPDATE remediation_requests SET state = ${to}, decided_by = ${by}, decided_at = ${at.getTime()},
        executed_by = ${to === "executing" ? this.owner : null}
      WHERE id = ${id} AND state = 'pending' AND expires_at > ${at.getTime()}`);
    return n === 1;
  }

  async finishRemediationRequest(id: string, state: "succeeded" | "failed" | "refused", result: StoredExecutionResult): Promise<void> {
    await this.run(sql`UPDATE remediation_requests SET state = ${state}, result_json = ${JSON.stringify(result)} WHERE id = ${id} AND state = 'executing'`);
  }

  async expireRemediationRequests(now: Date): Promise<RemediationRequestRecord[]> {
    // RETURNING gives exactly the rows this statement expired, so two replicas never both report one.
    const rows = await this.all(sql`UPDATE remediation_requests SET state = 'expired' WHERE state = 'pending' AND expires_at <= ${now.getTime()} RETURNING *`);
    return this.decodeRows(rows, toRequest).sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime() || a.id.localeCompare(b.id));
  }

  async listRemediationRequests(alertEventId: string): Promise<RemediationRequestRecord[]> {
    return this.decodeRows(await this.all(sql`SELECT * FROM remediation_requests WHERE alert_event_id = ${alertEventId} ORDER BY requested_at`), toRequest);
  }

  async recordAction(a: Omit<ActionRecord, "id">): Promise<void> {
    await this.run(sql`INSERT INTO actions (at, actor, action, alert_event_id, request_id, result, detail_json)
      VALUES (${a.at.getTime()}, ${a.actor}, ${a.action}, ${a.alertEventId}, ${a.requestId}, ${a.result}, ${JSON.stringify(a.detail)})`);
  }

  async listActions(filter: { since?: Date; limit?: number }): Promise<ActionRecord[]> {
    return this.decodeRows(
      await this.all(sql`SELECT * FROM actions WHERE at >= ${filter.since?.getTime() ?? 0} ORDER BY at DESC, id DESC LIMIT ${filter.limit ?? 100}`),
      toAction,
    );
  }

  async *iterateActions(): AsyncIterable<ActionRecord> {
    // Pages by id rather than one cursor, so an export of a large table holds no connection or lock for long.
    let after = 0;
    for (;;) {
      const rows = await this.all(sql`SELECT * FROM actions WHERE id > ${after} ORDER BY id LIMIT 500`);
      for (const a of this.decodeRows(rows, toAction)) yield a;
      if (rows.length < 500) return;
      after = Number(rows[rows.length - 1]?.id);
    }
  }

  saveAuditReport(at: Date, report: AuditReport, scope?: "account"): Promise<number>;
  saveAuditReport(at: Date, report: UserFindingsReport, scope: "user"): Promise<number>;
  async saveAuditReport(at: Date, report: AuditReport | UserFindingsReport, scope: AuditReportScope = "account"): Promise<number> {
    const row = await this.one(sql`INSERT INTO audit_reports (at, report_json, scope) VALUES (${at.getTime()}, ${JSON.stringify(report)}, ${scope}) RETURNING id`);
    return Number(row?.id);
  }

  /** A latest report that does not decode is reported (onCorruptRow) and read as none: the Home tab still opens. */
  async lastAuditReport(): Promise<{ at: Date; report: AuditReport } | null> {
    const row = await this.one(sql`SELECT * FROM audit_reports WHERE scope = 'account' ORDER BY id DESC LIMIT 1`);
    if (!row) return null;
    return (
      this.decodeRows([row], (r) => ({ at: new Date(r.at as number), report: decodeColumn(AuditReportSchema, r.report_json, { table: "audit report", id: String(r.id), column: "report_json" }) }))[0] ?? null
    );
  }

  /** Throws StoredRecordError when the stored report does not decode. */
  async getAuditReport(id: number): Promise<StoredAuditReport | null> {
    const row = await this.one(sql`SELECT * FROM audit_reports WHERE id = ${id}`);
    if (!row) return null;
    const at = new Date(row.at as number);
    const where = { table: "audit report", id: String(id), column: "report_json" };
    return row.scope === "user"
      ? { id, at, scope: "user", report: decodeColumn(UserFindingsReportSchema, row.report_json, where) }
      : { id, at, scope: "account", report: decodeColumn(AuditReportSchema, row.report_json, where) };
  }

  // --- health and notices (issue 8) ---

  async getLookupCursors(scope: string): Promise<Map<string, Date>> {
    const rows = await this.all(sql`SELECT event_name, cursor FROM lookup_cursors WHERE scope = ${scope}`);
    return new Map(rows.map((r) => [r.event_name as string, new Date(r.cursor as number)]));
  }

  async setLookupCursors(scope: string, cursors: ReadonlyMap<string, Date>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [name, at] of cursors) {
        await this.run(
          sql`INSERT INTO lookup_cursors (scope, event_name, cursor) VALUES (${scope}, ${name}, ${at.getTime()})
            ON CONFLICT (scope, event_name) DO UPDATE SET cursor = excluded.cursor`,
          trx,
        );
      }
    });
  }

  async openHealthEpisodes(): Promise<HealthEpisodeRecord[]> {
    const rows = await this.all(sql`SELECT * FROM health_episodes WHERE cleared_at IS NULL ORDER BY started_at`);
    return rows.map((r) => ({
      scope: r.scope as string,
      code: r.code as string,
      startedAt: new Date(r.started_at as number),
      detail: decodeColumn(DetailSchema, r.detail_json, { table: "health episode", id: `${String(r.scope)}/${String(r.code)}`, column: "detail_json" }),
    }));
  }

  async openHealthEpisode(e: HealthEpisodeRecord): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // Serialises openers of the same problem on PostgreSQL (READ COMMITTED would let two both see none open).
      if (this.dialect === "postgres") await sql`SELECT pg_advisory_xact_lock(hashtext(${e.scope}), hashtext(${e.code}))`.execute(trx);
      const open = await this.one(sql`SELECT 1 AS x FROM health_episodes WHERE scope = ${e.scope} AND code = ${e.code} AND cleared_at IS NULL`, trx);
      if (open) return false;
      await this.run(
        sql`INSERT INTO health_episodes (scope, code, started_at, detail_json) VALUES (${e.scope}, ${e.code}, ${e.startedAt.getTime()}, ${JSON.stringify(e.detail)})`,
        trx,
      );
      return true;
    });
  }

  async closeHealthEpisode(scope: string, code: string, at: Date): Promise<boolean> {
    return (await this.run(sql`UPDATE health_episodes SET cleared_at = ${at.getTime()} WHERE scope = ${scope} AND code = ${code} AND cleared_at IS NULL`)) > 0;
  }

  async enqueueNotice(n: { key: string; createdAt: Date; text: string; blocks: unknown[] }): Promise<boolean> {
    const c = await this.run(sql`INSERT INTO notices (key, created_at, text, blocks_json) VALUES (${n.key}, ${n.createdAt.getTime()}, ${n.text}, ${JSON.stringify(n.blocks)})
      ON CONFLICT (key) DO NOTHING`);
    return c === 1;
  }

  async pendingNotices(limit: number): Promise<NoticeRecord[]> {
    let rows: Row[];
    if (this.dialect === "postgres") {
      // Claimed like pending alerts (claimPending), so two processes that both believe they lead never post one twice.
      const now = this.now().getTime();
      rows = await this.all(sql`UPDATE notices SET claimed_by = ${this.owner}, claimed_until = ${now + OUTBOX_CLAIM_MS}
        WHERE key IN (
          SELECT key FROM notices WHERE posted_at IS NULL AND (claimed_by IS NULL OR claimed_by = ${this.owner} OR claimed_until < ${now})
          ORDER BY created_at, key LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`);
      rows.sort((x, y) => (x.created_at as number) - (y.created_at as number) || ((x.key as string) < (y.key as string) ? -1 : 1));
    } else {
      rows = await this.all(sql`SELECT * FROM notices WHERE posted_at IS NULL ORDER BY created_at, key LIMIT ${limit}`);
    }
    return rows.map((r) => ({
      key: r.key as string,
      createdAt: new Date(r.created_at as number),
      text: r.text as string,
      blocks: decodeColumn(BlocksSchema, r.blocks_json, { table: "notice", id: String(r.key), column: "blocks_json" }),
      attempts: r.attempts as number,
      lastError: typeof r.last_error === "string" ? r.last_error : undefined,
    }));
  }

  async markNoticePosted(key: string, channelId: string, ts: string, at: Date): Promise<void> {
    await this.run(sql`UPDATE notices SET posted_at = ${at.getTime()}, channel_id = ${channelId}, message_ts = ${ts}, last_error = NULL WHERE key = ${key}`);
  }

  async markNoticeFailed(key: string, error: string): Promise<void> {
    await this.run(sql`UPDATE notices SET attempts = attempts + 1, last_error = ${error.slice(0, 500)} WHERE key = ${key}`);
  }

  // ---- IAM snapshots (restore) ----

  async saveSnapshot(s: { scope: string; at: Date; hash: string; data: Buffer; rawBytes: number }): Promise<{ meta: SnapshotMeta; stored: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const latest = await this.one(sql`SELECT * FROM iam_snapshots WHERE scope = ${s.scope} ORDER BY taken_at DESC, id DESC LIMIT 1`, trx);
      if (latest && latest.hash === s.hash) {
        const confirmed = Math.max(latest.confirmed_at as number, s.at.getTime());
        await this.run(sql`UPDATE iam_snapshots SET confirmed_at = ${confirmed} WHERE id = ${latest.id}`, trx);
        return { meta: toSnapshotMeta({ ...latest, confirmed_at: confirmed }), stored: false };
      }
      await this.run(sql`INSERT INTO iam_snapshot_blobs (hash, data) VALUES (${s.hash}, ${s.data}) ON CONFLICT (hash) DO NOTHING`, trx);
      const row = await this.one(
        sql`INSERT INTO iam_snapshots (scope, taken_at, confirmed_at, hash, raw_bytes, stored_bytes)
          VALUES (${s.scope}, ${s.at.getTime()}, ${s.at.getTime()}, ${s.hash}, ${s.rawBytes}, ${s.data.length}) RETURNING *`,
        trx,
      );
      return { meta: toSnapshotMeta(row as Row), stored: true };
    });
  }

  async getSnapshot(id: number): Promise<{ meta: SnapshotMeta; data: Buffer } | null> {
    const row = await this.one(sql`SELECT s.*, b.data FROM iam_snapshots s JOIN iam_snapshot_blobs b ON b.hash = s.hash WHERE s.id = ${id}`);
    return row ? { meta: toSnapshotMeta(row), data: row.data as Buffer } : null;
  }

  async listSnapshots(filter: { scope: string; takenAtOrBefore?: Date; limit: number }): Promise<SnapshotMeta[]> {
    const rows = await this.all(
      sql`SELECT * FROM iam_snapshots WHERE scope = ${filter.scope} AND taken_at <= ${filter.takenAtOrBefore?.getTime() ?? Number.MAX_SAFE_INTEGER}
        ORDER BY taken_at DESC, id DESC LIMIT ${filter.limit}`,
    );
    return rows.map(toSnapshotMeta);
  }

  async latestSnapshots(): Promise<SnapshotMeta[]> {
    const rows = await this.all(
      sql`SELECT * FROM iam_snapshots s WHERE s.id = (SELECT t.id FROM iam_snapshots t WHERE t.scope = s.scope ORDER BY t.taken_at DESC, t.id DESC LIMIT 1) ORDER BY s.scope`,
    );
    return rows.map(toSnapshotMeta);
  }

  async pruneSnapshots(scope: string, confirmedBefore: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const n = await this.run(
        sql`DELETE FROM iam_snapshots WHERE scope = ${scope} AND confirmed_at < ${confirmedBefore.getTime()}
          AND id <> (SELECT t.id FROM iam_snapshots t WHERE t.scope = ${scope} ORDER BY t.taken_at DESC, t.id DESC LIMIT 1)`,
        trx,
      );
      // Only deleted rows can leave a blob unreferenced: the scan runs when some were (once per run, not per account).
      if (n > 0) await this.run(sql`DELETE FROM iam_snapshot_blobs WHERE hash NOT IN (SELECT hash FROM iam_snapshots)`, trx);
      return n;
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // --- crash recovery (issue 8) ---

  async listExecutingRemediationRequests(): Promise<RemediationRequestRecord[]> {
    return this.decodeRows(await this.all(sql`SELECT * FROM remediation_requests WHERE state = 'executing' ORDER BY decided_at, id`), toRequest);
  }

  async settleRecoveredRemediationRequest(id: string, state: "succeeded" | "failed" | "unknown", result: StoredExecutionResult): Promise<boolean> {
    return (await this.run(sql`UPDATE remediation_requests SET state = ${state}, result_json = ${JSON.stringify(result)} WHERE id = ${id} AND state = 'executing'`)) === 1;
  }

  // --- Grouping: deletion chains and storm digests ---

  async nextPostableAlerts(limit: number): Promise<AlertRecord[]> {
    if (this.dialect === "postgres") return this.claimPending(sql`a.grouped = 1 AND (a.group_id IS NULL OR g.message_ts IS NULL)`, limit);
    return this.decodeRows(
      await this.all(sql`SELECT a.* FROM alerts a LEFT JOIN alert_groups g ON g.id = a.group_id
        WHERE a.delivery = 'pending' AND a.grouped = 1 AND (a.group_id IS NULL OR g.message_ts IS NULL)
        ORDER BY COALESCE(a.event_time, a.detected_at), a.event_id LIMIT ${limit}`),
      toAlert,
    );
  }

  async ungroupedPendingAlerts(limit: number): Promise<AlertRecord[]> {
    return this.decodeRows(
      await this.all(sql`SELECT * FROM alerts WHERE delivery = 'pending' AND grouped = 0 ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ${limit}`),
      toAlert,
    );
  }

  async recordGrouping(decisions: readonly { eventId: string; groupId: string | null }[], groups: readonly GroupSnapshot[], now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const g of groups) {
        await this.run(
          sql`INSERT INTO alert_groups (id, kind, snapshot_json, first_at, last_at, next_attempt_at, changed_at)
            VALUES (${g.id}, ${g.kind}, ${JSON.stringify(g)}, ${g.firstAt.getTime()}, ${g.lastAt.getTime()}, ${now.getTime()}, ${now.getTime()})
            ON CONFLICT (id) DO UPDATE SET snapshot_json = excluded.snapshot_json, first_at = excluded.first_at,
              last_at = excluded.last_at, changed_at = excluded.changed_at`,
          trx,
        );
      }
      for (const d of decisions) await this.run(sql`UPDATE alerts SET grouped = 1, group_id = ${d.groupId} WHERE event_id = ${d.eventId}`, trx);
    });
  }

  async groupingState(since: Date): Promise<{ groups: GroupSnapshot[]; alerts: { alert: AlertRecord; groupId: string | null }[] }> {
    const groups = this.decodeRows(await this.all(sql`SELECT id, snapshot_json FROM alert_groups WHERE last_at >= ${since.getTime()} ORDER BY first_at`), reviveSnapshot);
    const alerts = this.decodeRows(
      await this.all(sql`SELECT * FROM alerts WHERE grouped = 1 AND COALESCE(event_time, detected_at) >= ${since.getTime()} ORDER BY COALESCE(event_time, detected_at)`),
      (r) => ({ alert: toAlert(r), groupId: typeof r.group_id === "string" ? r.group_id : null }),
    );
    return { groups, alerts };
  }

  private static readonly GROUP_SELECT = sql`SELECT g.*, (SELECT COUNT(*) FROM alerts a WHERE a.group_id = g.id AND a.delivery = 'pending') AS unshown
    FROM alert_groups g`;

  async getGroup(id: string): Promise<AlertGroupRecord | null> {
    const row = await this.one(sql`${KyselyStore.GROUP_SELECT} WHERE g.id = ${id}`);
    return row ? toGroup(row) : null;
  }

  async groupMembers(id: string): Promise<AlertRecord[]> {
    return this.decodeRows(await this.all(sql`SELECT * FROM alerts WHERE group_id = ${id} ORDER BY COALESCE(event_time, detected_at), event_id`), toAlert);
  }

  async groupsWithWork(limit: number): Promise<AlertGroupRecord[]> {
    const work = sql`(g.id IN (SELECT group_id FROM alerts WHERE delivery = 'pending' AND group_id IS NOT NULL) OR g.changed_at > COALESCE(g.rendered_at, 0))`;
    let rows: Row[];
    if (this.dialect === "postgres") {
      // Claimed like pending alerts (claimPending): a group's message, its updates and its thread replies are one
      // process's work until it stops reading them, so two processes that both believe they lead never post twice.
      const now = this.now().getTime();
      const ids = (
        await this.all(sql`UPDATE alert_groups SET claimed_by = ${this.owner}, claimed_until = ${now + OUTBOX_CLAIM_MS}
          WHERE id IN (
            SELECT g.id FROM alert_groups g WHERE ${work}
              AND (g.claimed_by IS NULL OR g.claimed_by = ${this.owner} OR g.claimed_until < ${now})
            ORDER BY g.first_at LIMIT ${limit} FOR UPDATE OF g SKIP LOCKED)
          RETURNING id`)
      ).map((r) => r.id as string);
      rows = ids.length === 0 ? [] : await this.all(sql`${KyselyStore.GROUP_SELECT} WHERE g.id IN (${sql.join(ids)}) ORDER BY g.first_at`);
    } else {
      rows = await this.all(sql`${KyselyStore.GROUP_SELECT} WHERE ${work} ORDER BY g.first_at LIMIT ${limit}`);
    }
    // A group whose every member is muted or was posted alone has nothing to show.
    return this.decodeRows(rows, toGroup).filter((g) => g.messageTs !== undefined || g.unshownMembers > 0);
  }

  async markGroupPostAttempt(id: string, at: Date): Promise<void> {
    await this.run(sql`UPDATE alert_groups SET post_attempts = post_attempts + 1, in_doubt_since = COALESCE(in_doubt_since, ${at.getTime()}) WHERE id = ${id}`);
  }

  async markGroupPosted(id: string, channelId: string, ts: string): Promise<void> {
    await this.run(sql`UPDATE alert_groups SET channel_id = ${channelId}, message_ts = ${ts}, in_doubt_since = NULL, last_error = NULL WHERE id = ${id}`);
  }

  async markGroupPostFailed(id: string, nextAttemptAt: Date, error: string, inDoubt: boolean): Promise<void> {
    await this.run(sql`UPDATE alert_groups SET next_attempt_at = ${nextAttemptAt.getTime()}, last_error = ${error.slice(0, 1000)},
      in_doubt_since = CASE WHEN ${inDoubt ? 1 : 0} = 1 THEN in_doubt_since ELSE NULL END WHERE id = ${id}`);
  }

  async markGroupMembersShown(id: string, eventIds: readonly string[], _at: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const g = await this.one(sql`SELECT channel_id, message_ts FROM alert_groups WHERE id = ${id}`, trx);
      if (!g || typeof g.message_ts !== "string") return;
      for (const e of eventIds) {
        await this.run(
          sql`UPDATE alerts SET delivery = 'posted', channel_id = ${g.channel_id}, message_ts = ${g.message_ts}, in_doubt_since = NULL, last_error = NULL
            WHERE event_id = ${e} AND group_id = ${id} AND delivery = 'pending'`,
          trx,
        );
      }
    });
  }

  async startGroupReply(groupId: string, eventIds: readonly string[], at: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const row = await this.one(sql`SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM alert_group_replies WHERE group_id = ${groupId}`, trx);
      const seq = Number(row?.next ?? 1);
      await this.run(
        sql`INSERT INTO alert_group_replies (group_id, seq, event_ids_json, started_at) VALUES (${groupId}, ${seq}, ${JSON.stringify(eventIds)}, ${at.getTime()})`,
        trx,
      );
      for (const e of eventIds) await this.run(sql`UPDATE alerts SET reply_seq = ${seq} WHERE event_id = ${e} AND group_id = ${groupId}`, trx);
      return seq;
    });
  }

  async openGroupReplies(groupId: string): Promise<{ seq: number; eventIds: string[]; startedAt: Date }[]> {
    return (await this.all(sql`SELECT * FROM alert_group_replies WHERE group_id = ${groupId} AND ts IS NULL ORDER BY seq`)).map((r) => ({
      seq: Number(r.seq),
      eventIds: decodeColumn(EventIdsSchema, r.event_ids_json, { table: "group reply", id: `${groupId}/${String(r.seq)}`, column: "event_ids_json" }),
      startedAt: new Date(r.started_at as number),
    }));
  }

  async finishGroupReply(groupId: string, seq: number, ts: string, at: Date): Promise<void> {
    const row = await this.one(sql`SELECT event_ids_json FROM alert_group_replies WHERE group_id = ${groupId} AND seq = ${seq}`);
    if (!row) return;
    await this.run(sql`UPDATE alert_group_replies SET ts = ${ts} WHERE group_id = ${groupId} AND seq = ${seq}`);
    await this.markGroupMembersShown(groupId, decodeColumn(EventIdsSchema, row.event_ids_json, { table: "group reply", id: `${groupId}/${String(seq)}`, column: "event_ids_json" }), at);
  }

  async dropGroupReply(groupId: string, seq: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.run(sql`UPDATE alerts SET reply_seq = NULL WHERE group_id = ${groupId} AND reply_seq = ${seq}`, trx);
      await this.run(sql`DELETE FROM alert_group_replies WHERE group_id = ${groupId} AND seq = ${seq} AND ts IS NULL`, trx);
    });
  }

  async markGroupRendered(id: string, at: Date): Promise<void> {
    await this.run(sql`UPDATE alert_groups SET rendered_at = ${at.getTime()} WHERE id = ${id}`);
  }

  async alertsNeedingDetails(limit: number, now: Date): Promise<AlertRecord[]> {
    if (this.dialect === "postgres") {
      // The details reply is a thread post: claimed like a pending alert (the same claim columns, free once it is posted).
      const at = this.now().getTime();
      const rows = await this.all(sql`UPDATE alerts SET claimed_by = ${this.owner}, claimed_until = ${at + OUTBOX_CLAIM_MS}
        WHERE event_id IN (
          SELECT event_id FROM alerts WHERE details_state = 'wanted' AND message_ts IS NOT NULL AND COALESCE(details_next_at, 0) <= ${now.getTime()}
            AND (claimed_by IS NULL OR claimed_by = ${this.owner} OR claimed_until < ${at})
          ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING *`);
      return this.decodeRows(rows, toAlert).sort(
        (x, y) => (x.eventTime ?? x.detectedAt).getTime() - (y.eventTime ?? y.detectedAt).getTime() || (x.eventId < y.eventId ? -1 : x.eventId > y.eventId ? 1 : 0),
      );
    }
    return this.decodeRows(
      await this.all(sql`SELECT * FROM alerts WHERE details_state = 'wanted' AND message_ts IS NOT NULL AND COALESCE(details_next_at, 0) <= ${now.getTime()}
        ORDER BY COALESCE(event_time, detected_at), event_id LIMIT ${limit}`),
      toAlert,
    );
  }

  async markDetailsAttempt(eventId: string, at: Date): Promise<void> {
    await this.run(sql`UPDATE alerts SET details_in_doubt_since = COALESCE(details_in_doubt_since, ${at.getTime()}) WHERE event_id = ${eventId}`);
  }

  async markDetailsPosted(eventId: string, ts: string): Promise<void> {
    await this.run(sql`UPDATE alerts SET details_state = 'posted', details_ts = ${ts}, details_in_doubt_since = NULL WHERE event_id = ${eventId}`);
  }

  async markDetailsFailed(eventId: string, nextAttemptAt: Date, inDoubt: boolean): Promise<void> {
    await this.run(sql`UPDATE alerts SET details_next_at = ${nextAttemptAt.getTime()},
      details_in_doubt_since = CASE WHEN ${inDoubt ? 1 : 0} = 1 THEN details_in_doubt_since ELSE NULL END WHERE event_id = ${eventId}`);
  }

  async acknowledgeGroup(id: string, user: string, at: Date): Promise<number> {
    return this.run(sql`UPDATE alerts SET acknowledged_by = ${user}, acknowledged_at = ${at.getTime()},
      status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END
      WHERE group_id = ${id} AND acknowledged_by IS NULL`);
  }

  // --- many accounts (issue 12) ---

  async getAccountPollCursor(accountId: string): Promise<Date | null> {
    const row = await this.one(sql`SELECT value FROM meta WHERE key = ${`poll_cursor:${accountId}`}`);
    return row ? new Date(Number(row.value)) : null;
  }

  async setAccountPollCursor(accountId: string, at: Date): Promise<void> {
    await this.run(sql`INSERT INTO meta (key, value) VALUES (${`poll_cursor:${accountId}`}, ${String(at.getTime())}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  }
}
