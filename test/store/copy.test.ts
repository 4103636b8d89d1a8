// `trailwatch copy-sqlite-to-postgres`: a stopped instance's SQLite history arrives whole in PostgreSQL and the
// Kysely store reads it as the SQLite store did; a non-empty target or a running instance is refused.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { SqliteLeadership } from "../../src/lease/sqlite.js";
import { copySqliteToPostgres } from "../../src/store/copy.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { NewAlert } from "../../src/store/types.js";
import { nodeArgs } from "../support/app-build.js";
import { databaseOf, postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";
import { auditReport, storedPlan } from "../support/stored.js";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the SQLite -> PostgreSQL copy tests: ${missing}`);

function alert(eventId: string, minutesAgo: number): NewAlert {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date(Date.now() - minutesAgo * 60_000), requestParameters: { roleName: `r-${eventId}` } }));
  return { eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false };
}

async function seeded(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "tw-copy-")), "t.db");
  const s = await KyselyStore.openSqlite(path);
  for (let i = 0; i < 450; i++) await s.insertAlert(alert(`e${i}`, 500 - i), new Date());
  await s.markPosted("e0", "C1", "1.1");
  await s.acknowledge("e0", "U1", new Date(5000));
  await s.createRemediationRequest({ id: "r1", alertEventId: "e0", findingId: null, remediationId: "recreate-account-alias", params: { accountAlias: "a" }, plan: storedPlan(), requestedBy: "U1", requestedAt: new Date(0), expiresAt: new Date(Date.now() + 3_600_000) });
  for (let i = 0; i < 3; i++) await s.recordAction({ at: new Date(i * 1000), actor: `U${i}`, action: "acknowledge", alertEventId: "e0", requestId: null, result: "ok", detail: { i } });
  await s.saveSnapshot({ scope: "default", at: new Date(1000), hash: "h1", data: Buffer.from([0, 1, 255]), rawBytes: 3 });
  await s.saveSnapshot({ scope: "444455556666", at: new Date(2000), hash: "h2", data: Buffer.from([2]), rawBytes: 1 });
  await s.setPollCursor(new Date(777));
  await s.setLookupCursors("default", new Map([["DeleteRole", new Date(888)]]));
  await s.saveAuditReport(new Date(1000), auditReport());
  await s.close();
  return path;
}

describe.skipIf(missing !== null)("copy-sqlite-to-postgres", () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await (cluster as PgCluster | undefined)?.stop(); // unset when the cluster could not start
  });

  test("copies every table; the Kysely store reads the same history and new ids continue after the copied ones", async () => {
    const path = await seeded();
    const url = await cluster.createDatabase("copy_ok");
    const counts = await copySqliteToPostgres(path, url);
    expect(counts).toMatchObject({ alerts: 450, remediation_requests: 1, actions: 3, iam_snapshots: 2, iam_snapshot_blobs: 2, audit_reports: 1, lookup_cursors: 1 });

    const sqlite = await KyselyStore.openSqlite(path);
    const pg = await KyselyStore.openPostgres(url);
    try {
      expect(await pg.getAlert("e0")).toEqual(await sqlite.getAlert("e0"));
      expect(await pg.nextPendingAlerts(500)).toEqual(await sqlite.nextPendingAlerts(500));
      expect(await pg.getRemediationRequest("r1")).toEqual(await sqlite.getRemediationRequest("r1"));
      expect(await pg.getPollCursor()).toEqual(new Date(777));
      expect(await pg.getLookupCursors("default")).toEqual(new Map([["DeleteRole", new Date(888)]]));
      const snap = await pg.getSnapshot(1);
      expect(snap?.data.equals(Buffer.from([0, 1, 255]))).toBe(true);
      // Each snapshot keeps the account it was taken in.
      expect(snap?.meta.scope).toBe("default");
      expect(await pg.listSnapshots({ scope: "444455556666", limit: 10 })).toEqual(await sqlite.listSnapshots({ scope: "444455556666", limit: 10 }));
      expect((await pg.listSnapshots({ scope: "444455556666", limit: 10 })).map((m) => m.hash)).toEqual(["h2"]);
      // An event seen before the copy is not alerted again.
      expect(await pg.insertAlert(alert("e1", 1), new Date())).toBe(false);
      await pg.recordAction({ at: new Date(9000), actor: "U9", action: "escalate", alertEventId: null, requestId: null, result: "ok", detail: {} });
      expect((await pg.listActions({ limit: 1 }))[0]).toMatchObject({ id: 4, actor: "U9" });
      expect(await pg.saveAuditReport(new Date(2000), auditReport())).toBe(2);
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  test("refuses a target that already has data, and a file a running instance holds", async () => {
    const path = await seeded();
    const url = await cluster.createDatabase("copy_twice");
    await copySqliteToPostgres(path, url);
    await expect(copySqliteToPostgres(path, url)).rejects.toThrow(/already has data \(table meta has 1 rows\)/);

    const running = new SqliteLeadership(path, { ttlMs: 60_000, ownerId: "other-host:1:aa", ownerIsGone: () => false });
    expect((await running.acquire()).acquired).toBe(true);
    try {
      await expect(copySqliteToPostgres(path, await cluster.createDatabase("copy_running"))).rejects.toThrow(/trailwatch is running on .* \(owner other-host:1:aa\); stop it before copying/);
    } finally {
      await running.release();
    }
  });

  test("the command line: migrate, then copy, with one summary line per table", async () => {
    const path = await seeded();
    const url = await cluster.createDatabase("copy_cli");
    const run = (args: string[]) =>
      execFileSync(process.execPath, [...nodeArgs("src/cli/trailwatch.ts"), ...args], { env: { ...process.env, DATABASE_URL: url }, encoding: "utf8", timeout: 60_000 });
    expect(run(["migrate"])).toContain(`postgres://127.0.0.1:${cluster.port}/${databaseOf(url)}: applied 0001_initial`);
    expect(run(["migrate"])).toContain("schema already up to date");
    const out = run(["copy-sqlite-to-postgres", path]);
    expect(out).toMatch(/alerts\s+450/);
    expect(out).toContain("start trailwatch with DATABASE_URL set to the PostgreSQL URL");
    // The record of actions exports from PostgreSQL as from SQLite, oldest first.
    const exported = execFileSync(process.execPath, nodeArgs("src/cli/export-actions.ts"), { env: { ...process.env, DATABASE_URL: url }, encoding: "utf8", timeout: 60_000 });
    expect(exported.trim().split("\n").map((l) => (JSON.parse(l) as { actor: string }).actor)).toEqual(["U0", "U1", "U2"]);
  });
});
