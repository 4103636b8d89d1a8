// The /iam-audit queries on their own: parsed values in, data out, no Slack.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { describeAwsError, LOG_LIMIT, principalActivity, recentActions, recentAlerts, snapshotNow, watchedAccounts } from "../../src/services/audit-queries.js";
import { listenerHarness, seedAlert, type Harness } from "../support/slack-listeners.js";

const NOW = new Date("2026-12-01T10:00:00Z");
let h: Harness;
beforeEach(async () => {
  h = await listenerHarness({ now: () => NOW });
});
afterEach(async () => {
  await h.store.close();
});

describe("audit queries", () => {
  test("recentAlerts: the alerts detected within the window, with counts", async () => {
    const a = await seedAlert(h.store, { eventName: "DeleteRole", requestParameters: { roleName: "r" } });
    const inWindow = await recentAlerts({ ...h.deps, now: () => new Date() }, 24);
    expect(inWindow.alerts.map((x) => x.eventId)).toEqual([a.eventId]);
    expect(inWindow.counts.open).toBe(1);
    const later = await recentAlerts({ ...h.deps, now: () => new Date(Date.now() + 48 * 3_600_000) }, 24);
    expect(later.alerts).toEqual([]);
  });

  test("recentActions: the newest LOG_LIMIT actions", async () => {
    for (let i = 0; i < LOG_LIMIT + 5; i++) {
      await h.store.recordAction({ at: new Date(NOW.getTime() + i * 1000), actor: `U${String(i).padStart(9, "0")}`, action: "acknowledge", alertEventId: null, requestId: null, result: "ok", detail: {} });
    }
    const actions = await recentActions(h.deps);
    expect(actions).toHaveLength(LOG_LIMIT);
    expect(actions.map((a) => a.actor)).toContain(`U${String(LOG_LIMIT + 4).padStart(9, "0")}`);
    expect(actions.map((a) => a.actor)).not.toContain("U000000000");
  });

  test("principalActivity: a posture IAM will not give is an error with the API, not a throw", async () => {
    const r = await principalActivity(h.deps, "alice", 10);
    expect(r.posture).toBeNull();
    expect(r.error).toMatchObject({ errorName: "Error", message: "this test does not expect an AWS call" });
    expect(r.reportId).toBeNull();
  });

  test("describeAwsError names the permission an access denial lacks", () => {
    const err = Object.assign(new Error("User: arn:aws:sts::1:assumed-role/bot/s is not authorized to perform: iam:GetUser on resource: user alice"), { name: "AccessDenied" });
    expect(describeAwsError("GetUser", err)).toMatchObject({ api: "GetUser", errorName: "AccessDenied", missingPermission: "iam:GetUser" });
  });

  test("without snapshots or many accounts: no snapshot, the own account only", async () => {
    expect(await snapshotNow(h.deps)).toBeNull();
    expect(await watchedAccounts(h.deps)).toEqual({ statuses: [], source: "own", snapshots: null });
  });
});
