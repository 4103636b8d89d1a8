// Operator-tunable noise controls. A muted event is still recorded (and visible in /iam-audit events with
// its reason) but never posted: tuning must not make events disappear from the record.
import { SEVERITY_RANK, type IamDeletionEventName, type IamEvent, type Severity } from "../domain.js";

export interface NoiseSettings {
  muteEvents: readonly IamDeletionEventName[];
  /** ARN patterns; `*` matches any run of characters. Matched against the caller ARN and, for roles, the role ARN. */
  mutePrincipals: readonly string[];
  minSeverity: Severity;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export function muteReason(ev: IamEvent, severity: Severity, noise: NoiseSettings): string | undefined {
  if ((noise.muteEvents as readonly string[]).includes(ev.eventName)) return `MUTE_EVENTS lists ${ev.eventName}`;
  const candidates = [ev.actor.arn, ev.actor.roleArn].filter((s): s is string => typeof s === "string" && s !== "");
  for (const pattern of noise.mutePrincipals) {
    const re = globToRegExp(pattern);
    const hit = candidates.find((c) => re.test(c));
    if (hit) return `MUTE_PRINCIPALS pattern ${pattern} matches ${hit}`;
  }
  if (SEVERITY_RANK[severity] < SEVERITY_RANK[noise.minSeverity]) {
    return `severity ${severity} is below MIN_SEVERITY ${noise.minSeverity}`;
  }
  return undefined;
}
