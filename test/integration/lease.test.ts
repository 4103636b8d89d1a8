// One poller per database, against the real process: a second instance on the same SQLite file refuses to
// start with one line and exit code 3. A holder killed with SIGKILL on this host is taken over at once (its
// process is gone); a holder elsewhere is waited out until its lease expires. A clean stop releases the lease.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runApp, type AppProcess } from "../support/app-process.js";
import { startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/ports.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

interface LeaseRow {
  owner: string;
  expires_at: number;
}

function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(h.dataDir, "trailwatch.db"));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const leaseRow = () => withDb((db) => db.prepare("SELECT owner, expires_at FROM trailwatch_lease WHERE name = 'poller'").get() as LeaseRow | undefined);

const LEASE = { LEASE_TTL_SECONDS: "2" };

async function refused(): Promise<{ app: AppProcess; line: string }> {
  const app = runApp(h.env({ ...LEASE, PORT: String(await freePort()) }));
  expect(await app.exited).toBe(3);
  const lines = app.stderr().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(app.logs.some((l) => l.msg === "trailwatch ready")).toBe(false);
  return { app, line: lines[0] ?? "" };
}

test("a second instance refuses to start with one line; a killed holder is taken over; a clean stop releases", async () => {
  const first = await h.start(LEASE);
  const owner = leaseRow()?.owner ?? "";
  expect(owner).toContain(`:${first.proc.pid}:`);

  const { line } = await refused();
  expect(line).toContain("another trailwatch instance is already polling the database");
  expect(line).toContain(join(h.dataDir, "trailwatch.db"));
  expect(line).toContain(`owner ${owner}`);
  expect(line).toMatch(/since \d{4}-\d\d-\d\dT/);
  expect(line).toContain("Stop that instance");
  // The refused instance did not disturb the holder's lease.
  expect(leaseRow()?.owner).toBe(owner);

  // A crash leaves the row behind; its process is gone, so the next start need not wait for the expiry.
  await first.kill();
  expect(leaseRow()?.owner).toBe(owner);
  const second = await h.start(LEASE);
  const took = await second.waitForLog((l) => l.msg.startsWith("poller lease taken over"));
  expect(took.tookOverFrom).toBe(owner);
  expect(leaseRow()?.owner).toContain(`:${second.proc.pid}:`);

  // A clean stop releases the lease.
  expect(await second.stop()).toBe(0);
  expect(leaseRow()).toBeUndefined();
}, 120_000);

test("a lease held from another host is waited out, then taken over once its heartbeat is older than its expiry", async () => {
  const other = "other-host:4242:abcdef";
  const since = Date.now() - 60_000;
  const expires = Date.now() + 600_000;
  withDb((db) =>
    db.prepare("INSERT INTO trailwatch_lease (name, owner, acquired_at, heartbeat_at, expires_at) VALUES ('poller', ?, ?, ?, ?)").run(other, since, expires - 60_000, expires),
  );
  const { line } = await refused();
  expect(line).toContain(`owner ${other} has held it since ${new Date(since).toISOString()}`);
  expect(line).toContain(`start again after ${new Date(expires).toISOString()}`);

  // The other host stops renewing: its last heartbeat ages past the expiry (moved back rather than waited for).
  withDb((db) => db.prepare("UPDATE trailwatch_lease SET heartbeat_at = ?, expires_at = ? WHERE owner = ?").run(Date.now() - 62_000, Date.now() - 2_000, other));
  const app = await h.start(LEASE);
  const took = await app.waitForLog((l) => l.msg.startsWith("poller lease taken over"));
  expect(took.tookOverFrom).toBe(other);
  await app.stop();
}, 120_000);
