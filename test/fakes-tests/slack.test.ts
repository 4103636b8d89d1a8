// The Slack fake, driven by the real @slack/web-api WebClient: proves it parses what web-api sends (form
// fields with JSON-encoded blocks/metadata), answers in shapes web-api accepts, and that its rate limits and
// outages surface as the errors web-api raises against real Slack.
import { afterEach, describe, expect, it } from "vitest";
import {
  ErrorCode,
  LogLevel,
  WebClient,
  type ConversationsHistoryResponse,
  type WebClientOptions,
} from "@slack/web-api";
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from "../fakes/slack.js";

const TOKEN = "xoxb-test-token";

let fake: FakeSlack | undefined;

async function start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  fake = await startFakeSlack(opts);
  return fake;
}

function clientFor(slack: FakeSlack, opts: WebClientOptions = {}, token = TOKEN): WebClient {
  return new WebClient(token, {
    slackApiUrl: `${slack.url}/api/`,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
    ...opts,
  });
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function errorOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

const alertBlocks = [
  { type: "header", text: { type: "plain_text", text: "DeleteRole by mallory" } },
  {
    type: "actions",
    block_id: "alert-actions",
    elements: [{ type: "button", action_id: "ack", text: { type: "plain_text", text: "Ack" }, value: "e-1" }],
  },
];

describe("fake Slack Web API", () => {
  it("answers auth.test and checks the bearer token", async () => {
    const slack = await start();
    const auth = await clientFor(slack).auth.test();
    expect(auth).toMatchObject({
      ok: true,
      user_id: "UBOT",
      bot_id: "BBOT",
      team_id: "T1",
      user: "trailwatch",
      team: "Test",
    });

    const bad = await errorOf(clientFor(slack, {}, "xoxp-user-token").auth.test());
    expect(bad).toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: "invalid_auth" } });

    const anonymous = await fetch(`${slack.url}/api/auth.test`, { method: "POST" });
    expect(await anonymous.json()).toEqual({ ok: false, error: "not_authed" });

    const unknown = await errorOf(clientFor(slack).apiCall("chat.nonexistent", {}));
    expect(unknown).toMatchObject({ code: ErrorCode.PlatformError, data: { error: "unknown_method" } });
  });

  it("round-trips blocks and metadata through chat.postMessage and conversations.history", async () => {
    const slack = await start();
    const client = clientFor(slack);
    const metadata = { event_type: "trailwatch_alert", event_payload: { eventId: "e-1", severity: "high" } };

    const posted = await client.chat.postMessage({
      channel: "C1",
      text: "DeleteRole by mallory",
      blocks: alertBlocks,
      metadata,
    });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.channel).toBe("C1");
    expect(posted.message?.blocks).toEqual(alertBlocks);

    const stored = slack.messages("C1");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.blocks).toEqual(alertBlocks);
    expect(typeof stored[0]?.blocks?.[0]).toBe("object");
    expect(stored[0]?.metadata).toEqual(metadata);

    await client.chat.postMessage({ channel: "C1", text: "second" });
    const withMeta = await client.conversations.history({ channel: "C1", include_all_metadata: true });
    expect(withMeta.messages?.map((m) => m.text)).toEqual(["second", "DeleteRole by mallory"]);
    expect(withMeta.messages?.[1]?.metadata).toEqual(metadata);
    expect(withMeta.messages?.[1]?.blocks).toEqual(alertBlocks);

    const withoutMeta = await client.conversations.history({ channel: "C1" });
    expect(withoutMeta.messages?.[1]?.metadata).toBeUndefined();
  });

  it("pages conversations.history with limit and cursor, honouring oldest/latest", async () => {
    let now = Date.parse("2025-03-01T12:00:00Z");
    const slack = await start({ now: () => now });
    const client = clientFor(slack);
    const ts: string[] = [];
    for (let i = 0; i < 5; i++) {
      ts.push((await client.chat.postMessage({ channel: "C1", text: `m${i}` })).ts ?? "");
      now += 1000;
    }
    expect(ts[0]).toBe("1740830400.000000");
    expect(ts[1]).toBe("1740830401.000000");

    const first = await client.conversations.history({ channel: "C1", limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(["m4", "m3"]);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata?.next_cursor;
    expect(cursor).toBeTruthy();
    const second = await client.conversations.history({ channel: "C1", limit: 2, cursor: cursor! });
    expect(second.messages?.map((m) => m.text)).toEqual(["m2", "m1"]);

    const all: string[] = [];
    for await (const page of client.paginate("conversations.history", { channel: "C1", limit: 2 })) {
      const { messages = [] } = page as ConversationsHistoryResponse;
      all.push(...messages.map((m) => m.text ?? ""));
    }
    expect(all).toEqual(["m4", "m3", "m2", "m1", "m0"]);

    const window = await client.conversations.history({ channel: "C1", oldest: ts[1]!, latest: ts[3]! });
    expect(window.messages?.map((m) => m.text)).toEqual(["m2"]);
    const inclusive = await client.conversations.history({
      channel: "C1",
      oldest: ts[1]!,
      latest: ts[3]!,
      inclusive: true,
    });
    expect(inclusive.messages?.map((m) => m.text)).toEqual(["m3", "m2", "m1"]);
  });

  it("edits with chat.update, threads replies, and serves permalinks and ephemerals", async () => {
    const slack = await start();
    const client = clientFor(slack);
    const parent = await client.chat.postMessage({ channel: "C1", text: "alert", blocks: alertBlocks });
    const parentTs = parent.ts ?? "";

    const updated = await client.chat.update({ channel: "C1", ts: parentTs, text: "alert (acked)" });
    expect(updated.message?.text).toBe("alert (acked)");
    expect(slack.message("C1", parentTs)).toMatchObject({ text: "alert (acked)", blocks: alertBlocks });
    expect(slack.message("C1", parentTs)?.edited?.user).toBe("UBOT");
    const missing = await errorOf(client.chat.update({ channel: "C1", ts: "1.000001", text: "x" }));
    expect(missing).toMatchObject({ data: { error: "message_not_found" } });

    const reply = await client.chat.postMessage({ channel: "C1", text: "acked by alice", thread_ts: parentTs });
    expect(slack.message("C1", parentTs)).toMatchObject({ reply_count: 1, thread_ts: parentTs });
    const history = await client.conversations.history({ channel: "C1" });
    expect(history.messages?.map((m) => m.ts)).toEqual([parentTs]);
    const thread = await client.conversations.replies({ channel: "C1", ts: parentTs });
    expect(thread.messages?.map((m) => m.text)).toEqual(["alert (acked)", "acked by alice"]);

    const link = await client.chat.getPermalink({ channel: "C1", message_ts: parentTs });
    expect(link.permalink).toBe(`${slack.url}/archives/C1/p${parentTs.replace(".", "")}`);
    const replyLink = await client.chat.getPermalink({ channel: "C1", message_ts: reply.ts ?? "" });
    expect(replyLink.permalink).toContain(`?thread_ts=${parentTs}`);

    const eph = await client.chat.postEphemeral({ channel: "C1", user: "U2", text: "only you" });
    expect(eph.message_ts).toBeTruthy();
    expect(slack.ephemerals).toEqual([{ channel: "C1", user: "U2", message_ts: eph.message_ts, text: "only you" }]);
  });

  it("validates posts like Slack: no_text, invalid_blocks, invalid_metadata_format, channel_not_found", async () => {
    const slack = await start({ knownChannels: ["C1"] });
    const client = clientFor(slack);
    expect(await errorOf(client.chat.postMessage({ channel: "C1" } as never))).toMatchObject({
      data: { error: "no_text" },
    });
    expect(
      await errorOf(client.chat.postMessage({ channel: "C1", text: "x", blocks: "nope" as never })),
    ).toMatchObject({ data: { error: "invalid_blocks" } });
    expect(
      await errorOf(client.chat.postMessage({ channel: "C1", text: "x", metadata: { event_type: "t" } })),
    ).toMatchObject({ data: { error: "invalid_metadata_format" } });
    expect(await errorOf(client.chat.postMessage({ channel: "C9", text: "x" }))).toMatchObject({
      data: { error: "channel_not_found" },
    });
    expect(slack.messages()).toHaveLength(0);
    expect(slack.callsTo("chat.postMessage").map((c) => c.error)).toEqual([
      "no_text",
      "invalid_blocks",
      "invalid_metadata_format",
      "channel_not_found",
    ]);
  });

  it("rate-limits chat.postMessage per channel with 429 and Retry-After", async () => {
    const slack = await start({ postRateLimitPerChannel: 1 });
    const client = clientFor(slack, { rejectRateLimitedCalls: true });

    await client.chat.postMessage({ channel: "C1", text: "first" });
    const limited = await errorOf(client.chat.postMessage({ channel: "C1", text: "second" }));
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.retryAfter).toBe(1);
    await client.chat.postMessage({ channel: "C2", text: "other channel" });
    expect(slack.callsTo("chat.postMessage").map((c) => c.status)).toEqual([200, 429, 200]);

    await new Promise((r) => setTimeout(r, 1050));
    await client.chat.postMessage({ channel: "C1", text: "after a second" });
    expect(slack.messages("C1").map((m) => m.text)).toEqual(["first", "after a second"]);
  });

  it("simulates an outage with HTTP 503 or connection resets", async () => {
    const slack = await start();
    const client = clientFor(slack);

    slack.setDown(true);
    const http = await errorOf(client.chat.postMessage({ channel: "C1", text: "x" }));
    expect(http).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });

    slack.setDown(true, "reset");
    const reset = await errorOf(client.auth.test());
    expect(reset.code).toBe(ErrorCode.RequestError);

    slack.setDown(false);
    await expect(client.chat.postMessage({ channel: "C1", text: "back" })).resolves.toMatchObject({ ok: true });
    expect(slack.messages("C1").map((m) => m.text)).toEqual(["back"]);
    expect(slack.calls.map((c) => [c.status, c.error])).toEqual([
      [503, "down"],
      [null, "reset"],
      [200, undefined],
    ]);
  });

  it("injects failures per method and drops responses after accepting a post", async () => {
    const slack = await start();
    const client = clientFor(slack, { timeout: 300 });

    slack.failNext("chat.postMessage", 1, { error: "is_archived" });
    slack.failNext("chat.update", 1, "http500");
    slack.failNext("*", 1, "ratelimited");
    expect(await errorOf(client.chat.postMessage({ channel: "C1", text: "x" }))).toMatchObject({
      data: { error: "is_archived" },
    });
    expect(await errorOf(client.chat.update({ channel: "C1", ts: "1.1", text: "x" }))).toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });
    const limited = await errorOf(clientFor(slack, { rejectRateLimitedCalls: true }).auth.test());
    expect(limited.code).toBe(ErrorCode.RateLimitedError);

    slack.failNext("auth.test", 1, "hang");
    expect((await errorOf(client.auth.test())).code).toBe(ErrorCode.RequestError);

    slack.dropResponsesFor("chat.postMessage", 1);
    const dropped = await errorOf(client.chat.postMessage({ channel: "C1", text: "accepted but unanswered" }));
    expect(dropped.code).toBe(ErrorCode.RequestError);
    expect(slack.messages("C1").map((m) => m.text)).toEqual(["accepted but unanswered"]);
    expect(slack.callsTo("chat.postMessage").at(-1)).toMatchObject({ status: null, error: "dropped" });
  });

  it("stores views from views.open, push, update and publish", async () => {
    const slack = await start();
    const client = clientFor(slack);
    const modal = {
      type: "modal" as const,
      callback_id: "approve",
      private_metadata: "req-1",
      title: { type: "plain_text" as const, text: "Approve" },
      blocks: [],
    };

    const opened = await client.views.open({ trigger_id: "trig-1", view: modal });
    const viewId = opened.view?.id ?? "";
    expect(viewId).toMatch(/^V/);
    expect(opened.view).toMatchObject({ callback_id: "approve", private_metadata: "req-1", state: { values: {} } });

    const updated = await client.views.update({
      view_id: viewId,
      hash: opened.view!.hash!,
      view: { ...modal, private_metadata: "req-2" },
    });
    expect(updated.view?.id).toBe(viewId);
    const conflict = await errorOf(client.views.update({ view_id: viewId, hash: opened.view!.hash!, view: modal }));
    expect(conflict).toMatchObject({ data: { error: "hash_conflict" } });
    expect(await errorOf(client.views.update({ view_id: "VNOPE", view: modal }))).toMatchObject({
      data: { error: "not_found" },
    });

    await client.views.push({ trigger_id: "trig-2", view: { ...modal, callback_id: "details" } });
    const home = { type: "home" as const, blocks: [] };
    const published = await client.views.publish({ user_id: "U1", view: home });
    const republished = await client.views.publish({ user_id: "U1", view: home });
    expect(republished.view?.id).toBe(published.view?.id);

    expect(slack.views.map((v) => [v.createdBy, v.view.callback_id ?? "", v.updates])).toEqual([
      ["views.open", "approve", 1],
      ["views.push", "details", 0],
      ["views.publish", "", 1],
    ]);
    expect(slack.views[0]?.view.private_metadata).toBe("req-2");
    expect(slack.views[2]?.userId).toBe("U1");
  });

  it("answers usergroups.users.list and users.info", async () => {
    const slack = await start({
      usergroups: { S1: ["U1", "U2"] },
      users: { U1: { name: "alice", tz: "Europe/Berlin" } },
    });
    const client = clientFor(slack);
    expect((await client.usergroups.users.list({ usergroup: "S1" })).users).toEqual(["U1", "U2"]);
    expect(await errorOf(client.usergroups.users.list({ usergroup: "S9" }))).toMatchObject({
      data: { error: "no_such_subteam" },
    });
    slack.setUsergroup("S9", ["U3"]);
    expect((await client.usergroups.users.list({ usergroup: "S9" })).users).toEqual(["U3"]);

    const info = await client.users.info({ user: "U1" });
    expect(info.user).toMatchObject({ id: "U1", name: "alice", tz: "Europe/Berlin", is_bot: false });
    expect(await errorOf(client.users.info({ user: "nobody" }))).toMatchObject({ data: { error: "user_not_found" } });
  });

  it("accepts application/json requests", async () => {
    const slack = await start();
    const res = await fetch(`${slack.url}/api/chat.postMessage`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        channel: "C1",
        text: "json",
        blocks: alertBlocks,
        metadata: { event_type: "t", event_payload: {} },
      }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: "C1" });
    expect(slack.messages("C1")[0]).toMatchObject({ text: "json", blocks: alertBlocks });
  });

  it("records response_url posts, and applies replace_original to a bound message", async () => {
    const slack = await start();
    const client = clientFor(slack);
    const alert = await client.chat.postMessage({ channel: "C1", text: "alert" });

    const plain = slack.responseUrl("r1");
    expect(plain).toBe(`${slack.url}/response/r1`);
    const res = await fetch(plain, { method: "POST", body: JSON.stringify({ text: "working on it" }) });
    expect(res.status).toBe(200);
    expect(slack.responses("r1").map((r) => r.body)).toEqual([{ text: "working on it" }]);

    const bound = slack.responseUrl("r2", { channel: "C1", ts: alert.ts ?? "" });
    await fetch(bound, { method: "POST", body: JSON.stringify({ replace_original: true, text: "acked" }) });
    await fetch(bound, { method: "POST", body: JSON.stringify({ response_type: "in_channel", text: "fyi" }) });
    expect(slack.messages("C1").map((m) => m.text)).toEqual(["acked", "fyi"]);
    expect(slack.callsTo("response_url")).toHaveLength(3);

    slack.failNext("response_url", 1, "http500");
    expect((await fetch(plain, { method: "POST", body: "{}" })).status).toBe(500);
  });

  it("waitFor resolves with the predicate's value, or rejects describing the state", async () => {
    const slack = await start();
    const client = clientFor(slack);
    setTimeout(() => void client.chat.postMessage({ channel: "C1", text: "later" }), 50);
    const message = await slack.waitFor((s) => s.messages("C1")[0], 2000);
    expect(message.text).toBe("later");

    const err = await errorOf(slack.waitFor((s) => s.messages("C2")[0]?.text === "never", 100, "alert in C2"));
    expect(err.message).toContain("timed out after 100 ms: alert in C2");
    expect(err.message).toContain("C1: 1");
    expect(err.message).toContain("chat.postMessage -> 200");
  });

  it("reset() clears state and injected failures", async () => {
    const slack = await start();
    const client = clientFor(slack);
    await client.chat.postMessage({ channel: "C1", text: "x" });
    slack.failNext("*", 5);
    slack.setDown(true);
    slack.reset();
    expect(slack.messages()).toEqual([]);
    expect(slack.calls).toEqual([]);
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });
});
