// Poll window and cursor rules, with a scripted LookupEvents source (the wire-level behaviour is covered
// by the integration tests against the fake endpoint).
import type { Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, test } from "vitest";
import type { CloudTrailLookup } from "../src/cloudtrail/lookup.js";
import { createLogger } from "../src/log.js";
import { Poller } from "../src/poller.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { iamRecord } from "./support/records.js";

const NOW = new Date("2026-11-22T12:00:00Z");

function item(eventName: string, minutesAgo: number, eventId: string): Event {
  const rec = iamRecord({ eventId, eventName, eventTime: new Date(NOW.getTime() - minutesAgo * 60_000), requestParameters: { roleName: "r" } });
  return { EventId: eventId, EventName: eventName, EventSource: "iam.amazonaws.com", EventTime: new Date(NOW.getTime() - minutesAgo * 60_000), CloudTrailEvent: JSON.stringify(rec) };
}

/** A LookupEvents source that serves fixed events per name and records the windows asked for. */
function scripted(events: Record<string, Event[]>, failOn?: string) {
  const asked: { name: string; start: Date; end: Date }[] = [];
  const lookup = {
    calls: 0,
    async *pages(_key: string, name: string, start: Date, end: Date) {
      asked.push({ name, start, end });
      lookup.calls++;
      if (name === failOn) throw Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailableException" });
      yield { events: events[name] ?? [] };
    },
  };
  return { lookup: lookup as unknown as CloudTrailLookup, asked };
}

function poller(store: SqliteStore, lookup: CloudTrailLookup, now: () => Date = () => NOW) {
  return new Poller({
    store,
    lookup,
    logger: createLogger("silent"),
    now,
    lookbackMinutes: 20,
    noise: { muteEvents: [], mutePrincipals: [], minSeverity: "low" },
    eventNames: ["DeleteRole", "DeleteUser", "DeleteGroup"],
  });
}

describe("Poller", () => {
  test("a first poll looks back LOOKBACK_MINUTES only and stores new alerts once", async () => {
    const store = new SqliteStore(":memory:");
    const { lookup, asked } = scripted({ DeleteRole: [item("DeleteRole", 3, "e1"), item("DeleteRole", 3, "e1")] });
    const res = await poller(store, lookup).pollOnce();
    expect(asked.map((a) => a.start.toISOString())).toEqual(Array(3).fill("2026-11-22T11:40:00.000Z"));
    expect(res).toMatchObject({ completed: true, newAlerts: 1, eventsSeen: 2 });
    expect((await store.getPollCursor())?.toISOString()).toBe(NOW.toISOString());
  });

  test("after downtime the window starts LOOKBACK_MINUTES before the stored cursor, capped at 90 days", async () => {
    const store = new SqliteStore(":memory:");
    await store.setPollCursor(new Date("2026-11-20T08:00:00Z"));
    const { lookup, asked } = scripted({});
    await poller(store, lookup).pollOnce();
    expect(asked[0]?.start.toISOString()).toBe("2026-11-20T07:40:00.000Z");

    await store.setPollCursor(new Date("2026-01-01T00:00:00Z"));
    const again = scripted({});
    await poller(store, again.lookup).pollOnce();
    const days = (NOW.getTime() - (again.asked[0]?.start.getTime() ?? 0)) / 86_400_000;
    expect(days).toBeLessThan(90);
    expect(days).toBeGreaterThan(89.9);
  });

  test("a failed lookup ends the poll early and keeps the cursor, so the next poll covers the window again", async () => {
    const store = new SqliteStore(":memory:");
    await store.setPollCursor(new Date("2026-11-22T11:50:00Z"));
    const failing = scripted({ DeleteRole: [item("DeleteRole", 5, "e1")] }, "DeleteUser");
    const p = poller(store, failing.lookup);
    const res = await p.pollOnce();
    expect(res).toMatchObject({ completed: false, failedLookups: ["DeleteUser"], newAlerts: 1 });
    expect(failing.asked.map((a) => a.name)).toEqual(["DeleteRole", "DeleteUser"]);
    expect((await store.getPollCursor())?.toISOString()).toBe("2026-11-22T11:50:00.000Z");
    expect(p.lastError).toMatch(/ServiceUnavailable/);
  });

  test("two polls never run at once", async () => {
    const store = new SqliteStore(":memory:");
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      calls: 0,
      async *pages() {
        await gate;
        yield { events: [] };
      },
    } as unknown as CloudTrailLookup;
    const p = poller(store, slow);
    const first = p.pollOnce();
    expect(await p.pollOnce()).toBeNull();
    release();
    expect((await first)?.completed).toBe(true);
  });
});
