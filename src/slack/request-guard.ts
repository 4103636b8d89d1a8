// Drops requests that must not be processed twice, before any listener runs:
//
// - Exact replays (HTTP mode). Bolt checks the signature and that the timestamp is under 5 minutes old, but
//   a captured request replayed within those 5 minutes passes both. Every verified signature is remembered
//   for as long as its timestamp would still be accepted, and a second request with the same signature is
//   answered 200 with an empty body, and nothing is processed. (200 rather than 401: Slack itself may
//   re-deliver an identical request after a timeout, and an error would make it retry again.)
// - Events Slack retries (X-Slack-Retry-Num, or Socket Mode's retry_attempt) after a slow or lost
//   acknowledgement. They are acknowledged, and processed only if their event_id was never seen.
import type { IncomingMessage } from "node:http";
import type { AnyMiddlewareArgs, Middleware } from "@slack/bolt";
import { LRUCache } from "lru-cache";
import type { Logger } from "../log.js";

/** Bolt refuses a timestamp older than this; a signature is remembered at least this long. */
export const REPLAY_WINDOW_MS = 5 * 60_000;
/** Slack retries an event up to 3 times over about an hour and a half. */
const EVENT_ID_MEMORY_MS = 2 * 3600_000;

const REPLAY_KEY = "trailwatchReplayed";

export class RequestGuard {
  private readonly signatures: LRUCache<string, true>;
  private readonly eventIds: LRUCache<string, true>;

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    max = 50_000,
  ) {
    // ttlResolution 0: read the (injectable) clock on every check instead of a cached time.
    const perf = { now: () => this.clock() };
    this.signatures = new LRUCache({ max, ttl: REPLAY_WINDOW_MS, perf, ttlResolution: 0 });
    this.eventIds = new LRUCache({ max, ttl: EVENT_ID_MEMORY_MS, perf, ttlResolution: 0 });
  }

  /**
   * For HTTPReceiver's customPropertiesExtractor, which Bolt calls only once the signature is verified: marks
   * the request as a replay when its signature was seen before.
   */
  readonly extract = (req: IncomingMessage): Record<string, unknown> => ({ [REPLAY_KEY]: this.seenSignature(req.headers) });

  /** True when this exact signed request was already accepted (and remembers it otherwise). */
  seenSignature(headers: IncomingMessage["headers"]): boolean {
    const signature = headers["x-slack-signature"];
    const timestamp = Number(headers["x-slack-request-timestamp"]);
    if (typeof signature !== "string" || signature === "") return false;
    if (this.signatures.has(signature)) return true;
    // A timestamp ahead of our clock stays acceptable to Bolt for longer: remember it until it is stale.
    const staleAt = Number.isFinite(timestamp) ? timestamp * 1000 + REPLAY_WINDOW_MS : 0;
    this.signatures.set(signature, true, { ttl: Math.min(Math.max(REPLAY_WINDOW_MS, staleAt - this.clock()), 24 * 3600_000) });
    return false;
  }

  /** True when this Events API event id was already taken in (and remembers it otherwise). */
  seenEvent(eventId: string): boolean {
    if (this.eventIds.has(eventId)) return true;
    this.eventIds.set(eventId, true);
    return false;
  }

  /** The first global middleware: acknowledges and drops replays and already-seen events. */
  readonly middleware: Middleware<AnyMiddlewareArgs> = async (args) => {
    const { context, body, next } = args;
    const ack = "ack" in args && typeof args.ack === "function" ? (args.ack) : undefined;
    if (context[REPLAY_KEY] === true) {
      this.logger.warn({ type: typeOf(body) }, "dropped a replayed Slack request (same signature seen within 5 minutes); nothing processed");
      await ack?.();
      return;
    }
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === "string" && this.seenEvent(eventId)) {
      // Events are acknowledged by Bolt before middleware runs; anything else with an event_id is acked here.
      this.logger.info({ eventId, retryNum: context.retryNum, retryReason: context.retryReason }, "Slack re-delivered an event already taken in; acknowledged, not processed again");
      await ack?.();
      return;
    }
    await next();
  };
}

function typeOf(body: unknown): string {
  const b = body as { type?: unknown; command?: unknown };
  return typeof b.command === "string" ? `command ${b.command.slice(0, 40)}` : typeof b.type === "string" ? b.type.slice(0, 40) : "unknown";
}
