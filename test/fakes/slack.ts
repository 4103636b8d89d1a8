// A local fake of the Slack Web API (`${url}/api/<method>`) and of response_url endpoints
// (`${url}/response/<id>`), for integration tests and the benchmark. Point the app at it with
// `slackApiUrl: fake.url + "/api/"` (WebClient or Bolt `clientOptions`).
//
// It speaks what @slack/web-api sends: POST application/x-www-form-urlencoded with objects (blocks,
// attachments, metadata, view) as JSON-stringified fields, or application/json; a Bearer token. Errors are
// HTTP 200 `{ok:false, error}` as on real Slack; rate limits are HTTP 429 with Retry-After (facts A2).
//
// Outages and crashes are injectable: `setDown` (HTTP 503 or connection reset for every request),
// `failNext` (a given failure for the next n calls of a method), and `dropResponsesFor` (the call takes
// effect, then the connection is dropped unanswered, as when the app times out after Slack accepted a post).
// Rate limits run on the real clock; the injected `now` only stamps message ts values and call times.
//
// Socket Mode: `apps.connections.open` takes an app-level token (xapp-…) and answers the WebSocket URL set
// with `setSocketModeUrl` (e.g. a fake from ./socket-mode.ts); every other method takes the bot token.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  destroyConnection,
  isRecord,
  listenLoopback,
  readBody,
  sendJson,
  sleep,
  type LoopbackServer,
} from "./http-util.js";

/** The bot scopes manifest.yml asks for: what the fake reports in `x-oauth-scopes` unless told otherwise. */
export const FAKE_BOT_SCOPES: readonly string[] = ["chat:write", "channels:history", "groups:history", "commands", "usergroups:read"];

/** Who the fake's bot token belongs to (what auth.test answers). */
export const FAKE_SLACK_IDENTITY = {
  userId: "UBOT",
  botId: "BBOT",
  teamId: "T1",
  appId: "A1",
  user: "trailwatch",
  team: "Test",
} as const;

/** Form fields that web-api JSON-encodes; the fake parses them back into objects. */
const JSON_FIELDS = ["blocks", "attachments", "metadata", "view"] as const;

export type SlackParams = Record<string, unknown>;

export interface SlackMessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackMessage {
  type: "message";
  channel: string;
  ts: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  text?: string | undefined;
  blocks?: unknown[] | undefined;
  attachments?: unknown[] | undefined;
  metadata?: SlackMessageMetadata | undefined;
  /** Set on replies, and on a parent once it has replies. */
  thread_ts?: string | undefined;
  reply_count?: number | undefined;
  latest_reply?: string | undefined;
  edited?: { user: string | undefined; ts: string };
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text?: string | undefined;
  blocks?: unknown[] | undefined;
  thread_ts?: string | undefined;
}

export interface SlackView {
  id: string;
  /** The call that created the view. */
  createdBy: "views.open" | "views.push" | "views.publish";
  /** views.publish: whose Home tab this is. */
  userId?: string | undefined;
  triggerId?: string | undefined;
  /** The view as Slack returns it: the definition sent, plus id, hash, state, ... */
  view: Record<string, unknown>;
  /** Number of views.update / re-publish calls applied. */
  updates: number;
}

export interface ResponseUrlPost {
  time: number;
  /** The JSON body (or the raw text when it is not JSON). */
  body: unknown;
}

export interface SlackCall {
  /** API method, or "response_url" for a POST to a response URL. */
  method: string;
  params: SlackParams;
  /** The fake clock's epoch ms at the request. */
  time: number;
  /** HTTP status answered, or null when the connection was reset, dropped or left hanging. */
  status: number | null;
  /** Slack error code of an `ok:false` answer, or the injected failure ("reset", "dropped", "hang", ...). */
  error?: string | undefined;
}

/** A failure to inject for one call: an HTTP status, a dropped connection, a 429, no answer, or `ok:false`. */
export type SlackFailureKind = "http500" | "http503" | "reset" | "ratelimited" | "hang" | { error: string };

export type SlackDownMode = "http503" | "reset";

export interface FakeSlackOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Clock for message ts values and call times, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** The only accepted token; by default any token starting with "xoxb-". */
  token?: string | undefined;
  /** apps.connections.open: the WebSocket URL to answer (see `setSocketModeUrl`). */
  socketModeUrl?: string | undefined;
  /** apps.connections.open: the only accepted app-level token; by default any token starting with "xapp-". */
  appToken?: string | undefined;
  /** chat.postMessage calls allowed per channel per second (sliding window); unlimited by default. */
  postRateLimitPerChannel?: number | undefined;
  /** When set, other channel ids answer `channel_not_found`. */
  knownChannels?: string[] | undefined;
  /** usergroups.users.list members by usergroup id. */
  usergroups?: Record<string, string[]> | undefined;
  /** users.info overrides by user id (merged over a generated minimal user). */
  users?: Record<string, Record<string, unknown>> | undefined;
  /** Scopes granted to the bot token, sent in the `x-oauth-scopes` header of every answer. Default FAKE_BOT_SCOPES. */
  scopes?: string[] | undefined;
  /** Channels the bot is not a member of (conversations.info is_member false; conversations.history not_in_channel). */
  notMemberOf?: string[] | undefined;
}

export type WaitForPredicate<T> = (slack: FakeSlack) => T | false | null | undefined;

export interface FakeSlack {
  readonly url: string;
  readonly port: number;
  /** Every request in arrival order. */
  readonly calls: readonly SlackCall[];
  readonly views: readonly SlackView[];
  readonly ephemerals: readonly SlackEphemeral[];
  /** Stored messages, oldest first; all channels when `channel` is omitted. */
  messages(channel?: string): SlackMessage[];
  /** The message with this ts in this channel, if any. */
  message(channel: string, ts: string): SlackMessage | undefined;
  /** Calls of one method. */
  callsTo(method: string): SlackCall[];
  /** `${url}/response/${id}`. When bound to an original message, replace/delete_original and in_channel apply to it. */
  responseUrl(id: string, original?: { channel: string; ts?: string }): string;
  /** Bodies POSTed to `responseUrl(id)`, in order. */
  responses(id: string): ResponseUrlPost[];
  setUsergroup(id: string, members: string[]): void;
  /** Scopes reported in `x-oauth-scopes` from now on; conversations.info needs channels:read or groups:read. */
  setScopes(scopes: string[]): void;
  /** Makes the bot a member of a channel or not (see `notMemberOf`). */
  setChannelMember(channel: string, member: boolean): void;
  /**
   * What apps.connections.open answers: `{ok:true, url}`; undefined (the default) answers
   * `{ok:false, error:"socket_mode_not_enabled"}` (the fake's own code). With `appToken`, only that exact
   * app-level token is accepted from then on.
   */
  setSocketModeUrl(url: string | undefined, appToken?: string): void;
  /** Changes the per-channel chat.postMessage limit; undefined removes it. */
  setPostRateLimit(perChannelPerSecond: number | undefined): void;
  /**
   * Stores a message as if another app or user had posted it (its own bot_id / user), e.g. one forging an
   * alert's metadata. Returns its ts.
   */
  addForeignMessage(channel: string, m: { text: string; bot_id?: string; user?: string; metadata?: SlackMessageMetadata }): string;
  /** chat.update calls per channel per second (sliding window), counted apart from posts; unlimited by default. */
  setUpdateRateLimit(perChannelPerSecond: number | undefined): void;
  /** While down, every request (API and response URLs) gets HTTP 503 or a connection reset. */
  setDown(down: boolean, mode?: SlackDownMode): void;
  /** The next `n` calls of `method` ("*" for any, "response_url" for response URLs) fail with `kind`. */
  failNext(method: string, n: number, kind?: SlackFailureKind): void;
  /** While set, chat.postMessage to this channel answers `ok: false` with this error (e.g. "not_in_channel"). */
  setChannelError(channel: string, error: string | null): void;
  /**
   * The next `n` calls of `method` take effect, then the connection is dropped without an answer. With
   * `channel`, only calls to that channel count (e.g. an alert post, not the operational notice before it).
   */
  dropResponsesFor(method: string, n: number, opts?: { channel?: string }): void;
  /** Polls (every 10 ms) until `predicate` returns a truthy value, which it resolves with. */
  waitFor<T>(predicate: WaitForPredicate<T>, timeoutMs?: number, description?: string): Promise<T>;
  /** Clears messages, calls, views, ephemerals, responses, injected failures and the down state. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlackServer(opts);
  await fake.listen(opts.port ?? 0);
  return fake;
}

/** An `ok:false` answer; thrown by method handlers. */
class SlackApiError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

type SlackResult = Record<string, unknown>;
type MethodHandler = (params: SlackParams) => SlackResult;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: SlackResult;
}

function answer(body: SlackResult, status = 200, headers: Record<string, string> = {}): Answer {
  return { status, headers, body };
}

interface ResponseUrlBinding {
  channel: string;
  ts?: string | undefined;
}

class FakeSlackServer implements FakeSlack {
  readonly calls: SlackCall[] = [];
  views: SlackView[] = [];
  ephemerals: SlackEphemeral[] = [];

  private server: LoopbackServer | undefined;
  private readonly now: () => number;
  private allMessages: SlackMessage[] = [];
  private responsePosts = new Map<string, ResponseUrlPost[]>();
  private readonly responseBindings = new Map<string, ResponseUrlBinding>();
  private readonly usergroups: Map<string, string[]>;
  private postRateLimit: number | undefined;
  /** Recent accepted chat.postMessage times (performance.now) per channel. */
  private postWindows = new Map<string, number[]>();
  private updateRateLimit: number | undefined;
  private updateWindows = new Map<string, number[]>();
  private down: SlackDownMode | undefined;
  private failures: Array<{ method: string; kind: SlackFailureKind }> = [];
  private drops: { method: string; channel?: string }[] = [];
  private lastTsMicros = 0;
  private viewCounter = 0;
  private socketModeUrl: string | undefined;
  private appToken: string | undefined;
  private readonly methods: Record<string, MethodHandler>;
  private scopes: string[];
  private readonly notMemberOf: Set<string>;

  constructor(private readonly opts: FakeSlackOptions) {
    this.scopes = [...(opts.scopes ?? FAKE_BOT_SCOPES)];
    this.notMemberOf = new Set(opts.notMemberOf ?? []);
    this.now = opts.now ?? Date.now;
    this.socketModeUrl = opts.socketModeUrl;
    this.appToken = opts.appToken;
    this.postRateLimit = opts.postRateLimitPerChannel;
    this.usergroups = new Map(Object.entries(opts.usergroups ?? {}));
    this.methods = {
      "auth.test": () => this.authTest(),
      "apps.connections.open": () => this.connectionsOpen(),
      "chat.postMessage": (p) => this.postMessage(p),
      "chat.update": (p) => this.update(p),
      "chat.postEphemeral": (p) => this.postEphemeral(p),
      "chat.getPermalink": (p) => this.getPermalink(p),
      "conversations.history": (p) => this.history(p),
      "conversations.replies": (p) => this.replies(p),
      "views.open": (p) => this.openView("views.open", p),
      "views.push": (p) => this.openView("views.push", p),
      "views.update": (p) => this.updateView(p),
      "views.publish": (p) => this.publishView(p),
      "usergroups.users.list": (p) => this.usergroupMembers(p),
      "users.info": (p) => this.userInfo(p),
      "conversations.info": (p) => this.conversationInfo(p),
    };
  }

  async listen(port: number): Promise<void> {
    this.server = await listenLoopback((req, res) => this.handle(req, res), port);
  }

  get url(): string {
    return this.listening().url;
  }

  get port(): number {
    return this.listening().port;
  }

  close(): Promise<void> {
    return this.listening().close();
  }

  // --- introspection and control ---

  messages(channel?: string): SlackMessage[] {
    return channel === undefined ? [...this.allMessages] : this.allMessages.filter((m) => m.channel === channel);
  }

  message(channel: string, ts: string): SlackMessage | undefined {
    return this.allMessages.find((m) => m.channel === channel && m.ts === ts);
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  responseUrl(id: string, original?: { channel: string; ts?: string }): string {
    if (original) this.responseBindings.set(id, original);
    return `${this.url}/response/${encodeURIComponent(id)}`;
  }

  responses(id: string): ResponseUrlPost[] {
    return [...(this.responsePosts.get(id) ?? [])];
  }

  setScopes(scopes: string[]): void {
    this.scopes = [...scopes];
  }

  setChannelMember(channel: string, member: boolean): void {
    if (member) this.notMemberOf.delete(channel);
    else this.notMemberOf.add(channel);
  }

  setUsergroup(id: string, members: string[]): void {
    this.usergroups.set(id, [...members]);
  }

  setSocketModeUrl(url: string | undefined, appToken?: string): void {
    this.socketModeUrl = url;
    if (appToken !== undefined) this.appToken = appToken;
  }

  setPostRateLimit(perChannelPerSecond: number | undefined): void {
    this.postRateLimit = perChannelPerSecond;
    this.postWindows.clear();
  }

  addForeignMessage(channel: string, m: { text: string; bot_id?: string; user?: string; metadata?: SlackMessageMetadata }): string {
    const message: SlackMessage = {
      type: "message",
      channel,
      ts: this.nextTs(),
      user: m.user ?? "UFORGER01",
      bot_id: m.bot_id ?? "BFORGER01",
      app_id: "AFORGER01",
      team: FAKE_SLACK_IDENTITY.teamId,
      text: m.text,
      ...(m.metadata ? { metadata: m.metadata } : {}),
    };
    this.allMessages.push(message);
    return message.ts;
  }

  setUpdateRateLimit(perChannelPerSecond: number | undefined): void {
    this.updateRateLimit = perChannelPerSecond;
    this.updateWindows.clear();
  }

  setDown(down: boolean, mode: SlackDownMode = "http503"): void {
    this.down = down ? mode : undefined;
  }

  setChannelError(channel: string, error: string | null): void {
    if (error === null) this.channelErrors.delete(channel);
    else this.channelErrors.set(channel, error);
  }

  failNext(method: string, n: number, kind: SlackFailureKind = "http500"): void {
    for (let i = 0; i < n; i++) this.failures.push({ method, kind });
  }

  dropResponsesFor(method: string, n: number, opts: { channel?: string } = {}): void {
    for (let i = 0; i < n; i++) this.drops.push({ method, ...(opts.channel !== undefined ? { channel: opts.channel } : {}) });
  }

  async waitFor<T>(predicate: WaitForPredicate<T>, timeoutMs = 5000, description?: string): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = predicate(this);
        if (value) return value;
        lastError = undefined;
      } catch (err) {
        // A predicate that indexes into state not there yet (e.g. messages()[0].text) just isn't true yet.
        lastError = err;
      }
      if (performance.now() >= deadline) break;
      await sleep(10);
    }
    const lines = [
      `FakeSlack.waitFor timed out after ${timeoutMs} ms${description ? `: ${description}` : ""}`,
      `  predicate: ${predicate.toString().replace(/\s+/g, " ").slice(0, 300)}`,
    ];
    if (lastError !== undefined) {
      lines.push(`  last predicate error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`);
    }
    lines.push(...this.describeState());
    throw new Error(lines.join("\n"));
  }

  reset(): void {
    this.calls.length = 0;
    this.allMessages = [];
    this.views = [];
    this.ephemerals = [];
    this.responsePosts = new Map();
    this.responseBindings.clear();
    this.postWindows.clear();
    this.down = undefined;
    this.failures = [];
    this.drops = [];
    this.postRateLimit = this.opts.postRateLimitPerChannel;
    this.updateRateLimit = undefined;
    this.updateWindows.clear();
  }

  // --- request handling ---

  private listening(): LoopbackServer {
    if (!this.server) throw new Error("fake Slack is not listening");
    return this.server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await readBody(req);
    const apiMethod = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    const responseId = /^\/response\/([^/]+)$/.exec(url.pathname)?.[1];
    if (apiMethod === undefined && responseId === undefined) {
      sendJson(res, 404, { ok: false, error: "not_found" });
      return;
    }
    const method = apiMethod ?? "response_url";
    const params: SlackParams =
      responseId === undefined
        ? parseParams(req, url, body)
        : { id: decodeURIComponent(responseId), body: parseJsonOrText(body) };
    const call: SlackCall = { method, params, time: this.now(), status: null };
    this.calls.push(call);

    if (this.down === "reset") {
      call.error = "reset";
      destroyConnection(req, res);
      return;
    }
    if (this.down === "http503") {
      call.status = 503;
      call.error = "down";
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("Service Unavailable");
      return;
    }
    const failureIndex = this.failures.findIndex((f) => f.method === method || f.method === "*");
    if (failureIndex >= 0) {
      const [failure] = this.failures.splice(failureIndex, 1);
      if (failure) {
        this.fail(req, res, call, failure.kind);
        return;
      }
    }

    const reply =
      responseId === undefined
        ? this.answerApi(method, params, req)
        : this.answerResponseUrl(String(params.id), params.body);
    const dropIndex = this.drops.findIndex(
      (d) => (d.method === method || d.method === "*") && (d.channel === undefined || d.channel === str(params, "channel")),
    );
    if (dropIndex >= 0) {
      this.drops.splice(dropIndex, 1);
      call.error = "dropped";
      destroyConnection(req, res);
      return;
    }
    call.status = reply.status;
    if (reply.body.ok !== true) call.error = String(reply.body.error);
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  private answerApi(method: string, params: SlackParams, req: IncomingMessage): Answer {
    const handler = this.methods[method];
    if (!handler) return answer({ ok: false, error: "unknown_method" });
    const token = bearerToken(req);
    if (!token) return answer({ ok: false, error: "not_authed" });
    // Token types are not interchangeable: an app-level token opens Socket Mode connections and nothing else.
    if (method === "apps.connections.open") {
      if (!token.startsWith("xapp-")) return answer({ ok: false, error: "not_allowed_token_type" });
      if (this.appToken !== undefined && token !== this.appToken) return answer({ ok: false, error: "invalid_auth" });
    } else if (!this.tokenIsValid(token)) {
      return answer({ ok: false, error: "invalid_auth" });
    }
    if (method === "chat.postMessage" && !this.takePostSlot(str(params, "channel") ?? "")) {
      return answer({ ok: false, error: "ratelimited" }, 429, { "Retry-After": "1" });
    }
    // Slack names the token's granted scopes on every answer to a valid token.
    const scopeHeader = { "x-oauth-scopes": this.scopes.join(",") };
    if (method === "chat.update" && !this.takeSlot(this.updateRateLimit, this.updateWindows, str(params, "channel") ?? "")) {
      return answer({ ok: false, error: "ratelimited" }, 429, { "Retry-After": "1" });
    }
    try {
      return answer({ ok: true, ...handler(params) }, 200, scopeHeader);
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      return answer({ ok: false, error: err.code }, 200, scopeHeader);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, call: SlackCall, kind: SlackFailureKind): void {
    if (typeof kind === "object") {
      call.status = 200;
      call.error = kind.error;
      sendJson(res, 200, { ok: false, error: kind.error });
      return;
    }
    call.error = kind;
    switch (kind) {
      case "reset":
        destroyConnection(req, res);
        return;
      case "hang":
        // Never answered; close() (or the client's timeout) ends the connection.
        return;
      case "ratelimited":
        call.status = 429;
        sendJson(res, 429, { ok: false, error: "ratelimited" }, { "Retry-After": "1" });
        return;
      case "http500":
      case "http503":
        call.status = kind === "http500" ? 500 : 503;
        res.writeHead(call.status, { "Content-Type": "text/plain" });
        res.end(kind === "http500" ? "Internal Server Error" : "Service Unavailable");
        return;
    }
  }

  private tokenIsValid(token: string): boolean {
    return this.opts.token === undefined ? token.startsWith("xoxb-") : token === this.opts.token;
  }

  private takeSlot(limit: number | undefined, windows: Map<string, number[]>, channel: string): boolean {
    if (limit === undefined) return true;
    const now = performance.now();
    const recent = (windows.get(channel) ?? []).filter((t) => now - t < 1000);
    const allowed = recent.length < limit;
    if (allowed) recent.push(now);
    windows.set(channel, recent);
    return allowed;
  }

  /** Sliding one-second window per channel; true when the post may go through (and counts it). */
  private takePostSlot(channel: string): boolean {
    if (this.postRateLimit === undefined) return true;
    const now = performance.now();
    const recent = (this.postWindows.get(channel) ?? []).filter((t) => now - t < 1000);
    const allowed = recent.length < this.postRateLimit;
    if (allowed) recent.push(now);
    this.postWindows.set(channel, recent);
    return allowed;
  }

  private describeState(): string[] {
    const byChannel = new Map<string, SlackMessage[]>();
    for (const m of this.allMessages) byChannel.set(m.channel, [...(byChannel.get(m.channel) ?? []), m]);
    const lines = [`  messages: ${this.allMessages.length}`];
    for (const [channel, list] of byChannel) {
      const last = list[list.length - 1];
      lines.push(`    ${channel}: ${list.length}, last ts ${last?.ts ?? "-"} text ${JSON.stringify(last?.text ?? "")}`);
    }
    lines.push(`  views: ${this.views.length}, ephemerals: ${this.ephemerals.length}`);
    const recent = this.calls
      .slice(-8)
      .map((c) => `${c.method} -> ${c.status ?? "no answer"}${c.error ? ` (${c.error})` : ""}`);
    lines.push(`  last calls (${this.calls.length} total): ${recent.length ? recent.join("; ") : "none"}`);
    return lines;
  }

  // --- state helpers ---

  /** A unique, increasing "seconds.micros" ts taken from the clock. */
  private nextTs(): string {
    const micros = Math.max(Math.floor(this.now()) * 1000, this.lastTsMicros + 100);
    this.lastTsMicros = micros;
    return microsToTs(micros);
  }

  private requireChannel(params: SlackParams, key = "channel"): string {
    const channel = str(params, key);
    if (!channel) throw new SlackApiError("channel_not_found");
    if (this.opts.knownChannels && !this.opts.knownChannels.includes(channel)) {
      throw new SlackApiError("channel_not_found");
    }
    return channel;
  }

  private findMessage(channel: string, ts: string | undefined): SlackMessage {
    const found = ts === undefined ? undefined : this.message(channel, ts);
    if (!found) throw new SlackApiError("message_not_found");
    return found;
  }

  // --- methods ---

  private authTest(): SlackResult {
    return {
      url: `${this.url}/`,
      team: FAKE_SLACK_IDENTITY.team,
      user: FAKE_SLACK_IDENTITY.user,
      team_id: FAKE_SLACK_IDENTITY.teamId,
      user_id: FAKE_SLACK_IDENTITY.userId,
      bot_id: FAKE_SLACK_IDENTITY.botId,
      is_enterprise_install: false,
    };
  }

  private connectionsOpen(): SlackResult {
    // Not a real Slack error code: the test forgot setSocketModeUrl (or Socket Mode is "off" for the app).
    if (this.socketModeUrl === undefined) throw new SlackApiError("socket_mode_not_enabled");
    return { url: this.socketModeUrl };
  }

  private readonly channelErrors = new Map<string, string>();

  private postMessage(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    const channelError = this.channelErrors.get(channel);
    if (channelError) throw new SlackApiError(channelError);
    const message = this.storeMessage(channel, params);
    return { channel, ts: message.ts, message: withoutChannel(message) };
  }

  private storeMessage(channel: string, params: SlackParams): SlackMessage {
    const content = messageContent(params);
    if (content.text === undefined && content.blocks === undefined && content.attachments === undefined) {
      throw new SlackApiError("no_text");
    }
    const message: SlackMessage = {
      type: "message",
      channel,
      ts: this.nextTs(),
      user: FAKE_SLACK_IDENTITY.userId,
      bot_id: FAKE_SLACK_IDENTITY.botId,
      app_id: FAKE_SLACK_IDENTITY.appId,
      team: FAKE_SLACK_IDENTITY.teamId,
      ...content,
    };
    const threadTs = str(params, "thread_ts");
    if (threadTs) {
      message.thread_ts = threadTs;
      const parent = this.message(channel, threadTs);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        parent.latest_reply = message.ts;
      }
    }
    this.allMessages.push(message);
    return message;
  }

  private update(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    const message = this.findMessage(channel, str(params, "ts"));
    // Fields left out keep their value; an empty blocks/attachments array removes them (as on Slack).
    Object.assign(message, messageContent(params));
    if (message.blocks?.length === 0) delete message.blocks;
    if (message.attachments?.length === 0) delete message.attachments;
    message.edited = { user: FAKE_SLACK_IDENTITY.userId, ts: this.nextTs() };
    return { channel, ts: message.ts, text: message.text ?? "", message: withoutChannel(message) };
  }

  private postEphemeral(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    const user = str(params, "user");
    if (!user) throw new SlackApiError("user_not_in_channel");
    const { text, blocks } = messageContent(params);
    if (text === undefined && blocks === undefined) throw new SlackApiError("no_text");
    const ephemeral: SlackEphemeral = { channel, user, message_ts: this.nextTs(), text, blocks };
    const threadTs = str(params, "thread_ts");
    if (threadTs) ephemeral.thread_ts = threadTs;
    this.ephemerals.push(ephemeral);
    return { message_ts: ephemeral.message_ts };
  }

  private getPermalink(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    const message = this.findMessage(channel, str(params, "message_ts"));
    let permalink = `${this.url}/archives/${channel}/p${message.ts.replace(".", "")}`;
    if (message.thread_ts && message.thread_ts !== message.ts) {
      permalink += `?thread_ts=${message.thread_ts}&cid=${channel}`;
    }
    return { channel, permalink };
  }

  private history(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    if (this.notMemberOf.has(channel)) throw new SlackApiError("not_in_channel");
    const topLevel = this.messages(channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    return this.page(topLevel.reverse(), params);
  }

  private replies(params: SlackParams): SlackResult {
    const channel = this.requireChannel(params);
    const ts = str(params, "ts");
    const thread = this.messages(channel).filter((m) => m.ts === ts || (ts !== undefined && m.thread_ts === ts));
    if (thread.length === 0) throw new SlackApiError("thread_not_found");
    return this.page(thread, params);
  }

  /** oldest/latest/inclusive/limit/cursor paging over messages in the order given. */
  private page(ordered: SlackMessage[], params: SlackParams): SlackResult {
    const oldest = tsToMicros(str(params, "oldest") ?? "0");
    if (Number.isNaN(oldest)) throw new SlackApiError("invalid_ts_oldest");
    const latestTs = str(params, "latest");
    const latest = latestTs ? tsToMicros(latestTs) : Number.POSITIVE_INFINITY;
    if (Number.isNaN(latest)) throw new SlackApiError("invalid_ts_latest");
    const inclusive = bool(params, "inclusive");
    const limit = Math.min(Math.max(num(params, "limit") ?? 100, 1), 999);
    const withMetadata = bool(params, "include_all_metadata");

    let inRange = ordered.filter((m) => {
      const t = tsToMicros(m.ts);
      return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
    });
    const cursor = str(params, "cursor");
    if (cursor) {
      const match = /^next_ts:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
      const start = match?.[1] === undefined ? -1 : inRange.findIndex((m) => tsToMicros(m.ts) === Number(match[1]));
      if (start < 0) throw new SlackApiError("invalid_cursor");
      inRange = inRange.slice(start);
    }
    const page = inRange.slice(0, limit);
    const next = inRange[limit];
    const messages = page.map((m) => {
      const { metadata, ...rest } = withoutChannel(m);
      return withMetadata && metadata ? { ...rest, metadata } : rest;
    });
    return {
      messages,
      has_more: next !== undefined,
      pin_count: 0,
      response_metadata: {
        next_cursor: next ? Buffer.from(`next_ts:${tsToMicros(next.ts)}`).toString("base64") : "",
      },
    };
  }

  private openView(method: "views.open" | "views.push", params: SlackParams): SlackResult {
    const triggerId = str(params, "trigger_id");
    if (!triggerId) throw new SlackApiError("invalid_arguments");
    const view = viewParam(params);
    const stored: SlackView = { id: this.newViewId(), createdBy: method, triggerId, view: {}, updates: 0 };
    stored.view = this.renderView(stored.id, view);
    this.views.push(stored);
    return { view: stored.view };
  }

  private updateView(params: SlackParams): SlackResult {
    const viewId = str(params, "view_id");
    const externalId = str(params, "external_id");
    const stored = this.views.find((v) => (viewId ? v.id === viewId : externalId && v.view.external_id === externalId));
    if (!stored) throw new SlackApiError("not_found");
    const hash = str(params, "hash");
    if (hash && hash !== stored.view.hash) throw new SlackApiError("hash_conflict");
    stored.view = this.renderView(stored.id, viewParam(params));
    stored.updates++;
    return { view: stored.view };
  }

  private publishView(params: SlackParams): SlackResult {
    const userId = str(params, "user_id");
    if (!userId) throw new SlackApiError("invalid_arguments");
    const view = viewParam(params);
    if (view.type !== "home") throw new SlackApiError("invalid_arguments");
    let stored = this.views.find((v) => v.createdBy === "views.publish" && v.userId === userId);
    if (stored) {
      const hash = str(params, "hash");
      if (hash && hash !== stored.view.hash) throw new SlackApiError("hash_conflict");
      stored.updates++;
    } else {
      stored = { id: this.newViewId(), createdBy: "views.publish", userId, view: {}, updates: 0 };
      this.views.push(stored);
    }
    stored.view = this.renderView(stored.id, view);
    return { view: stored.view };
  }

  private newViewId(): string {
    this.viewCounter++;
    return `V${String(this.viewCounter).padStart(10, "0")}`;
  }

  private renderView(id: string, view: Record<string, unknown>): Record<string, unknown> {
    return {
      id,
      team_id: FAKE_SLACK_IDENTITY.teamId,
      blocks: [],
      private_metadata: "",
      callback_id: "",
      external_id: "",
      clear_on_close: false,
      notify_on_close: false,
      ...view,
      state: { values: {} },
      hash: `${Math.floor(this.now() / 1000)}.${randomBytes(4).toString("hex")}`,
      root_view_id: id,
      previous_view_id: null,
      app_id: FAKE_SLACK_IDENTITY.appId,
      app_installed_team_id: FAKE_SLACK_IDENTITY.teamId,
      bot_id: FAKE_SLACK_IDENTITY.botId,
    };
  }

  private conversationInfo(params: SlackParams): SlackResult {
    if (!this.scopes.includes("channels:read") && !this.scopes.includes("groups:read")) throw new SlackApiError("missing_scope");
    const channel = this.requireChannel(params);
    return {
      channel: { id: channel, name: channel.toLowerCase(), is_channel: true, is_private: false, is_archived: false, is_member: !this.notMemberOf.has(channel) },
    };
  }

  private usergroupMembers(params: SlackParams): SlackResult {
    const members = this.usergroups.get(str(params, "usergroup") ?? "");
    if (!members) throw new SlackApiError("no_such_subteam");
    return { users: [...members] };
  }

  private userInfo(params: SlackParams): SlackResult {
    const id = str(params, "user") ?? "";
    if (!/^[UW][A-Z0-9]+$/.test(id)) throw new SlackApiError("user_not_found");
    const name = id.toLowerCase();
    return {
      user: {
        id,
        team_id: FAKE_SLACK_IDENTITY.teamId,
        name,
        real_name: `User ${id}`,
        deleted: false,
        is_bot: false,
        is_admin: false,
        tz: "Etc/UTC",
        profile: { real_name: `User ${id}`, display_name: name },
        ...this.opts.users?.[id],
      },
    };
  }

  // --- response URLs ---

  /** Records the post; when the URL is bound to a message, applies delete/replace_original or in_channel. */
  private answerResponseUrl(id: string, body: unknown): Answer {
    const posts = this.responsePosts.get(id) ?? [];
    posts.push({ time: this.now(), body });
    this.responsePosts.set(id, posts);

    const binding = this.responseBindings.get(id);
    if (!binding || !isRecord(body)) return answer({ ok: true });
    const original = binding.ts === undefined ? undefined : this.message(binding.channel, binding.ts);
    try {
      if (body.delete_original === true && original) {
        this.allMessages = this.allMessages.filter((m) => m !== original);
      } else if (body.replace_original === true && original) {
        Object.assign(original, messageContent(body));
        original.edited = { user: FAKE_SLACK_IDENTITY.userId, ts: this.nextTs() };
      } else if (body.response_type === "in_channel") {
        this.storeMessage(binding.channel, body);
      }
    } catch (err) {
      if (!(err instanceof SlackApiError)) throw err;
      return answer({ ok: false, error: err.code }, 400);
    }
    return answer({ ok: true });
  }
}

// --- parameter parsing ---

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** Query string, then the form or JSON body; JSON-stringified form fields become objects again. */
function parseParams(req: IncomingMessage, url: URL, body: string): SlackParams {
  const params: SlackParams = Object.fromEntries(url.searchParams);
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith("application/json")) {
    const parsed = parseJsonOrText(body);
    if (isRecord(parsed)) Object.assign(params, parsed);
    return params;
  }
  Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
  for (const field of JSON_FIELDS) {
    const value = params[field];
    if (typeof value === "string") params[field] = parseJsonOrText(value);
  }
  return params;
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function str(params: SlackParams, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function num(params: SlackParams, key: string): number | undefined {
  const value = params[key];
  const n = typeof value === "number" ? value : typeof value === "string" && value !== "" ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function bool(params: SlackParams, key: string): boolean {
  const value = params[key];
  return value === true || value === "true" || value === "1" || value === 1;
}

type MessageContent = Partial<Pick<SlackMessage, "text" | "blocks" | "attachments" | "metadata">>;

/** text/blocks/attachments/metadata of a post or update, validated like Slack does. */
function messageContent(params: SlackParams): MessageContent {
  const content: MessageContent = {};
  const text = str(params, "text");
  if (text !== undefined) content.text = text;
  if (params.blocks !== undefined) {
    if (!Array.isArray(params.blocks) || params.blocks.length > 50 || !params.blocks.every(isRecord)) {
      throw new SlackApiError("invalid_blocks");
    }
    content.blocks = params.blocks;
  }
  if (params.attachments !== undefined) {
    if (!Array.isArray(params.attachments)) throw new SlackApiError("invalid_attachments");
    content.attachments = params.attachments;
  }
  if (params.metadata !== undefined) {
    const metadata = params.metadata;
    if (!isRecord(metadata) || typeof metadata.event_type !== "string" || !isRecord(metadata.event_payload)) {
      throw new SlackApiError("invalid_metadata_format");
    }
    content.metadata = { event_type: metadata.event_type, event_payload: metadata.event_payload };
  }
  return content;
}

function viewParam(params: SlackParams): Record<string, unknown> {
  const view = params.view;
  if (!isRecord(view) || (view.type !== "modal" && view.type !== "home")) throw new SlackApiError("invalid_arguments");
  return view;
}

function withoutChannel(message: SlackMessage): Omit<SlackMessage, "channel"> {
  const { channel: _channel, ...rest } = message;
  return rest;
}

/** "1700000000.000100" -> 1700000000000100 (exact: below 2^53 until the year 2255); NaN when malformed. */
function tsToMicros(ts: string): number {
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(ts);
  if (!match?.[1]) return Number.NaN;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? "").padEnd(6, "0"));
}

function microsToTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, "0")}`;
}
