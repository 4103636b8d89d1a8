// The account-scoped store: the own account keeps the historical cursor (so an upgraded database goes on
// where it stopped), other accounts get their own, and alerts carry the account they were polled from.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, test } from "vitest";
import type { WatchedAccount } from "../../src/accounts/registry.js";
import { scopedStore } from "../../src/accounts/store.js";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { NewAlert } from "../../src/store/types.js";
import { iamRecord } from "../support/records.js";

function alert(eventId: string): NewAlert {
  const ev = normalizeRecord(iamRecord({ eventId, eventName: "DeleteRole", eventTime: new Date(), requestParameters: { roleName: "r" } }));
  return { eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false };
}

test("a database from before many accounts keeps its cursor for the own account; other accounts start their own", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "tw-scoped-")), "t.db");
  // A cursor and an alert written without any account, as an older trailwatch left them.
  const old = await KyselyStore.openSqlite(path);
  await old.setPollCursor(new Date("2026-11-30T12:00:00Z"));
  await old.insertAlert(alert("legacy"), new Date());
  await old.close();

  const store = await KyselyStore.openSqlite(path);
  const own: WatchedAccount = { scope: "default", id: "123456789012", name: "own account", own: true };
  let payments: WatchedAccount = { scope: "444455556666", id: "444455556666", name: "payments-prod", own: false, roleArn: "arn:aws:iam::444455556666:role/t" };
  const ownView = scopedStore(store, () => own, true);
  const paymentsView = scopedStore(store, () => payments, true);
  expect(await ownView.getPollCursor()).toEqual(new Date("2026-11-30T12:00:00Z"));
  expect(await paymentsView.getPollCursor()).toBeNull();
  await paymentsView.setPollCursor(new Date("2026-12-01T08:00:00Z"));
  expect(await paymentsView.getPollCursor()).toEqual(new Date("2026-12-01T08:00:00Z"));
  expect(await store.getPollCursor()).toEqual(new Date("2026-11-30T12:00:00Z"));

  expect(await paymentsView.insertAlert(alert("p1"), new Date())).toBe(true);
  payments = { ...payments, name: "payments-renamed" };
  expect(await paymentsView.insertAlert(alert("p2"), new Date())).toBe(true);
  expect(await ownView.insertAlert(alert("o1"), new Date())).toBe(true);
  expect(await store.getAlert("legacy")).toMatchObject({ accountId: undefined, accountName: undefined });
  expect(await store.getAlert("p1")).toMatchObject({ accountId: "444455556666", accountName: "payments-prod" });
  expect(await store.getAlert("p2")).toMatchObject({ accountId: "444455556666", accountName: "payments-renamed" });
  expect(await store.getAlert("o1")).toMatchObject({ accountId: "123456789012", accountName: "own account" });
  // Everything else passes through to the store itself.
  expect(await paymentsView.pendingCount()).toBe(4);
  await store.close();
  // The older database is migrated to the same schema version as a new one (the number grows with features).
  const freshPath = join(mkdtempSync(join(tmpdir(), "tw-scoped-")), "fresh.db");
  await (await KyselyStore.openSqlite(freshPath)).close();
  const version = (p: string): unknown => {
    const raw = new Database(p);
    try {
      return raw.pragma("user_version", { simple: true });
    } finally {
      raw.close();
    }
  };
  expect(version(path)).toBe(version(freshPath));
  expect(version(path)).toBeGreaterThanOrEqual(2);
});
