// Sends requests to the app the way Slack does (facts A3, A4): a body signed with
// X-Slack-Signature = "v0=" + hex HMAC-SHA256(signingSecret, `v0:${timestamp}:${body}`) and
// X-Slack-Request-Timestamp, slash commands as form fields, interactions as a form field `payload=<JSON>`,
// and Events API callbacks as JSON. Builders produce realistic block_actions and view_submission payloads,
// typed with Bolt's own payload types.
//
// `appUrl` is the full request URL of the app's receiver, e.g. `http://127.0.0.1:${port}/slack/events`.
import { createHmac, randomBytes } from "node:crypto";
import type {
  BlockAction,
  ButtonAction,
  SlashCommand,
  ViewOutput,
  ViewStateValue,
  ViewSubmitAction,
} from "@slack/bolt";
import { FAKE_SLACK_IDENTITY } from "./slack.js";

/** Where payloads point response_url when the test gives none: a closed port, so nothing leaves the host. */
export const UNROUTED_RESPONSE_URL = "http://127.0.0.1:9/response/unset";

export interface SignedPostOptions {
  /** X-Slack-Request-Timestamp in epoch seconds; default now. Bolt rejects values older than 5 minutes. */
  timestamp?: number;
  /** Sign with a wrong secret, so the app must answer 401. */
  badSignature?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

export interface AppResponse {
  status: number;
  headers: Headers;
  /** Response body as text ("" for an empty ack). */
  body: string;
}

/** `v0=` + hex HMAC-SHA256(signingSecret, `v0:${timestamp}:${body}`). */
export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** POSTs `body` to the app with Slack's signature headers. */
export async function signedPost(
  appUrl: string,
  body: string,
  contentType: string,
  signingSecret: string,
  opts: SignedPostOptions = {},
): Promise<AppResponse> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = opts.badSignature ? `${signingSecret}-not-the-secret` : signingSecret;
  const res = await fetch(appUrl, {
    method: "POST",
    headers: {
      "Content-Type": contentType,
      "X-Slack-Request-Timestamp": String(timestamp),
      "X-Slack-Signature": slackSignature(secret, timestamp, body),
      "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      ...opts.headers,
    },
    body,
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Slash command fields; only `command` is required, the rest get test defaults. */
export type SlashCommandFields = Partial<SlashCommand> & { command: string };

/** The form fields Slack sends for a slash command, with test defaults for those not given. */
export function slashCommandFields(fields: SlashCommandFields): Record<string, string> {
  const defaults: SlashCommand = {
    token: "deprecated-verification-token",
    team_id: FAKE_SLACK_IDENTITY.teamId,
    team_domain: "test",
    channel_id: "C0ALERTS",
    channel_name: "alerts",
    user_id: "U0ALICE",
    user_name: "alice",
    command: fields.command,
    text: "",
    api_app_id: FAKE_SLACK_IDENTITY.appId,
    is_enterprise_install: "false",
    response_url: UNROUTED_RESPONSE_URL,
    trigger_id: newTriggerId(),
  };
  const merged: Record<string, unknown> = { ...defaults, ...fields };
  return Object.fromEntries(
    Object.entries(merged)
      .filter(([, value]) => value !== undefined && value !== null)
      .map(([key, value]) => [key, String(value)]),
  );
}

export function sendSlashCommand(
  appUrl: string,
  signingSecret: string,
  fields: SlashCommandFields,
  opts?: SignedPostOptions,
): Promise<AppResponse> {
  const body = new URLSearchParams(slashCommandFields(fields)).toString();
  return signedPost(appUrl, body, "application/x-www-form-urlencoded", signingSecret, opts);
}

/** POSTs an interaction payload as Slack does: form field `payload=<JSON>`. */
export function sendInteraction(
  appUrl: string,
  signingSecret: string,
  payload: object,
  opts?: SignedPostOptions,
): Promise<AppResponse> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return signedPost(appUrl, body, "application/x-www-form-urlencoded", signingSecret, opts);
}

export function sendBlockAction(
  appUrl: string,
  signingSecret: string,
  payload: BlockAction,
  opts?: SignedPostOptions,
): Promise<AppResponse> {
  return sendInteraction(appUrl, signingSecret, payload, opts);
}

export function sendViewSubmission(
  appUrl: string,
  signingSecret: string,
  payload: ViewSubmitAction,
  opts?: SignedPostOptions,
): Promise<AppResponse> {
  return sendInteraction(appUrl, signingSecret, payload, opts);
}

/** POSTs an Events API `event_callback` envelope around `event` (e.g. `{type: "app_home_opened", user}`). */
export function sendEvent(
  appUrl: string,
  signingSecret: string,
  event: { type: string } & Record<string, unknown>,
  opts?: SignedPostOptions,
): Promise<AppResponse> {
  return sendEnvelope(appUrl, signingSecret, eventEnvelope(event), opts);
}

/** POSTs a ready envelope, e.g. the same one twice as Slack does when it retries (X-Slack-Retry-Num). */
export function sendEnvelope(appUrl: string, signingSecret: string, envelope: object, opts?: SignedPostOptions): Promise<AppResponse> {
  return signedPost(appUrl, JSON.stringify(envelope), "application/json", signingSecret, opts);
}

/** The Events API `event_callback` envelope Slack wraps around `event`, with a new event_id. */
export function eventEnvelope(event: { type: string } & Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    token: "deprecated-verification-token",
    team_id: FAKE_SLACK_IDENTITY.teamId,
    api_app_id: FAKE_SLACK_IDENTITY.appId,
    event: { event_ts: `${now}.000100`, ...event },
    type: "event_callback",
    event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
    event_time: now,
    authorizations: [
      {
        enterprise_id: null,
        team_id: FAKE_SLACK_IDENTITY.teamId,
        user_id: FAKE_SLACK_IDENTITY.userId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

export interface BlockActionOptions {
  userId: string;
  actionId: string;
  value?: string;
  /** Channel and ts of the message holding the button (a message container). */
  channelId?: string;
  messageTs?: string;
  /** The message as shown, when the handler reads it. */
  messageText?: string;
  messageBlocks?: unknown[];
  /** For a button inside a modal or the Home tab: the view (a view container instead of a message). */
  view?: ViewOutput;
  responseUrl?: string;
  triggerId?: string;
  blockId?: string;
  buttonText?: string;
  userName?: string;
  teamId?: string;
}

/** A block_actions payload for a button click, shaped like Slack's. */
export function blockActionPayload(opts: BlockActionOptions): BlockAction<ButtonAction> {
  const teamId = opts.teamId ?? FAKE_SLACK_IDENTITY.teamId;
  const userName = opts.userName ?? opts.userId.toLowerCase();
  const actionTs = (Date.now() / 1000).toFixed(6);
  const channelId = opts.channelId ?? "C0ALERTS";
  const messageTs = opts.messageTs ?? actionTs;
  const action: ButtonAction = {
    type: "button",
    block_id: opts.blockId ?? "actions",
    action_id: opts.actionId,
    text: { type: "plain_text", text: opts.buttonText ?? opts.actionId, emoji: true },
    action_ts: actionTs,
  };
  if (opts.value !== undefined) action.value = opts.value;

  const payload: BlockAction<ButtonAction> = {
    type: "block_actions",
    user: { id: opts.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: FAKE_SLACK_IDENTITY.appId,
    token: "deprecated-verification-token",
    container: opts.view
      ? { type: "view", view_id: opts.view.id }
      : { type: "message", message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: opts.triggerId ?? newTriggerId(),
    team: { id: teamId, domain: "test" },
    is_enterprise_install: false,
    response_url: opts.responseUrl ?? UNROUTED_RESPONSE_URL,
    actions: [action],
  };
  if (opts.view) {
    payload.view = opts.view;
    payload.state = { values: opts.view.state.values };
  } else {
    payload.channel = { id: channelId, name: "alerts" };
    payload.message = {
      type: "message",
      user: FAKE_SLACK_IDENTITY.userId,
      bot_id: FAKE_SLACK_IDENTITY.botId,
      app_id: FAKE_SLACK_IDENTITY.appId,
      ts: messageTs,
      text: opts.messageText ?? "",
      blocks: opts.messageBlocks ?? [],
      team: teamId,
    };
    payload.state = { values: {} };
  }
  return payload;
}

/** Submitted input values: block_id -> action_id -> state value; a string means a plain_text_input value. */
export type SubmittedValues = Record<string, Record<string, ViewStateValue | string>>;

export interface ViewSubmissionOptions {
  userId: string;
  callbackId: string;
  privateMetadata?: string;
  values?: SubmittedValues;
  viewId?: string;
  title?: string;
  blocks?: ViewOutput["blocks"];
  triggerId?: string;
  userName?: string;
  teamId?: string;
}

/** A view_submission payload for a modal, shaped like Slack's. */
export function viewSubmissionPayload(opts: ViewSubmissionOptions): ViewSubmitAction {
  const teamId = opts.teamId ?? FAKE_SLACK_IDENTITY.teamId;
  const viewId = opts.viewId ?? `V${randomBytes(5).toString("hex").toUpperCase()}`;
  const values: ViewOutput["state"]["values"] = {};
  for (const [blockId, actions] of Object.entries(opts.values ?? {})) {
    values[blockId] = Object.fromEntries(
      Object.entries(actions).map(([actionId, value]) => [
        actionId,
        typeof value === "string" ? { type: "plain_text_input", value } : value,
      ]),
    );
  }
  return {
    type: "view_submission",
    team: { id: teamId, domain: "test" },
    user: { id: opts.userId, name: opts.userName ?? opts.userId.toLowerCase(), team_id: teamId },
    api_app_id: FAKE_SLACK_IDENTITY.appId,
    token: "deprecated-verification-token",
    trigger_id: opts.triggerId ?? newTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: "modal",
      blocks: opts.blocks ?? [],
      private_metadata: opts.privateMetadata ?? "",
      callback_id: opts.callbackId,
      state: { values },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString("hex")}`,
      title: { type: "plain_text", text: opts.title ?? "Trailwatch", emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: { type: "plain_text", text: "Cancel", emoji: true },
      submit: { type: "plain_text", text: "Submit", emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: FAKE_SLACK_IDENTITY.appId,
      external_id: "",
      app_installed_team_id: teamId,
      bot_id: FAKE_SLACK_IDENTITY.botId,
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}

function newTriggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomBytes(16).toString("hex")}`;
}
