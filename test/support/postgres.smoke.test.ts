// The throw-away cluster starts, answers and is removed: every PostgreSQL test depends on it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { databaseOf, postgresUnavailable, startPostgres, type PgCluster } from "./postgres.js";

const skip = postgresUnavailable();
if (skip) console.warn(`skipping PostgreSQL tests: ${skip}`);

describe.skipIf(skip !== null)("throw-away PostgreSQL cluster", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("serves the database it created", async () => {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    const r = await c.query<{ db: string; v: string }>("SELECT current_database() AS db, current_setting('server_version_num') AS v");
    await c.end();
    expect(r.rows[0]?.db).toBe(databaseOf(cluster.url));
    expect(databaseOf(cluster.url)).toMatch(/trailwatch$/);
    expect(Number(r.rows[0]?.v)).toBeGreaterThanOrEqual(150000);
  });
});
