import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { keepLease, LeaseHeldError, SqliteLeadership, type Leadership, type LeaseLostError } from "../../src/lease/index.js";
import { createLogger } from "../../src/log.js";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const open: SqliteLeadership[] = [];

function setup() {
  const path = join(mkdtempSync(join(tmpdir(), "trailwatch-lease-")), "db.sqlite");
  let t = T0;
  const clock = { now: () => new Date(t), advance: (ms: number) => (t += ms) };
  const make = (ownerId: string) => {
    const l = new SqliteLeadership(path, { ttlMs: 30_000, now: clock.now, ownerId });
    open.push(l);
    return l;
  };
  return { path, clock, make };
}

afterEach(async () => {
  for (const l of open.splice(0)) await l.release();
});

describe("SqliteLeadership", () => {
  it("lets one owner hold the lease and tells a second who holds it and since when", async () => {
    const { clock, make } = setup();
    const a = make("host-a:1:aa");
    const b = make("host-b:2:bb");
    expect(await a.acquire()).toEqual({ acquired: true });
    expect(a.isHeld).toBe(true);
    clock.advance(10_000);
    const second = await b.acquire();
    expect(second.acquired).toBe(false);
    if (second.acquired) return;
    expect(second.holder.owner).toBe("host-a:1:aa");
    expect(second.holder.since.toISOString()).toBe("2026-12-01T10:00:00.000Z");
    expect(second.holder.expiresAt.toISOString()).toBe("2026-12-01T10:00:30.000Z");
    expect(b.isHeld).toBe(false);
  });

  it("keeps the lease while it is renewed, and lets another take it over once the heartbeat is older than the expiry", async () => {
    const { clock, make } = setup();
    const a = make("a");
    const b = make("b");
    await a.acquire();
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000);
      expect(await a.renew()).toBe(true);
      expect((await b.acquire()).acquired).toBe(false);
    }
    // a crashes: no renewal. Just before expiry the lease is still a's; at expiry it is free.
    clock.advance(29_999);
    expect((await b.acquire()).acquired).toBe(false);
    clock.advance(1);
    const took = await b.acquire();
    expect(took.acquired).toBe(true);
    expect(took.acquired && took.tookOverFrom?.owner).toBe("a");
    // a wakes up: its renewal fails, so it knows to stop.
    expect(await a.renew()).toBe(false);
    expect(a.isHeld).toBe(false);
    expect(b.holder()?.owner).toBe("b");
    expect(b.holder()?.since.getTime()).toBe(clock.now().getTime());
  });

  it("frees the lease on release, so a successor need not wait for the expiry", async () => {
    const { make } = setup();
    const a = make("a");
    await a.acquire();
    await a.release();
    await a.release(); // twice is harmless
    const b = make("b");
    expect((await b.acquire()).acquired).toBe(true);
  });

  it("re-acquiring its own lease keeps the original start time", async () => {
    const { clock, make } = setup();
    const a = make("a");
    await a.acquire();
    clock.advance(5_000);
    expect(await a.acquire()).toEqual({ acquired: true });
    expect(a.holder()?.since.getTime()).toBe(T0);
    expect(a.holder()?.heartbeatAt.getTime()).toBe(T0 + 5_000);
  });

  it("says in one line what is held, where, by whom, since when and what to do", () => {
    const err = new LeaseHeldError("/data/trailwatch.db", {
      owner: "web-1:42:abc",
      since: new Date(T0),
      heartbeatAt: new Date(T0 + 20_000),
      expiresAt: new Date(T0 + 50_000),
    });
    expect(err.code).toBe("lease-held");
    expect(err.message).not.toContain("\n");
    expect(err.message).toContain("/data/trailwatch.db");
    expect(err.message).toContain("web-1:42:abc");
    expect(err.message).toContain("since 2026-12-01T10:00:00.000Z");
    expect(err.message).toContain("Stop that instance");
    expect(err.message).toContain("2026-12-01T10:00:50.000Z");
  });
});

describe("keepLease", () => {
  const logger = createLogger("silent");

  function fakeLease(renew: () => Promise<boolean>): Leadership {
    return { ownerId: "me", resource: "/db", isHeld: true, acquire: vi.fn(), renew, release: vi.fn() };
  }

  it("renews on every tick and reports a lost lease exactly once", async () => {
    vi.useFakeTimers();
    try {
      const answers = [true, true, false, false];
      const renew = vi.fn(async () => answers.shift() ?? false);
      const lost: LeaseLostError[] = [];
      const keeper = keepLease(fakeLease(renew), { intervalMs: 1000, logger, onLost: (e) => lost.push(e) });
      await vi.advanceTimersByTimeAsync(2000);
      expect(renew).toHaveBeenCalledTimes(2);
      expect(lost).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(5000);
      expect(renew).toHaveBeenCalledTimes(3);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.code).toBe("lease-lost");
      keeper.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("a renewal answered after stop() (a clean release) is not reported as lost", async () => {
    vi.useFakeTimers();
    try {
      let answer: (ok: boolean) => void = () => undefined;
      const renew = vi.fn(() => new Promise<boolean>((r) => (answer = r)));
      const lost: LeaseLostError[] = [];
      const keeper = keepLease(fakeLease(renew), { intervalMs: 1000, logger, onLost: (e) => lost.push(e) });
      await vi.advanceTimersByTimeAsync(1000);
      expect(renew).toHaveBeenCalledTimes(1);
      keeper.stop();
      answer(false);
      await vi.advanceTimersByTimeAsync(5000);
      expect(lost).toHaveLength(0);
      expect(renew).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("treats two renewal errors in a row as lost, since the lease may expire before the next", async () => {
    vi.useFakeTimers();
    try {
      const results: Array<boolean | Error> = [new Error("SQLITE_BUSY"), true, new Error("SQLITE_BUSY"), new Error("SQLITE_FULL")];
      const renew = vi.fn(async () => {
        const r = results.shift() ?? true;
        if (r instanceof Error) throw r;
        return r;
      });
      const lost: LeaseLostError[] = [];
      keepLease(fakeLease(renew), { intervalMs: 1000, logger, onLost: (e) => lost.push(e) });
      await vi.advanceTimersByTimeAsync(3000);
      expect(lost).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1000);
      expect(lost).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("ownerIsGone", () => {
  it("is true only for an owner on this host whose process is gone, or whose pid is ours (a restarted container)", async () => {
    const { hostname } = await import("node:os");
    const { spawnSync } = await import("node:child_process");
    const { ownerIsGone } = await import("../../src/lease/sqlite.js");
    const host = hostname();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    expect(ownerIsGone(`${host}:${dead}:abc123`)).toBe(true);
    expect(ownerIsGone(`${host}:${process.pid}:abc123`)).toBe(true);
    expect(ownerIsGone(`${host}:${process.ppid}:abc123`)).toBe(false);
    expect(ownerIsGone(`not-${host}:${dead}:abc123`)).toBe(false);
    expect(ownerIsGone("garbage")).toBe(false);
  });

  it("lets a lease whose owner is gone be taken over before it expires", async () => {
    const { make } = setup();
    const a = make("a");
    await a.acquire();
    const path = (a as unknown as { resource: string }).resource;
    const b = new SqliteLeadership(path, { ttlMs: 30_000, ownerId: "b", now: () => new Date(T0), ownerIsGone: (o) => o === "a" });
    open.push(b);
    const got = await b.acquire();
    expect(got.acquired && got.tookOverFrom?.owner).toBe("a");
  });
});
