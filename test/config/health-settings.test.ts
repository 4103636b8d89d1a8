// LOOKUP_RATE and NOTICE_CHANNEL_ID (issue 8): defaults, and one line naming the variable when wrong.
import { describe, expect, test } from "vitest";
import { readConfig } from "../../src/config.js";
import { configProblems, VALID_ENV } from "../support/config.js";
import { pollIntervalMs } from "../../src/main.js";

const valid = VALID_ENV;
const problems = configProblems;

describe("LOOKUP_RATE", () => {
  test("defaults to 1.5 calls per second, below CloudTrail's 2", () => {
    expect(readConfig(valid).lookupRate).toBe(1.5);
    expect(readConfig({ ...valid, LOOKUP_RATE: "0.5" }).lookupRate).toBe(0.5);
  });

  test.each(["2", "1.9", "0", "fast", "-1"])("%s is refused with one line naming the variable", (v) => {
    const p = problems({ ...valid, LOOKUP_RATE: v });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^LOOKUP_RATE must be a number of calls per second from 0.1 to 1.8/);
  });
});

describe("NOTICE_CHANNEL_ID", () => {
  test("defaults to the alert channel; must be a channel id", () => {
    expect(readConfig(valid).noticeChannelId).toBe("C0123ABCD");
    expect(readConfig({ ...valid, NOTICE_CHANNEL_ID: "C0OPS0001" }).noticeChannelId).toBe("C0OPS0001");
    expect(problems({ ...valid, NOTICE_CHANNEL_ID: "#ops" })[0]).toMatch(/^NOTICE_CHANNEL_ID /);
  });
});

describe("poll interval from POLL_SCHEDULE", () => {
  test("the longest gap between runs", () => {
    expect(pollIntervalMs("* * * * *")).toBe(60_000);
    expect(pollIntervalMs("*/2 * * * * *")).toBe(2000);
    expect(pollIntervalMs("*/5 * * * *")).toBe(300_000);
  });
});
