// Leader failover on PostgreSQL: how long after the leader's session ends (what kill -9 does to it) a standby
// holds the advisory lock, asking as often as the bot does with LEASE_TTL_SECONDS=3 (every second). Startup
// of the throw-away cluster is not measured. Skipped when the PostgreSQL server binaries are missing.
import pg from "pg";
import { PostgresLeadership } from "../src/lease/postgres.js";
import { postgresUnavailable, startPostgres } from "../test/support/postgres.js";

export async function failoverBench(trials = 5, retryMs = 1000): Promise<void> {
  const missing = postgresUnavailable();
  if (missing) {
    console.log(`\nleader failover: skipped (${missing})`);
    return;
  }
  const cluster = await startPostgres();
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  const times: number[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      const leader = new PostgresLeadership(cluster.url, { ownerId: `bench-leader:${i}:aa` });
      const standby = new PostgresLeadership(cluster.url, { ownerId: `bench-standby:${i}:bb` });
      await leader.acquire();
      if ((await standby.acquire()).acquired) throw new Error("standby took a held lead");
      // The standby's retry timer runs independently of the leader's death, as in the bot.
      const took = new Promise<number>((resolve) => {
        const timer = setInterval(() => {
          void standby.acquire().then((r) => {
            if (r.acquired) {
              clearInterval(timer);
              resolve(performance.now());
            }
          });
        }, retryMs);
      });
      await new Promise((r) => setTimeout(r, Math.random() * retryMs));
      const killed = performance.now();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [`trailwatch bench-leader:${i}:aa`]);
      times.push((await took) - killed);
      await leader.release();
      await standby.release();
    }
  } finally {
    await admin.end();
    await cluster.stop();
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    `\nleader failover (PostgreSQL advisory lock, standby asking every ${retryMs} ms, ${trials} trials): mean ${mean.toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms after the leader's session ended` +
      `\n  (with the default LEASE_TTL_SECONDS=60 a standby asks every 20 s: failover within 20 s, then a first poll at once)`,
  );
}
