// The leader's sweep for executions left by a replica that is gone: only requests whose executing instance is
// dead are settled (an old build's unowned request only after the grace), only while leading, at the lead's
// start and then on the interval, and never two sweeps at once.
import { describe, expect, test } from "vitest";
import { createLogger } from "../../src/log.js";
import { OrphanedExecutions, UNOWNED_GRACE_MS } from "../../src/recovery/orphaned-executions.js";
import type { RemediationRequestRecord } from "../../src/store/types.js";
import { storedPlan } from "../support/stored.js";

const logger = createLogger("silent");
const NOW = new Date("2026-12-01T12:00:00Z");

function req(id: string, executedBy: string | undefined, decidedAgoMs = 1000): RemediationRequestRecord {
  return {
    id,
    alertEventId: null,
    findingId: null,
    remediationId: "readd-user-to-group",
    params: {},
    plan: storedPlan({ remediationId: "readd-user-to-group", params: {} }),
    requestedBy: "U1",
    requestedAt: new Date(NOW.getTime() - decidedAgoMs - 1000),
    expiresAt: new Date(NOW.getTime() + 3_600_000),
    state: "executing",
    decidedBy: "U2",
    decidedAt: new Date(NOW.getTime() - decidedAgoMs),
    ...(executedBy === undefined ? {} : { executedBy }),
  };
}

function setup(requests: RemediationRequestRecord[], alive: Set<string>, opts: { leader?: () => boolean } = {}) {
  const settled: string[][] = [];
  const asked: string[] = [];
  let tick: (() => void) | undefined;
  const sweeper = new OrphanedExecutions({
    store: { listExecutingRemediationRequests: () => Promise.resolve(requests) },
    liveness: {
      isAlive: (owner) => {
        asked.push(owner);
        return Promise.resolve(alive.has(owner));
      },
    },
    settle: (reqs) => {
      settled.push(reqs.map((r) => r.id));
      return Promise.resolve({ succeeded: reqs.length });
    },
    isLeader: opts.leader ?? (() => true),
    logger,
    now: () => NOW,
    intervalMs: 60_000,
    setInterval: (fn) => {
      tick = fn;
      return 1;
    },
    clearInterval: () => {
      tick = undefined;
    },
  });
  return { sweeper, settled, asked, tick: () => tick?.() };
}

describe("OrphanedExecutions", () => {
  test("settles only the executions of dead instances, asking once per instance", async () => {
    const reqs = [req("r1", "dead:1:aa"), req("r2", "live:2:bb"), req("r3", "dead:1:aa"), req("r4", "gone:3:cc")];
    const { sweeper, settled, asked } = setup(reqs, new Set(["live:2:bb"]));
    const r = await sweeper.sweep();
    expect(settled).toEqual([["r1", "r3", "r4"]]);
    expect(r).toEqual({ executing: 4, orphaned: 3, counts: { succeeded: 3 } });
    expect(asked.sort()).toEqual(["dead:1:aa", "gone:3:cc", "live:2:bb"]);
  });

  test("a live instance's execution is never settled", async () => {
    const { sweeper, settled } = setup([req("r1", "live:2:bb")], new Set(["live:2:bb"]));
    expect(await sweeper.sweep()).toEqual({ executing: 1, orphaned: 0, counts: {} });
    expect(settled).toEqual([]);
  });

  test("a request claimed by an older build (no owner) waits out the grace", async () => {
    const { sweeper, settled } = setup([req("young", undefined, UNOWNED_GRACE_MS - 1), req("old", undefined, UNOWNED_GRACE_MS)], new Set());
    await sweeper.sweep();
    expect(settled).toEqual([["old"]]);
  });

  test("a standby neither lists nor settles", async () => {
    const { sweeper, settled, asked } = setup([req("r1", "dead:1:aa")], new Set(), { leader: () => false });
    expect(await sweeper.sweep()).toEqual({ executing: 0, orphaned: 0, counts: {} });
    expect(settled).toEqual([]);
    expect(asked).toEqual([]);
  });

  test("sweeps at once on start, then on each interval, never two at once, and not after stop", async () => {
    const { sweeper, settled, tick } = setup([req("r1", "dead:1:aa")], new Set());
    sweeper.start();
    const flush = () => new Promise((r) => setImmediate(r));
    await flush();
    expect(settled).toEqual([["r1"]]);
    tick();
    await flush();
    expect(settled).toEqual([["r1"], ["r1"]]);
    await sweeper.stop();
    tick();
    await flush();
    expect(settled).toHaveLength(2);
  });

  test("a tick while a sweep is still settling does not start another", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const calls: number[] = [];
    let tick: () => void = () => undefined;
    const sweeper = new OrphanedExecutions({
      store: { listExecutingRemediationRequests: () => Promise.resolve([req("r1", "dead:1:aa")]) },
      liveness: { isAlive: () => Promise.resolve(false) },
      settle: async () => {
        calls.push(calls.length);
        await gate;
        return {};
      },
      isLeader: () => true,
      logger,
      now: () => NOW,
      intervalMs: 60_000,
      setInterval: (fn) => {
        tick = fn;
        return 1;
      },
      clearInterval: () => undefined,
    });
    sweeper.start();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([0]);
    tick();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([0]);
    release();
    await sweeper.stop();
  });
});
