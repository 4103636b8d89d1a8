// The shape of one knowledge-catalog entry: what an IAM deletion means, why it matters, how bad it is,
// and which of the bot's remediations fit it.
import type { IamDeletionEventName, RemediationId, Severity } from "../domain.js";
import type { AttackTechnique } from "./attack.js";

export interface CatalogEntry {
  eventName: IamDeletionEventName;
  /** Short human title for the alert header, e.g. "IAM role deleted". At most 60 characters. */
  title: string;
  /** One or two sentences: what the operation does, with the facts an on-call responder needs. */
  meaning: string;
  /** Two or three concrete risk scenarios, each one sentence or two. */
  risks: string[];
  severity: Severity;
  /** One line: why this severity. */
  severityReason: string;
  /** What a successful call of this kind can and cannot be undone by (manual guidance, own words). */
  recovery: string;
  /** Remediations the bot can offer for this event, most specific first. */
  remediations: RemediationId[];
  /** MITRE ATT&CK techniques this call usually serves (from attack.ts). */
  attack: readonly AttackTechnique[];
}
