// The schema of SQLite files written before the Kysely store: an ordered list, the file's PRAGMA user_version
// counting how many it has applied. The Kysely store's first migration (src/store/migrations.ts) adopts such a
// file by applying only the entries it has not seen. Frozen: new schema changes are Kysely migrations.

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
