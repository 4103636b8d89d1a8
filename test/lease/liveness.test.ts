// Replica liveness on PostgreSQL: an instance is alive while its session holds its liveness lock, and seen dead
// the moment that session ends (what a kill -9 does); asking never takes the lock away from a live instance, and
// an asker that finds an instance dead leaves the answer the same for the next asker.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { livenessKey, PostgresLiveness } from "../../src/lease/liveness.js";
import { createLogger } from "../../src/log.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the PostgreSQL liveness tests: ${missing}`);

const logger = createLogger("silent");

/** A session ends asynchronously on the server after the client goes: wait for its lock to be gone. */
async function seenDead(asker: PostgresLiveness, id: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!(await asker.isAlive(id))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe.skipIf(missing !== null)("PostgresLiveness", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  test("alive while its session lives; dead once the session ends, for every asker", async () => {
    const a = new PostgresLiveness(cluster.url, "host-a:1:aa", { logger });
    const b = new PostgresLiveness(cluster.url, "host-b:2:bb", { logger });
    const c = new PostgresLiveness(cluster.url, "host-c:3:cc", { logger });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await Promise.all([a.start(), b.start(), c.start()]);
      expect(await b.isAlive("host-a:1:aa")).toBe(true);
      // Asking twice (and from two replicas) leaves a live instance alive: its lock was never taken from it.
      expect(await c.isAlive("host-a:1:aa")).toBe(true);
      expect(await b.isAlive("host-a:1:aa")).toBe(true);
      expect(await a.isAlive("host-a:1:aa")).toBe(true);
      // An id that never ran is not alive.
      expect(await b.isAlive("host-z:9:zz")).toBe(false);

      // What the server does when a replica's process dies: its backend ends and the lock goes with it.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", ["trailwatch liveness host-c:3:cc"]);
      expect(await seenDead(b, "host-c:3:cc")).toBe(true);
      await a.stop();
      expect(await seenDead(b, "host-a:1:aa")).toBe(true);
      // The asker released the lock it took to find out, so another asker gets the same answer.
      const d = new PostgresLiveness(cluster.url, "host-d:4:dd", { logger });
      await d.start();
      try {
        expect(await d.isAlive("host-a:1:aa")).toBe(false);
        expect(await d.isAlive("host-b:2:bb")).toBe(true);
      } finally {
        await d.stop();
      }
    } finally {
      await admin.end();
      await a.stop();
      await b.stop();
      await c.stop();
    }
  });

  test("a session dropped by the server is taken again, and the instance is alive again", async () => {
    const lines: string[] = [];
    const recording = createLogger("info", { write: (l: string) => void lines.push(l) });
    const a = new PostgresLiveness(cluster.url, "host-a:5:ee", { logger: recording, reconnectMs: 50 });
    const b = new PostgresLiveness(cluster.url, "host-b:6:ff", { logger });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const pidOf = async () => (await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()", ["trailwatch liveness host-a:5:ee"])).rows.map((r) => r.pid);
    try {
      await a.start();
      await b.start();
      const [before] = await pidOf();
      await admin.query("SELECT pg_terminate_backend($1)", [before]);
      // Wait for the event (the lock retaken on a new session), not for time.
      for (let i = 0; !lines.some((l) => l.includes("replica liveness lock retaken")); i++) {
        if (i > 400) throw new Error(`liveness lock not retaken: ${lines.join("")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lines.some((l) => l.includes("lost the replica liveness lock"))).toBe(true);
      const after = await pidOf();
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before);
      expect(a.isHeld).toBe(true);
      expect(await b.isAlive("host-a:5:ee")).toBe(true);
    } finally {
      await admin.end();
      await a.stop();
      await b.stop();
    }
  });

  test("keys: stable per id, and different ids get different keys", () => {
    expect(livenessKey("host-a:1:aa")).toBe(livenessKey("host-a:1:aa"));
    expect(livenessKey("host-a:1:aa")).not.toBe(livenessKey("host-a:1:ab"));
    expect(Number.isInteger(livenessKey("x"))).toBe(true);
  });
});
