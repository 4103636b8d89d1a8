// What the alert workflows need to know about chains and digests: the group an alert belongs to, and which
// remediations fit the whole group. The group's message is rendered at the edge (src/slack/group-message.ts).
import { getCatalogEntry } from "../catalog/index.js";
import { isIamDeletionEventName, type BotIdentity, type RemediationId } from "../domain.js";
import type { ResourceRef } from "../grouping/keys.js";
import { definitionFor, offeredFor, type RemediationParams } from "../remediation/index.js";
import type { AlertGroupRecord, AlertRecord, Store } from "../store/types.js";

/**
 * What a chain's Remediate knows beyond its one alert: the resource taken apart and when the first step
 * happened, so a restore can rebuild the resource "as of the last snapshot before <firstEventAt>".
 */
export interface GroupRemediationContext {
  groupId: string;
  kind: "chain" | "digest";
  accountId: string;
  /** Chains: the root resource (a role, user, group, policy ...); null for digests. */
  root: ResourceRef | null;
  firstEventAt: Date;
  members: AlertRecord[];
}

/** The group an alert belongs to, when it has more than one member (a chain of one is a plain alert). */
export async function groupOf(store: Store, alert: AlertRecord): Promise<{ group: AlertGroupRecord; members: AlertRecord[] } | null> {
  if (!alert.groupId) return null;
  const group = await store.getGroup(alert.groupId);
  if (!group) return null;
  const members = await store.groupMembers(group.id);
  if (group.snapshot.kind === "chain" && members.length < 2) return null;
  return { group, members };
}

export async function remediationContext(store: Store, alert: AlertRecord): Promise<GroupRemediationContext | null> {
  const g = await groupOf(store, alert);
  if (!g) return null;
  const times = g.members.map((m) => (m.eventTime ?? m.detectedAt).getTime());
  return {
    groupId: g.group.id,
    kind: g.group.snapshot.kind,
    accountId: g.group.snapshot.accountId,
    root: g.group.snapshot.root,
    firstEventAt: new Date(Math.min(...times)),
    members: g.members,
  };
}

/**
 * Remediations offered for a group. A chain: every remediation any of its steps offers (re-attach each
 * detached policy, re-add the role to its profile, contain the actor), once each. A digest: containing
 * each of its actors; undoing hundreds of deletions one by one is not something to click through.
 */
export function groupOffers(ctx: GroupRemediationContext, botIdentity: BotIdentity | null): { id: RemediationId; params: RemediationParams }[] {
  const out: { id: RemediationId; params: RemediationParams }[] = [];
  const seen = new Set<string>();
  // One Restore for the whole chain, first: it rebuilds the root as of the last snapshot before the first
  // step, which also undoes every step (a re-attach or re-add on its own would be refused by the deleted root).
  const whole = chainRestore(ctx);
  if (whole) {
    out.push(whole);
    seen.add(`${whole.id}|${JSON.stringify(Object.entries(whole.params).sort())}`);
  }
  for (const m of ctx.members) {
    if (!isIamDeletionEventName(m.eventName)) continue;
    const ids: RemediationId[] = ctx.kind === "digest" ? ["contain-actor"] : getCatalogEntry(m.eventName).remediations;
    for (const o of offeredFor(ids, m.event, botIdentity)) {
      const key = `${o.id}|${JSON.stringify(Object.entries(o.params).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(o);
    }
  }
  return out;
}

/** The restore that rebuilds a chain's root, by root type, and the parameter naming it. */
const CHAIN_RESTORE: Readonly<Partial<Record<ResourceRef["type"], { id: RemediationId; param: string; deletedBy: string }>>> = {
  role: { id: "restore-role", param: "roleName", deletedBy: "DeleteRole" },
  user: { id: "restore-user", param: "userName", deletedBy: "DeleteUser" },
  group: { id: "restore-group", param: "groupName", deletedBy: "DeleteGroup" },
  policy: { id: "restore-managed-policy", param: "policyArn", deletedBy: "DeletePolicy" },
  "instance-profile": { id: "restore-instance-profile", param: "instanceProfileName", deletedBy: "DeleteInstanceProfile" },
};

/** The chain's successful deletion of its own root (DeleteRole of that role, ...), if it has one. */
export function chainRootDeletion(ctx: GroupRemediationContext): AlertRecord | undefined {
  if (ctx.kind !== "chain" || !ctx.root) return undefined;
  const root = ctx.root;
  const spec = CHAIN_RESTORE[root.type];
  if (!spec) return undefined;
  return ctx.members.find((m) => m.eventName === spec.deletedBy && m.outcome === "success" && m.event.requestParameters?.[spec.param] === root.name);
}

/**
 * The single Restore of a chain whose root itself was deleted in it (a chain that only stripped a role of
 * its policies leaves the role to restore step by step). Snapshot choice: the last one before the first step,
 * so nothing the chain already removed is missing from it.
 */
export function chainRestore(ctx: GroupRemediationContext): { id: RemediationId; params: RemediationParams } | null {
  const spec = ctx.root ? CHAIN_RESTORE[ctx.root.type] : undefined;
  const root = ctx.root;
  if (!spec || !root || !chainRootDeletion(ctx) || Number.isNaN(ctx.firstEventAt.getTime())) return null;
  const params: RemediationParams = { [spec.param]: root.name, before: ctx.firstEventAt.toISOString() };
  const invalid = definitionFor(spec.id)?.validate(params);
  return invalid ? null : { id: spec.id, params };
}
