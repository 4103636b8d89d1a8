// The Socket Mode fakes, driven by the real clients: `apps.connections.open` on the fake Web API through
// @slack/web-api, and the fake WebSocket through the SocketModeClient that Bolt's SocketModeReceiver builds
// (the same client, built the same way, as in the app). Proves the handshake (`hello`), envelope/ack round
// trips with and without a response payload, ack timeouts, and reconnection after a `disconnect` message.
import { LogLevel, SocketModeReceiver } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { slashCommandFields } from "../fakes/slack-request.js";
import { startFakeSlack, type FakeSlack } from "../fakes/slack.js";
import { startFakeSocketMode, type FakeSocketMode } from "../fakes/socket-mode.js";

const APP_TOKEN = "xapp-1-A1-1234-abcdef";

let slack: FakeSlack | undefined;
let socket: FakeSocketMode | undefined;
let receiver: SocketModeReceiver | undefined;

afterEach(async () => {
  await receiver?.client.disconnect();
  receiver = undefined;
  await socket?.close();
  socket = undefined;
  await slack?.close();
  slack = undefined;
});

function clientFor(fake: FakeSlack, token: string): WebClient {
  return new WebClient(token, { slackApiUrl: `${fake.url}/api/`, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { data?: { error?: string } }).data?.error;
  }
  throw new Error("expected the call to fail");
}

/** Fake Web API + fake socket, and a started SocketModeClient connected through them. */
async function connect(): Promise<{ slack: FakeSlack; socket: FakeSocketMode; receiver: SocketModeReceiver; opened: { url?: string } }> {
  slack = await startFakeSlack();
  socket = await startFakeSocketMode();
  slack.setSocketModeUrl(socket.url, APP_TOKEN);
  receiver = new SocketModeReceiver({
    appToken: APP_TOKEN,
    logLevel: LogLevel.ERROR,
    // Reconnects wait clientPingTimeout × failures; keep it short for the disconnect test.
    clientPingTimeout: 600,
    installerOptions: { clientOptions: { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } } },
  });
  // start() resolves with the apps.connections.open answer once `hello` arrived.
  const opened = await receiver.client.start();
  return { slack, socket, receiver, opened };
}

describe("fake Slack Web API: apps.connections.open", () => {
  it("answers the configured URL to an app-level token, and only to one", async () => {
    slack = await startFakeSlack();
    expect(await errorCode(clientFor(slack, APP_TOKEN).apps.connections.open())).toBe("socket_mode_not_enabled");

    slack.setSocketModeUrl("ws://127.0.0.1:1/link");
    const res = await clientFor(slack, APP_TOKEN).apps.connections.open();
    expect(res).toMatchObject({ ok: true, url: "ws://127.0.0.1:1/link" });
    // A bot token cannot open a connection, and an app-level token cannot call bot methods.
    expect(await errorCode(clientFor(slack, "xoxb-test-token").apps.connections.open())).toBe("not_allowed_token_type");
    expect(await errorCode(clientFor(slack, APP_TOKEN).auth.test())).toBe("invalid_auth");

    // With an expected token, another app-level token is refused.
    slack.setSocketModeUrl("ws://127.0.0.1:1/link", APP_TOKEN);
    expect(await errorCode(clientFor(slack, "xapp-1-A1-9999-other").apps.connections.open())).toBe("invalid_auth");
    expect(slack.callsTo("apps.connections.open").map((c) => c.error ?? "ok")).toEqual([
      "socket_mode_not_enabled",
      "ok",
      "not_allowed_token_type",
      "invalid_auth",
    ]);
  });
});

describe("fake Socket Mode WebSocket", () => {
  it("greets with hello, so the real SocketModeClient's start() resolves", async () => {
    const { slack, socket, opened } = await connect();
    await socket.connected();
    expect(socket.connectionCount).toBe(1);
    expect(socket.openConnections).toBe(1);
    expect(opened.url).toBe(socket.url);
    expect(slack.callsTo("apps.connections.open")).toHaveLength(1);
  });

  it("delivers an envelope and resolves with the ack and its response payload", async () => {
    const { socket, receiver } = await connect();
    const seen: Array<{ body: unknown; accepts: unknown; envelopeId: unknown }> = [];
    receiver.client.on("slash_commands", (e: { ack: (r?: object) => Promise<void>; body: unknown; accepts_response_payload: unknown; envelope_id: unknown }) => {
      seen.push({ body: e.body, accepts: e.accepts_response_payload, envelopeId: e.envelope_id });
      void e.ack({ response_type: "ephemeral", text: "pong" });
    });
    const fields = slashCommandFields({ command: "/iam-audit", text: "help" });
    const ack = await socket.send("slash_commands", fields);
    expect(ack.payload).toEqual({ response_type: "ephemeral", text: "pong" });
    expect(ack.connection).toBe(1);
    expect(ack.elapsedMs).toBeLessThan(3000);
    expect(seen).toEqual([{ body: fields, accepts: true, envelopeId: ack.envelope_id }]);
  });

  it("a bare ack carries an empty payload; interactive block_actions do not accept a response payload", async () => {
    const { socket, receiver } = await connect();
    let accepts: unknown;
    receiver.client.on("interactive", (e: { ack: () => Promise<void>; accepts_response_payload: unknown }) => {
      accepts = e.accepts_response_payload;
      void e.ack();
    });
    const ack = await socket.send("interactive", { type: "block_actions", actions: [] });
    expect(ack.payload).toEqual({});
    expect(accepts).toBe(false);
  });

  it("events_api envelopes are emitted under the inner event type, with retry fields", async () => {
    const { socket, receiver } = await connect();
    let retry: unknown;
    receiver.client.on("app_home_opened", (e: { ack: () => Promise<void>; retry_num: unknown }) => {
      retry = e.retry_num;
      void e.ack();
    });
    await socket.send("events_api", { type: "event_callback", event: { type: "app_home_opened", user: "U1" } }, { retryAttempt: 1, retryReason: "timeout" });
    expect(retry).toBe(1);
  });

  it("rejects when no ack comes in time, records the late ack, and rejects without a connection", async () => {
    const { socket, receiver } = await connect();
    const acks: Array<() => Promise<void>> = [];
    receiver.client.on("slash_commands", (e: { ack: () => Promise<void> }) => {
      acks.push(e.ack);
    });
    await expect(socket.send("slash_commands", slashCommandFields({ command: "/x" }), { timeoutMs: 200 })).rejects.toThrow(/no ack/);
    expect(acks).toHaveLength(1);
    await acks[0]?.();
    await expect.poll(() => socket.acks.length).toBe(1);
    expect(socket.acks[0]?.elapsedMs).toBeGreaterThanOrEqual(200);

    await receiver.client.disconnect();
    await expect.poll(() => socket.openConnections).toBe(0);
    await expect(socket.send("slash_commands", slashCommandFields({ command: "/x" }))).rejects.toThrow(/no open connection/);
  });

  it("a disconnect message makes the client reconnect through a new apps.connections.open", async () => {
    const { slack, socket, receiver } = await connect();
    socket.disconnect("refresh_requested");
    await socket.connected(10_000, 2);
    await expect.poll(() => socket.openConnections).toBe(1);
    expect(slack.callsTo("apps.connections.open")).toHaveLength(2);
    receiver.client.on("slash_commands", (e: { ack: () => Promise<void> }) => void e.ack());
    const ack = await socket.send("slash_commands", slashCommandFields({ command: "/x" }));
    expect(ack.connection).toBe(2);
  });
});
