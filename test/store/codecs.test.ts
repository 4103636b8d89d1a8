// Stored JSON goes through the codecs of src/store/codecs.ts: what is written reads back deep-equal and typed
// (dates revived), rows written by older versions still load, and a row that does not decode is named (table,
// row, column) instead of being cast: reading it by id throws, and a listing leaves it out and reports it.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { StoredRecordError } from "../../src/store/codecs.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { NewAlert, RemediationRequestRecord } from "../../src/store/types.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";
import { auditFinding, auditReport, executionResult, groupSnapshot, storedPlan } from "../support/stored.js";

const pgMissing = postgresUnavailable();
let cluster: PgCluster | undefined;
let dbSeq = 0;
beforeAll(async () => {
  if (!pgMissing) cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

type Open = (onCorruptRow: (err: StoredRecordError) => void) => Promise<KyselyStore>;
const engines: { name: string; skip: boolean; open: Open }[] = [
  { name: "SQLite", skip: false, open: (onCorruptRow) => KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-codecs-")), "t.db"), { onCorruptRow }) },
  {
    name: "PostgreSQL",
    skip: pgMissing !== null,
    open: async (onCorruptRow) => KyselyStore.openPostgres(await (cluster as PgCluster).createDatabase(`codecs_${++dbSeq}`), { onCorruptRow }),
  },
];

function alert(eventId: string): NewAlert {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date("2026-11-30T10:00:00Z"), requestParameters: { roleName: "app" } }));
  return { eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false };
}

function request(id: string, plan = storedPlan()): Omit<RemediationRequestRecord, "state"> {
  return { id, alertEventId: "e1", findingId: null, remediationId: plan.remediationId, params: plan.params, plan, requestedBy: "U1", requestedAt: new Date(1000), expiresAt: new Date(Date.now() + 3_600_000) };
}

/** A plan as every field of today's RemediationPlan fills it, plus a key a newer version might add. */
const FULL_PLAN = storedPlan({
  remediationId: "reattach-managed-policy",
  title: "Re-attach ReadOnlyAccess to role app",
  params: { target: "role", name: "app", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
  observations: ["role app exists"],
  calls: [{ api: "AttachRolePolicy", params: { RoleName: "app", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, description: "Attach ReadOnlyAccess to role app" }],
  notes: ["a note"],
  bindings: [{ kind: "role", label: "role app", ref: { roleName: "app" }, expected: { RoleId: "AROA1", Path: "/" } }],
  accountId: "111122223333",
  adminReasons: ["grants *:*"],
  undoes: { eventName: "DetachRolePolicy", actor: "alice", eventTime: "2026-11-30T10:00:00Z", deliberate: "tagged break-glass" },
});

describe.each(engines.filter((e) => !e.skip))("stored JSON on $name", ({ open }) => {
  const opened: KyselyStore[] = [];
  const corrupt: StoredRecordError[] = [];
  const fresh = async () => {
    const s = await open((err) => corrupt.push(err));
    opened.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });

  test("every stored shape reads back deep-equal, dates as Dates, unknown keys kept", async () => {
    const s = await fresh();
    const a = alert("e1");
    await s.insertAlert(a, new Date());
    expect((await s.getAlert("e1"))?.event).toEqual(a.event);
    expect((await s.getAlert("e1"))?.event.eventTime).toBeInstanceOf(Date);

    const plan = { ...FULL_PLAN, addedByANewerVersion: { kept: true } };
    await s.createRemediationRequest(request("r1", plan));
    expect((await s.getRemediationRequest("r1"))?.plan).toEqual(plan);
    expect((await s.getRemediationRequest("r1"))?.params).toEqual(plan.params);
    expect(await s.claimRemediationRequest("r1", "executing", "U2", new Date(2000))).toBe(true);
    const result = executionResult({ ok: false, done: [], notDone: plan.calls, failed: { call: plan.calls[0]!, errorName: "AccessDenied", message: "no" }, refused: "drifted", drift: ["role app changed"] });
    await s.finishRemediationRequest("r1", "refused", result);
    expect((await s.getRemediationRequest("r1"))?.result).toEqual(result);

    // A crash-recovered result carries the read-back's extra fields.
    await s.createRemediationRequest(request("r2", plan));
    await s.claimRemediationRequest("r2", "executing", "U2", new Date(2000));
    const recovered = { ...executionResult({ done: plan.calls }), recovered: true as const, outcome: "succeeded" as const, unreadable: [] };
    expect(await s.settleRecoveredRemediationRequest("r2", "succeeded", recovered)).toBe(true);
    expect((await s.listRemediationRequests("e1")).find((r) => r.id === "r2")?.result).toEqual(recovered);

    const account = auditReport([auditFinding({ resource: { type: "account", name: "111122223333" }, remediation: { id: "enforce-password-policy", params: {} } })], {
      generatedAt: new Date("2026-11-30T10:00:00.123Z"),
      errors: [{ check: "cloudtrail", api: "DescribeTrails", errorName: "AccessDenied", message: "no", missingPermission: "cloudtrail:DescribeTrails" }],
      clean: false,
    });
    const id = await s.saveAuditReport(new Date(5000), account);
    expect(await s.lastAuditReport()).toEqual({ at: new Date(5000), report: account });
    expect((await s.lastAuditReport())?.report.generatedAt).toBeInstanceOf(Date);
    expect(await s.getAuditReport(id)).toEqual({ id, at: new Date(5000), scope: "account", report: account });

    const snap = groupSnapshot({ id: "g1", firstAt: new Date(1000), lastAt: new Date(2000), memberIds: ["e1"], route: "C9" });
    await s.recordGrouping([{ eventId: "e1", groupId: "g1" }], [snap], new Date(3000));
    expect((await s.getGroup("g1"))?.snapshot).toEqual(snap);
    expect((await s.groupingState(new Date(0))).groups).toEqual([snap]);

    await s.recordAction({ at: new Date(1), actor: "U1", action: "acknowledge", alertEventId: "e1", requestId: null, result: "ok", detail: { nested: { list: [1, "x", null] } } });
    expect((await s.listActions({}))[0]?.detail).toEqual({ nested: { list: [1, "x", null] } });
    expect(await s.startGroupReply("g1", ["e1"], new Date(4000))).toBe(1);
    expect((await s.openGroupReplies("g1"))[0]?.eventIds).toEqual(["e1"]);
    expect(corrupt).toEqual([]);
  });

  test("a plan stored before bindings, accountId, adminReasons and undoes existed still loads", async () => {
    const s = await fresh();
    await s.insertAlert(alert("e1"), new Date());
    await s.createRemediationRequest(request("old"));
    // The shape of the first RemediationPlan (src/remediation/types.ts as first committed): no later fields.
    const legacy = {
      remediationId: "recreate-account-alias",
      title: "Recreate account alias acme",
      params: { accountAlias: "acme" },
      applicable: true,
      reason: "alias acme is not in use",
      observations: ["alias acme is not in use"],
      calls: [{ api: "CreateAccountAlias", params: { AccountAlias: "acme" }, description: "Create account alias acme" }],
    };
    await sql`UPDATE remediation_requests SET plan_json = ${JSON.stringify(legacy)} WHERE id = 'old'`.execute(s.db);
    const req = await s.getRemediationRequest("old");
    expect(req?.plan).toEqual(legacy);
    // Left for the executor, which refuses it with its own message ("predates identity binding").
    expect(req?.plan.bindings).toBeUndefined();
    expect(corrupt).toEqual([]);
  });

  test("a corrupt plan names the request and the column; listings leave it out and report it", async () => {
    const s = await fresh();
    corrupt.length = 0;
    await s.insertAlert(alert("e1"), new Date());
    await s.createRemediationRequest(request("bad"));
    await s.createRemediationRequest(request("good"));
    await sql`UPDATE remediation_requests SET plan_json = ${JSON.stringify({ title: 42 })} WHERE id = 'bad'`.execute(s.db);
    await expect(s.getRemediationRequest("bad")).rejects.toThrow(/^remediation request bad: stored plan_json does not decode \(remediationId: /);
    await expect(s.getRemediationRequest("bad")).rejects.toBeInstanceOf(StoredRecordError);
    expect((await s.listRemediationRequests("e1")).map((r) => r.id)).toEqual(["good"]);
    expect(corrupt.map((e) => [e.table, e.rowId, e.column])).toEqual([["remediation request", "bad", "plan_json"]]);

    await sql`UPDATE remediation_requests SET state = 'executing', result_json = 'not json' WHERE id = 'good'`.execute(s.db);
    await expect(s.getRemediationRequest("good")).rejects.toThrow("remediation request good: stored result_json does not decode (not JSON)");
    expect(await s.listExecutingRemediationRequests()).toEqual([]);
  });

  test("a corrupt audit report or event: read by id it throws, the Home tab's last audit and alert listings go on", async () => {
    const s = await fresh();
    corrupt.length = 0;
    const id = await s.saveAuditReport(new Date(1000), auditReport());
    await sql`UPDATE audit_reports SET report_json = ${JSON.stringify({ findings: "none" })} WHERE id = ${id}`.execute(s.db);
    await expect(s.getAuditReport(id)).rejects.toThrow(`audit report ${id}: stored report_json does not decode`);
    expect(await s.lastAuditReport()).toBeNull();
    expect(corrupt.map((e) => e.rowId)).toEqual([String(id)]);

    await s.insertAlert(alert("e1"), new Date());
    await s.insertAlert(alert("e2"), new Date());
    await sql`UPDATE alerts SET event_json = ${JSON.stringify({ eventId: "e1" })} WHERE event_id = 'e1'`.execute(s.db);
    await expect(s.getAlert("e1")).rejects.toThrow(/^alert e1: stored event_json does not decode/);
    expect((await s.listAlerts({ limit: 10 })).map((a) => a.eventId)).toEqual(["e2"]);
    expect((await s.nextPendingAlerts(10)).map((a) => a.eventId)).toEqual(["e2"]);
  });
});
