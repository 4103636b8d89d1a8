// One poller per database, against the real process: a second instance on the same SQLite file refuses to
// start with one line and exit code 3; after the holder is killed (SIGKILL) and its lease expires, a new
// instance takes over; a clean stop releases the lease at once.
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runApp } from "../support/app-process.js";
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

function leaseRow(): LeaseRow | undefined {
  const db = new Database(join(h.dataDir, "trailwatch.db"), { readonly: true });
  try {
    return db.prepare("SELECT owner, expires_at FROM trailwatch_lease WHERE name = 'poller'").get() as LeaseRow | undefined;
  } finally {
    db.close();
  }
}

const LEASE = { LEASE_TTL_SECONDS: "2" };

test("a second instance refuses to start, and a new one takes over once a killed holder's lease expires", async () => {
  const first = await h.start(LEASE);
  const owner = leaseRow()?.owner ?? "";
  expect(owner).toContain(`:${first.proc.pid}:`);

  const second = runApp(h.env({ ...LEASE, PORT: String(await freePort()) }));
  expect(await second.exited).toBe(3);
  const lines = second.stderr().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("another trailwatch instance is already polling the database");
  expect(lines[0]).toContain(join(h.dataDir, "trailwatch.db"));
  expect(lines[0]).toContain(`owner ${owner}`);
  expect(lines[0]).toMatch(/since \d{4}-\d\d-\d\dT/);
  expect(lines[0]).toContain("Stop that instance");
  expect(second.logs.some((l) => l.msg === "trailwatch ready")).toBe(false);
  // The refused instance did not disturb the holder's lease.
  expect(leaseRow()?.owner).toBe(owner);

  await first.kill();
  // No clean stop: the row stays until its heartbeat is older than the expiry.
  const row = leaseRow();
  expect(row?.owner).toBe(owner);
  while (Date.now() <= (row?.expires_at ?? 0) + 50) await new Promise((r) => setTimeout(r, 100));

  const third = await h.start(LEASE);
  const took = await third.waitForLog((l) => l.msg.startsWith("poller lease taken over"));
  expect(took.tookOverFrom).toBe(owner);
  expect(leaseRow()?.owner).toContain(`:${third.proc.pid}:`);

  // A clean stop releases the lease: the next instance starts at once, without waiting for the expiry.
  expect(await third.stop()).toBe(0);
  expect(leaseRow()).toBeUndefined();
  const fourth = await h.start({ LEASE_TTL_SECONDS: "60" });
  await fourth.waitForLog((l) => l.msg === "poller lease acquired");
  await fourth.stop();
});
