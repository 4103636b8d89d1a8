// Shared helpers for the catalog entry files: the per-file entry map type and the remediation list
// builder that appends the two generic remediations every entry offers.
import type { IamDeletionEventName, RemediationId } from "../domain.js";
import type { CatalogEntry } from "./types.js";

/**
 * A slice of the catalog whose keys are event names; the type ties each entry's eventName to its key. The
 * ATT&CK techniques come from attack.ts (one reviewed table), so topic files leave them out.
 */
export type EntryMap<K extends IamDeletionEventName> = { [P in K]: Omit<CatalogEntry, "attack"> & { eventName: P } };

/** Generic options offered for every event: contain whoever made the call, then harden the account. */
const GENERIC_REMEDIATIONS: readonly RemediationId[] = ["contain-actor", "enforce-password-policy"];

/**
 * The remediation list for an entry: the event-specific ones first (most specific first), then the
 * generic ones, without duplicates.
 */
export function remedies(...specific: RemediationId[]): RemediationId[] {
  const out: RemediationId[] = [];
  for (const id of [...specific, ...GENERIC_REMEDIATIONS]) {
    if (!out.includes(id)) out.push(id);
  }
  return out;
}
