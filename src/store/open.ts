// Opens the store DATABASE_URL names. One implementation (the Kysely store) serves both engines: SQLite
// (the embedded default; a file from before Kysely is adopted in place from its PRAGMA user_version) and
// PostgreSQL (migrated on open; the Migrator's lock lets replicas start together).
import type { Config } from "../config.js";
import { KyselyStore } from "./kysely.js";
import type { Store } from "./types.js";

/** `owner`: this instance's id on PostgreSQL (outbox claims, executing remediations); default a random one. */
export async function openConfiguredStore(config: Pick<Config, "postgresUrl" | "sqlitePath">, opts: { owner?: string } = {}): Promise<Store> {
  return config.postgresUrl ? KyselyStore.openPostgres(config.postgresUrl, opts.owner === undefined ? {} : { owner: opts.owner }) : KyselyStore.openSqlite(config.sqlitePath);
}
