// An alert as the rest of the app sees it: the event, the decision, and what people have done with it.
import type { IamEvent, Severity } from "./domain.js";
import type { Outcome } from "./detect/types.js";

export type AlertStatus = "open" | "acknowledged" | "escalated" | "remediated";

export interface RemediationOutcomeView {
  /** What was done, e.g. "re-added role app-role to instance profile app-profile". */
  summary: string;
  requestedBy: string; // Slack user id
  approvedBy: string; // Slack user id
  at: Date;
}

/** What the alert message shows about people's actions; everything optional on a fresh alert. */
export interface AlertActivity {
  acknowledged?: { by: string; at: Date };
  escalated?: { by: string; at: Date };
  remediated?: RemediationOutcomeView[];
}

export interface AlertInput {
  event: IamEvent;
  severity: Severity;
  severityReason: string;
  outcome: Outcome;
  /** The rule that decided this alert (RULES_FILE or MUTE_* shorthand) and the user group it mentions. */
  rule?: { name: string; mention?: string };
  /** "restorable from the snapshot of <time>" or why not (src/snapshot/restorable.ts). */
  restorable?: string;
  /** Display name of the account the event was polled from (many accounts). */
  accountName?: string;
}
