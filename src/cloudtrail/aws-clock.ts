// AWS's idea of "now", learned from the Date header of LookupEvents responses. The poll window is computed in
// this time, not the host's: a host clock minutes off would otherwise ask for a window CloudTrail has not
// reached yet (fast clock: fresh events fall outside every window) or skip past one (slow clock).
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";

export class AwsClock {
  /** AWS time minus host time, ms; null until a response carried a Date header. */
  private offset: number | null = null;
  observedAt: Date | null = null;

  constructor(private readonly hostNow: () => Date = () => new Date()) {}

  get known(): boolean {
    return this.offset !== null;
  }

  /** AWS minus host, in ms (0 while unknown). */
  get skewMs(): number {
    return this.offset ?? 0;
  }

  /** Best estimate of AWS's current time. */
  now(): Date {
    return new Date(this.hostNow().getTime() + (this.offset ?? 0));
  }

  /**
   * Records a Date header (RFC 7231, whole seconds). The server stamped it somewhere in the second it names,
   * so the middle of that second is the unbiased estimate; one second of error is far inside the lookback
   * overlap every poll keeps.
   */
  observe(dateHeader: string | undefined): void {
    if (!dateHeader) return;
    const t = Date.parse(dateHeader);
    if (Number.isNaN(t)) return;
    const host = this.hostNow();
    this.offset = t + 500 - host.getTime();
    this.observedAt = host;
  }

  /** Reads the Date header of every response (errors included) the client receives. */
  attach(client: CloudTrailClient): void {
    const headerOf = (response: unknown): string | undefined => {
      const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
      return headers?.date ?? headers?.Date;
    };
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          const out = await next(args);
          this.observe(headerOf(out.response));
          return out;
        } catch (err) {
          this.observe(headerOf((err as { $response?: unknown }).$response));
          throw err;
        }
      },
      { step: "build", name: "trailwatchAwsClock", override: true },
    );
  }
}
