// In-process listener tests, after the pattern of Slack's Bolt TypeScript starter template: call the exported
// listener (behind its authorization rule, as Bolt would) with a fake `ack`, a stubbed WebClient whose methods
// are vi.fn answering ok, Slack-shaped `body`/`action`/`view` objects and an in-memory store. Tests then read
// what the user would see (the stub's calls) and what was recorded (the store).
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { WebClient } from "@slack/web-api";
import { vi, type Mock } from "vitest";
import { Authorizer } from "../../src/auth/index.js";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { readConfig } from "../../src/config.js";
import type { BotIdentity } from "../../src/domain.js";
import { createLogger } from "../../src/log.js";
import { ActionIds } from "../../src/slack/action-ids.js";
import { authorize, type AccessRule, type ButtonArgs, type GuardedArgs, type SubmitArgs } from "../../src/slack/listeners/authorize.js";
import type { ListenerDeps } from "../../src/slack/listeners/deps.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { ActionRecord, AlertRecord } from "../../src/store/types.js";
import { VALID_ENV } from "./config.js";
import { iamRecord, type RecordOptions } from "./records.js";

export const CHANNEL = VALID_ENV.ALERT_CHANNEL_ID;
export const RESPONDER = "URESPONDER1";
export const APPROVER = "UAPPROVER01";
export const APPROVER_2 = "UAPPROVER02";
export const OUTSIDER = "UOUTSIDER01";
/** A user group in APPROVERS whose members Slack cannot list (usergroups.users.list fails). */
export const BROKEN_GROUP = "SBROKENGRP1";
export const ACCOUNT_ID = "123456789012";
export const BOT: BotIdentity = { arn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/trailwatch-bot/trailwatch`, accountId: ACCOUNT_ID };

type Fn = Mock<(args: Record<string, unknown>) => Promise<Record<string, unknown>>>;

/** The WebClient methods the listeners use, each a vi.fn answering ok (posts get increasing ts). */
export interface FakeClient {
  chat: { postMessage: Fn; postEphemeral: Fn; update: Fn; getPermalink: Fn };
  views: { open: Fn; update: Fn; publish: Fn };
  usergroups: { users: { list: Fn } };
}

export function fakeClient(): FakeClient {
  let ts = 1_700_000_000;
  const ok = (extra: Record<string, unknown> = {}): Fn => vi.fn(() => Promise.resolve({ ok: true, ...extra }));
  return {
    chat: {
      postMessage: vi.fn((a: Record<string, unknown>) => Promise.resolve({ ok: true, channel: a.channel, ts: `${String(++ts)}.000100` })),
      postEphemeral: ok(),
      update: ok(),
      getPermalink: vi.fn((a: Record<string, unknown>) => Promise.resolve({ ok: true, permalink: `https://example.slack.com/archives/${String(a.channel)}/p${String(a.message_ts).replace(".", "")}` })),
    },
    views: { open: ok({ view: { id: "V0MODAL1" } }), update: ok(), publish: ok() },
    usergroups: { users: { list: vi.fn(() => Promise.reject(new Error("usergroups.users.list: ratelimited"))) } },
  };
}

/** AWS clients for tests that must not reach AWS: any call fails the workflow loudly. */
const noAws = { send: () => Promise.reject(new Error("this test does not expect an AWS call")) };

export interface Harness {
  deps: ListenerDeps;
  store: KyselyStore;
  client: FakeClient;
  /** The stub as the listeners take it. */
  web: WebClient;
}

/** An in-memory store, the stubbed client and the real Authorizer over listed user ids. */
export async function listenerHarness(o: { iam?: IAMClient; cloudtrail?: CloudTrailClient; env?: Record<string, string>; now?: () => Date } = {}): Promise<Harness> {
  const store = await KyselyStore.openSqlite(":memory:");
  const client = fakeClient();
  const web = client as unknown as WebClient;
  const logger = createLogger("silent");
  const config = readConfig({ ...VALID_ENV, ...o.env });
  const auth = new Authorizer(web, [RESPONDER], [APPROVER, APPROVER_2], logger);
  const deps: ListenerDeps = {
    config,
    store,
    logger,
    now: o.now ?? (() => new Date()),
    iam: o.iam ?? (noAws as unknown as IAMClient),
    cloudtrail: o.cloudtrail ?? (noAws as unknown as CloudTrailClient),
    botIdentity: () => Promise.resolve(BOT),
    client: web,
    auth,
  };
  return { deps, store, client, web };
}

/** The same deps with APPROVERS holding a user group Slack cannot list (membership unverifiable). */
export function withBrokenGroup(h: Harness): ListenerDeps {
  return { ...h.deps, auth: new Authorizer(h.web, [RESPONDER], [APPROVER, BROKEN_GROUP], h.deps.logger) };
}

/** Stores an alert for a CloudTrail record, posted to CHANNEL at `ts` unless `posted` is false. */
export async function seedAlert(store: KyselyStore, record: RecordOptions, o: { posted?: boolean; ts?: string; accountId?: string } = {}): Promise<AlertRecord> {
  const ev = normalizeRecord(iamRecord(record));
  await store.insertAlert(
    { eventId: ev.eventId, eventName: ev.eventName, severity: "high", severityReason: "test", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false, ...(o.accountId ? { accountId: o.accountId } : {}) },
    new Date(),
  );
  if (o.posted !== false) await store.markPosted(ev.eventId, CHANNEL, o.ts ?? "1699999999.000100");
  const alert = await store.getAlert(ev.eventId);
  if (!alert) throw new Error("alert not stored");
  return alert;
}

/** Every recorded action, oldest first. */
export async function recorded(store: KyselyStore): Promise<ActionRecord[]> {
  const out: ActionRecord[] = [];
  for await (const a of store.iterateActions()) out.push(a);
  return out;
}

/** "actor action result" of every recorded action, oldest first. */
export async function recordedLines(store: KyselyStore): Promise<string[]> {
  return (await recorded(store)).map((a) => `${a.actor} ${a.action} ${a.result}`);
}

/** The private (ephemeral) texts sent, in order, with their user. */
export function ephemerals(client: FakeClient): { user: unknown; channel: unknown; text: unknown; thread_ts?: unknown }[] {
  return client.chat.postEphemeral.mock.calls.map(([a]) => ({ user: a.user, channel: a.channel, text: a.text, ...(a.thread_ts ? { thread_ts: a.thread_ts } : {}) }));
}

/** The arguments of every call to a stubbed method, in order. */
export function callsOf(fn: Fn): Record<string, unknown>[] {
  return fn.mock.calls.map(([a]) => a);
}

/** A Bolt-shaped button click (block_actions) on a message in CHANNEL. */
export function buttonArgs(web: WebClient, o: { user: string; actionId?: string; value: string; channel?: string; responseUrl?: string }): ButtonArgs & { ack: Mock; respond: Mock } {
  const action = { type: "button", action_id: o.actionId ?? ActionIds.acknowledge, block_id: "b", value: o.value, text: { type: "plain_text", text: "x" }, action_ts: "1" };
  const body = {
    type: "block_actions",
    user: { id: o.user, name: o.user, team_id: "T1" },
    channel: { id: o.channel ?? CHANNEL, name: "alerts" },
    trigger_id: "trigger-1",
    api_app_id: "A1",
    token: "t",
    team: { id: "T1", domain: "example" },
    container: { type: "message" },
    ...(o.responseUrl ? { response_url: o.responseUrl } : {}),
    actions: [action],
  };
  return { ack: vi.fn(() => Promise.resolve()), respond: vi.fn(() => Promise.resolve()), body, action, client: web } as unknown as ButtonArgs & { ack: Mock; respond: Mock };
}

/** A Bolt-shaped modal submission (view_submission) with its private_metadata and input values. */
export function submitArgs(web: WebClient, o: { user: string; callbackId: string; privateMetadata: string; values?: Record<string, Record<string, unknown>> }): SubmitArgs & { ack: Mock } {
  const view = { id: "V0MODAL1", callback_id: o.callbackId, private_metadata: o.privateMetadata, state: { values: o.values ?? {} }, type: "modal", hash: "h" };
  const body = { type: "view_submission", user: { id: o.user, name: o.user, team_id: "T1" }, view, api_app_id: "A1", token: "t", team: { id: "T1", domain: "example" } };
  return { ack: vi.fn(() => Promise.resolve()), body, view, client: web } as unknown as SubmitArgs & { ack: Mock };
}

/** Runs a listener as Bolt does: its authorization middleware first, the listener as `next`. */
export async function dispatch<A extends GuardedArgs>(deps: ListenerDeps, rule: AccessRule<A>, listener: (deps: ListenerDeps, args: A) => Promise<void>, args: A): Promise<void> {
  await authorize(deps, rule)({ ...args, next: () => listener(deps, args) });
}

