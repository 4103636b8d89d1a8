// A local fake of Slack's Socket Mode WebSocket (the `wss://wss-primary.slack.com/link/?ticket=…` end of
// `apps.connections.open`), for integration tests. Point the fake Web API at it with
// `slack.setSocketModeUrl(socket.url)`; the app's SocketModeClient then opens a WebSocket to `${url}`.
//
// It speaks what @slack/socket-mode expects (dist/src/SocketModeClient.js, SlackWebSocket.js):
// - on connect, a text frame `{"type":"hello","num_connections":N,"debug_info":{…},"connection_info":{"app_id":…}}`
//   (the client's start() resolves only once it sees `hello`);
// - envelopes `{envelope_id, type, payload, accepts_response_payload}` (events_api also carries
//   `retry_attempt`/`retry_reason`), answered by the client with `{envelope_id, payload}`: `payload` is the
//   body given to Bolt's ack() (`{}` for a bare ack) — slash command and view_submission answers ride on it;
// - `{"type":"disconnect","reason":…}` makes the client close the socket (close code 1000) and reconnect
//   through a new `apps.connections.open`;
// - the client pings every clientPingTimeout/3 ms and wants pongs: `ws` answers pings by itself.
//
// `send()` resolves with the client's ack or rejects after a timeout (default 3 s, Slack's ack deadline).
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { FAKE_SLACK_IDENTITY } from "./slack.js";
import { isRecord, sleep } from "./http-util.js";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

export interface SocketModeEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: object;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** What the client sent back for an envelope. */
export interface SocketModeAck {
  envelope_id: string;
  /** The body given to ack(); @slack/socket-mode always sends one (`{}` for a bare ack). */
  payload?: Record<string, unknown>;
  /** Milliseconds between sending the envelope and receiving the ack. */
  elapsedMs: number;
  /** Which connection (1-based, in connection order) carried it. */
  connection: number;
}

export interface SendOptions {
  /** Default: true for slash commands and view_submission/block_suggestion, false otherwise (as Slack sets it). */
  acceptsResponsePayload?: boolean;
  /** How long to wait for the ack; default 3000 ms (Slack's deadline). */
  timeoutMs?: number;
  /** events_api only: a redelivery. */
  retryAttempt?: number;
  retryReason?: string;
}

export interface FakeSocketModeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** `connection_info.app_id` in `hello`. */
  appId?: string;
}

export interface FakeSocketMode {
  /** `ws://127.0.0.1:<port>/link` — what `apps.connections.open` should answer. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (each got a `hello`), including closed ones. */
  readonly connectionCount: number;
  /** Connections open right now. */
  readonly openConnections: number;
  /** Every JSON message the clients sent, in arrival order. */
  readonly received: readonly Record<string, unknown>[];
  /** Every ack received (also late ones, after send() gave up). */
  readonly acks: readonly SocketModeAck[];
  /** Resolves once at least `minCount` connections were accepted and one is open; rejects after `timeoutMs`. */
  connected(timeoutMs?: number, minCount?: number): Promise<void>;
  /** Sends an envelope on the newest open connection and resolves with the client's ack. */
  send(type: EnvelopeType, payload: object, opts?: SendOptions): Promise<SocketModeAck>;
  /** Sends `{"type":"disconnect","reason":…}` on every open connection, as Slack does before recycling one. */
  disconnect(reason?: string): void;
  /** Closes every connection and the server; pending send() calls reject. */
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeSocketMode(opts: FakeSocketModeOptions = {}): Promise<FakeSocketMode> {
  const fake = new FakeSocketModeServer(opts.appId ?? FAKE_SLACK_IDENTITY.appId);
  await fake.listen(opts.port ?? 0);
  return fake;
}

interface Connection {
  id: number;
  ws: WebSocket;
}

interface Pending {
  envelopeId: string;
  connection: Connection;
  resolve: (ack: SocketModeAck) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const PATH = "/link";

class FakeSocketModeServer implements FakeSocketMode {
  readonly received: Record<string, unknown>[] = [];
  readonly acks: SocketModeAck[] = [];
  connectionCount = 0;

  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly pending = new Map<string, Pending>();
  /** performance.now() at which each envelope went out, for acks' elapsedMs (late ones too). */
  private readonly sentAt = new Map<string, number>();
  private boundPort: number | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly appId: string) {
    // Plain HTTP requests (no upgrade) get 426, like a WebSocket-only endpoint.
    this.http = createServer((_req, res) => {
      res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket" });
      res.end("Upgrade Required");
    });
    // Upgrades to another path are refused with HTTP 400 by ws.
    this.wss = new WebSocketServer({ server: this.http, path: PATH });
    this.wss.on("connection", (ws) => { this.accept(ws); });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(port, "127.0.0.1", () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    this.boundPort = (this.http.address() as AddressInfo).port;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error("fake Socket Mode is not listening");
    return this.boundPort;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}${PATH}`;
  }

  get openConnections(): number {
    return [...this.connections].filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  }

  async connected(timeoutMs = 10_000, minCount = 1): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(this.connectionCount >= minCount && this.openConnections > 0)) {
      if (performance.now() >= deadline) {
        throw new Error(
          `FakeSocketMode: no open connection (#${minCount} or later) within ${timeoutMs} ms; ` +
            `${this.connectionCount} accepted so far, ${this.openConnections} open`,
        );
      }
      await sleep(10);
    }
  }

  send(type: EnvelopeType, payload: object, opts: SendOptions = {}): Promise<SocketModeAck> {
    const connection = this.newestOpen();
    if (!connection) {
      return Promise.reject(new Error(`FakeSocketMode: no open connection to send a ${type} envelope on`));
    }
    const envelope: SocketModeEnvelope = {
      envelope_id: randomUUID(),
      type,
      payload,
      accepts_response_payload: opts.acceptsResponsePayload ?? defaultAcceptsResponsePayload(type, payload),
    };
    if (type === "events_api") {
      envelope.retry_attempt = opts.retryAttempt ?? 0;
      envelope.retry_reason = opts.retryReason ?? "";
    }
    const timeoutMs = opts.timeoutMs ?? 3000;
    return new Promise<SocketModeAck>((resolve, reject) => {
      const sentAt = performance.now();
      const timer = setTimeout(() => {
        this.pending.delete(envelope.envelope_id);
        reject(new Error(`FakeSocketMode: no ack for ${type} envelope ${envelope.envelope_id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelope.envelope_id, { envelopeId: envelope.envelope_id, connection, resolve, reject, timer });
      this.sentAt.set(envelope.envelope_id, sentAt);
      connection.ws.send(JSON.stringify(envelope), (err) => {
        if (!err) return;
        const pending = this.pending.get(envelope.envelope_id);
        if (!pending) return;
        clearTimeout(pending.timer);
        this.pending.delete(envelope.envelope_id);
        reject(new Error(`FakeSocketMode: could not send the ${type} envelope: ${err.message}`));
      });
    });
  }

  disconnect(reason = "refresh_requested"): void {
    for (const c of this.connections) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      c.ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "fake-applink" } }));
    }
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      for (const c of this.connections) c.ws.terminate();
      this.wss.close();
      this.http.close((err) => {
        if (err) reject(err);
        else resolve();
      });
      this.http.closeAllConnections();
    });
    return this.closing;
  }

  // --- connections ---

  private accept(ws: WebSocket): void {
    this.connectionCount++;
    const connection: Connection = { id: this.connectionCount, ws };
    this.connections.add(connection);
    ws.on("message", (data, isBinary) => { this.onMessage(connection, data, isBinary); });
    ws.on("close", () => {
      this.connections.delete(connection);
      for (const p of [...this.pending.values()]) {
        if (p.connection !== connection) continue;
        clearTimeout(p.timer);
        this.pending.delete(p.envelopeId);
        p.reject(new Error(`FakeSocketMode: connection #${connection.id} closed before envelope ${p.envelopeId} was acked`));
      }
    });
    ws.on("error", () => {
      // A reset by the client; "close" follows.
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.openConnections,
        debug_info: {
          host: "fake-applink",
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: this.appId },
      }),
    );
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    const text = (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!isRecord(message)) return;
    this.received.push(message);
    const envelopeId = message.envelope_id;
    if (typeof envelopeId !== "string") return;
    const sent = this.sentAt.get(envelopeId);
    const ack: SocketModeAck = {
      envelope_id: envelopeId,
      ...(isRecord(message.payload) ? { payload: message.payload } : {}),
      elapsedMs: sent === undefined ? Number.NaN : performance.now() - sent,
      connection: connection.id,
    };
    this.acks.push(ack);
    const pending = this.pending.get(envelopeId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(envelopeId);
    pending.resolve(ack);
  }

  private newestOpen(): Connection | undefined {
    let newest: Connection | undefined;
    for (const c of this.connections) {
      if (c.ws.readyState === WebSocket.OPEN && (!newest || c.id > newest.id)) newest = c;
    }
    return newest;
  }
}

/** Slack lets the ack carry a response for slash commands, view submissions and option requests. */
function defaultAcceptsResponsePayload(type: EnvelopeType, payload: object): boolean {
  if (type === "slash_commands") return true;
  if (type !== "interactive") return false;
  const kind = (payload as { type?: unknown }).type;
  return kind === "view_submission" || kind === "block_suggestion";
}
