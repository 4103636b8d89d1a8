// Never blind, never silent: the real process against the fakes. LookupEvents denied, the alert channel
// unusable, AWS's clock 30 minutes away from the host's, and no AWS credentials at all. Everything is
// waited for as an event (a condition polled until a generous deadline), never timed.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { runApp } from "../support/app-process.js";
import { ALERT_CHANNEL, alertEventIds, NOTICE_CHANNEL, startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/ports.js";
import { iamRecord } from "../support/records.js";
import { allText } from "../support/slack-helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DENY =
  "User: arn:aws:sts::123456789012:assumed-role/trailwatch/i-0abc is not authorized to perform: cloudtrail:LookupEvents with an explicit deny in an identity-based policy";
/** A caller relayed by a proxy: what anyone on a public port would get. */
const PUBLIC = { headers: { "x-forwarded-for": "198.51.100.7" } };

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const textOf = allText;
const noticesMatching = (hh: Harness, channel: string, re: RegExp) => hh.slack.messages(channel).filter((m) => re.test(textOf(m)));

describe("LookupEvents denied", () => {
  test("/healthz turns 503 with codes only, a notice names LookupEvents, and after the deny every deletion made meanwhile is alerted", async () => {
    h = await startHarness();
    const hh = h;
    const app = await hh.start({ APPROVERS: "UAPPROVER1" });
    await app.waitForLog((l) => l.msg === "poll finished" && l.completed === true);

    hh.cloudtrail.setDeny(DENY);
    const blind = await until("healthz 503", async () => {
      const res = await fetch(`${app.url}/healthz`, PUBLIC);
      return res.status === 503 ? res.text() : undefined;
    });
    // No ARN, account id or error text on a port that may be public.
    expect(blind).toBe('{"status":"degraded","problems":["cloudtrail_blind"]}');
    // Liveness does not fail: restarting would not fix a deny.
    expect((await fetch(`${app.url}/livez`)).status).toBe(200);
    // Loopback callers get the details.
    const details = (await (await fetch(`${app.url}/healthz`)).json()) as { health: { problems: { failure?: { missingPermission?: string } }[] } };
    expect(details.health.problems[0]?.failure?.missingPermission).toBe("cloudtrail:LookupEvents");

    const notice = await until("blind notice", () => noticesMatching(hh, NOTICE_CHANNEL, /cannot see CloudTrail/)[0]);
    expect(textOf(notice)).toContain("LookupEvents");
    expect(textOf(notice)).toContain("cloudtrail:LookupEvents");
    expect(textOf(notice)).toMatch(/How to fix/);

    // Deletions made while the bot is blind.
    const blindIds = [
      hh.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() - 1000), requestParameters: { roleName: "audit" } })).EventId,
      hh.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: new Date(), requestParameters: { userName: "bob" } })).EventId,
    ];
    // More denied polls go by: still one notice for the episode.
    const polls = app.logs.filter((l) => l.msg === "poll finished").length;
    await app.waitForLog(() => app.logs.filter((l) => l.msg === "poll finished").length >= polls + 3);
    expect(noticesMatching(hh, NOTICE_CHANNEL, /cannot see CloudTrail/)).toHaveLength(1);
    expect(alertEventIds(hh)).toEqual([]);

    hh.cloudtrail.setDeny(null);
    await until("healthz 200", async () => (await fetch(`${app.url}/healthz`, PUBLIC)).status === 200);
    const recovery = await until("recovery notice", () => noticesMatching(hh, NOTICE_CHANNEL, /can see CloudTrail again/)[0]);
    expect(textOf(recovery)).toMatch(/2 deletions/);
    await hh.slack.waitFor(() => alertEventIds(hh).length === 2, 30_000, "deletions made while blind");
    expect(alertEventIds(hh).sort()).toEqual([...blindIds].sort());
    expect(hh.cloudtrail.throttledCount).toBe(0);
  });
});

describe("alert channel unusable", () => {
  test("not_in_channel: health degraded, the approvers are DMed; once the bot is invited the alert goes out", async () => {
    h = await startHarness();
    const hh = h;
    hh.slack.setUsergroup("SAPPROVERS", ["UAPPROVER2"]);
    // Notices go to the alert channel (the default): the very channel that fails.
    const app = await hh.start({ NOTICE_CHANNEL_ID: undefined, APPROVERS: "UAPPROVER1,SAPPROVERS" });
    await app.waitForLog((l) => l.msg === "poll finished" && l.completed === true);
    hh.slack.setChannelError(ALERT_CHANNEL, "not_in_channel");
    const ev = hh.cloudtrail.addEvent(iamRecord({ eventName: "DeleteGroup", eventTime: new Date(), requestParameters: { groupName: "admins" } }));

    const body = await until("healthz 503", async () => {
      const res = await fetch(`${app.url}/healthz`, PUBLIC);
      return res.status === 503 ? res.text() : undefined;
    });
    expect(body).toBe('{"status":"degraded","problems":["slack_unusable"]}');
    for (const user of ["UAPPROVER1", "UAPPROVER2"]) {
      const dm = await until(`DM to ${user}`, () => noticesMatching(hh, user, /cannot post alerts/)[0]);
      expect(textOf(dm)).toContain("not_in_channel");
      expect(textOf(dm)).toContain("/invite @trailwatch");
    }
    // Their App Home shows the problem too.
    const home = await until("App Home with the problem", () =>
      hh.slack.views.find((v) => v.createdBy === "views.publish" && v.userId === "UAPPROVER1" && JSON.stringify(v).includes("Cannot post to")),
    );
    expect(JSON.stringify(home)).toContain("not_in_channel");

    hh.slack.setChannelError(ALERT_CHANNEL, null);
    await hh.slack.waitFor((s) => s.messages(ALERT_CHANNEL).find((m) => m.metadata?.event_type === "trailwatch_alert"), 90_000, "alert after the invite");
    expect(alertEventIds(hh).filter((id) => id !== "undefined")).toEqual([ev.EventId]);
    await until("healthz 200", async () => (await fetch(`${app.url}/healthz`, PUBLIC)).status === 200);
    await until("recovery notice", () => noticesMatching(hh, ALERT_CHANNEL, /can post to/)[0]);
  }, 150_000);
});

describe("clock skew", () => {
  for (const [label, offset] of [
    ["30 minutes fast", -30 * 60_000],
    ["30 minutes slow", 30 * 60_000],
  ] as const) {
    test(`a host clock ${label} against AWS: the deletion is alerted and a notice names the skew`, async () => {
      h = await startHarness({ cloudtrail: { clockOffsetMs: offset } });
      const hh = h;
      // Happened a minute ago, in AWS's time.
      const ev = hh.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() + offset - 60_000), requestParameters: { roleName: "skew" } }));
      const app = await hh.start();
      // Top-level alerts only: each alert's details reply sits in its thread.
      await hh.slack.waitFor(() => alertEventIds(hh).length === 1, 30_000, "alert");
      expect(alertEventIds(hh)).toEqual([ev.EventId]);
      const notice = await until("skew notice", () => noticesMatching(hh, NOTICE_CHANNEL, /clock skew/)[0]);
      expect(textOf(notice)).toMatch(/30 min/);
      expect(textOf(notice)).toContain(offset < 0 ? "ahead of" : "behind");
      // A later deletion is alerted too (windows in AWS time, every poll).
      const later = hh.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: new Date(Date.now() + offset), requestParameters: { userName: "late" } }));
      await hh.slack.waitFor(() => alertEventIds(hh).length === 2, 30_000, "second alert");
      expect(alertEventIds(hh)).toContain(later.EventId);
      // Compensated: not a reason for /healthz to fail.
      expect((await fetch(`${app.url}/healthz`, PUBLIC)).status).toBe(200);
      expect(hh.cloudtrail.throttledCount).toBe(0);
    });
  }
});

describe("no AWS credentials", () => {
  test("the notice and the log say credentials are missing, not that AWS denied", async () => {
    h = await startHarness();
    const hh = h;
    const home = mkdtempSync(join(tmpdir(), "tw-home-"));
    const app = runApp(
      hh.env({
        PORT: String(await freePort()),
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        HOME: home,
        AWS_CONFIG_FILE: join(home, "none-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "none-credentials"),
      }),
    );
    try {
      await app.waitForLog((l) => l.msg.startsWith("no AWS credentials found"), 30_000);
      const notice = await until("credentials notice", () => noticesMatching(hh, NOTICE_CHANNEL, /cannot see CloudTrail/)[0]);
      expect(textOf(notice)).toMatch(/no AWS credentials/);
      expect(textOf(notice)).toContain("AWS_ACCESS_KEY_ID");
      expect(textOf(notice)).not.toMatch(/access denied/);
    } finally {
      await app.kill();
    }
  });
});
