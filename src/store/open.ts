// Opens the store DATABASE_URL names. One implementation (the Kysely store) serves both engines: SQLite
// (the embedded default; a file from before Kysely is adopted in place from its PRAGMA user_version) and
// PostgreSQL (migrated on open; the Migrator's lock lets replicas start together).
import type { Config } from "../config.js";
import { KyselyStore } from "./kysely.js";
import type { Store } from "./types.js";

export async function openConfiguredStore(config: Pick<Config, "postgresUrl" | "sqlitePath">): Promise<Store> {
  return config.postgresUrl ? KyselyStore.openPostgres(config.postgresUrl) : KyselyStore.openSqlite(config.sqlitePath);
}
