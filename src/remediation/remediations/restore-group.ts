// Undo DeleteGroup: recreate the group (path), its inline and managed policies, and its members that
// still exist.
import { checkRestoreParams, loadSnapshot, pinSnapshot, policySummary, snapshotLabel, restoreFromEvent } from "../restore/common.js";
import { absentBinding, bindManagedPolicies, judgeInlinePolicies, snapshotBinding } from "../restore/bindings.js";
import { userBinding } from "../bindings.js";
import type { PlannedCall, RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const restoreGroup: RemediationDefinition = {
  id: "restore-group",
  title: "Restore deleted group from snapshot",
  validate: (p) => checkRestoreParams(p, { groupName: "groupName" }),
  fromEvent: restoreFromEvent(["DeleteGroup"], { groupName: "groupName" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore group ${p.groupName}`,
  async plan(p, ctx) {
    const groupName = p.groupName ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const group = loaded.snapshot.groups.find((g) => g.name === groupName);
    if (!group) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold group ${groupName}: it was created after that snapshot` };
    ctx.bindings.push(snapshotBinding(loaded));
    if ((await orMissing(iamGateway(iam).getGroup(groupName))) !== undefined) {
      return { applicable: false, reason: `group ${groupName} exists again: someone recreated it; nothing is restored over it` };
    }
    ctx.bindings.push(absentBinding({ type: "group", name: groupName }));
    judgeInlinePolicies(ctx, `group ${groupName}`, group.inlinePolicies);
    const attachable = await bindManagedPolicies(ctx, `group ${groupName}`, group.managedPolicyArns);
    const notes: string[] = [];
    const calls: PlannedCall[] = [{ api: "CreateGroup", params: { GroupName: groupName, Path: group.path }, description: `Create group ${groupName} at path ${group.path}` }];
    for (const pol of group.inlinePolicies) {
      calls.push({ api: "PutGroupPolicy", params: { GroupName: groupName, PolicyName: pol.name, PolicyDocument: pol.document }, description: `Put inline policy ${pol.name} on group ${groupName}: ${policySummary(pol.document)}` });
    }
    for (const arn of group.managedPolicyArns) {
      if (!attachable.includes(arn)) {
        notes.push(`managed policy ${arn} no longer exists, so it is not attached`);
        continue;
      }
      calls.push({ api: "AttachGroupPolicy", params: { GroupName: groupName, PolicyArn: arn }, description: `Attach managed policy ${arn} to group ${groupName}` });
    }
    for (const member of loaded.snapshot.users.filter((u) => u.groups.includes(groupName))) {
      const live = await orMissing(iamGateway(iam).getUser(member.name));
      if (live?.User === undefined) {
        notes.push(`member ${member.name} no longer exists, so it is not added`);
        continue;
      }
      // Each member gets the group's permissions: the very user, not one recreated under its name.
      ctx.bindings.push(userBinding(member.name, live.User.UserId));
      calls.push({ api: "AddUserToGroup", params: { GroupName: groupName, UserName: member.name }, description: `Add user ${member.name} to group ${groupName}` });
    }
    notes.push(`the restored group will have a new GroupId (the old one was ${group.id}); IAM groups cannot be tagged, so this change is recorded in Slack only`);
    return { applicable: true, reason: `group ${groupName} can be rebuilt from ${snapshotLabel(loaded)}`, calls, notes };
  },
  undoesEvent: true,
  summary: (p) => `restored group ${p.groupName}`,
};
