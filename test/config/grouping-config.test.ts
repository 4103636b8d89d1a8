import { describe, expect, test } from "vitest";
import { ConfigError, readConfig } from "../../src/config.js";

const base = { SLACK_BOT_TOKEN: "xoxb-x", SLACK_SIGNING_SECRET: "5ec2e7000000000000000000000000aa", ALERT_CHANNEL_ID: "C0123456789" };

describe("CHAIN_WINDOW, DIGEST_THRESHOLD, DIGEST_WINDOW", () => {
  test("defaults: chains within 5 minutes, digests above 10 deletions in 2 minutes", () => {
    expect(readConfig(base).grouping).toEqual({ chainWindowMs: 300_000, digestThreshold: 10, digestWindowMs: 120_000 });
  });

  test("durations take s, m, h or bare seconds; 1000000 turns digests off", () => {
    const c = readConfig({ ...base, CHAIN_WINDOW: "90s", DIGEST_WINDOW: "1h", DIGEST_THRESHOLD: "1000000" });
    expect(c.grouping).toEqual({ chainWindowMs: 90_000, digestThreshold: 1_000_000, digestWindowMs: 3_600_000 });
    expect(readConfig({ ...base, CHAIN_WINDOW: "600" }).grouping.chainWindowMs).toBe(600_000);
  });

  test("a bad value is one line naming the variable", () => {
    for (const [name, value] of [["CHAIN_WINDOW", "5 minutes"], ["DIGEST_WINDOW", "0"], ["DIGEST_THRESHOLD", "ten"]] as const) {
      try {
        readConfig({ ...base, [name]: value });
        expect.unreachable(`${name}=${value} was accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).problems).toHaveLength(1);
        expect((err as ConfigError).problems[0]).toMatch(new RegExp(`^${name} `));
      }
    }
  });
});
