// The health model: what trailwatch can and cannot do right now, per dependency. CloudTrail lookups (one
// state per account scope), Slack posting, the store and the clock. Pure state driven by reports and an
// injected clock, so thresholds are tested without timers.
//
// - Blind (per scope): 3 polls in a row failed, or no poll completed for max(3 poll intervals, 5 minutes).
// - Slack unusable: a permanent error at once; any other failure once it has lasted 5 minutes.
// - Store unavailable: the last store operation of a poll failed.
// - Clock skew: AWS and the host differ by more than 60 s. The bot keeps working in AWS time, so this is a
//   warning for the operator, not a reason for /healthz to fail.
import type { LookupFailure, PollResult } from "../poller.js";

/** The health model's own problems (account notices keep episodes of their own codes beside them). */
export const PROBLEM_CODES = ["cloudtrail_blind", "slack_unusable", "store_unavailable", "clock_skew"] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Slack errors that no retry fixes: a person has to act. */
const PERMANENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "invalid_auth",
  "token_revoked",
  "missing_scope",
]);
/** The subset that concerns the alert channel only: the approvers can still be reached by DM. */
export const CHANNEL_SLACK_ERRORS: ReadonlySet<string> = new Set(["not_in_channel", "channel_not_found", "is_archived"]);
/** Errors about one message body (the delivery falls back to a minimal rendering): not about Slack's health. */
const BODY_SLACK_ERRORS = new Set(["invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large"]);

const BLIND_AFTER_FAILED_POLLS = 3;
const BLIND_MIN_SILENCE_MS = 5 * 60_000;
const SLACK_TRANSIENT_GRACE_MS = 5 * 60_000;
const CLOCK_SKEW_LIMIT_MS = 60_000;

export interface Problem {
  code: ProblemCode;
  /** Account scope for CloudTrail and clock problems ("default" = the bot's own account); "slack" / "store" otherwise. */
  scope: string;
  since: Date;
  /** Whether /healthz answers 503 for it (every problem but the clock, which the bot compensates). */
  degrades: boolean;
  /** For CloudTrail: the last lookup failure, if a lookup failed (else polls just stopped completing). */
  failure?: LookupFailure;
  consecutiveFailures?: number;
  lastCompletedAt?: Date | null;
  /** For Slack: the error code Slack gave ("not_in_channel", "ratelimited", a network error name). */
  slackError?: string;
  skewMs?: number;
  storeError?: string;
}

/** A Slack Web API outcome, as delivery and notices report it. */
export type SlackResult = { ok: true } | { ok: false; error: string };

interface ScopeState {
  watchingSince: Date;
  lastCompletedAt: Date | null;
  consecutiveFailures: number;
  firstFailureAt: Date | null;
  lastFailure: LookupFailure | null;
  skewMs: number | null;
  skewSince: Date | null;
}

export interface HealthModelOptions {
  now: () => Date;
  /** The longest gap between two scheduled polls, ms (from POLL_SCHEDULE). */
  pollIntervalMs: number;
}

export class HealthModel {
  private readonly scopes = new Map<string, ScopeState>();
  private slackFirstFailure: { at: Date; error: string } | null = null;
  private slackLastError: string | null = null;
  private storeFailure: { at: Date; error: string } | null = null;
  private slackOk = false;

  constructor(private readonly opts: HealthModelOptions) {}

  /**
   * PostgreSQL replicas (issue 12): a standby replica polls nothing, so CloudTrail silence is not its problem.
   * Taking the lead restarts every scope's silence clock from now.
   */
  setStandby(on: boolean): void {
    if (this.standby && !on) for (const s of this.scopes.values()) s.watchingSince = this.opts.now();
    this.standby = on;
  }

  private standby = false;

  /** Starts watching a scope now (its silence counts from here). */
  registerScope(scope: string): void {
    if (!this.scopes.has(scope)) {
      this.scopes.set(scope, { watchingSince: this.opts.now(), lastCompletedAt: null, consecutiveFailures: 0, firstFailureAt: null, lastFailure: null, skewMs: null, skewSince: null });
    }
  }

  get scopeNames(): string[] {
    return [...this.scopes.keys()];
  }

  private scope(scope: string): ScopeState {
    this.registerScope(scope);
    return this.scopes.get(scope) as ScopeState;
  }

  pollFinished(r: PollResult): void {
    const s = this.scope(r.scope);
    const now = this.opts.now();
    if (r.storeError) {
      this.storeFailure ??= { at: now, error: r.failure?.message ?? "store error" };
    } else {
      this.storeFailure = null;
    }
    if (r.completed) {
      s.lastCompletedAt = now;
      s.consecutiveFailures = 0;
      s.firstFailureAt = null;
      s.lastFailure = null;
    } else {
      s.consecutiveFailures++;
      s.firstFailureAt ??= now;
      if (r.failure && !r.storeError) s.lastFailure = r.failure;
    }
    if (r.clockSkewMs !== undefined) this.clockObserved(r.scope, r.clockSkewMs);
  }

  clockObserved(scope: string, skewMs: number): void {
    const s = this.scope(scope);
    s.skewMs = skewMs;
    if (Math.abs(skewMs) > CLOCK_SKEW_LIMIT_MS) s.skewSince ??= this.opts.now();
    else s.skewSince = null;
  }

  /** Whether Slack accepted a post since start (positive evidence a Slack episode is over). */
  get slackOkSeen(): boolean {
    return this.slackOk;
  }

  slackResult(r: SlackResult): void {
    if (r.ok) {
      this.slackOk = true;
      this.slackFirstFailure = null;
      this.slackLastError = null;
      return;
    }
    if (BODY_SLACK_ERRORS.has(r.error)) return;
    this.slackOk = false;
    this.slackLastError = r.error;
    // A permanent error after transient ones starts counting at once, from the first failure.
    this.slackFirstFailure ??= { at: this.opts.now(), error: r.error };
  }

  /** Every problem that holds now, CloudTrail scopes in registration order. */
  problems(): Problem[] {
    const now = this.opts.now().getTime();
    const out: Problem[] = [];
    const silenceLimit = Math.max(3 * this.opts.pollIntervalMs, BLIND_MIN_SILENCE_MS);
    for (const [scope, s] of this.standby ? [] : this.scopes) {
      const lastGood = (s.lastCompletedAt ?? s.watchingSince).getTime();
      const tooManyFailures = s.consecutiveFailures >= BLIND_AFTER_FAILED_POLLS;
      const silent = now - lastGood >= silenceLimit;
      if (tooManyFailures || silent) {
        out.push({
          code: "cloudtrail_blind",
          scope,
          since: s.firstFailureAt ?? s.lastCompletedAt ?? s.watchingSince,
          degrades: true,
          ...(s.lastFailure ? { failure: s.lastFailure } : {}),
          consecutiveFailures: s.consecutiveFailures,
          lastCompletedAt: s.lastCompletedAt,
        });
      }
      if (s.skewSince && s.skewMs !== null) {
        out.push({ code: "clock_skew", scope, since: s.skewSince, degrades: false, skewMs: s.skewMs });
      }
    }
    const slack = this.slackFirstFailure;
    if (slack && this.slackLastError) {
      const permanent = PERMANENT_SLACK_ERRORS.has(this.slackLastError);
      if (permanent || now - slack.at.getTime() >= SLACK_TRANSIENT_GRACE_MS) {
        out.push({ code: "slack_unusable", scope: "slack", since: slack.at, degrades: true, slackError: this.slackLastError });
      }
    }
    if (this.storeFailure) {
      out.push({ code: "store_unavailable", scope: "store", since: this.storeFailure.at, degrades: true, storeError: this.storeFailure.error });
    }
    return out;
  }

  /** What /healthz may tell anyone: a status and problem codes, nothing else (the port may be public). */
  publicStatus(): { status: "ok" | "degraded"; problems: ProblemCode[] } {
    const codes = [...new Set(this.problems().filter((p) => p.degrades).map((p) => p.code))];
    return { status: codes.length > 0 ? "degraded" : "ok", problems: codes };
  }

  /** Everything, for loopback callers and `/iam-audit health`. */
  details(): {
    problems: Problem[];
    scopes: { scope: string; lastCompletedAt: Date | null; consecutiveFailures: number; clockSkewMs: number | null }[];
    slackLastError: string | null;
  } {
    return {
      problems: this.problems(),
      scopes: [...this.scopes].map(([scope, s]) => ({ scope, lastCompletedAt: s.lastCompletedAt, consecutiveFailures: s.consecutiveFailures, clockSkewMs: s.skewMs })),
      slackLastError: this.slackLastError,
    };
  }
}
