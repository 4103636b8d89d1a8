// The PostgreSQL lease: an advisory lock on a session of its own. One holder at a time; the others learn who
// holds it; the lead frees the moment the holder's session ends (release, crash, or a dropped connection).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { keepLease, type LeaseLostError } from "../../src/lease/index.js";
import { createLogger } from "../../src/log.js";
import { PostgresLeadership } from "../../src/lease/postgres.js";
import { databaseOf, postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the PostgreSQL lease tests: ${missing}`);

describe.skipIf(missing !== null)("PostgresLeadership", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await (cluster as PgCluster | undefined)?.stop(); // unset when the cluster could not start
  });

  test("another deployment's leader on the same cluster (its own database) is neither a rival nor named as the holder", async () => {
    const other = await startPostgres();
    const elsewhere = new PostgresLeadership(other.url, { ownerId: "other-deployment:9:zz" });
    const a = new PostgresLeadership(cluster.url, { ownerId: "host-a:1:aa" });
    const b = new PostgresLeadership(cluster.url, { ownerId: "host-b:2:bb" });
    try {
      // Taken first, so an unfiltered pg_locks lookup would find its session first.
      expect(await elsewhere.acquire()).toEqual({ acquired: true });
      expect(await a.acquire()).toEqual({ acquired: true });
      const refused = await b.acquire();
      expect(refused.acquired).toBe(false);
      if (!refused.acquired) expect(refused.holder.owner).toBe("host-a:1:aa");
    } finally {
      await elsewhere.release();
      await a.release();
      await b.release();
      await other.stop();
    }
  });

  test("one holder at a time; the other is told who leads, and takes over after a release", async () => {
    const a = new PostgresLeadership(cluster.url, { ownerId: "host-a:1:aa" });
    const b = new PostgresLeadership(cluster.url, { ownerId: "host-b:2:bb" });
    try {
      expect(await a.acquire()).toEqual({ acquired: true });
      const refused = await b.acquire();
      expect(refused.acquired).toBe(false);
      if (!refused.acquired) expect(refused.holder.owner).toBe("host-a:1:aa");
      expect(await a.renew()).toBe(true);
      expect(await b.renew()).toBe(false);
      // The resource names the database, never the URL's password.
      expect(a.resource).toBe(`postgres://127.0.0.1:${cluster.port}/${databaseOf(cluster.url)}`);
      await a.release();
      expect(a.isHeld).toBe(false);
      expect(await b.acquire()).toEqual({ acquired: true });
      expect(b.isHeld).toBe(true);
    } finally {
      await a.release();
      await b.release();
    }
  });

  test("a holder whose session is killed loses the lead at once and another takes it", async () => {
    const a = new PostgresLeadership(cluster.url, { ownerId: "host-a:3:cc" });
    const b = new PostgresLeadership(cluster.url, { ownerId: "host-b:4:dd" });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      expect((await a.acquire()).acquired).toBe(true);
      expect((await b.acquire()).acquired).toBe(false);
      // What the server does when the leader's process dies: its backend ends and the lock goes with it.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", ["trailwatch host-a:3:cc"]);
      const deadline = Date.now() + 20_000;
      let took = false;
      while (!took && Date.now() < deadline) {
        took = (await b.acquire()).acquired;
        if (!took) await new Promise((r) => setTimeout(r, 100));
      }
      expect(took).toBe(true);
      // The old holder finds out on its next renewal (an error or false), never believing it still leads.
      const renewed = await a.renew().catch(() => false);
      expect(renewed).toBe(false);
      expect(a.isHeld).toBe(false);
    } finally {
      await admin.end();
      await a.release();
      await b.release();
    }
  });

  test("the keeper of a leader whose session ends reports the loss once, saying the session ended", async () => {
    const a = new PostgresLeadership(cluster.url, { ownerId: "host-a:5:ee" });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const lost: LeaseLostError[] = [];
    try {
      expect((await a.acquire()).acquired).toBe(true);
      const keeper = keepLease(a, { intervalMs: 100, logger: createLogger("silent"), onLost: (err) => lost.push(err) });
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", ["trailwatch host-a:5:ee"]);
      const deadline = Date.now() + 20_000;
      while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      keeper.stop();
      expect(lost).toHaveLength(1);
      expect(lost[0]?.message).toContain(`lost the poller lease on the database postgres://127.0.0.1:${cluster.port}/${databaseOf(cluster.url)} (its database session ended`);
    } finally {
      await admin.end();
      await a.release();
    }
  });
});
