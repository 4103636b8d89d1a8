// Socket Mode end to end: the real app process with SLACK_APP_TOKEN and no signing secret opens its
// connection through `apps.connections.open` on the fake Web API, then receives slash commands,
// interactions and events as envelopes on the fake Socket Mode WebSocket and acks them there.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, slashCommandFields } from "../fakes/slack-request.js";
import { startFakeSocketMode, type FakeSocketMode } from "../fakes/socket-mode.js";
import { runApp, type AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/ports.js";
import { iamRecord } from "../support/records.js";
import { alertEventId, current as currentIn, ephemeralsFor as ephemeralsIn, eventIdOf } from "../support/slack-helpers.js";

const APP_TOKEN = "xapp-1-A1-1111111111-0123456789abcdef";
const RESPONDER = "URESP001";
const OUTSIDER = "UOUTSIDE";

let h: Harness;
let socket: FakeSocketMode;
let app: AppProcess;

beforeAll(async () => {
  socket = await startFakeSocketMode();
  h = await startHarness();
  // Only this exact app-level token may open the connection; the bot token cannot.
  h.slack.setSocketModeUrl(socket.url, APP_TOKEN);
  // h.start returns once GET /healthz answers 200, i.e. after Bolt's start() saw `hello`.
  app = await h.start({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: undefined, RESPONDERS: RESPONDER });
});
afterAll(async () => {
  await h?.close();
  await socket?.close();
});

let alert: SlackMessage | undefined;
const current = (m: SlackMessage) => currentIn(h.slack, m);
const ephemeralsFor = (user: string) => ephemeralsIn(h.slack, user);

describe("start-up in Socket Mode", () => {
  test("starts without a signing secret, connects with the app token, serves /healthz", async () => {
    expect(h.env({ SLACK_SIGNING_SECRET: undefined }).SLACK_SIGNING_SECRET).toBeUndefined();
    await app.waitForLog((l) => l.msg === "slack app connected (Socket Mode)" && l.mode === "socket");
    const opens = h.slack.callsTo("apps.connections.open");
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ status: 200 });
    expect(opens[0]?.error).toBeUndefined();
    expect(socket.connectionCount).toBe(1);
    expect(socket.openConnections).toBe(1);

    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
    // Secrets never reach the log.
    expect(app.stdout()).not.toContain(APP_TOKEN);
    expect(app.stderr()).not.toContain(APP_TOKEN);
  });

  test("POST /slack/events is not served: Bolt's Socket Mode HTTP server answers 404", async () => {
    const res = await fetch(`${app.url}/slack/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "url_verification", challenge: "c", token: "t" }),
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
    await app.waitForLog((l) => typeof l.msg === "string" && l.msg.includes("unhandled HTTP request (POST) made to /slack/events"));
  });
});

describe("alerts", () => {
  test("a CloudTrail deletion event is posted to the alert channel, as in HTTP mode", async () => {
    const eventId = "00000001-socket-mode-aaaa-dddddddddddd";
    h.cloudtrail.addEvent(iamRecord({ eventId, eventName: "DeleteUser", eventTime: new Date(Date.now() - 60_000), requestParameters: { userName: "temp" } }));
    alert = await h.slack.waitFor(
      (s) => s.messages(ALERT_CHANNEL).find((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === eventId),
      40_000,
      "alert for DeleteUser",
    );
    expect(eventIdOf(alert)).toBe(eventId);
    expect(JSON.stringify(alert.blocks)).toContain('"alert_acknowledge"');
  });
});

describe("slash commands over the socket", () => {
  test("/iam-audit help from a responder: the help text comes back in the ack, within 3 s", async () => {
    const responseUrl = h.slack.responseUrl("help-1");
    const ack = await socket.send(
      "slash_commands",
      slashCommandFields({ command: "/iam-audit", text: "help", user_id: RESPONDER, channel_id: ALERT_CHANNEL, response_url: responseUrl }),
    );
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/iam-audit") as unknown });
    expect(JSON.stringify(ack.payload?.blocks)).toContain("subcommands");
    await h.waitForAction((a) => a.actor === RESPONDER && a.action === "iam-audit" && a.result === "ok");
    // Everything was said in the ack: nothing through the response URL.
    expect(h.slack.responses("help-1")).toEqual([]);
  });

  test("/iam-audit log: acked with “Working on it…”, the answer follows through the response URL", async () => {
    const ack = await socket.send(
      "slash_commands",
      slashCommandFields({ command: "/iam-audit", text: "log", user_id: RESPONDER, channel_id: ALERT_CHANNEL, response_url: h.slack.responseUrl("log-1") }),
    );
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: "Working on it…" });
    const [post] = await h.slack.waitFor((s) => (s.responses("log-1").length > 0 ? s.responses("log-1") : undefined), 10_000, "log answer");
    expect(post?.body).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("trailwatch action log") as unknown });
    // The help command of the previous test is in the log: the socket and the HTTP path share one store.
    expect(JSON.stringify(post?.body)).toContain(`<@${RESPONDER}>`);
  });

  test("/iam-audit from someone not in RESPONDERS is refused in the ack", async () => {
    const ack = await socket.send("slash_commands", slashCommandFields({ command: "/iam-audit", text: "help", user_id: OUTSIDER, channel_id: ALERT_CHANNEL }));
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(String(ack.payload?.text)).toMatch(/not allowed/);
  });
});

describe("interactions over the socket", () => {
  const click = (user: string, msg: SlackMessage) =>
    socket.send("interactive", blockActionPayload({ userId: user, actionId: "alert_acknowledge", value: eventIdOf(msg), channelId: msg.channel, messageTs: msg.ts }));

  test("Acknowledge from a non-responder: acked, refused privately, the alert does not change", async () => {
    const msg = alert;
    if (!msg) throw new Error("the alert test did not run");
    const before = JSON.stringify(current(msg).blocks);
    const ack = await click(OUTSIDER, msg);
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({});
    await h.slack.waitFor(() => ephemeralsFor(OUTSIDER).some((t) => t.includes("not allowed")), 5000, "refusal");
    await h.waitForAction((a) => a.actor === OUTSIDER && a.action === "acknowledge" && a.result === "refused");
    expect(JSON.stringify(current(msg).blocks)).toBe(before);
  });

  test("Acknowledge from a responder: acked, the alert is updated in place", async () => {
    const msg = alert;
    if (!msg) throw new Error("the alert test did not run");
    const updates = h.slack.callsTo("chat.update").length;
    const ack = await click(RESPONDER, msg);
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(ack.payload).toEqual({});
    await h.slack.waitFor(() => JSON.stringify(current(msg).blocks).includes("Acknowledged by"), 5000, "acknowledged line");
    const blocks = JSON.stringify(current(msg).blocks);
    expect(blocks).toContain(`<@${RESPONDER}>`);
    expect(blocks).not.toContain('"alert_acknowledge"');
    expect(h.slack.callsTo("chat.update").length).toBeGreaterThan(updates);
    // Updated in place: still one alert message for this event.
    expect(h.slack.messages(ALERT_CHANNEL).filter((m) => alertEventId(m) === eventIdOf(msg))).toHaveLength(1);
  });
});

describe("events over the socket", () => {
  test("app_home_opened is acked and the Home tab is published", async () => {
    const now = Math.floor(Date.now() / 1000);
    const ack = await socket.send("events_api", {
      token: "deprecated-verification-token",
      team_id: "T1",
      api_app_id: "A1",
      event: { type: "app_home_opened", user: RESPONDER, channel: "D0HOME", tab: "home", event_ts: `${now}.000100` },
      type: "event_callback",
      event_id: "Ev0SOCKET01",
      event_time: now,
      authorizations: [{ enterprise_id: null, team_id: "T1", user_id: "UBOT", is_bot: true, is_enterprise_install: false }],
    });
    expect(ack.elapsedMs).toBeLessThan(3000);
    await h.slack.waitFor((s) => s.views.find((v) => v.createdBy === "views.publish" && v.userId === RESPONDER), 5000, "Home tab");
  });
});

describe("connection recycling", () => {
  test("after Slack's disconnect message the app reconnects with a new apps.connections.open and keeps serving", async () => {
    socket.disconnect("refresh_requested");
    // The client waits clientPingTimeout (5 s) before reconnecting.
    await socket.connected(20_000, 2);
    expect(h.slack.callsTo("apps.connections.open").filter((c) => c.status === 200 && c.error === undefined)).toHaveLength(2);
    const ack = await socket.send("slash_commands", slashCommandFields({ command: "/iam-audit", text: "help", user_id: RESPONDER, channel_id: ALERT_CHANNEL }));
    expect(ack.connection).toBe(2);
    expect(String(ack.payload?.text)).toContain("/iam-audit");
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe("a rejected app-level token", () => {
  test("is a configuration error: apps.connections.open answers invalid_auth, the process exits with 2", async () => {
    // Its own database: the running app holds the poller lease on the shared one.
    const other = runApp(h.env({ PORT: String(await freePort()), SLACK_APP_TOKEN: "xapp-1-A1-2222222222-revoked", SLACK_SIGNING_SECRET: undefined, DATABASE_URL: `sqlite:${join(h.dataDir, "rejected.db")}` }));
    try {
      const code = await Promise.race([other.exited, new Promise<"running">((r) => setTimeout(() => { r("running"); }, 20_000))]);
      expect(code).not.toBe("running");
      expect(code).toBe(2);
      expect(h.slack.callsTo("apps.connections.open").some((c) => c.error === "invalid_auth")).toBe(true);
      expect(other.stderr()).toContain("configuration error: SLACK_APP_TOKEN was rejected by Slack (invalid_auth)");
      expect(other.stdout() + other.stderr()).not.toContain("xapp-1-A1-2222222222-revoked");
    } finally {
      await other.kill();
    }
  });
});

describe("Socket Mode connection down", () => {
  test("polling and posting go on while the WebSocket cannot be reached, and /healthz says ready", async () => {
    const connectionsBefore = socket.connectionCount;
    const closedPort = await freePort();
    h.slack.setSocketModeUrl(`ws://127.0.0.1:${closedPort}/link`, APP_TOKEN);
    // Recorded before the process starts, so its first poll finds it: no dependence on poll timing.
    const ev = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteLoginProfile", eventTime: new Date(Date.now() - 60_000), requestParameters: { userName: "sock" } }));
    // Its own database: sharing the first process's, whichever polled first would own the alert (the flake).
    const other = runApp(
      h.env({
        PORT: String(await freePort()),
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_SIGNING_SECRET: undefined,
        ALERT_CHANNEL_ID: "CSOCKDOWN1",
        DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), "tw-sockdown-")), "trailwatch.db")}`,
      }),
    );
    try {
      await other.waitHealthy(60_000);
      // Wait for the process's own account of the post, then check what Slack received.
      await other.waitForLog((l) => l.msg === "alert posted" && l.eventId === ev.EventId, 60_000);
      const posted = h.slack.messages("CSOCKDOWN1").filter((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === ev.EventId);
      expect(posted).toHaveLength(1);
      expect(socket.connectionCount).toBe(connectionsBefore); // this process never reached a WebSocket
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
    } finally {
      await other.kill();
      h.slack.setSocketModeUrl(socket.url, APP_TOKEN);
    }
  }, 120_000);
});
