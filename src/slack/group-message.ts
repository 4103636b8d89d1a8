// A chain's or digest's one Slack message, as it should look now (delivery posts it, the workflows refresh it).
import type { AlertActivity } from "../alerts.js";
import type { Logger } from "../log.js";
import { chainRootDeletion, type GroupRemediationContext } from "../services/groups.js";
import { accountRestoreLine } from "../snapshot/restorable.js";
import type { AccountSnapshotSources } from "../snapshot/fleet.js";
import type { AlertGroupRecord, AlertRecord, Store } from "../store/types.js";
import { buildGroupMessage, representative, type GroupMessage } from "./blocks/group.js";
import { activityOf } from "./render.js";

/**
 * The group's message as it should look now (buttons follow the representative alert's activity). With the
 * snapshots, a chain that deleted its root says whether its single Restore can run ("restorable from the
 * snapshot of <time>", judged from the chain's account's snapshots as of the chain's first step), or why not.
 */
export async function renderGroupMessage(
  store: Store,
  group: AlertGroupRecord,
  members: AlertRecord[],
  /** ownAccountId undefined: only the own account is watched, so the group's account is not checked. */
  restore?: { snapshots: AccountSnapshotSources | undefined; logger: Logger; ownAccountId?: string | null | undefined },
): Promise<GroupMessage> {
  const rep = representative(group.snapshot, members);
  const activity: AlertActivity = rep ? activityOf(rep, await store.listRemediationRequests(rep.eventId)) : {};
  let restorable: string | undefined;
  if (restore && group.snapshot.kind === "chain" && group.snapshot.root) {
    const times = members.map((m) => (m.eventTime ?? m.detectedAt).getTime());
    const ctx: GroupRemediationContext = { groupId: group.id, kind: "chain", accountId: group.snapshot.accountId, root: group.snapshot.root, firstEventAt: new Date(Math.min(...times)), members };
    const deletion = chainRootDeletion(ctx);
    if (deletion) {
      const accountId = restore.ownAccountId === undefined ? undefined : group.snapshot.accountId;
      restorable = await accountRestoreLine({ ...deletion.event, eventTime: ctx.firstEventAt }, accountId, restore.ownAccountId ?? null, restore.snapshots, restore.logger);
    }
  }
  return buildGroupMessage(group.snapshot, members, activity, restorable);
}
