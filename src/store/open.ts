// Opens the store DATABASE_URL names. One implementation (the Kysely store) serves both engines: SQLite
// (the embedded default; a file from before Kysely is adopted in place from its PRAGMA user_version) and
// PostgreSQL (migrated on open; the Migrator's lock lets replicas start together).
import type { Config } from "../config.js";
import { KyselyStore, type KyselyStoreOptions } from "./kysely.js";
import type { Store } from "./types.js";

/**
 * `owner`: this instance's id on PostgreSQL (outbox claims, executing remediations); default a random one.
 * `onCorruptRow`: told about stored rows a listing leaves out because their JSON does not decode.
 */
export async function openConfiguredStore(config: Pick<Config, "postgresUrl" | "sqlitePath">, opts: Pick<KyselyStoreOptions, "owner" | "onCorruptRow"> = {}): Promise<Store> {
  const onCorrupt = opts.onCorruptRow ? { onCorruptRow: opts.onCorruptRow } : {};
  return config.postgresUrl
    ? KyselyStore.openPostgres(config.postgresUrl, { ...(opts.owner === undefined ? {} : { owner: opts.owner }), ...onCorrupt })
    : KyselyStore.openSqlite(config.sqlitePath, onCorrupt);
}
