// One poll: look up every IAM deletion event name in the window, normalise, decide, mute, and record new
// alerts in the store (the outbox the delivery loop posts from). The window overlaps earlier polls by
// LOOKBACK_MINUTES because CloudTrail delivers events late (about 5 minutes on average, sometimes more);
// the store de-duplicates by EventId, so the overlap never produces a second alert.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { normalizeLookupEvent } from "./cloudtrail/normalize.js";
import type { CloudTrailLookup } from "./cloudtrail/lookup.js";
import { decide } from "./detect/index.js";
import type { NoiseSettings } from "./detect/noise.js";
import { applyRules, effectiveRules, type RulesSource } from "./rules/index.js";
import type { IamDeletionEventName } from "./domain.js";
import { errorFields, type Logger } from "./log.js";
import type { Store } from "./store/types.js";

/** LookupEvents keeps 90 days; ask for a little less so the start is never out of range. */
const MAX_LOOKBACK_MS = 90 * 24 * 3600_000 - 5 * 60_000;

export interface PollerDeps {
  store: Store;
  lookup: CloudTrailLookup;
  logger: Logger;
  now: () => Date;
  lookbackMinutes: number;
  noise: NoiseSettings;
  /** The rules in force (RULES_FILE with the MUTE_* shorthand); without it, the MUTE_* settings alone. */
  rules?: RulesSource;
  /** Event names to look up, in the order to look them up (most severe first: they alert soonest). */
  eventNames: readonly IamDeletionEventName[];
  /** Called as soon as a new (unmuted) alert is stored, so delivery does not wait for the poll to end. */
  onNewAlert?: () => void;
}

export interface PollResult {
  start: Date;
  end: Date;
  lookupCalls: number;
  eventsSeen: number;
  newAlerts: number;
  muted: number;
  malformed: number;
  failedLookups: string[];
  completed: boolean;
}

export class Poller {
  private running = false;
  lastResult: PollResult | null = null;
  lastCompletedAt: Date | null = null;
  /** The last lookup error, cleared by a complete poll (shown by /healthz). */
  lastError: string | null = null;

  private readonly rules: RulesSource;

  constructor(private readonly deps: PollerDeps) {
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
    try {
      return await this.poll();
    } finally {
      this.running = false;
    }
  }

  private async window(): Promise<{ start: Date; end: Date }> {
    const end = this.deps.now();
    const lookbackMs = this.deps.lookbackMinutes * 60_000;
    const cursor = await this.deps.store.getPollCursor();
    // First start: only the lookback window, not 90 days of history. After downtime: from where we stopped.
    const from = cursor && cursor.getTime() < end.getTime() ? cursor.getTime() : end.getTime();
    const start = Math.max(from - lookbackMs, end.getTime() - MAX_LOOKBACK_MS);
    return { start: new Date(start), end };
  }

  private async poll(): Promise<PollResult> {
    const { store, lookup, logger } = this.deps;
    const { start, end } = await this.window();
    const callsBefore = lookup.calls;
    const result: PollResult = {
      start,
      end,
      lookupCalls: 0,
      eventsSeen: 0,
      newAlerts: 0,
      muted: 0,
      malformed: 0,
      failedLookups: [],
      completed: false,
    };
    logger.debug({ start: start.toISOString(), end: end.toISOString() }, "poll started");
    for (const name of this.deps.eventNames) {
      try {
        for await (const page of lookup.pages("EventName", name, start, end)) {
          for (const item of page.events) await this.handle(item, result);
        }
      } catch (err) {
        // The lookup already retried with backoff. Whatever failed (outage, throttling, missing permission)
        // would fail the remaining names the same way, so end this poll; the cursor stays put and the next
        // poll covers this window again, so nothing is skipped.
        result.failedLookups.push(name);
        const fields = errorFields(err);
        this.lastError = `${fields.errorName}: ${fields.errorMessage}`;
        const denied = /AccessDenied|UnauthorizedOperation|not authorized/i.test(`${fields.errorName} ${fields.errorMessage}`);
        logger.error(
          { eventName: name, ...fields, ...(denied ? { missingPermission: "cloudtrail:LookupEvents" } : {}) },
          denied ? "LookupEvents denied: the bot lacks cloudtrail:LookupEvents" : "LookupEvents failed; ending this poll early",
        );
        break;
      }
    }
    result.lookupCalls = lookup.calls - callsBefore;
    result.completed = result.failedLookups.length === 0;
    if (result.completed) {
      await store.setPollCursor(end);
      this.lastCompletedAt = end;
      this.lastError = null;
    }
    this.lastResult = result;
    logger.info(
      {
        start: start.toISOString(),
        end: end.toISOString(),
        lookupCalls: result.lookupCalls,
        eventsSeen: result.eventsSeen,
        newAlerts: result.newAlerts,
        muted: result.muted,
        malformed: result.malformed,
        completed: result.completed,
      },
      "poll finished",
    );
    return result;
  }

  private async handle(item: Event, result: PollResult): Promise<void> {
    const { store, logger } = this.deps;
    result.eventsSeen++;
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
