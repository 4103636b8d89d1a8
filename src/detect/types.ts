// The result of deciding whether a normalised CloudTrail event becomes an alert.
import type { IamDeletionEventName, Severity } from "../domain.js";

/** success: the call went through. denied: an authorization error. failed: any other error code. */
export type Outcome = "success" | "denied" | "failed";

export type Decision =
  | { alert: false; reason: string }
  | {
      alert: true;
      eventName: IamDeletionEventName;
      outcome: Outcome;
      /** Final severity after taking the outcome (and alarming context) into account. */
      severity: Severity;
      /** One line explaining the severity, shown in the alert. */
      severityReason: string;
    };
