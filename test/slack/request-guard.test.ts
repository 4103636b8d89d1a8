// The replay and re-delivery memory, with an injected clock.
import { describe, expect, test } from "vitest";
import { createLogger } from "../../src/log.js";
import { REPLAY_WINDOW_MS, RequestGuard } from "../../src/slack/request-guard.js";

const headers = (signature: string, timestampSec: number) => ({ "x-slack-signature": signature, "x-slack-request-timestamp": String(timestampSec) });

describe("RequestGuard", () => {
  test("a signature is a replay while Bolt would still accept its timestamp, and not after", () => {
    let t = 1_700_000_000_000;
    const guard = new RequestGuard(createLogger("silent"), () => t);
    const h = headers("v0=aa", t / 1000);
    expect(guard.seenSignature(h)).toBe(false);
    t += REPLAY_WINDOW_MS - 1000;
    expect(guard.seenSignature(h)).toBe(true);
    expect(guard.seenSignature(headers("v0=bb", t / 1000))).toBe(false);
    t += 2000 + REPLAY_WINDOW_MS;
    // By now Bolt refuses the stale timestamp itself; the memory may forget it.
    expect(guard.seenSignature(h)).toBe(false);
  });

  test("a timestamp ahead of our clock is remembered until it goes stale", () => {
    let t = 1_700_000_000_000;
    const guard = new RequestGuard(createLogger("silent"), () => t);
    const h = headers("v0=future", t / 1000 + 3600);
    expect(guard.seenSignature(h)).toBe(false);
    t += 30 * 60_000;
    expect(guard.seenSignature(h)).toBe(true);
  });

  test("an event id is taken in once", () => {
    const guard = new RequestGuard(createLogger("silent"));
    expect(guard.seenEvent("Ev1")).toBe(false);
    expect(guard.seenEvent("Ev1")).toBe(true);
    expect(guard.seenEvent("Ev2")).toBe(false);
  });

  test("requests without a signature are never called replays", () => {
    const guard = new RequestGuard(createLogger("silent"));
    expect(guard.seenSignature({})).toBe(false);
    expect(guard.seenSignature({})).toBe(false);
  });
});
