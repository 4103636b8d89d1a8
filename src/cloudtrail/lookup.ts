// LookupEvents behind a narrow interface: one lookup attribute per call (the API's rule), paging to the
// end, a client-side limiter so the bot never sends more than 2 calls per second to one account/region
// (the API's fixed quota, shared with every other tool in the account), and backoff on throttling.
import {
  LookupEventsCommand,
  type CloudTrailClient,
  type Event,
  type LookupAttributeKey,
  type LookupEventsCommandOutput,
} from "@aws-sdk/client-cloudtrail";
import pThrottle from "p-throttle";
import type { Logger } from "../log.js";

export interface LookupOptions {
  /** Calls per second allowed (AWS: 2 per account per region, not increasable). */
  ratePerSecond?: number;
  /** Attempts per call when throttled or on a transient error. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
}

export interface LookupPage {
  events: Event[];
}

const THROTTLE_NAMES = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"]);

function isThrottle(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLE_NAMES.has(e?.name ?? "") || e?.$metadata?.httpStatusCode === 429;
}

function isTransient(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE"].includes(e?.code ?? "") || e?.name === "TimeoutError";
}

export class CloudTrailLookup {
  /** Every LookupEvents HTTP call made, including retried ones (for metrics and the benchmark). */
  calls = 0;
  throttled = 0;
  private readonly send: (cmd: LookupEventsCommand) => Promise<LookupEventsCommandOutput>;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: CloudTrailClient,
    private readonly opts: LookupOptions = {},
  ) {
    const rate = opts.ratePerSecond ?? 2;
    // strict: no sliding one-second window may ever hold more than `rate` calls.
    const throttle = pThrottle({ limit: rate, interval: 1000, strict: true });
    this.send = throttle((cmd: LookupEventsCommand) => {
      this.calls++;
      return this.client.send(cmd);
    });
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Yields pages of events matching one attribute in [start, end] (both inclusive), newest first, until
   * the last page. Throws after maxAttempts on a persistent throttle or outage; the caller keeps its
   * cursor so nothing is skipped.
   */
  async *pages(key: LookupAttributeKey, value: string, start: Date, end: Date): AsyncGenerator<LookupPage> {
    let nextToken: string | undefined;
    do {
      const out = await this.callWithRetry(
        () =>
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: key, AttributeValue: value }],
            StartTime: start,
            EndTime: end,
            MaxResults: 50,
            NextToken: nextToken,
          }),
      );
      yield { events: out.Events ?? [] };
      nextToken = out.NextToken || undefined;
    } while (nextToken);
  }

  private async callWithRetry(make: () => LookupEventsCommand) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(make());
      } catch (err) {
        const throttled = isThrottle(err);
        if (throttled) this.throttled++;
        if ((!throttled && !isTransient(err)) || attempt >= this.maxAttempts) throw err;
        // Exponential backoff with full jitter: 1s, 2s, 4s ... capped at 20s (throttling wants a real pause).
        const cap = Math.min(20_000, 1000 * 2 ** (attempt - 1));
        const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
        this.opts.logger?.warn({ attempt, delayMs: delay, errorName: (err as Error).name }, "LookupEvents retry");
        await this.sleep(delay);
      }
    }
  }
}
