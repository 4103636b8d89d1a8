// Poll strategy, windows and cursors, with a scripted LookupEvents source (the wire-level behaviour is covered
// by the integration tests against the fake endpoint). The scripted source pages like LookupEvents (newest
// first, N per page), answers one attribute, and stamps AWS's time the way a Date header would.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, test } from "vitest";
import { AwsClock } from "../src/cloudtrail/aws-clock.js";
import type { CloudTrailLookup } from "../src/cloudtrail/lookup.js";
import { createLogger } from "../src/log.js";
import { MAX_LOOKBACK_MS, Poller, type CoverageNotice, type PollResult } from "../src/poller.js";
import { KyselyStore } from "../src/store/kysely.js";
import { iamRecord } from "./support/records.js";

const NOW = new Date("2026-11-22T12:00:00Z");
const NAMES = ["DeleteRole", "DeleteUser", "DeleteGroup"] as const;

function item(eventName: string, minutesAgo: number, eventId: string, eventSource = "iam.amazonaws.com"): Event {
  const t = new Date(NOW.getTime() - minutesAgo * 60_000);
  const rec = iamRecord({ eventId, eventName, eventTime: t, eventSource, requestParameters: { roleName: "r" } });
  return { EventId: eventId, EventName: eventName, EventSource: eventSource, EventTime: t, CloudTrailEvent: JSON.stringify(rec) };
}

interface Asked {
  key: string;
  value: string;
  start: Date;
  end: Date;
}

/**
 * A LookupEvents source over a fixed list of events. `awsOffsetMs` is how far AWS's clock is from the host's;
 * every call "answers" with AWS's time. `fail` makes lookups of one attribute value throw.
 */
function scripted(events: Event[], o: { pageSize?: number; awsOffsetMs?: number; fail?: (value: string) => Error | null; hostNow?: () => Date } = {}) {
  const asked: Asked[] = [];
  const hostNow = o.hostNow ?? (() => NOW);
  const clock = new AwsClock(hostNow);
  const pageSize = o.pageSize ?? 50;
  const lookup = {
    calls: 0,
    clock,
    async *pages(key: string, value: string, start: Date, end: Date) {
      asked.push({ key, value, start, end });
      const matching = events
        .filter((e) => (key === "EventSource" ? e.EventSource === value : e.EventName === value))
        .filter((e) => (e.EventTime as Date) >= start && (e.EventTime as Date) <= end)
        .sort((a, b) => (b.EventTime as Date).getTime() - (a.EventTime as Date).getTime());
      for (let i = 0; ; i += pageSize) {
        lookup.calls++;
        clock.observe(new Date(hostNow().getTime() + (o.awsOffsetMs ?? 0)).toUTCString());
        const err = o.fail?.(value);
        if (err) throw err;
        const page = matching.slice(i, i + pageSize);
        const hasMore = i + pageSize < matching.length;
        yield { events: page, hasMore };
        if (!hasMore) return;
      }
    },
  };
  return { lookup: lookup as unknown as CloudTrailLookup, asked };
}

function poller(store: KyselyStore, lookup: CloudTrailLookup, extra: { coverage?: CoverageNotice[]; results?: PollResult[]; scope?: string } = {}) {
  return new Poller({
    store,
    lookup,
    logger: createLogger("silent"),
    now: () => NOW,
    lookbackMinutes: 20,
    noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" },
    eventNames: NAMES,
    ...(extra.scope ? { scope: extra.scope } : {}),
    onCoverage: (n) => void extra.coverage?.push(n),
    onPollFinished: (r) => void extra.results?.push(r),
  });
}

const denied = () => Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/tw/x is not authorized to perform: cloudtrail:LookupEvents with an explicit deny"), { name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
const unavailable = () => Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailableException", $metadata: { httpStatusCode: 503 } });

describe("good-neighbour strategy", () => {
  test("an idle poll costs one call: EventSource=iam.amazonaws.com", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const { lookup, asked } = scripted([]);
    const res = await poller(store, lookup).pollOnce();
    expect(res).toMatchObject({ completed: true, lookupCalls: 1, strategy: "eventsource" });
    expect(asked).toEqual([expect.objectContaining({ key: "EventSource", value: "iam.amazonaws.com" })]);
  });

  test("deletions among read-only IAM events are alerted from the EventSource pages; other services' deletions are not", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const events = [item("GetRole", 1, "r1"), item("DeleteRole", 3, "e1"), item("ListUsers", 4, "r2"), item("DeleteUser", 5, "e2", "transfer.amazonaws.com")];
    const { lookup } = scripted(events);
    const res = await poller(store, lookup).pollOnce();
    expect(res).toMatchObject({ completed: true, newAlerts: 1, lookupCalls: 1 });
    expect(await store.getAlert("e1")).not.toBeNull();
    expect(await store.getAlert("e2")).toBeNull();
  });

  test("a window with more IAM events than per-name lookups cost stops paging and looks each name up for the rest", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    // 3 names => budget of 3 pages of 2; 10 read-only events in the last 10 minutes push the deletion out of reach.
    const noise = Array.from({ length: 10 }, (_, i) => item("GetRole", i + 0.5, `n${i}`));
    const old = item("DeleteGroup", 15, "deep");
    const { lookup, asked } = scripted([...noise, old], { pageSize: 2 });
    const p = poller(store, lookup);
    const res = await p.pollOnce();
    expect(res).toMatchObject({ completed: true, strategy: "per-name", newAlerts: 1 });
    expect(asked.filter((a) => a.key === "EventSource")).toHaveLength(1); // one paged lookup
    expect(asked.filter((a) => a.key === "EventName").map((a) => a.value)).toEqual([...NAMES]);
    // Per-name lookups only cover what the EventSource pages did not reach.
    const perName = asked.find((a) => a.key === "EventName");
    expect(perName?.end.getTime()).toBeLessThan(NOW.getTime());
    // The first page covered 1.5 of 20 minutes: the window needs more pages than the 3 per-name calls cost.
    expect(res?.lookupCalls).toBe(1 + 3);
    // The next polls go per name straight away (the account is busy).
    const next = await p.pollOnce();
    expect(next).toMatchObject({ strategy: "per-name", lookupCalls: 3, completed: true });
  });
});

describe("windows and cursors", () => {
  test("a first poll looks back LOOKBACK_MINUTES only, stores new alerts once and says from when it watches", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const coverage: CoverageNotice[] = [];
    const { lookup, asked } = scripted([item("DeleteRole", 3, "e1")]);
    const res = await poller(store, lookup, { coverage }).pollOnce();
    expect(asked[0]?.start.toISOString()).toBe("2026-11-22T11:40:00.000Z");
    expect(res).toMatchObject({ completed: true, newAlerts: 1 });
    expect(coverage).toEqual([{ scope: "default", kind: "first-start", watchingFrom: new Date("2026-11-22T11:40:00.000Z") }]);
    const cursors = await store.getLookupCursors("default");
    expect([...cursors.keys()].sort()).toEqual([...NAMES].sort());
    // A second poll is not a first start.
    await poller(store, scripted([]).lookup, { coverage }).pollOnce();
    expect(coverage).toHaveLength(1);
  });

  test("after downtime the window starts LOOKBACK_MINUTES before the cursor; beyond 90 days the lost range is reported", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    await store.setPollCursor(new Date("2026-11-20T08:00:00Z")); // a database from before per-name cursors
    const { lookup, asked } = scripted([]);
    await poller(store, lookup).pollOnce();
    expect(asked[0]?.start.toISOString()).toBe("2026-11-20T07:40:00.000Z");

    const old = new Date("2026-01-01T00:00:00Z");
    await store.setLookupCursors("default", new Map(NAMES.map((n) => [n, old])));
    const coverage: CoverageNotice[] = [];
    const again = scripted([]);
    await poller(store, again.lookup, { coverage }).pollOnce();
    const start = again.asked[0]?.start.getTime() ?? 0;
    expect(start).toBe(NOW.getTime() - MAX_LOOKBACK_MS);
    expect(coverage).toEqual([{ scope: "default", kind: "gap", from: new Date(old.getTime() - 20 * 60_000), to: new Date(start) }]);
  });

  test("a denied EventSource lookup fails the poll, keeps every cursor and says what is missing", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const cursor = new Date("2026-11-22T11:50:00Z");
    await store.setLookupCursors("default", new Map(NAMES.map((n) => [n, cursor])));
    const { lookup } = scripted([], { fail: () => denied() });
    const p = poller(store, lookup);
    const res = await p.pollOnce();
    expect(res).toMatchObject({ completed: false, failure: { kind: "denied", missingPermission: "cloudtrail:LookupEvents" } });
    expect([...(await store.getLookupCursors("default")).values()].map((d) => d.toISOString())).toEqual(Array(3).fill(cursor.toISOString()));
    expect(p.lastError).toMatch(/AccessDenied/);
  });

  test("per name, one failing name keeps its cursor while the others advance", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const cursor = new Date("2026-11-22T11:50:00Z");
    await store.setLookupCursors("default", new Map(NAMES.map((n) => [n, cursor])));
    const noise = Array.from({ length: 10 }, (_, i) => item("GetRole", i + 0.5, `n${i}`));
    const err = Object.assign(new Error("bad token"), { name: "InvalidNextTokenException", $metadata: { httpStatusCode: 400 } });
    const { lookup, asked } = scripted([...noise, item("DeleteGroup", 15, "g1")], { pageSize: 2, fail: (v) => (v === "DeleteUser" ? err : null) });
    const res = await poller(store, lookup).pollOnce();
    expect(res).toMatchObject({ completed: false, failedLookups: ["DeleteUser"], newAlerts: 1 });
    // DeleteGroup, after the failing name, was still looked up.
    expect(asked.filter((a) => a.key === "EventName").map((a) => a.value)).toEqual([...NAMES]);
    const cursors = await store.getLookupCursors("default");
    expect(cursors.get("DeleteUser")?.toISOString()).toBe(cursor.toISOString());
    expect(cursors.get("DeleteRole")?.toISOString()).toBe(NOW.toISOString());
    expect(cursors.get("DeleteGroup")?.toISOString()).toBe(NOW.toISOString());
  });

  test("an outage stops the per-name lookups (the rest would fail alike) and keeps their cursors", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const noise = Array.from({ length: 10 }, (_, i) => item("GetRole", i + 0.5, `n${i}`));
    const { lookup, asked } = scripted(noise, { pageSize: 2, fail: (v) => (v === "DeleteRole" ? unavailable() : null) });
    const res = await poller(store, lookup).pollOnce();
    expect(res).toMatchObject({ completed: false, failure: { kind: "transient" } });
    expect(asked.filter((a) => a.key === "EventName").map((a) => a.value)).toEqual(["DeleteRole"]);
  });

  test("cursors are kept per account scope", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    await poller(store, scripted([]).lookup, { scope: "111122223333" }).pollOnce();
    expect((await store.getLookupCursors("111122223333")).size).toBe(3);
    expect((await store.getLookupCursors("default")).size).toBe(0);
  });
});

describe("AWS clock", () => {
  for (const [label, offset] of [
    ["30 minutes fast", -30 * 60_000],
    ["30 minutes slow", 30 * 60_000],
  ] as const) {
    test(`a host clock ${label}: the window is recomputed in AWS time and the deletion is found`, async () => {
      const store = await KyselyStore.openSqlite(":memory:");
      // The event happened 2 minutes ago in AWS time.
      const awsNow = NOW.getTime() + offset;
      const t = new Date(awsNow - 2 * 60_000);
      const ev: Event = { ...item("DeleteRole", 0, "skewed"), EventTime: t, CloudTrailEvent: JSON.stringify(iamRecord({ eventId: "skewed", eventName: "DeleteRole", eventTime: t })) };
      const { lookup, asked } = scripted([ev], { awsOffsetMs: offset });
      const res = await poller(store, lookup).pollOnce();
      expect(res).toMatchObject({ completed: true, newAlerts: 1 });
      expect(Math.abs((res?.clockSkewMs ?? 0) - offset)).toBeLessThan(1000);
      const last = asked[asked.length - 1];
      expect(Math.abs((last?.end.getTime() ?? 0) - awsNow)).toBeLessThan(1000);
      // Cursors are in AWS time too.
      const cursor = (await store.getLookupCursors("default")).get("DeleteRole");
      expect(Math.abs((cursor?.getTime() ?? 0) - awsNow)).toBeLessThan(1000);
    });
  }
});

describe("never two polls", () => {
  test("two polls never run at once", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      calls: 0,
      clock: new AwsClock(() => NOW),
      async *pages() {
        await gate;
        yield { events: [], hasMore: false };
      },
    } as unknown as CloudTrailLookup;
    const p = poller(store, slow);
    const first = p.pollOnce();
    expect(await p.pollOnce()).toBeNull();
    release();
    expect((await first)?.completed).toBe(true);
  });
});
