// The outbox: posts recorded alerts to the alert channel, exactly once, whatever Slack does.
//
// Exactly once = the alert is in the store before any attempt; an attempt is marked "in doubt" before
// chat.postMessage is sent and cleared once Slack's answer is known. An attempt still in doubt after a
// crash or a network timeout is settled by reading the channel history for a message whose metadata
// carries the event id: if Slack already has it, we record that message instead of posting again.
// Posts are paced (about one per second per channel, Slack's rule) so we do not lean on 429 retries.
import type { KnownBlock } from "@slack/types";
import {
  ErrorCode,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebClient,
} from "@slack/web-api";
import { ALERT_METADATA_EVENT_TYPE, alertMetadata } from "./action-ids.js";
import { errorFields, type Logger } from "../log.js";
import type { AlertRecord, Store } from "../store/types.js";
import { startSlackPost } from "../metrics.js";

export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface DeliveryDeps {
  store: Store;
  /** A client with retries off: this loop owns retrying, so every attempt is known to it. */
  client: WebClient;
  channelId: string;
  logger: Logger;
  now: () => Date;
  postIntervalMs: number;
  render: (alert: AlertRecord) => Promise<RenderedMessage>;
  /** Rendering used when Slack refuses the full message's blocks (invalid_blocks and the like). */
  renderMinimal: (alert: AlertRecord) => RenderedMessage;
  /** Upper bound for the pause between retries of one alert. */
  maxBackoffMs?: number;
}

/** Slack errors that mean this message body will never be accepted: fall back to the minimal rendering. */
const BODY_REJECTED = new Set(["invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large"]);

export class Delivery {
  private running = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastPostAt = 0;
  private historyUnavailableWarned = false;
  /** Posts confirmed by Slack since start (for health and metrics). */
  posted = 0;
  lastError: string | null = null;

  constructor(private readonly deps: DeliveryDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Wakes the loop now (a new alert was stored). */
  kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = (await this.drainOnce()) > 0;
      } catch (err) {
        this.deps.logger.error(errorFields(err), "delivery loop error");
      }
      if (!this.running) break;
      if (!worked) await this.idle(1000);
    }
  }

  /**
   * Posts waiting alerts in event order. The queue is strictly ordered: when the oldest alert is waiting
   * out a backoff, or an attempt fails, nothing behind it is posted, so after an outage the channel
   * still reads in the order things happened. Returns the number of alerts posted.
   */
  async drainOnce(): Promise<number> {
    const queue = await this.deps.store.nextPendingAlerts(20);
    let posted = 0;
    for (const alert of queue) {
      if (!this.running && this.loop !== null) break;
      if (alert.nextAttemptAt.getTime() > this.deps.now().getTime()) break;
      await this.pace();
      if (!(await this.deliver(alert))) break;
      posted++;
    }
    return posted;
  }

  private async pace(): Promise<void> {
    const wait = this.lastPostAt + this.deps.postIntervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastPostAt = Date.now();
  }

  private backoff(alert: AlertRecord): Date {
    const max = this.deps.maxBackoffMs ?? 60_000;
    const ms = Math.min(max, 1000 * 2 ** Math.min(alert.postAttempts, 10));
    return new Date(this.deps.now().getTime() + ms);
  }

  /** Attempts one alert; true when it is now recorded as posted. */
  async deliver(alert: AlertRecord): Promise<boolean> {
    const { store, channelId, logger } = this.deps;
    const log = logger.child({ eventId: alert.eventId, eventName: alert.eventName });

    if (alert.inDoubtSince) {
      const found = await this.findPosted(alert, log);
      if (found === "error") {
        await store.markPostFailed(alert.eventId, this.backoff(alert), "could not check Slack for an earlier post", true);
        return false;
      }
      if (found) {
        await store.markPosted(alert.eventId, channelId, found);
        log.info({ ts: found }, "alert was already posted before a restart or timeout; recorded, not reposted");
        return true;
      }
    }

    let message: RenderedMessage;
    try {
      message = await this.deps.render(alert);
    } catch (err) {
      log.error(errorFields(err), "rendering failed; using minimal message");
      message = this.deps.renderMinimal(alert);
    }

    await store.markPostAttempt(alert.eventId, this.deps.now());
    try {
      const res = await this.post(message, alert);
      await store.markPosted(alert.eventId, channelId, res);
      this.posted++;
      this.lastError = null;
      log.info({ ts: res, attempts: alert.postAttempts + 1 }, "alert posted");
      return true;
    } catch (err) {
      const e = err as { code?: string };
      if (e.code === ErrorCode.PlatformError && BODY_REJECTED.has((err as WebAPIPlatformError).data.error)) {
        // Slack will never take this body: post the minimal rendering instead (still with metadata).
        log.warn({ slackError: (err as WebAPIPlatformError).data.error }, "Slack rejected the alert blocks; posting minimal message");
        try {
          const ts = await this.post(this.deps.renderMinimal(alert), alert);
          await store.markPosted(alert.eventId, channelId, ts);
          this.posted++;
          return true;
        } catch (err2) {
          await this.failed(alert, err2, log);
          return false;
        }
      }
      await this.failed(alert, err, log);
      return false;
    }
  }

  private async post(message: RenderedMessage, alert: AlertRecord): Promise<string> {
    // Latency and errors of every alert post, for /metrics.
    const done = startSlackPost();
    return this.postOnce(message, alert).then(
      (ts) => (done(), ts),
      (err: unknown) => {
        done(err);
        throw err;
      },
    );
  }

  private async postOnce(message: RenderedMessage, alert: AlertRecord): Promise<string> {
    const res = await this.deps.client.chat.postMessage({
      channel: this.deps.channelId,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      unfurl_media: false,
      metadata: alertMetadata(alert.eventId),
    });
    if (!res.ts) throw new Error("chat.postMessage returned no ts");
    return res.ts;
  }

  private async failed(alert: AlertRecord, err: unknown, log: Logger): Promise<void> {
    const e = err as { code?: string };
    let next = this.backoff(alert);
    // Known not posted: Slack answered with an error. In doubt: no answer (network error, timeout, 5xx).
    let inDoubt = true;
    let reason: string;
    if (e.code === ErrorCode.RateLimitedError) {
      const retryAfter = (err as WebAPIRateLimitedError).retryAfter;
      next = new Date(this.deps.now().getTime() + Math.max(1, retryAfter) * 1000);
      inDoubt = false;
      reason = `rate limited (retry after ${retryAfter}s)`;
    } else if (e.code === ErrorCode.PlatformError) {
      inDoubt = false;
      reason = `Slack error ${(err as WebAPIPlatformError).data.error}`;
    } else {
      reason = errorFields(err).errorMessage;
    }
    this.lastError = reason;
    await this.deps.store.markPostFailed(alert.eventId, next, reason, inDoubt);
    log.warn({ reason, inDoubt, nextAttemptAt: next.toISOString(), attempts: alert.postAttempts + 1 }, "alert post failed; will retry");
  }

  /**
   * Looks for a message this bot already posted for the alert (metadata event_id). Returns its ts, null
   * when there is none, or "error" when Slack could not be asked (outage: try again later).
   */
  private async findPosted(alert: AlertRecord, log: Logger): Promise<string | null | "error"> {
    const since = alert.inDoubtSince as Date;
    const oldest = String(Math.floor(since.getTime() / 1000) - 60);
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 10; page++) {
        const res = await this.deps.client.conversations.history({
          channel: this.deps.channelId,
          oldest,
          limit: 200,
          include_all_metadata: true,
          cursor,
        });
        for (const m of res.messages ?? []) {
          const md = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
          if (md?.event_type === ALERT_METADATA_EVENT_TYPE && md.event_payload?.event_id === alert.eventId && m.ts) {
            return m.ts;
          }
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return null;
    } catch (err) {
      const e = err as { code?: string };
      if (e.code === ErrorCode.PlatformError) {
        // Missing scope (channels:history / groups:history) or similar: we cannot prove either way. A missed
        // alert is worse than a repeated one, so post; say so once.
        if (!this.historyUnavailableWarned) {
          this.historyUnavailableWarned = true;
          log.warn({ slackError: (err as WebAPIPlatformError).data.error }, "cannot read channel history to rule out a duplicate; posting");
        }
        return null;
      }
      log.warn(errorFields(err), "could not read channel history; will retry");
      return "error";
    }
  }
}
