import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FAILURES_BEFORE_NOTICE } from "../../src/accounts/notices.js";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { MIGRATIONS } from "../../src/store/legacy-sqlite.js";
import type { NewAlert, Store } from "../../src/store/types.js";
import { assumeDenied, hostileAccount, noticeInstance, openAccountEpisodes, pollOk, sandboxAccount, shownText, testClock } from "../support/notices.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";
import { auditFinding, auditReport, executionResult, groupSnapshot, storedPlan } from "../support/stored.js";

function alert(eventId: string, minutesAgo = 1): NewAlert {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date(Date.now() - minutesAgo * 60_000), requestParameters: { roleName: "r" } }));
  return { eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false };
}

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-store-")), "nested", "t.db");

/** The file's legacy schema version and the Kysely migrations it has recorded. */
function schemaOf(path: string): { userVersion: number; migrations: string[] } {
  const raw = new Database(path, { readonly: true });
  try {
    const userVersion = raw.pragma("user_version", { simple: true }) as number;
    const recorded = raw.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get() !== undefined;
    const migrations = recorded ? (raw.prepare("SELECT name FROM kysely_migration ORDER BY name").all() as { name: string }[]).map((r) => r.name) : [];
    return { userVersion, migrations };
  } finally {
    raw.close();
  }
}

describe("KyselyStore on a SQLite file", () => {
  test("creates the schema once and reopens an existing file without re-running migrations", async () => {
    const path = tempDb();
    const a = await KyselyStore.openSqlite(path);
    await a.insertAlert(alert("e1"), new Date());
    await a.close();
    const created = schemaOf(path);
    // The legacy list is frozen: a new file ends at its full length, so an older build could still read it.
    expect(created.userVersion).toBe(MIGRATIONS.length);
    // Each feature appends a migration; the count is not pinned here so branches merge cleanly.
    expect(created.migrations.length).toBeGreaterThanOrEqual(1);
    const b = await KyselyStore.openSqlite(path, { migrate: false });
    expect(await b.migrate()).toEqual([]);
    expect((await b.getAlert("e1"))?.event.eventTime).toBeInstanceOf(Date);
    await b.close();
    expect(schemaOf(path)).toEqual(created);
  });

  test("refuses a database written by a newer schema", async () => {
    const path = tempDb();
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    await expect(KyselyStore.openSqlite(path)).rejects.toThrow(/newer than this trailwatch build/);
  });
});

// The same behaviour from both engines of the Kysely store: SQLite and PostgreSQL.
const pgMissing = postgresUnavailable();
if (pgMissing) console.warn(`skipping the PostgreSQL store tests: ${pgMissing}`);
let cluster: PgCluster | undefined;
let dbSeq = 0;
beforeAll(async () => {
  if (!pgMissing) cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const engines: { name: string; skip: boolean; open: () => Promise<Store> }[] = [
  { name: "KyselyStore on SQLite", skip: false, open: () => KyselyStore.openSqlite(tempDb()) },
  {
    name: "KyselyStore on PostgreSQL",
    skip: pgMissing !== null,
    open: async () => KyselyStore.openPostgres(await (cluster as PgCluster).createDatabase(`store_${++dbSeq}`)),
  },
];

describe.each(engines.filter((e) => !e.skip))("$name", ({ open }) => {
  const opened: Store[] = [];
  const fresh = async () => {
    const s = await open();
    opened.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  test("de-duplicates alerts by event id", async () => {
    const s = await fresh();
    expect(await s.insertAlert(alert("e1"), new Date())).toBe(true);
    expect(await s.insertAlert(alert("e1"), new Date())).toBe(false);
    expect(await s.pendingCount()).toBe(1);
  });

  test("pending alerts come oldest event first; posting and in-doubt marks round-trip", async () => {
    const s = await fresh();
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
    const s = await fresh();
    await s.insertAlert(alert("e1"), new Date());
    expect((await s.acknowledge("e1", "U1", new Date())).changed).toBe(true);
    const second = await s.acknowledge("e1", "U2", new Date());
    expect(second.changed).toBe(false);
    expect(second.alert?.acknowledgedBy).toBe("U1");
    expect((await s.escalate("e1", "U2", new Date(), "note")).alert?.status).toBe("escalated");
    expect((await s.escalate("e1", "U3", new Date(), "again")).changed).toBe(false);
  });

  test("a remediation request can be claimed once and never after it expired", async () => {
    const s = await fresh();
    await s.insertAlert(alert("e1"), new Date());
    const base = { alertEventId: "e1", findingId: null, remediationId: "recreate-account-alias" as const, params: { accountAlias: "a" }, plan: storedPlan(), requestedBy: "U1", requestedAt: new Date(0) };
    await s.createRemediationRequest({ ...base, id: "r1", expiresAt: new Date(10_000) });
    expect(await s.claimRemediationRequest("r1", "executing", "U2", new Date(5000))).toBe(true);
    expect(await s.claimRemediationRequest("r1", "executing", "U3", new Date(5001))).toBe(false);
    await s.finishRemediationRequest("r1", "succeeded", executionResult());
    expect((await s.getRemediationRequest("r1"))?.state).toBe("succeeded");

    await s.createRemediationRequest({ ...base, id: "r2", expiresAt: new Date(10_000) });
    expect(await s.claimRemediationRequest("r2", "executing", "U2", new Date(10_000))).toBe(false);
    expect((await s.expireRemediationRequests(new Date(10_000))).map((r) => r.id)).toEqual(["r2"]);
    expect((await s.getRemediationRequest("r2"))?.state).toBe("expired");
  });

  test("actions are kept in order and exported oldest first", async () => {
    const s = await fresh();
    for (let i = 0; i < 3; i++) await s.recordAction({ at: new Date(i * 1000), actor: `U${i}`, action: "acknowledge", alertEventId: null, requestId: null, result: "ok", detail: { i } });
    const out = [];
    for await (const a of s.iterateActions()) out.push(a.actor);
    expect(out).toEqual(["U0", "U1", "U2"]);
    expect((await s.listActions({ limit: 2 })).map((a) => a.actor)).toEqual(["U2", "U1"]);
  });

  test("audit reports: ids to name them by, and `user` answers never become the last audit", async () => {
    const s = await fresh();
    expect(await s.lastAuditReport()).toBeNull();
    const account = auditReport([auditFinding({ id: "a" })]);
    const user = { generatedAt: new Date(2000), findings: [auditFinding({ id: "u" })], errors: [], user: "arn:aws:iam::111122223333:user/u" };
    const a = await s.saveAuditReport(new Date(1000), account);
    const u = await s.saveAuditReport(new Date(2000), user, "user");
    expect(u).toBeGreaterThan(a);
    expect((await s.lastAuditReport())?.report).toEqual(account);
    expect(await s.getAuditReport(u)).toEqual({ id: u, at: new Date(2000), scope: "user", report: user });
    expect((await s.getAuditReport(a))?.scope).toBe("account");
    expect(await s.getAuditReport(u + 100)).toBeNull();
    await s.close();
  });

  test("health episodes, notices, cursors and per-account cursors round-trip", async () => {
    const s = await fresh();
    expect(await s.openHealthEpisode({ scope: "default", code: "blind", startedAt: new Date(1000), detail: { why: "denied" } })).toBe(true);
    expect(await s.openHealthEpisode({ scope: "default", code: "blind", startedAt: new Date(2000), detail: {} })).toBe(false);
    expect(await s.openHealthEpisodes()).toEqual([{ scope: "default", code: "blind", startedAt: new Date(1000), detail: { why: "denied" } }]);
    expect(await s.closeHealthEpisode("default", "blind", new Date(3000))).toBe(true);
    expect(await s.closeHealthEpisode("default", "blind", new Date(3000))).toBe(false);
    expect(await s.openHealthEpisodes()).toEqual([]);

    expect(await s.enqueueNotice({ key: "k1", createdAt: new Date(5), text: "t", blocks: [{ type: "section" }] })).toBe(true);
    expect(await s.enqueueNotice({ key: "k1", createdAt: new Date(6), text: "t2", blocks: [] })).toBe(false);
    await s.markNoticeFailed("k1", "boom");
    expect(await s.pendingNotices(10)).toEqual([{ key: "k1", createdAt: new Date(5), text: "t", blocks: [{ type: "section" }], attempts: 1, lastError: "boom" }]);
    await s.markNoticePosted("k1", "C1", "1.1", new Date(7));
    expect(await s.pendingNotices(10)).toEqual([]);

    await s.setLookupCursors("default", new Map([["DeleteRole", new Date(1_700_000_000_123)], ["DeleteUser", new Date(10)]]));
    await s.setLookupCursors("default", new Map([["DeleteUser", new Date(20)]]));
    expect(await s.getLookupCursors("default")).toEqual(new Map([["DeleteRole", new Date(1_700_000_000_123)], ["DeleteUser", new Date(20)]]));
    expect(await s.getLookupCursors("other")).toEqual(new Map());

    expect(await s.getPollCursor()).toBeNull();
    await s.setPollCursor(new Date(42));
    await s.setAccountPollCursor("444455556666", new Date(43));
    expect(await s.getPollCursor()).toEqual(new Date(42));
    expect(await s.getAccountPollCursor("444455556666")).toEqual(new Date(43));
    expect(await s.getAccountPollCursor("111122223333")).toBeNull();
  });

  test("snapshots are stored once per content, confirmed, listed newest first and pruned", async () => {
    const s = await fresh();
    const a = await s.saveSnapshot({ scope: "default", at: new Date(1000), hash: "h1", data: Buffer.from([1, 2, 3]), rawBytes: 30 });
    expect(a.stored).toBe(true);
    const again = await s.saveSnapshot({ scope: "default", at: new Date(2000), hash: "h1", data: Buffer.from([1, 2, 3]), rawBytes: 30 });
    expect(again).toMatchObject({ stored: false, meta: { id: a.meta.id, confirmedAt: new Date(2000) } });
    const b = await s.saveSnapshot({ scope: "default", at: new Date(3000), hash: "h2", data: Buffer.from([9]), rawBytes: 10 });
    expect((await s.listSnapshots({ scope: "default", limit: 10 })).map((m) => m.hash)).toEqual(["h2", "h1"]);
    expect((await s.listSnapshots({ scope: "default", takenAtOrBefore: new Date(2500), limit: 10 })).map((m) => m.hash)).toEqual(["h1"]);
    const got = await s.getSnapshot(b.meta.id);
    expect(got?.data.equals(Buffer.from([9]))).toBe(true);
    expect(got?.meta).toEqual({ id: b.meta.id, scope: "default", takenAt: new Date(3000), confirmedAt: new Date(3000), hash: "h2", rawBytes: 10, storedBytes: 1 });
    expect(await s.pruneSnapshots("default", new Date(2500))).toBe(1);
    expect(await s.getSnapshot(a.meta.id)).toBeNull();
    expect((await s.listSnapshots({ scope: "default", limit: 10 })).map((m) => m.hash)).toEqual(["h2"]);
  });

  test("snapshots are per account scope: dedup, listings, latest and retention never cross scopes", async () => {
    const s = await fresh();
    const MEMBER = "444455556666";
    const own1 = await s.saveSnapshot({ scope: "default", at: new Date(1000), hash: "h1", data: Buffer.from([1]), rawBytes: 1 });
    // The same content in another account is a snapshot of its own (the blob is shared, the rows are not).
    const member1 = await s.saveSnapshot({ scope: MEMBER, at: new Date(2000), hash: "h1", data: Buffer.from([1]), rawBytes: 1 });
    expect(member1.stored).toBe(true);
    expect(member1.meta).toMatchObject({ scope: MEMBER, takenAt: new Date(2000) });
    expect(member1.meta.id).not.toBe(own1.meta.id);
    // Dedup compares with the scope's own latest: the own account's h1 is confirmed, not the member's.
    const own2 = await s.saveSnapshot({ scope: "default", at: new Date(3000), hash: "h1", data: Buffer.from([1]), rawBytes: 1 });
    expect(own2).toMatchObject({ stored: false, meta: { id: own1.meta.id, confirmedAt: new Date(3000) } });
    expect((await s.getSnapshot(member1.meta.id))?.meta.confirmedAt).toEqual(new Date(2000));
    const member2 = await s.saveSnapshot({ scope: MEMBER, at: new Date(4000), hash: "h2", data: Buffer.from([2]), rawBytes: 1 });

    expect((await s.listSnapshots({ scope: "default", limit: 10 })).map((m) => m.id)).toEqual([own1.meta.id]);
    expect((await s.listSnapshots({ scope: MEMBER, limit: 10 })).map((m) => m.id)).toEqual([member2.meta.id, member1.meta.id]);
    expect((await s.listSnapshots({ scope: MEMBER, takenAtOrBefore: new Date(1500), limit: 10 }))).toEqual([]);
    expect((await s.listSnapshots({ scope: "111122223333", limit: 10 }))).toEqual([]);
    expect((await s.latestSnapshots()).map((m) => [m.scope, m.id])).toEqual([
      [MEMBER, member2.meta.id],
      ["default", own1.meta.id],
    ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))));

    // Retention of one scope leaves the other alone, and never drops a scope's newest snapshot.
    expect(await s.pruneSnapshots(MEMBER, new Date(10_000))).toBe(1);
    expect((await s.listSnapshots({ scope: MEMBER, limit: 10 })).map((m) => m.id)).toEqual([member2.meta.id]);
    expect(await s.pruneSnapshots("default", new Date(10_000))).toBe(0);
    expect((await s.listSnapshots({ scope: "default", limit: 10 })).map((m) => m.id)).toEqual([own1.meta.id]);
    // The blob the member's pruned snapshot shared with the own account's is still there.
    expect((await s.getSnapshot(own1.meta.id))?.data.equals(Buffer.from([1]))).toBe(true);
  });

  test("grouping: decisions, group message, members shown and thread replies", async () => {
    const s = await fresh();
    await s.insertAlert(alert("a1", 3), new Date());
    await s.insertAlert(alert("a2", 2), new Date());
    await s.insertAlert(alert("solo", 1), new Date());
    expect((await s.ungroupedPendingAlerts(10)).map((a) => a.eventId)).toEqual(["a1", "a2", "solo"]);
    const t = Date.now();
    const snap = groupSnapshot({ id: "g1", firstAt: new Date(t - 180_000), lastAt: new Date(t - 120_000), memberIds: ["a1", "a2"] });
    await s.recordGrouping([{ eventId: "a1", groupId: "g1" }, { eventId: "a2", groupId: "g1" }, { eventId: "solo", groupId: null }], [snap], new Date(t));
    expect(await s.ungroupedPendingAlerts(10)).toEqual([]);
    expect((await s.nextPostableAlerts(10)).map((a) => a.eventId)).toEqual(["a1", "a2", "solo"]);
    expect((await s.getGroup("g1"))?.unshownMembers).toBe(2);
    expect((await s.groupsWithWork(10)).map((g) => g.id)).toEqual(["g1"]);
    const state = await s.groupingState(new Date(t - 3_600_000));
    expect(state.groups.map((g) => [g.id, g.firstAt])).toEqual([["g1", new Date(t - 180_000)]]);
    expect(state.alerts.map((x) => [x.alert.eventId, x.groupId])).toEqual([["a1", "g1"], ["a2", "g1"], ["solo", null]]);

    await s.markGroupPostAttempt("g1", new Date(100));
    await s.markGroupPosted("g1", "C1", "9.1");
    expect((await s.nextPostableAlerts(10)).map((a) => a.eventId)).toEqual(["solo"]);
    await s.markGroupMembersShown("g1", ["a1"], new Date());
    expect(await s.getAlert("a1")).toMatchObject({ delivery: "posted", messageTs: "9.1" });
    const seq = await s.startGroupReply("g1", ["a2"], new Date(200));
    expect(await s.startGroupReply("g1", [], new Date(201))).toBe(seq + 1);
    await s.dropGroupReply("g1", seq + 1);
    expect(await s.openGroupReplies("g1")).toEqual([{ seq, eventIds: ["a2"], startedAt: new Date(200) }]);
    await s.finishGroupReply("g1", seq, "9.2", new Date(300));
    expect(await s.openGroupReplies("g1")).toEqual([]);
    expect((await s.groupMembers("g1")).map((a) => a.delivery)).toEqual(["posted", "posted"]);
    expect(await s.acknowledgeGroup("g1", "U1", new Date())).toBe(2);
    expect(await s.acknowledgeGroup("g1", "U2", new Date())).toBe(0);

    await s.markPosted("solo", "C1", "9.3");
    expect((await s.alertsNeedingDetails(10, new Date())).map((a) => a.eventId)).toEqual(["solo"]);
    await s.markDetailsAttempt("solo", new Date(400));
    await s.markDetailsFailed("solo", new Date(Date.now() + 60_000), true);
    expect(await s.alertsNeedingDetails(10, new Date())).toEqual([]);
    expect((await s.getAlert("solo"))?.detailsInDoubtSince).toEqual(new Date(400));
    await s.markDetailsPosted("solo", "9.4");
    expect(await s.alertsNeedingDetails(10, new Date(Date.now() + 120_000))).toEqual([]);
  });

  test("listAlerts filters and countByStatus counts, muted apart", async () => {
    const s = await fresh();
    await s.insertAlert(alert("e1", 5), new Date());
    await s.insertAlert({ ...alert("m1", 4), muted: true, mutedReason: "rule" }, new Date());
    await s.acknowledge("e1", "U1", new Date());
    expect((await s.listAlerts({ limit: 10 })).map((a) => a.eventId)).toEqual(["e1"]);
    expect((await s.listAlerts({ limit: 10, includeMuted: true })).map((a) => a.eventId)).toEqual(["m1", "e1"]);
    expect((await s.listAlerts({ limit: 10, status: "open" })).map((a) => a.eventId)).toEqual([]);
    expect(await s.countByStatus(new Date(0))).toEqual({ open: 0, acknowledged: 1, escalated: 0, remediated: 0, muted: 1 });
    expect((await s.getAlert("m1"))?.delivery).toBe("muted");
  });
});

describe.skipIf(pgMissing !== null)("KyselyStore: several replicas on one PostgreSQL database", () => {
  test("a remediation claimed from two replicas at once is won by exactly one, and migrations run once", async () => {
    const url = await (cluster as PgCluster).createDatabase("replicas");
    // Started together: the Migrator's lock makes one migrate and the other find the schema done.
    const [a, b] = await Promise.all([KyselyStore.openPostgres(url, { owner: "replica-a" }), KyselyStore.openPostgres(url, { owner: "replica-b" })]);
    try {
      await a.insertAlert(alert("e1"), new Date());
      const base = { alertEventId: "e1", findingId: null, remediationId: "recreate-account-alias" as const, params: { accountAlias: "a" }, plan: storedPlan(), requestedBy: "U1", requestedAt: new Date(0), expiresAt: new Date(Date.now() + 60_000) };
      for (let i = 0; i < 20; i++) {
        await a.createRemediationRequest({ ...base, id: `r${i}` });
        const wins = await Promise.all([
          a.claimRemediationRequest(`r${i}`, "executing", "U2", new Date()),
          b.claimRemediationRequest(`r${i}`, i % 2 ? "rejected" : "executing", "U3", new Date()),
        ]);
        expect(wins.filter(Boolean)).toHaveLength(1);
        // The executing replica is recorded with the claim (crash recovery asks whether it still lives); a rejection runs nowhere.
        const won = await a.getRemediationRequest(`r${i}`);
        const expected = won?.state === "executing" ? (wins[0] ? "replica-a" : "replica-b") : undefined;
        expect(won?.executedBy).toBe(expected);
      }
      expect((await a.listExecutingRemediationRequests()).map((r) => r.executedBy).filter((o) => o === undefined)).toEqual([]);
      expect(await b.getAlert("e1")).toMatchObject({ eventId: "e1", delivery: "pending" });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe.skipIf(pgMissing !== null)("KyselyStore: outbox claims between replicas (FOR UPDATE SKIP LOCKED)", () => {
  test("pending alerts read by one replica are not handed to another until posted or the claim lapses", async () => {
    const url = await (cluster as PgCluster).createDatabase("claims");
    let t = Date.now();
    const now = () => new Date(t);
    const a = await KyselyStore.openPostgres(url, { owner: "A", now });
    const b = await KyselyStore.openPostgres(url, { owner: "B", now });
    try {
      for (let i = 0; i < 6; i++) await a.insertAlert(alert(`e${i}`, 10 - i), new Date());
      // Both read at the same moment: every alert goes to exactly one of them.
      const [ra, rb] = await Promise.all([a.nextPendingAlerts(4), b.nextPendingAlerts(4)]);
      const ids = [...ra, ...rb].map((x) => x.eventId);
      expect(ids.sort()).toEqual(["e0", "e1", "e2", "e3", "e4", "e5"]);
      expect(new Set(ids).size).toBe(6);
      // A claim holder keeps getting its own rows, oldest first; the other replica gets none of them.
      expect((await a.nextPendingAlerts(10)).map((x) => x.eventId)).toEqual(ra.map((x) => x.eventId));
      for (const x of ra) await a.markPosted(x.eventId, "C1", `1.${x.eventId}`);
      expect((await b.nextPendingAlerts(10)).map((x) => x.eventId)).toEqual(rb.map((x) => x.eventId));
      expect(await a.nextPendingAlerts(10)).toEqual([]);
      // B dies holding its claim: once the claim lapses, A takes the rows over.
      t += 21_000;
      expect((await a.nextPendingAlerts(10)).map((x) => x.eventId)).toEqual(rb.map((x) => x.eventId));
      expect(await a.pendingCount()).toBe(rb.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("group messages, details replies and notices read by one replica are not handed to another until the claim lapses", async () => {
    const url = await (cluster as PgCluster).createDatabase("claims_kinds");
    let t = Date.now();
    const now = () => new Date(t);
    const a = await KyselyStore.openPostgres(url, { owner: "A", now });
    const b = await KyselyStore.openPostgres(url, { owner: "B", now });
    try {
      // Two groups with pending members, two posted alerts owing their details reply, two notices.
      for (const id of ["g1a", "g1b", "g2a", "g2b", "d1", "d2"]) await a.insertAlert(alert(id, 5), new Date(t));
      const snap = (id: string, ago: number) => groupSnapshot({ id, firstAt: new Date(t - ago), lastAt: new Date(t - ago + 1000) });
      await a.recordGrouping(
        [{ eventId: "g1a", groupId: "g1" }, { eventId: "g1b", groupId: "g1" }, { eventId: "g2a", groupId: "g2" }, { eventId: "g2b", groupId: "g2" }],
        [snap("g1", 200_000), snap("g2", 100_000)],
        new Date(t),
      );
      // Claimed for posting and posted by A: their claims are A's until they lapse.
      await a.nextPendingAlerts(10);
      await a.markPosted("d1", "C1", "1.1");
      await a.markPosted("d2", "C1", "1.2");
      for (const k of ["n1", "n2"]) await a.enqueueNotice({ key: k, createdAt: new Date(t), text: k, blocks: [] });
      t += 21_000;

      // Both read each kind at the same moment: every row goes to exactly one of them.
      const [ga, gb] = await Promise.all([a.groupsWithWork(1), b.groupsWithWork(1)]);
      expect([...ga, ...gb].map((g) => g.id).sort()).toEqual(["g1", "g2"]);
      expect(ga).toHaveLength(1);
      expect(ga[0]?.unshownMembers).toBe(2);
      const [da, db] = await Promise.all([a.alertsNeedingDetails(1, now()), b.alertsNeedingDetails(1, now())]);
      expect([...da, ...db].map((x) => x.eventId).sort()).toEqual(["d1", "d2"]);
      const [na, nb] = await Promise.all([a.pendingNotices(1), b.pendingNotices(1)]);
      expect([...na, ...nb].map((n) => n.key).sort()).toEqual(["n1", "n2"]);

      // A holder keeps getting its own rows; the other replica gets none of them.
      expect((await a.groupsWithWork(10)).map((g) => g.id)).toEqual(ga.map((g) => g.id));
      expect((await b.groupsWithWork(10)).map((g) => g.id)).toEqual(gb.map((g) => g.id));
      expect((await a.alertsNeedingDetails(10, now())).map((x) => x.eventId)).toEqual(da.map((x) => x.eventId));
      expect((await a.pendingNotices(10)).map((n) => n.key)).toEqual(na.map((n) => n.key));
      expect((await b.pendingNotices(10)).map((n) => n.key)).toEqual(nb.map((n) => n.key));

      // Done by its holder: nothing left for anyone.
      for (const n of nb) await b.markNoticePosted(n.key, "C1", "2.1", now());
      for (const x of db) await b.markDetailsPosted(x.eventId, "2.2");
      expect(await a.pendingNotices(10)).toEqual(na.map((n) => expect.objectContaining({ key: n.key })));
      expect((await a.alertsNeedingDetails(10, now())).map((x) => x.eventId)).toEqual(da.map((x) => x.eventId));

      // A dies holding its claims: once they lapse, B takes its rows over.
      t += 21_000;
      expect((await b.groupsWithWork(10)).map((g) => g.id).sort()).toEqual(["g1", "g2"]);
      expect((await b.alertsNeedingDetails(10, now())).map((x) => x.eventId)).toEqual(da.map((x) => x.eventId));
      expect((await b.pendingNotices(10)).map((n) => n.key)).toEqual(na.map((n) => n.key));
    } finally {
      await a.close();
      await b.close();
    }
  });
});

// Watched-account notices (src/accounts/notices.ts) keep their episodes and messages here: only the leader polls,
// so only it records them; when it dies another takes the lead on the same database with its own outbox claims.
describe.skipIf(pgMissing !== null)("KyselyStore: account notices across a leader failover", () => {
  test("an episode's notice is posted once by either leader, and the new leader posts the recovery", async () => {
    const url = await (cluster as PgCluster).createDatabase("account_notices");
    const c = testClock(Date.now());
    const storeA = await KyselyStore.openPostgres(url, { owner: "A", now: c.now });
    const storeB = await KyselyStore.openPostgres(url, { owner: "B", now: c.now });
    try {
      const a = noticeInstance(storeA, c);
      const startedAt = Math.floor(c.now().getTime() / 1000);
      // Leader A: the account's notice is posted; the other account's post fails, and A holds its claim.
      await a.notices.update(hostileAccount, assumeDenied(1));
      a.slack.state.down = true;
      await a.notices.update(sandboxAccount, assumeDenied(1));
      expect(a.slack.posts.map(shownText)).toEqual([expect.stringContaining("`444455556666`")]);
      // A dies (kill -9: no more calls); B takes the lead and polls both accounts, still failing.
      const b = noticeInstance(storeB, c);
      for (let i = 1; i <= FAILURES_BEFORE_NOTICE; i++) {
        await b.notices.update(hostileAccount, assumeDenied(i));
        await b.notices.update(sandboxAccount, assumeDenied(i));
      }
      await b.notifier.sync();
      // The dead leader's claim on the unposted notice holds it back until it lapses; then B posts it.
      expect(b.slack.posts).toHaveLength(0);
      c.advance(21_000);
      await b.notifier.sync();
      expect(b.slack.posts.map(shownText)).toEqual([expect.stringContaining("`777788889999`")]);
      // Both accounts recover under B: one recovery each, with the start A recorded.
      await b.notices.update(hostileAccount, pollOk);
      await b.notices.update(sandboxAccount, pollOk);
      await b.notices.update(hostileAccount, pollOk);
      const recoveries = b.slack.posts.slice(1).map((p) => p.text);
      expect(recoveries).toEqual([expect.stringContaining("`444455556666`"), expect.stringContaining("`777788889999`")]);
      for (const r of recoveries) expect(r).toContain(`again (it could not since <!date^${startedAt}^`);
      expect([...a.slack.posts, ...b.slack.posts]).toHaveLength(4);
      expect(await openAccountEpisodes(storeB)).toEqual([]);
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });
});

describe("KyselyStore on SQLite adopts a file written before it", () => {
  test("a file at the last legacy version opens with its data, and reopening keeps its version", async () => {
    const path = tempDb();
    // A pre-Kysely file: the full legacy schema and PRAGMA user_version, no Kysely bookkeeping. Written through the
    // store (so its rows are real), then stripped of the kysely_migration tables.
    const w = await KyselyStore.openSqlite(path);
    await w.insertAlert(alert("e1"), new Date());
    await w.close();
    const raw = new Database(path);
    raw.exec("DROP TABLE kysely_migration; DROP TABLE kysely_migration_lock;");
    raw.close();
    expect(schemaOf(path)).toEqual({ userVersion: MIGRATIONS.length, migrations: [] });

    const k = await KyselyStore.openSqlite(path);
    expect((await k.getAlert("e1"))?.eventId).toBe("e1");
    await k.insertAlert(alert("e2"), new Date());
    await k.close();
    const adopted = schemaOf(path);
    expect(adopted.userVersion).toBe(MIGRATIONS.length);
    expect(adopted.migrations.length).toBeGreaterThanOrEqual(1);

    const again = await KyselyStore.openSqlite(path, { migrate: false });
    expect(await again.migrate()).toEqual([]);
    expect((await again.nextPendingAlerts(10)).map((a) => a.eventId).sort()).toEqual(["e1", "e2"]);
    await again.close();
    expect(schemaOf(path)).toEqual(adopted);
  });

  test("snapshots stored before snapshots had an account scope are the bot's own account's", async () => {
    const path = tempDb();
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    for (const m of MIGRATIONS) raw.exec(m);
    raw.pragma(`user_version = ${MIGRATIONS.length}`);
    raw.prepare("INSERT INTO iam_snapshot_blobs (hash, data) VALUES ('h0', ?)").run(Buffer.from([7]));
    raw.prepare("INSERT INTO iam_snapshots (taken_at, confirmed_at, hash, raw_bytes, stored_bytes) VALUES (1000, 2000, 'h0', 1, 1)").run();
    raw.close();
    const k = await KyselyStore.openSqlite(path);
    try {
      expect(await k.listSnapshots({ scope: "default", limit: 10 })).toEqual([
        { id: 1, scope: "default", takenAt: new Date(1000), confirmedAt: new Date(2000), hash: "h0", rawBytes: 1, storedBytes: 1 },
      ]);
      expect(await k.listSnapshots({ scope: "444455556666", limit: 10 })).toEqual([]);
    } finally {
      await k.close();
    }
  });

  test("a file at an older legacy version is brought up to date", async () => {
    const path = tempDb();
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path);
    raw.exec(MIGRATIONS[0] as string);
    raw.pragma("user_version = 1");
    raw.close();
    const k = await KyselyStore.openSqlite(path);
    await k.insertAlert({ ...alert("e1"), accountId: "444455556666", accountName: "payments" }, new Date());
    expect(await k.getAlert("e1")).toMatchObject({ accountName: "payments" });
    await k.close();
    expect(schemaOf(path).userVersion).toBe(MIGRATIONS.length);
  });
});
