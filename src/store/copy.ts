// SQLite -> PostgreSQL copy (`trailwatch copy-sqlite-to-postgres <file>`): moves an embedded deployment's whole
// history (alerts and their Slack messages, remediation requests, the audit trail, snapshots, cursors) to a
// PostgreSQL database, so replicas continue where the single instance stopped without re-alerting anything.
//
// Fails closed: the bot must not be running on the file (the copy takes its poller lease), the target must be
// empty (no merge of two histories), and every source column must exist in the target (nothing dropped).
import { sql, type Kysely } from "kysely";
import { TrailwatchError } from "../aws/errors.js";
import { SqliteLeadership } from "../lease/sqlite.js";
import { KyselyStore } from "./kysely.js";

/** Parents before children (foreign keys). */
const COPIED_TABLES = [
  "meta",
  "alerts",
  "remediation_requests",
  "actions",
  "audit_reports",
  "lookup_cursors",
  "health_episodes",
  "notices",
  "iam_snapshot_blobs",
  "iam_snapshots",
  "alert_groups",
  "alert_group_replies",
] as const;

/** Tables whose ids PostgreSQL generates: their sequences continue after the copied ids. */
const IDENTITY_TABLES = ["actions", "audit_reports", "iam_snapshots"] as const;

const BATCH = 200;

class CopyError extends TrailwatchError {
  constructor(message: string) {
    super("copy-refused", message);
  }
}

export type CopyCounts = Record<(typeof COPIED_TABLES)[number], number>;

type Row = Record<string, unknown>;

export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string): Promise<CopyCounts> {
  // The poller lease: a running instance would keep writing to the file after we read it.
  const lease = new SqliteLeadership(sqlitePath, { ttlMs: 60_000, name: "poller" });
  const got = await lease.acquire();
  if (!got.acquired) {
    await lease.release();
    throw new CopyError(`trailwatch is running on ${lease.resource} (owner ${got.holder.owner}); stop it before copying`);
  }
  let target: KyselyStore | undefined;
  try {
    // Opening migrates: an older file is brought up to the current schema first, as starting the bot would.
    const src = await KyselyStore.openSqlite(sqlitePath);
    try {
      target = await KyselyStore.openPostgres(postgresUrl);
      return await copyAll(src.db, target.db);
    } finally {
      await src.close();
    }
  } finally {
    await target?.close();
    await lease.release();
  }
}

async function copyAll(src: Kysely<unknown>, dst: Kysely<unknown>): Promise<CopyCounts> {
  for (const t of COPIED_TABLES) {
    const n = Number((await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(t)}`.execute(dst)).rows[0]?.n ?? 0);
    if (n > 0) throw new CopyError(`the PostgreSQL database already has data (table ${t} has ${n} rows); copy into an empty database`);
  }
  const counts = {} as CopyCounts;
  await dst.transaction().execute(async (trx) => {
    for (const t of COPIED_TABLES) {
      const targetCols = new Set(
        (await sql<{ c: string }>`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${t}`.execute(trx)).rows.map(
          (r) => r.c,
        ),
      );
      const sourceCols = (await sql<{ name: string }>`SELECT name FROM pragma_table_info(${t})`.execute(src)).rows.map((r) => r.name);
      const missing = sourceCols.filter((c) => !targetCols.has(c));
      if (missing.length > 0) {
        throw new CopyError(`table ${t}: the PostgreSQL schema has no column ${missing.join(", ")}; upgrade trailwatch so both schemas match, then copy again`);
      }
      let copied = 0;
      // Pages by rowid so a large history is never held in memory at once.
      let after = Number.MIN_SAFE_INTEGER;
      for (;;) {
        const rows = (
          await sql<Row>`SELECT rowid AS "__rowid", * FROM ${sql.table(t)} WHERE rowid > ${after} ORDER BY rowid LIMIT ${BATCH}`.execute(src)
        ).rows;
        if (rows.length === 0) break;
        const values = rows.map((r) => sql`(${sql.join(sourceCols.map((c) => r[c] ?? null))})`);
        await sql`INSERT INTO ${sql.table(t)} (${sql.join(sourceCols.map((c) => sql.ref(c)))}) VALUES ${sql.join(values)}`.execute(trx);
        copied += rows.length;
        after = Number(rows[rows.length - 1]?.__rowid);
        if (rows.length < BATCH) break;
      }
      counts[t] = copied;
    }
    for (const t of IDENTITY_TABLES) {
      await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), COALESCE((SELECT MAX(id) FROM ${sql.table(t)}), 0) + 1, false)`.execute(trx);
    }
  });
  return counts;
}
