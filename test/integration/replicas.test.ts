// Replicas on PostgreSQL, against the real processes: two instances share one DATABASE_URL=postgres://…; one
// leads (polls, delivers, takes snapshots), the other serves Slack requests and stands by. Every deletion is
// posted exactly once; after kill -9 of the leader the other takes the lead and alerts later deletions.
import { afterAll, beforeAll, expect, test } from "vitest";
import { alertEventIds, minutesAgo, startHarness, type Harness } from "../support/harness.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the PostgreSQL replica tests: ${missing}`);

let h: Harness;
let cluster: PgCluster;
beforeAll(async () => {
  if (missing) return;
  cluster = await startPostgres();
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});

test.skipIf(missing !== null)("two replicas, one stream of events: each posted once; kill -9 of the leader, the other takes over", async () => {
  // A third of LEASE_TTL_SECONDS is how often a standby replica tries for the lead.
  const env = { DATABASE_URL: cluster.url, LEASE_TTL_SECONDS: "2" };
  const users = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal"];
  const deletion = (i: number) =>
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteLoginProfile", eventTime: minutesAgo(10 - i), requestParameters: { userName: users[i] } }));

  const a = await h.start(env);
  await a.waitForLog((l) => l.msg === "poll finished", 40_000);
  const b = await h.start(env);
  const standby = await b.waitForLog((l) => l.msg.startsWith("another replica leads"), 40_000);
  expect(String(standby.leader)).toContain(`:${a.proc.pid}:`);
  // The standby replica is healthy (it serves Slack) although it polls nothing.
  expect((await fetch(`${b.url}/healthz`)).status).toBe(200);

  const first = [];
  for (let i = 0; i < 4; i++) {
    first.push(deletion(i).EventId);
    await new Promise((r) => setTimeout(r, 300));
  }
  await h.slack.waitFor(() => alertEventIds(h).length >= 4, 60_000);
  // Several more polls by the leader: nothing is posted again, and the standby never polled.
  const polls = a.logs.filter((l) => l.msg === "poll finished").length;
  await a.waitForLog(() => a.logs.filter((l) => l.msg === "poll finished").length >= polls + 3, 40_000);
  expect(alertEventIds(h)).toEqual(first);
  expect(b.logs.some((l) => l.msg === "poll finished")).toBe(false);

  const killedAt = Date.now();
  await a.kill(); // SIGKILL: its PostgreSQL session ends, and the advisory lock with it.
  const took = await b.waitForLog((l) => l.msg.startsWith("took the lead"), 30_000);
  // A figure for the report, not a margin to assert: the standby asks every 667 ms here (a third of LEASE_TTL_SECONDS=2).
  console.log(`failover: the standby took the lead ${Date.parse(String(took.time)) - killedAt} ms after kill -9 of the leader`);
  const later = [deletion(4).EventId, deletion(5).EventId];
  await h.slack.waitFor(() => alertEventIds(h).length >= 6, 60_000);
  await b.waitForLog(() => b.logs.filter((l) => l.msg === "poll finished").length >= 3, 40_000);
  expect(alertEventIds(h)).toEqual([...first, ...later]);
  expect(await b.stop()).toBe(0);
}, 240_000);
