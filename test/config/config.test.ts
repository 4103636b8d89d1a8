import { describe, expect, test } from "vitest";
import { readConfig } from "../../src/config.js";
import { configProblems, VALID_ENV } from "../support/config.js";

const valid = VALID_ENV;
const problems = configProblems;

describe("readConfig", () => {
  test("defaults match the documented ones", () => {
    const c = readConfig(valid);
    expect(c.port).toBe(3000);
    expect(c.pollSchedule).toBe("* * * * *");
    expect(c.lookbackMinutes).toBe(20);
    expect(c.databaseUrl).toBe("sqlite:./data/trailwatch.db");
    expect(c.sqlitePath).toBe("./data/trailwatch.db");
    expect(c.logLevel).toBe("info");
    expect(c.aws.cloudTrailRegion).toBe("us-east-1");
    expect(c.remediationExpiryHours).toBe(24);
    expect(c.verifyRetryDelaysMs).toEqual([1000, 3000]);
    expect(c.passwordPolicy.minimumPasswordLength).toBe(14);
    expect(c.passwordPolicy.passwordReusePrevention).toBe(24);
    expect(c.passwordPolicy.maxPasswordAgeDays).toBe(90);
  });

  test("REMEDIATION_VERIFY_DELAYS_MS: comma-separated waits, refused by name when malformed or too long", () => {
    expect(readConfig({ ...valid, REMEDIATION_VERIFY_DELAYS_MS: "200, 500,0" }).verifyRetryDelaysMs).toEqual([200, 500, 0]);
    for (const bad of ["1s", "1000;3000", "40000", "1,2,3,4,5,6", "1000,"]) {
      expect(problems({ ...valid, REMEDIATION_VERIFY_DELAYS_MS: bad })).toEqual([
        "REMEDIATION_VERIFY_DELAYS_MS must be 1 to 5 comma-separated waits in milliseconds, each at most 30000 (for example 1000,3000)",
      ]);
    }
  });

  test("a 6-field cron expression with seconds is accepted", () => {
    expect(readConfig({ ...valid, POLL_SCHEDULE: "*/30 * * * * *" }).pollSchedule).toBe("*/30 * * * * *");
  });

  test("each missing required variable is named", () => {
    expect(problems({})).toEqual([
      "SLACK_BOT_TOKEN is required (value not shown)",
      "ALERT_CHANNEL_ID is required",
      "SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN to use Socket Mode)",
    ]);
  });

  test("Socket Mode needs no signing secret", () => {
    const c = readConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1-abc", ALERT_CHANNEL_ID: "C1234" });
    expect(c.slack.appToken).toBe("xapp-1-abc");
  });

  test("invalid values are named with what is wrong, and secrets are never echoed", () => {
    const p = problems({
      SLACK_BOT_TOKEN: "xoxp-user-token-SECRET",
      SLACK_APP_TOKEN: "wrong-SECRET",
      ALERT_CHANNEL_ID: "#general",
      PORT: "http",
      LOOKBACK_MINUTES: "0",
      POLL_SCHEDULE: "every minute",
      LOG_LEVEL: "loud",
      RESPONDERS: "U123,bob",
      MUTE_EVENTS: "DeleteBucket",
      MIN_SEVERITY: "urgent",
      DATABASE_URL: "postgres://x",
    });
    const text = p.join("\n");
    expect(text).not.toContain("SECRET");
    for (const v of ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "ALERT_CHANNEL_ID", "PORT", "LOOKBACK_MINUTES", "POLL_SCHEDULE", "LOG_LEVEL", "RESPONDERS", "MUTE_EVENTS", "MIN_SEVERITY", "DATABASE_URL"]) {
      expect(p.some((line) => line.startsWith(`${v} `)), v).toBe(true);
    }
    expect(text).toContain("RESPONDERS must be a comma-separated list");
    expect(text).toContain("bob");
  });

  test("SLACK_API_URL is normalised to end with exactly one slash", () => {
    expect(readConfig({ ...valid, SLACK_API_URL: "http://127.0.0.1:8888/api" }).slack.apiUrl).toBe("http://127.0.0.1:8888/api/");
    expect(readConfig({ ...valid, SLACK_API_URL: "https://slack-gov.com/api/" }).slack.apiUrl).toBe("https://slack-gov.com/api/");
  });

  test("responders, approvers and noise settings are parsed", () => {
    const c = readConfig({ ...valid, RESPONDERS: "U01, S02", APPROVERS: "W03", MUTE_EVENTS: "DeleteAccessKey", MUTE_PRINCIPALS: "arn:aws:iam::*:role/terraform-*", MIN_SEVERITY: "medium" });
    expect(c.responders).toEqual(["U01", "S02"]);
    expect(c.approvers).toEqual(["W03"]);
    expect(c.noise).toEqual({ muteEvents: ["DeleteAccessKey"], mutePrincipals: ["arn:aws:iam::*:role/terraform-*"], minSeverity: "medium" });
  });

  test("a placeholder or malformed signing secret is refused by name, without echoing it", () => {
    for (const bad of ["your-signing-secret", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0", " xoxb-SECRET-1 "]) {
      const p = problems({ ...valid, SLACK_SIGNING_SECRET: bad });
      expect(p, bad).toHaveLength(1);
      expect(p[0], bad).toMatch(/^SLACK_SIGNING_SECRET must be the app's signing secret, 32 lowercase hexadecimal characters/);
      expect(p[0], bad).toContain("(value not shown)");
      expect(p[0], bad).not.toContain(bad.trim());
    }
    // Refused in Socket Mode too: a bad setting is a bad setting, even where it is not used.
    expect(problems({ ...valid, SLACK_APP_TOKEN: "xapp-1-abc", SLACK_SIGNING_SECRET: "your-signing-secret" })[0]).toMatch(/^SLACK_SIGNING_SECRET /);
    expect(readConfig({ ...valid, SLACK_SIGNING_SECRET: "  0123456789abcdef0123456789abcdef " }).slack.signingSecret).toBe("0123456789abcdef0123456789abcdef");
  });
});

describe("DATABASE_URL: PostgreSQL (issue 12)", () => {
  test("a postgres:// URL selects PostgreSQL; a URL with a password is refused without printing it", () => {
    const c = readConfig({ ...valid, DATABASE_URL: "postgres://tw:pw@db.internal:5432/trailwatch?sslmode=require" });
    expect(c.postgresUrl).toBe("postgres://tw:pw@db.internal:5432/trailwatch?sslmode=require");
    expect(readConfig({ ...valid, DATABASE_URL: "postgresql://db/tw" }).postgresUrl).toBe("postgresql://db/tw");
    expect(readConfig(valid).postgresUrl).toBeUndefined();
    const p = problems({ ...valid, DATABASE_URL: "postgres://tw:SECRETpw@db.internal:5432" });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^DATABASE_URL must be a sqlite: URL .* or a postgres:\/\/user:pass@host:port\/db URL/);
    expect(p[0]).not.toContain("SECRET");
  });

  test("other schemes are still refused", () => {
    for (const url of ["mysql://u@h/db", "http://h/db", "trailwatch.db"]) {
      expect(problems({ ...valid, DATABASE_URL: url }).map((l) => l.split(" ")[0])).toEqual(["DATABASE_URL"]);
    }
  });
});
