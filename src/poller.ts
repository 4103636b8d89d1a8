// One poll of one account scope: read the IAM events of the window, normalise, decide, mute, and record new
// alerts in the store (the outbox the delivery loop posts from). The window overlaps earlier polls by
// LOOKBACK_MINUTES because CloudTrail delivers events late (about 5 minutes on average, sometimes more);
// the store de-duplicates by EventId, so the overlap never produces a second alert.
//
// Good neighbour: the LookupEvents quota is shared by every tool in the account, so a poll first asks for
// `EventSource=iam.amazonaws.com`, which costs one call in a quiet account. Only when the window holds more
// IAM events than the per-name lookups would cost (more pages than there are event names) does the poll stop
// paging and look up each deletion event name instead, most severe first, for the part of the window the
// EventSource pages did not reach. A busy account then pays about the per-name cost, a quiet one pays 1.
//
// The window is computed in AWS's time (the Date header of LookupEvents responses), never the host's, and
// every event name keeps its own cursor so one failing name does not hold the others back.
//
// One Poller per account scope: the multi-account set-up builds one per account, each with its own
// CloudTrailLookup (own limiter and clock), its own cursors (`scope`) and its own health state.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { classifyAwsError, sdkErrorOf, type AwsErrorKind } from "./aws/errors.js";
import { normalizeLookupEvent } from "./cloudtrail/normalize.js";
import type { CloudTrailLookup } from "./cloudtrail/lookup.js";
import { decide } from "./detect/index.js";
import type { NoiseSettings } from "./detect/noise.js";
import { applyRules, effectiveRules, type RulesSource } from "./rules/index.js";
import type { IamDeletionEventName } from "./domain.js";
import { errorFields, redactTokens, type Logger } from "./log.js";
import type { Store } from "./store/types.js";

/** LookupEvents keeps 90 days; ask for a little less so the start is never out of range. */
export const MAX_LOOKBACK_MS = 90 * 24 * 3600_000 - 5 * 60_000;
/** The account scope of the bot's own account. */
export const DEFAULT_SCOPE = "default";
/** After a poll had to fall back to per-name lookups, this many polls go per-name straight away. */
const BUSY_POLLS = 5;
/** A first-poll window off by more than this (host vs AWS clock) is recomputed once the clock is known. */
const CLOCK_RESTART_MS = 2000;

export interface PollerDeps {
  /** Account scope: keys the cursors in the store and the health state. Default "default". */
  scope?: string;
  store: Store;
  lookup: CloudTrailLookup;
  logger: Logger;
  /** Host clock, for bookkeeping (detectedAt). The window itself uses the lookup's AWS clock. */
  now: () => Date;
  lookbackMinutes: number;
  noise: NoiseSettings;
  /** The rules in force (RULES_FILE with the MUTE_* shorthand); without it, the MUTE_* settings alone. */
  rules?: RulesSource;
  /** Event names to watch, in the order to look them up per name (most severe first: they alert soonest). */
  eventNames: readonly IamDeletionEventName[];
  /** Called as soon as a new (unmuted) alert is stored, so delivery does not wait for the poll to end. */
  onNewAlert?: (() => void) | undefined;
  /** Told about every finished poll (health model, notices). Errors it throws are logged, never fatal. */
  onPollFinished?: (result: PollResult) => void | Promise<void>;
  /** Told when part of the account's history is not watched: a first start, or downtime beyond 90 days. */
  onCoverage?: (notice: CoverageNotice) => void | Promise<void>;
}

/** Why a lookup failed, in the terms the health model and notices need. */
export interface LookupFailure {
  /** `no-credentials`: the SDK found no AWS credentials at all (not an AWS denial). */
  kind: AwsErrorKind | "no-credentials";
  code: string;
  message: string;
  missingPermission?: string;
  eventName?: string;
}

export type CoverageNotice =
  | { scope: string; kind: "first-start"; watchingFrom: Date }
  | { scope: string; kind: "gap"; from: Date; to: Date };

export interface PollResult {
  scope: string;
  start: Date;
  end: Date;
  lookupCalls: number;
  eventsSeen: number;
  newAlerts: number;
  muted: number;
  malformed: number;
  failedLookups: string[];
  completed: boolean;
  /** "eventsource" (one attribute for all IAM events) or "per-name" (fell back, or busy account). */
  strategy: "eventsource" | "per-name";
  failure?: LookupFailure;
  /** AWS minus host clock, ms, when known. */
  clockSkewMs?: number;
  /** The poll failed because the store failed, not LookupEvents. */
  storeError?: boolean;
}

function describeLookupFailure(err: unknown, eventName?: string): LookupFailure {
  const name = (sdkErrorOf(err) as { name?: unknown } | null)?.name;
  if (name === "CredentialsProviderError") {
    return {
      kind: "no-credentials",
      code: "CredentialsProviderError",
      message: "no AWS credentials were found (environment, shared config or SSO profile, instance or task role)",
      ...(eventName ? { eventName } : {}),
    };
  }
  const info = classifyAwsError(err, "cloudtrail:LookupEvents");
  return {
    kind: info.kind,
    code: info.code,
    message: redactTokens(info.message).slice(0, 500),
    ...(info.missingPermission ? { missingPermission: info.missingPermission } : {}),
    ...(eventName ? { eventName } : {}),
  };
}

export class Poller {
  private running = false;
  private busyPollsLeft = 0;
  readonly scope: string;
  lastResult: PollResult | null = null;
  lastCompletedAt: Date | null = null;
  /** The last lookup error, cleared by a complete poll (shown by /healthz details). */
  lastError: string | null = null;

  private readonly rules: RulesSource;

  constructor(private readonly deps: PollerDeps) {
    this.scope = deps.scope ?? DEFAULT_SCOPE;
    const noiseOnly = effectiveRules(deps.noise, []);
    this.rules = deps.rules ?? { current: () => noiseOnly };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Runs one poll unless one is already running (then returns null: never two polls at once). */
  async pollOnce(): Promise<PollResult | null> {
    if (this.running) {
      this.deps.logger.debug("poll skipped: the previous poll is still running");
      return null;
    }
    this.running = true;
    let result: PollResult;
    try {
      result = await this.poll();
    } catch (err) {
      // Lookup errors are handled inside poll(); what reaches here is the store failing.
      const fields = errorFields(err);
      this.deps.logger.error({ scope: this.scope, ...fields }, "poll failed: the store could not be read or written");
      const now = this.deps.lookup.clock.now();
      result = {
        ...this.emptyResult(now, now, "eventsource"),
        failure: { kind: "other", code: "StoreError", message: fields.errorMessage.slice(0, 300) },
        storeError: true,
      };
      this.lastResult = result;
    } finally {
      this.running = false;
    }
    try {
      await this.deps.onPollFinished?.(result);
    } catch (err) {
      this.deps.logger.error(errorFields(err), "poll listener failed");
    }
    return result;
  }

  private async readCursors(): Promise<Map<string, Date>> {
    const cursors = await this.deps.store.getLookupCursors(this.scope);
    if (cursors.size === 0 && this.scope === DEFAULT_SCOPE) {
      // A database from before per-name cursors: its single cursor stands for every name.
      const legacy = await this.deps.store.getPollCursor();
      if (legacy) for (const name of this.deps.eventNames) cursors.set(name, legacy);
    }
    return cursors;
  }

  /** A poll over [start, end] that has read nothing yet. */
  private emptyResult(start: Date, end: Date, strategy: PollResult["strategy"]): PollResult {
    return { scope: this.scope, start, end, lookupCalls: 0, eventsSeen: 0, newAlerts: 0, muted: 0, malformed: 0, failedLookups: [], completed: false, strategy };
  }

  private async poll(): Promise<PollResult> {
    const { store, lookup, logger } = this.deps;
    const names = this.deps.eventNames;
    const cursors = await this.readCursors();
    const firstStart = cursors.size === 0;
    const lookbackMs = this.deps.lookbackMinutes * 60_000;
    const callsBefore = lookup.calls;

    for (let attempt = 0; ; attempt++) {
      const clockWasKnown = lookup.clock.known;
      const end = lookup.clock.now();
      const floor = end.getTime() - MAX_LOOKBACK_MS;
      const oldestCursor = Math.min(...[...cursors.values()].map((d) => d.getTime()));
      const fallbackFrom = Number.isFinite(oldestCursor) ? oldestCursor : end.getTime();
      const startOf = (name: string): number => {
        const from = Math.min(cursors.get(name)?.getTime() ?? fallbackFrom, end.getTime());
        return Math.max(from - lookbackMs, floor);
      };
      const start = new Date(Math.min(...names.map(startOf)));
      const result = this.emptyResult(start, end, this.busyPollsLeft > 0 ? "per-name" : "eventsource");
      logger.debug({ start: start.toISOString(), end: end.toISOString(), strategy: result.strategy }, "poll started");

      // The names whose window [startOf(name), reachedUntil] is still to be read per name.
      let perNameUntil: number | null = end.getTime();
      let restart = false;
      if (result.strategy === "eventsource") {
        const budget = names.length;
        const wanted = new Set<string>(names);
        let pages = 0;
        try {
          for await (const page of lookup.pages("EventSource", "iam.amazonaws.com", start, end)) {
            pages++;
            // The window was computed on the host clock (AWS's was unknown); redo it if the two differ.
            // `known` changes while the pages are read; the compiler keeps its narrowing from `clockWasKnown`.
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
            if (attempt === 0 && !clockWasKnown && lookup.clock.known && Math.abs(lookup.clock.skewMs) > CLOCK_RESTART_MS) {
              restart = true;
              break;
            }
            let oldest = Number.POSITIVE_INFINITY;
            for (const item of page.events) {
              result.eventsSeen++;
              if (item.EventTime) oldest = Math.min(oldest, item.EventTime.getTime());
              if (item.EventName && wanted.has(item.EventName)) await this.handle(item, result);
            }
            if (!page.hasMore) {
              perNameUntil = null;
              break;
            }
            // Estimate the pages the whole window needs from how much of it these pages covered.
            const covered = end.getTime() - oldest;
            const estimate = covered > 0 ? (pages * (end.getTime() - start.getTime())) / covered : Number.POSITIVE_INFINITY;
            if (pages >= budget || estimate > budget) {
              // Paging on would cost more than looking each name up: do that for the part not yet read.
              perNameUntil = Math.min(end.getTime(), Number.isFinite(oldest) ? oldest + 1000 : end.getTime());
              result.strategy = "per-name";
              this.busyPollsLeft = BUSY_POLLS;
              break;
            }
          }
        } catch (err) {
          result.failure = describeLookupFailure(err);
          result.failedLookups.push("EventSource=iam.amazonaws.com");
          perNameUntil = null;
        }
      } else {
        this.busyPollsLeft--;
      }
      if (restart) {
        logger.info({ clockSkewMs: lookup.clock.skewMs }, "host clock differs from AWS; recomputing the poll window in AWS time");
        continue;
      }

      const advanced = new Map<string, Date>();
      if (!result.failure && perNameUntil === null) {
        for (const name of names) advanced.set(name, end);
      } else if (!result.failure && perNameUntil !== null) {
        const until = new Date(perNameUntil);
        for (const name of names) {
          if (startOf(name) >= perNameUntil) {
            // The EventSource pages already reached back past this name's window.
            advanced.set(name, end);
            continue;
          }
          const from = new Date(startOf(name));
          try {
            for await (const page of lookup.pages("EventName", name, from, until)) {
              for (const item of page.events) {
                result.eventsSeen++;
                await this.handle(item, result);
              }
            }
            advanced.set(name, end);
          } catch (err) {
            const failure = describeLookupFailure(err, name);
            result.failedLookups.push(name);
            result.failure ??= failure;
            logger.warn({ eventName: name, kind: failure.kind, errorCode: failure.code }, "LookupEvents failed for one event name");
            // A denial, missing credentials, an outage or a quota that stays exhausted would fail every
            // remaining name the same way: stop here; those names keep their cursors for the next poll.
            if (failure.kind !== "not-found" && failure.kind !== "other") break;
          }
        }
      }

      result.lookupCalls = lookup.calls - callsBefore;
      result.completed = result.failedLookups.length === 0;
      if (lookup.clock.known) result.clockSkewMs = lookup.clock.skewMs;
      if (advanced.size > 0) await store.setLookupCursors(this.scope, advanced);
      if (result.completed) {
        await store.setPollCursor(end);
        this.lastCompletedAt = end;
        this.lastError = null;
      } else if (firstStart && lookup.clock.known) {
        // Remember when watching began, so a first start that keeps failing still covers from its first try.
        await store.setLookupCursors(this.scope, new Map(names.map((n) => [n, end] as const)));
      }
      if (result.failure) {
        this.lastError = `${result.failure.code}: ${result.failure.message}`;
        const f = result.failure;
        logger.error(
          { scope: this.scope, kind: f.kind, errorCode: f.code, errorMessage: f.message, ...(f.missingPermission ? { missingPermission: f.missingPermission } : {}) },
          f.kind === "no-credentials"
            ? "no AWS credentials found: LookupEvents cannot run; configure credentials (see README, AWS permissions)"
            : f.kind === "denied"
              ? `LookupEvents denied: the bot lacks ${f.missingPermission ?? "cloudtrail:LookupEvents"}`
              : "LookupEvents failed; the cursor stays, the next poll covers this window again",
        );
      }
      await this.reportCoverage(firstStart, cursors, start, end, lookbackMs);
      this.lastResult = result;
      logger.info(
        {
          scope: this.scope,
          start: start.toISOString(),
          end: end.toISOString(),
          strategy: result.strategy,
          lookupCalls: result.lookupCalls,
          eventsSeen: result.eventsSeen,
          newAlerts: result.newAlerts,
          muted: result.muted,
          malformed: result.malformed,
          completed: result.completed,
          ...(result.clockSkewMs !== undefined ? { clockSkewMs: result.clockSkewMs } : {}),
        },
        "poll finished",
      );
      return result;
    }
  }

  private async reportCoverage(firstStart: boolean, cursors: Map<string, Date>, start: Date, end: Date, lookbackMs: number): Promise<void> {
    const notify = this.deps.onCoverage;
    if (!notify) return;
    try {
      if (firstStart) {
        await notify({ scope: this.scope, kind: "first-start", watchingFrom: start });
        return;
      }
      const oldest = Math.min(...[...cursors.values()].map((d) => d.getTime())) - lookbackMs;
      const floor = end.getTime() - MAX_LOOKBACK_MS;
      if (oldest < floor) await notify({ scope: this.scope, kind: "gap", from: new Date(oldest), to: new Date(floor) });
    } catch (err) {
      this.deps.logger.error(errorFields(err), "coverage notice failed");
    }
  }

  private async handle(item: Event, result: PollResult): Promise<void> {
    const { store, logger } = this.deps;
    let ev;
    try {
      ev = normalizeLookupEvent(item);
    } catch (err) {
      // normalizeLookupEvent is built never to throw; this guards the poll against a bug in it.
      result.malformed++;
      logger.error({ eventId: item.EventId, ...errorFields(err) }, "could not normalise event");
      return;
    }
    if (ev.parseError) {
      result.malformed++;
      logger.warn({ eventId: ev.eventId, eventName: ev.eventName, parseError: ev.parseError }, "CloudTrailEvent is not valid JSON; alerting from summary fields");
    }
    const decision = decide(ev);
    if (!decision.alert) return;
    const ruled = applyRules(ev, decision, this.rules.current());
    const mutedReason = ruled.suppressed ? ruled.suppressedReason : undefined;
    const isNew = await store.insertAlert(
      {
        eventId: ev.eventId,
        eventName: ev.eventName,
        severity: ruled.severity,
        severityReason: ruled.severityReason,
        outcome: decision.outcome,
        event: ev,
        eventTime: ev.eventTime,
        muted: ruled.suppressed,
        mutedReason,
        ruleName: ruled.rule,
        routeChannel: ruled.route,
        mentionGroup: ruled.mention,
        detectedSeverity: ruled.severity !== ruled.detectedSeverity ? ruled.detectedSeverity : undefined,
      },
      this.deps.now(),
    );
    if (!isNew) return;
    if (mutedReason) {
      result.muted++;
      logger.info({ eventId: ev.eventId, eventName: ev.eventName, mutedReason, rule: ruled.rule }, "alert muted");
      return;
    }
    result.newAlerts++;
    logger.info(
      { eventId: ev.eventId, eventName: ev.eventName, severity: ruled.severity, outcome: decision.outcome, actor: ev.actor.arn, rule: ruled.rule, channel: ruled.route },
      "alert detected",
    );
    this.deps.onNewAlert?.();
  }
}
