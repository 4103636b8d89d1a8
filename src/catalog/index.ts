// The knowledge catalog: for each of the 30 IAM deletion-type operations, what it means, why it matters,
// how bad it is and which of the bot's remediations fit. The entries live in topic files; this module
// assembles them into one frozen record.
import type { IamDeletionEventName } from "../domain.js";
import { ACCOUNT_ENTRIES } from "./account.js";
import { ATTACK } from "./attack.js";
import { CREDENTIAL_ENTRIES } from "./credentials.js";
import { IDENTITY_ENTRIES } from "./identities.js";
import { POLICY_ENTRIES } from "./policies.js";
import type { EntryMap } from "./remedies.js";
import type { CatalogEntry } from "./types.js";

export type { CatalogEntry } from "./types.js";

// The annotation makes the compiler reject a catalog that misses an event or mislabels an entry.
const TOPIC_ENTRIES: EntryMap<IamDeletionEventName> = {
  ...ACCOUNT_ENTRIES,
  ...IDENTITY_ENTRIES,
  ...POLICY_ENTRIES,
  ...CREDENTIAL_ENTRIES,
};

function freezeEntry(entry: CatalogEntry): CatalogEntry {
  Object.freeze(entry.risks);
  Object.freeze(entry.remediations);
  for (const t of entry.attack) Object.freeze(t);
  Object.freeze(entry.attack);
  return Object.freeze(entry);
}

const ENTRIES = Object.fromEntries(
  Object.entries(TOPIC_ENTRIES).map(([name, entry]) => [name, freezeEntry({ ...entry, attack: [...ATTACK[name as IamDeletionEventName]] })]),
) as Record<IamDeletionEventName, CatalogEntry>;

/**
 * One entry per IAM deletion event. Deeply frozen: copy an array (e.g. `[...entry.risks]`) before
 * sorting or changing it.
 */
export const CATALOG: Readonly<Record<IamDeletionEventName, CatalogEntry>> = Object.freeze(ENTRIES);

/** The catalog entry for an event; throws if called with a name that is not an IAM deletion event. */
export function getCatalogEntry(name: IamDeletionEventName): CatalogEntry {
  const entry: CatalogEntry | undefined = Object.hasOwn(CATALOG, name) ? CATALOG[name] : undefined;
  if (!entry) throw new Error(`No catalog entry for event ${name}`);
  return entry;
}
