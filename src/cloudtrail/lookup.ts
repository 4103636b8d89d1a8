// LookupEvents behind a narrow interface: one lookup attribute per call (the API's rule), paging to the
// end, a client-side limiter, backoff on throttling, and AWS's clock read from every response.
//
// The quota (2 calls per second per account and region, shared with every other tool in the account) is
// counted by CloudTrail as requests *arrive*. Pacing at exactly 2/s on our side lets ordinary network jitter
// put three arrivals into one second, so calls are spaced evenly at LOOKUP_RATE (default 1.5/s): three
// arrivals inside one second would then need more than 300 ms of jitter. One instance per account: each has
// its own limiter and clock.
import type {
  CloudTrailClient,
  Event,
  LookupAttributeKey,
  LookupEventsCommandInput,
  LookupEventsCommandOutput,
} from "@aws-sdk/client-cloudtrail";
import pThrottle from "p-throttle";
import { CloudTrailGateway } from "../aws/cloudtrail-gateway.js";
import { awsErrorCode, classifyAwsError } from "../aws/errors.js";
import type { Logger } from "../log.js";
import { AwsClock } from "./aws-clock.js";

/** Default calls per second: below CloudTrail's 2/s so jitter never makes the server see a third call. */
export const DEFAULT_LOOKUP_RATE = 1.5;

export interface LookupOptions {
  /** Calls per second, evenly spaced (LOOKUP_RATE). */
  ratePerSecond?: number;
  /** Attempts per call when throttled or on a transient error. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** AWS's clock, fed from the Date header of every response. Default: a new one on the host clock. */
  clock?: AwsClock;
  /** Jitter source for backoff (tests make it deterministic). */
  random?: () => number;
}

export interface LookupPage {
  events: Event[];
  /** Whether LookupEvents has more pages after this one. */
  hasMore: boolean;
}

export class CloudTrailLookup {
  /** Every LookupEvents HTTP call made, including retried ones (for metrics and the benchmark). */
  calls = 0;
  throttled = 0;
  readonly clock: AwsClock;
  readonly ratePerSecond: number;
  private readonly send: (input: LookupEventsCommandInput) => Promise<LookupEventsCommandOutput>;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    client: CloudTrailClient,
    private readonly opts: LookupOptions = {},
  ) {
    const rate = opts.ratePerSecond ?? DEFAULT_LOOKUP_RATE;
    if (!(rate > 0 && rate <= 2)) throw new RangeError(`LookupEvents rate must be in (0, 2] calls/s, got ${rate}`);
    this.ratePerSecond = rate;
    // One call per 1/rate seconds, evenly spaced (a burst of two would leave no room for jitter).
    const throttle = pThrottle({ limit: 1, interval: Math.ceil(1000 / rate), strict: true });
    this.clock = opts.clock ?? new AwsClock();
    this.clock.attach(client);
    // One page per call: the limiter paces every page and a throttled page is retried with its token, which
    // a paginator (it ends on the first error) cannot do.
    const gateway = new CloudTrailGateway(client);
    this.send = throttle((input: LookupEventsCommandInput) => {
      this.calls++;
      return gateway.lookupEventsPage(input);
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
    // LookupEvents takes whole seconds; rounding the start down and the end up never narrows the window.
    start = new Date(Math.floor(start.getTime() / 1000) * 1000);
    end = new Date(Math.ceil(end.getTime() / 1000) * 1000);
    let nextToken: string | undefined;
    do {
      const out = await this.callWithRetry({
        LookupAttributes: [{ AttributeKey: key, AttributeValue: value }],
        StartTime: start,
        EndTime: end,
        MaxResults: 50,
        NextToken: nextToken,
      });
      nextToken = out.NextToken || undefined;
      yield { events: out.Events ?? [], hasMore: nextToken !== undefined };
    } while (nextToken);
  }

  private async callWithRetry(input: LookupEventsCommandInput) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(input);
      } catch (err) {
        const { kind } = classifyAwsError(err, "cloudtrail:LookupEvents");
        const throttled = kind === "throttled";
        if (throttled) this.throttled++;
        if ((!throttled && kind !== "transient") || attempt >= this.maxAttempts) throw err;
        // Exponential backoff with jitter: 1s, 2s, 4s ... capped at 20s (throttling wants a real pause).
        const cap = Math.min(20_000, 1000 * 2 ** (attempt - 1));
        const delay = Math.round(cap / 2 + (this.opts.random ?? Math.random)() * (cap / 2));
        this.opts.logger?.warn({ attempt, delayMs: delay, errorName: awsErrorCode(err) }, "LookupEvents retry");
        await this.sleep(delay);
      }
    }
  }
}
