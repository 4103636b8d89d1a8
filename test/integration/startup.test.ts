// Start-up and request-level safety of the real process: bad settings stop it with the variable's name
// (never a secret), a rejected Slack token is a configuration error, forged Slack requests are refused.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signedPost } from "../fakes/slack-request.js";
import { runApp } from "../support/app-process.js";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/ports.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe("configuration errors", () => {
  test("a missing or invalid setting stops start-up, names the variable, exits non-zero and never prints the secret", async () => {
    const app = runApp(h.env({ ALERT_CHANNEL_ID: undefined, SLACK_BOT_TOKEN: "xoxp-user-token-TOPSECRET", PORT: String(await freePort()) }));
    const code = await app.exited;
    expect(code).toBe(2);
    const err = app.stderr();
    expect(err).toContain("ALERT_CHANNEL_ID is required");
    expect(err).toContain("SLACK_BOT_TOKEN must be a bot token starting with xoxb-");
    expect(err + app.stdout()).not.toContain("TOPSECRET");
  });

  test("the placeholder signing secret from .env.example stops start-up with exit 2 and a line naming SLACK_SIGNING_SECRET", async () => {
    const app = runApp(h.env({ SLACK_SIGNING_SECRET: "your-signing-secret", PORT: String(await freePort()) }));
    expect(await app.exited).toBe(2);
    const lines = app.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^trailwatch: configuration error: SLACK_SIGNING_SECRET must be the app's signing secret/);
    expect(app.stderr() + app.stdout()).not.toContain("your-signing-secret");
  });

  test("a bot token Slack rejects is reported as a configuration error", async () => {
    h.slack.failNext("auth.test", 1, { error: "invalid_auth" });
    const app = runApp(h.env({ SLACK_BOT_TOKEN: "xoxb-revoked-TOPSECRET", PORT: String(await freePort()) }));
    expect(await app.exited).toBe(2);
    expect(app.stderr()).toContain("SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)");
    expect(app.stderr() + app.stdout()).not.toContain("TOPSECRET");
  });
});

describe("forged Slack requests", () => {
  test("a wrong signature, a stale timestamp and no signature are refused with 401 and change nothing", async () => {
    const app = await h.start({ RESPONDERS: "UALLOWED" });
    const payload = `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", user: { id: "UALLOWED" }, actions: [{ action_id: "alert_acknowledge", value: "x" }] }))}`;
    const url = `${app.url}/slack/events`;
    const bad = await signedPost(url, payload, "application/x-www-form-urlencoded", "not-the-secret");
    expect(bad.status).toBe(401);
    const stale = await signedPost(url, payload, "application/x-www-form-urlencoded", SIGNING_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    const unsigned = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: payload });
    expect(unsigned.status).toBe(401);
    // No listener ran: nothing was recorded or sent to Slack on the clicker's behalf.
    expect(await h.actions()).toEqual([]);
    expect(h.slack.callsTo("chat.postEphemeral")).toHaveLength(0);
  });
});
