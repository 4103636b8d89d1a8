// The signed-request helpers: signatures verify with Bolt's own verifySlackRequest, and a real Bolt App
// wired to the fake Slack accepts slash commands, block actions, view submissions and events sent by them.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { App, LogLevel, verifySlackRequest, type BlockAction } from "@slack/bolt";
import { startFakeSlack, type FakeSlack } from "../fakes/slack.js";
import {
  blockActionPayload,
  sendBlockAction,
  sendEvent,
  sendSlashCommand,
  sendViewSubmission,
  signedPost,
  viewSubmissionPayload,
} from "../fakes/slack-request.js";
import { freePort } from "../support/ports.js";

const SECRET = "test-signing-secret";

interface Captured {
  body: string;
  headers: IncomingMessage["headers"];
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A server that records the raw request, as a receiver sees it, and answers 200. */
async function captureServer(): Promise<{ url: string; received: Captured[] }> {
  const received: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, received };
}

function verify(captured: Captured | undefined, nowMilliseconds?: number): void {
  if (!captured) throw new Error("nothing captured");
  verifySlackRequest({
    signingSecret: SECRET,
    body: captured.body,
    headers: {
      "x-slack-signature": String(captured.headers["x-slack-signature"]),
      "x-slack-request-timestamp": Number(captured.headers["x-slack-request-timestamp"]),
    },
    ...(nowMilliseconds === undefined ? {} : { nowMilliseconds }),
  });
}

describe("signed Slack requests", () => {
  it("signs bodies so that Bolt's verifySlackRequest accepts them", async () => {
    const { url, received } = await captureServer();
    const res = await signedPost(url, "command=%2Ftrailwatch&text=status", "application/x-www-form-urlencoded", SECRET);
    expect(res).toMatchObject({ status: 200, body: "ok" });
    expect(received[0]?.headers["x-slack-signature"]).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(() => { verify(received[0]); }).not.toThrow();

    await signedPost(url, "a=b", "application/x-www-form-urlencoded", SECRET, { badSignature: true });
    expect(() => { verify(received[1]); }).toThrow(/signature mismatch/);

    const old = Math.floor(Date.now() / 1000) - 10 * 60;
    await signedPost(url, "a=b", "application/x-www-form-urlencoded", SECRET, { timestamp: old });
    expect(() => { verify(received[2]); }).toThrow(/stale/);
    expect(() => { verify(received[2], old * 1000); }).not.toThrow();
  });

  it("sends slash commands and interaction payloads in Slack's encodings", async () => {
    const { url, received } = await captureServer();
    await sendSlashCommand(url, SECRET, { command: "/trailwatch", text: "audit now", user_id: "U1" });
    const command = new URLSearchParams(received[0]?.body);
    expect(command.get("command")).toBe("/trailwatch");
    expect(command.get("text")).toBe("audit now");
    expect(command.get("user_id")).toBe("U1");
    expect(command.get("team_id")).toBe("T1");
    expect(command.get("trigger_id")).toBeTruthy();

    const payload = blockActionPayload({
      userId: "U1",
      actionId: "ack",
      value: "e-1",
      channelId: "C1",
      messageTs: "1.000100",
    });
    await sendBlockAction(url, SECRET, payload);
    const form = new URLSearchParams(received[1]?.body);
    expect(JSON.parse(form.get("payload") ?? "")).toEqual(payload);
    expect(() => { verify(received[1]); }).not.toThrow();
  });

  it("drives a real Bolt App wired to the fake Slack", async () => {
    const slack: FakeSlack = await startFakeSlack({ usergroups: { SAPPROVERS: ["U2"] } });
    cleanups.push(() => slack.close());
    const app = new App({
      token: "xoxb-test",
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } },
    });
    app.command("/trailwatch", async ({ ack, respond, command }) => {
      await ack();
      await respond({ text: `status for ${command.user_id}: ${command.text}` });
    });
    app.action("ack", async ({ ack, body, client }) => {
      await ack();
      const action = body as BlockAction;
      await client.chat.update({ channel: action.channel?.id ?? "", ts: action.message?.ts ?? "", text: "acked" });
    });
    app.view("approve", async ({ ack, view }) => {
      const reason = view.state.values.reason?.text?.value ?? "";
      await ack(reason ? undefined : { response_action: "errors", errors: { reason: "required" } });
    });
    app.event("app_home_opened", async ({ event, client }) => {
      await client.views.publish({ user_id: event.user, view: { type: "home", blocks: [] } });
    });
    const port = await freePort();
    await app.start(port);
    cleanups.push(() => app.stop());
    const appUrl = `http://127.0.0.1:${port}/slack/events`;

    const unsigned = await sendSlashCommand(appUrl, SECRET, { command: "/trailwatch" }, { badSignature: true });
    expect(unsigned.status).toBe(401);

    const cmd = await sendSlashCommand(appUrl, SECRET, {
      command: "/trailwatch",
      text: "status",
      user_id: "U1",
      response_url: slack.responseUrl("cmd-1"),
    });
    expect(cmd.status).toBe(200);
    const response = await slack.waitFor((s) => s.responses("cmd-1")[0], 3000);
    expect(response.body).toMatchObject({ text: "status for U1: status" });

    const alert = await app.client.chat.postMessage({ channel: "C1", text: "alert" });
    const click = await sendBlockAction(
      appUrl,
      SECRET,
      blockActionPayload({ userId: "U1", actionId: "ack", value: "e-1", channelId: "C1", messageTs: alert.ts ?? "" }),
    );
    expect(click.status).toBe(200);
    await slack.waitFor((s) => s.message("C1", alert.ts ?? "")?.text === "acked", 3000, "alert edited to acked");

    const empty = viewSubmissionPayload({ userId: "U1", callbackId: "approve" });
    const invalid = await sendViewSubmission(appUrl, SECRET, empty);
    expect(JSON.parse(invalid.body)).toEqual({ response_action: "errors", errors: { reason: "required" } });
    const filled = viewSubmissionPayload({
      userId: "U1",
      callbackId: "approve",
      privateMetadata: "req-1",
      values: { reason: { text: "ok" } },
    });
    const valid = await sendViewSubmission(appUrl, SECRET, filled);
    expect(valid).toMatchObject({ status: 200, body: "" });

    const event = await sendEvent(appUrl, SECRET, { type: "app_home_opened", user: "U1", channel: "D1", tab: "home" });
    expect(event.status).toBe(200);
    const home = await slack.waitFor((s) => s.views.find((v) => v.userId === "U1"), 3000);
    expect(home.view.type).toBe("home");
  });
});
