// Operator-tunable noise controls. A muted event is still recorded (and visible in /iam-audit events with
// its reason) but never posted: tuning must not make events disappear from the record.
import { SEVERITY_RANK, type IamDeletionEventName, type IamEvent, type Severity } from "../domain.js";
import { arnPattern } from "../rules/principal.js";

export interface NoiseSettings {
  muteEvents: readonly IamDeletionEventName[];
  /**
   * ARN patterns; `*` matches within one ARN field or path segment (never `:` or `/`, see rules/principal.ts).
   * Matched against the caller ARN and, for role sessions, the role ARN.
   */
  mutePrincipals: readonly string[];
  minSeverity: Severity;
}

export function muteReason(ev: IamEvent, severity: Severity, noise: NoiseSettings): string | undefined {
  if ((noise.muteEvents as readonly string[]).includes(ev.eventName)) return `MUTE_EVENTS lists ${ev.eventName}`;
  for (const pattern of noise.mutePrincipals) {
    const hit = arnPattern(pattern).matchActor(ev.actor);
    if (hit) return `MUTE_PRINCIPALS pattern ${pattern} matches ${hit}`;
  }
  if (SEVERITY_RANK[severity] < SEVERITY_RANK[noise.minSeverity]) {
    return `severity ${severity} is below MIN_SEVERITY ${noise.minSeverity}`;
  }
  return undefined;
}
