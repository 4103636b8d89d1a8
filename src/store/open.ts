// Opens the store DATABASE_URL names: the SQLite store for sqlite: (the embedded default, unchanged), the
// Kysely store for postgres:// (migrated on open; the Migrator's lock lets replicas start together).
import type { Config } from "../config.js";
import { KyselyStore } from "./kysely.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

export async function openConfiguredStore(config: Pick<Config, "postgresUrl" | "sqlitePath">): Promise<Store> {
  return config.postgresUrl ? KyselyStore.openPostgres(config.postgresUrl) : new SqliteStore(config.sqlitePath);
}
