// The Slack edge of the real process, driven as Slack would drive it (signed HTTP requests) against the fake
// Slack Web API and moto: who sees the App Home, approvals while Slack cannot say who is in a group,
// replayed requests, re-delivered events, and what the debug log must never contain.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GetAccountPasswordPolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { ActionIds } from "../../src/slack/action-ids.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { ActionRecord } from "../../src/store/types.js";
import {
  blockActionPayload,
  eventEnvelope,
  sendBlockAction,
  sendEnvelope,
  sendEvent,
  signedPost,
  slashCommandFields,
} from "../fakes/slack-request.js";
import { startFakeSocketMode } from "../fakes/socket-mode.js";
import type { AppProcess } from "../support/app-process.js";
import { SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import type { Moto } from "../support/moto.js";
import { iamRecord } from "../support/records.js";

const RESPONDER = "URESP0001";
const EXPLICIT_APPROVER = "UAPPR0001";
const GROUP_APPROVER = "UAPPR0002"; // approver only through the user group SAPPROVE1
const STRANGER = "USTRANGE1";
const OPS = "C0OPS0001";
const ROLE = "payments-admin-role";
const ACTOR = "arn:aws:iam::123456789012:user/mallory-ops";
const SOCKET_APP_TOKEN = "xapp-1-A1-1111111111-0123456789abcdef";

let h: Harness;
let moto: Moto;
let app: AppProcess;
let events: string;
const dbPath = () => join(h.dataDir, "trailwatch.db");

async function actions(): Promise<ActionRecord[]> {
  const store = await KyselyStore.openSqlite(dbPath());
  try {
    return await store.listActions({ limit: 500 });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  h = await startHarness({ moto: true });
  moto = h.moto as Moto;
  h.slack.setUsergroup("SAPPROVE1", [GROUP_APPROVER]);
  // An open alert in the store before start-up, so the Home tab has something to hide or show.
  mkdirSync(h.dataDir, { recursive: true });
  const seed = await KyselyStore.openSqlite(dbPath());
  const ev = normalizeRecord(
    iamRecord({
      eventName: "DeleteRole",
      eventTime: new Date(Date.now() - 10 * 60_000),
      requestParameters: { roleName: ROLE },
      identity: { type: "IAMUser", principalId: "AIDAMALLORY", arn: ACTOR, accountId: "123456789012", userName: "mallory-ops" },
    }),
  );
  await seed.insertAlert({ eventId: ev.eventId, eventName: "DeleteRole", severity: "high", severityReason: "test", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, new Date());
  await seed.close();
  app = await h.start({ RESPONDERS: RESPONDER, APPROVERS: `${EXPLICIT_APPROVER},SAPPROVE1` });
  events = `${app.url}/slack/events`;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** Every button in some blocks (accessories and actions elements). */
function buttonsIn(blocks: unknown[]): { action_id: string; value: string }[] {
  const out: { action_id: string; value: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (o.type === "button" && typeof o.action_id === "string") out.push({ action_id: o.action_id, value: typeof o.value === "string" ? o.value : "" });
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

/** Everything Slack would show of a published view (texts only). */
const viewText = (view: Record<string, unknown>) => JSON.stringify(view.blocks);

describe("approvals while Slack cannot say who is in a group", () => {
  test("a group approver is refused; an approver listed by user id still approves", async () => {
    // From here on Slack fails every usergroups.users.list. This runs first, so the app has never had an
    // answer for SAPPROVE1 (the ten-minute grace for a known answer is covered in test/auth).
    h.slack.failNext("usergroups.users.list", 10_000, { error: "fatal_error" });
    const id = "audit-for-approval";
    const res = await signedPost(
      events,
      new URLSearchParams(slashCommandFields({ command: "/iam-audit", text: "", user_id: RESPONDER, channel_id: OPS, response_url: h.slack.responseUrl(id) })).toString(),
      "application/x-www-form-urlencoded",
      SIGNING_SECRET,
    );
    expect(res.status).toBe(200);
    const posts = await h.slack.waitFor((s) => {
      const p = s.responses(id).map((r) => r.body as { text?: string; blocks?: unknown[] });
      const last = p[p.length - 1];
      return last && !/\(part (\d+) of (?!\1)\d+\)$/.test(last.text ?? "") ? p : undefined;
    }, 60_000, "audit report");
    const buttonValue = buttonsIn(posts.flatMap((p) => p.blocks ?? [])).find((b) => b.action_id === ActionIds.auditRemediate && b.value.includes("password-policy:missing"))?.value ?? "";
    expect(buttonValue).not.toBe("");

    await sendBlockAction(events, SIGNING_SECRET, blockActionPayload({ userId: RESPONDER, actionId: ActionIds.auditRemediate, value: buttonValue, channelId: OPS }));
    const request = await h.slack.waitFor((s) => s.messages(OPS).find((m) => m.text?.startsWith("Remediation requested")), 20_000, "request posted");
    const requestId = buttonsIn(request.blocks ?? []).find((b) => b.action_id === ActionIds.approveRemediation)?.value ?? "";

    await sendBlockAction(events, SIGNING_SECRET, blockActionPayload({ userId: GROUP_APPROVER, actionId: ActionIds.approveRemediation, value: requestId, channelId: OPS, messageTs: request.ts }));
    const refusal = await h.slack.waitFor((s) => s.ephemerals.find((e) => e.user === GROUP_APPROVER && /Only approvers/.test(e.text ?? "")), 10_000, "refusal");
    // The refused member is told why: it is Slack, not their permissions.
    expect(refusal.text).toContain("Slack cannot confirm user-group membership right now");
    await expect(moto.iam().send(new GetAccountPasswordPolicyCommand({}))).rejects.toThrow();
    const refused = (await actions()).filter((a) => a.actor === GROUP_APPROVER && a.action === "remediation-approve");
    expect(refused.map((a) => a.result)).toEqual(["refused"]);

    await sendBlockAction(events, SIGNING_SECRET, blockActionPayload({ userId: EXPLICIT_APPROVER, actionId: ActionIds.approveRemediation, value: requestId, channelId: OPS, messageTs: request.ts }));
    await h.slack.waitFor((s) => s.messages(OPS).find((m) => m.thread_ts === request.ts && m.ts !== request.ts && m.text?.startsWith("Remediated")), 30_000, "outcome");
    expect((await moto.iam().send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy?.MinimumPasswordLength).toBe(14);
    // Slack was really asked, and really failed.
    expect(h.slack.callsTo("usergroups.users.list").some((c) => c.error === "fatal_error")).toBe(true);
  }, 120_000);
});

describe("App Home", () => {
  test("a stranger gets a short notice that names no alert, role or actor; a responder sees the open alerts", async () => {
    await sendEvent(events, SIGNING_SECRET, { type: "app_home_opened", user: STRANGER, channel: "D0STRANGE", tab: "home" });
    const strangerView = await h.slack.waitFor((s) => s.views.find((v) => v.createdBy === "views.publish" && v.userId === STRANGER), 10_000, "stranger's home");
    const strangerText = viewText(strangerView.view);
    expect(strangerText).toContain("only to responders and approvers");
    for (const secret of [ROLE, ACTOR, "mallory-ops", "DeleteRole", "*Open alerts*", "Last IAM audit"]) expect(strangerText).not.toContain(secret);
    expect(strangerText).not.toContain(ActionIds.acknowledge);

    await sendEvent(events, SIGNING_SECRET, { type: "app_home_opened", user: RESPONDER, channel: "D0RESP", tab: "home" });
    const responderView = await h.slack.waitFor((s) => s.views.find((v) => v.createdBy === "views.publish" && v.userId === RESPONDER), 10_000, "responder's home");
    const text = viewText(responderView.view);
    expect(text).toContain("*Open alerts* (1)");
    expect(text).toContain(ROLE);
    expect(text).toContain(ACTOR);
    expect(text).toContain(ActionIds.acknowledge);
  });
});

describe("re-delivered events", () => {
  test("an event Slack retries (X-Slack-Retry-Num) is acknowledged and not processed twice", async () => {
    const envelope = eventEnvelope({ type: "app_home_opened", user: RESPONDER, channel: "D0RESP", tab: "home" });
    const publishes = () => h.slack.callsTo("views.publish").filter((c) => c.params.user_id === RESPONDER).length;
    const before = publishes();
    expect((await sendEnvelope(events, SIGNING_SECRET, envelope)).status).toBe(200);
    await h.slack.waitFor(() => publishes() === before + 1, 10_000, "first delivery processed");
    // Slack signs each delivery afresh; the retry carries the same event_id.
    const retry = await sendEnvelope(events, SIGNING_SECRET, envelope, { timestamp: Math.floor(Date.now() / 1000) + 1, headers: { "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout" } });
    expect(retry.status).toBe(200);
    await app.waitForLog((l) => l.msg.startsWith("Slack re-delivered an event already taken in") && l.eventId === envelope.event_id, 10_000);
    expect(publishes()).toBe(before + 1);
  });
});

describe("replayed requests", () => {
  test("the same signed slash command sent twice gives one answer", async () => {
    const id = "replay-probe";
    const body = new URLSearchParams(slashCommandFields({ command: "/iam-audit", text: "log", user_id: RESPONDER, channel_id: OPS, response_url: h.slack.responseUrl(id) })).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await signedPost(events, body, "application/x-www-form-urlencoded", SIGNING_SECRET, { timestamp });
    expect(first.status).toBe(200);
    expect(first.body).toContain("Working on it");
    await h.slack.waitFor((s) => s.responses(id).length === 1, 20_000, "the answer");

    const replay = await signedPost(events, body, "application/x-www-form-urlencoded", SIGNING_SECRET, { timestamp });
    expect(replay.status).toBe(200);
    expect(replay.body).toBe("");
    await app.waitForLog((l) => l.msg.startsWith("dropped a replayed Slack request"), 10_000);
    expect(h.slack.responses(id)).toHaveLength(1);
    const logs = (await actions()).filter((a) => a.actor === RESPONDER && a.action === "iam-audit" && a.detail.subcommand === "log");
    expect(logs).toHaveLength(1);
  });
});

describe("log redaction", () => {
  test("at LOG_LEVEL=debug, no response_url, token or trigger id of a command or a click reaches stdout or stderr", async () => {
    const secrets = {
      responseUrl: h.slack.responseUrl("redact-probe-5b1e"),
      hookUrl: "https://hooks.slack.com/actions/T0FAKE/5551212/RedactProbeHook",
      token: "verif-token-RedactProbe-77",
      triggerId: "1700000000123.123456789012.0badc0ffee0badc0ffee0badc0ffee00",
      clickTrigger: "1700000000124.123456789013.feedfacefeedfacefeedfacefeedface",
    };
    const cmd = new URLSearchParams(
      slashCommandFields({ command: "/iam-audit", text: "log", user_id: RESPONDER, channel_id: OPS, response_url: secrets.responseUrl, token: secrets.token, trigger_id: secrets.triggerId }),
    ).toString();
    expect((await signedPost(events, cmd, "application/x-www-form-urlencoded", SIGNING_SECRET)).status).toBe(200);
    await h.slack.waitFor((s) => s.responses("redact-probe-5b1e").length === 1, 20_000, "command answered");

    // A click whose response URL is a real-looking Slack hook (never fetched: acknowledging does not respond).
    const click = { ...blockActionPayload({ userId: STRANGER, actionId: ActionIds.acknowledge, value: "no-such-alert", channelId: OPS, responseUrl: secrets.hookUrl, triggerId: secrets.clickTrigger }), token: secrets.token };
    expect((await sendBlockAction(events, SIGNING_SECRET, click)).status).toBe(200);
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === STRANGER && /not known/.test(e.text ?? "")), 10_000, "click handled");

    // Both were processed at debug level (the log is not simply empty)…
    expect(app.logs.some((l) => l.level === "debug")).toBe(true);
    const out = app.stdout() + app.stderr();
    // …and none of the values appears anywhere, in any form.
    for (const v of Object.values(secrets)) {
      expect(out).not.toContain(v);
      expect(out).not.toContain(encodeURIComponent(v));
      expect(out).not.toContain(JSON.stringify(v).slice(1, -1).replaceAll("/", "\\/"));
    }
    expect(out).not.toContain("redact-probe-5b1e");
    expect(out).not.toContain("RedactProbe");
  });

  test("in Socket Mode, whose client logs every envelope it receives at debug level, the values are scrubbed too", async () => {
    const socket = await startFakeSocketMode();
    try {
      h.slack.setSocketModeUrl(socket.url, SOCKET_APP_TOKEN);
      const sock = await h.start({ SLACK_APP_TOKEN: SOCKET_APP_TOKEN, SLACK_SIGNING_SECRET: undefined, RESPONDERS: RESPONDER, DATABASE_URL: `sqlite:${join(h.dataDir, "socket.db")}` });
      await sock.waitForLog((l) => l.msg === "slack app connected (Socket Mode)");
      const secrets = {
        responseUrl: h.slack.responseUrl("sock-probe-9c4d"),
        hookUrl: "https://hooks.slack.com/actions/T0FAKE/5551313/SockProbeHook",
        token: "verif-token-SockProbe-88",
        triggerId: "1700000000125.123456789014.c0c0a0c0c0a0c0c0a0c0c0a0c0c0a0c0",
      };
      await socket.send("slash_commands", slashCommandFields({ command: "/iam-audit", text: "log", user_id: RESPONDER, channel_id: OPS, response_url: secrets.responseUrl, token: secrets.token, trigger_id: secrets.triggerId }));
      await h.slack.waitFor((s) => s.responses("sock-probe-9c4d").length === 1, 20_000, "command answered");
      await socket.send("interactive", { ...blockActionPayload({ userId: STRANGER, actionId: ActionIds.acknowledge, value: "no-such-alert", channelId: OPS, responseUrl: secrets.hookUrl, triggerId: secrets.triggerId }), token: secrets.token });
      await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === STRANGER && e.channel === OPS && /not known/.test(e.text ?? "")), 10_000, "click handled");
      // The envelopes were logged (scrubbed), so the check below is not vacuous. The client logs an envelope
      // around the time it hands it on, so the click can be answered before its line reaches our pipe: wait for
      // a scrubbed line per envelope rather than read the output at once.
      const scrubbed = /\[redacted(-trigger-id|-url)?\]/;
      await sock.waitForLog(() => sock.stdout().split("\n").filter((line) => scrubbed.test(line)).length >= 2, 10_000);
      const out = sock.stdout() + sock.stderr();
      expect(out).toMatch(scrubbed);
      for (const v of Object.values(secrets)) {
        expect(out).not.toContain(v);
        expect(out).not.toContain(JSON.stringify(v).slice(1, -1).replaceAll("/", "\\/"));
      }
      expect(out).not.toContain("sock-probe-9c4d");
      expect(out).not.toContain("SockProbe");
      await sock.kill();
    } finally {
      await socket.close();
    }
  }, 60_000);
});
