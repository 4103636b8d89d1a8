import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import type { NewAlert } from "../../src/store/types.js";
import { iamRecord } from "../support/records.js";

function alert(eventId: string, minutesAgo = 1): NewAlert {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date(Date.now() - minutesAgo * 60_000), requestParameters: { roleName: "r" } }));
  return { eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false };
}

const fresh = () => new SqliteStore(join(mkdtempSync(join(tmpdir(), "tw-store-")), "nested", "t.db"));

describe("SqliteStore", () => {
  test("creates the schema once and reopens an existing file without re-running migrations", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-store-"));
    const path = join(dir, "t.db");
    const a = new SqliteStore(path);
    expect(a.schemaVersion).toBe(2);
    await a.insertAlert(alert("e1"), new Date());
    await a.close();
    const b = new SqliteStore(path);
    expect(b.schemaVersion).toBe(2);
    expect((await b.getAlert("e1"))?.event.eventTime).toBeInstanceOf(Date);
    await b.close();
  });

  test("refuses a database written by a newer schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-store-"));
    const path = join(dir, "t.db");
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(/newer than this trailwatch build/);
  });

  test("de-duplicates alerts by event id", async () => {
    const s = fresh();
    expect(await s.insertAlert(alert("e1"), new Date())).toBe(true);
    expect(await s.insertAlert(alert("e1"), new Date())).toBe(false);
    expect(await s.pendingCount()).toBe(1);
  });

  test("pending alerts come oldest event first; posting and in-doubt marks round-trip", async () => {
    const s = fresh();
    await s.insertAlert(alert("young", 1), new Date());
    await s.insertAlert(alert("old", 9), new Date());
    expect((await s.nextPendingAlerts(10)).map((a) => a.eventId)).toEqual(["old", "young"]);
    await s.markPostAttempt("old", new Date(1000));
    expect((await s.getAlert("old"))?.inDoubtSince?.getTime()).toBe(1000);
    await s.markPostFailed("old", new Date(5000), "Slack error ratelimited", false);
    expect((await s.getAlert("old"))?.inDoubtSince).toBeUndefined();
    await s.markPosted("old", "C1", "1.2");
    expect(await s.getAlert("old")).toMatchObject({ delivery: "posted", channelId: "C1", messageTs: "1.2" });
    expect((await s.nextPendingAlerts(10)).map((a) => a.eventId)).toEqual(["young"]);
  });

  test("acknowledge and escalate change an alert once", async () => {
    const s = fresh();
    await s.insertAlert(alert("e1"), new Date());
    expect((await s.acknowledge("e1", "U1", new Date())).changed).toBe(true);
    const second = await s.acknowledge("e1", "U2", new Date());
    expect(second.changed).toBe(false);
    expect(second.alert?.acknowledgedBy).toBe("U1");
    expect((await s.escalate("e1", "U2", new Date(), "note")).alert?.status).toBe("escalated");
    expect((await s.escalate("e1", "U3", new Date(), "again")).changed).toBe(false);
  });

  test("a remediation request can be claimed once and never after it expired", async () => {
    const s = fresh();
    await s.insertAlert(alert("e1"), new Date());
    const base = { alertEventId: "e1", findingId: null, remediationId: "recreate-account-alias" as const, params: { accountAlias: "a" }, plan: { calls: [] }, requestedBy: "U1", requestedAt: new Date(0) };
    await s.createRemediationRequest({ ...base, id: "r1", expiresAt: new Date(10_000) });
    expect(await s.claimRemediationRequest("r1", "executing", "U2", new Date(5000))).toBe(true);
    expect(await s.claimRemediationRequest("r1", "executing", "U3", new Date(5001))).toBe(false);
    await s.finishRemediationRequest("r1", "succeeded", { ok: true });
    expect((await s.getRemediationRequest("r1"))?.state).toBe("succeeded");

    await s.createRemediationRequest({ ...base, id: "r2", expiresAt: new Date(10_000) });
    expect(await s.claimRemediationRequest("r2", "executing", "U2", new Date(10_000))).toBe(false);
    expect((await s.expireRemediationRequests(new Date(10_000))).map((r) => r.id)).toEqual(["r2"]);
    expect((await s.getRemediationRequest("r2"))?.state).toBe("expired");
  });

  test("actions are kept in order and exported oldest first", async () => {
    const s = fresh();
    for (let i = 0; i < 3; i++) await s.recordAction({ at: new Date(i * 1000), actor: `U${i}`, action: "acknowledge", alertEventId: null, requestId: null, result: "ok", detail: { i } });
    const out = [];
    for await (const a of s.iterateActions()) out.push(a.actor);
    expect(out).toEqual(["U0", "U1", "U2"]);
    expect((await s.listActions({ limit: 2 })).map((a) => a.actor)).toEqual(["U2", "U1"]);
  });
});
