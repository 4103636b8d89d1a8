// Undo RemoveUserFromGroup: add the user back to the group.
import { trailwatchTags } from "../aws.js";
import { groupBinding, userBinding } from "../bindings.js";
import { bindPermissions } from "../grants.js";
import { botUserName } from "../identity.js";
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const readdUserToGroup: RemediationDefinition = {
  id: "readd-user-to-group",
  title: "Re-add user to group",
  validate: (p) => checkParams(p, { groupName: "groupName", userName: "userName" }),
  fromEvent(event) {
    const bad = checkUndoEvent(event, ["RemoveUserFromGroup"]);
    if (bad) return { error: bad };
    return paramsFrom(event, { groupName: "groupName", userName: "userName" });
  },
  planTitle: (p) => `Re-add user ${p.userName} to group ${p.groupName}`,
  async plan(p, ctx) {
    const { iam } = ctx.deps;
    const groupName = p.groupName ?? "";
    const userName = p.userName ?? "";
    // AddUserToGroup acts on the group's ARN, so the IAM policy's deny on the bot's own ARN cannot stop it: refuse here.
    if (botUserName(ctx.deps.botIdentity) === userName) {
      return { applicable: false, reason: `user ${userName} is the bot's own identity; trailwatch does not change its own permissions` };
    }
    const group = await orMissing(iamGateway(iam).getGroup(groupName));
    if (!group?.Group) return { applicable: false, reason: `group ${groupName} no longer exists` };
    const user = await orMissing(iamGateway(iam).getUser(userName));
    if (!user?.User) return { applicable: false, reason: `user ${userName} no longer exists` };
    ctx.observations.push(`group ${groupName} and user ${userName} exist`);
    ctx.bindings.push(userBinding(userName, user.User.UserId));
    // The user regains whatever the group grants now: bind and judge the group's policies.
    const perms = await bindPermissions(ctx, "group", groupName);
    ctx.bindings.push(groupBinding(groupName, group.Group.GroupId, perms));
    const groups =
      (await orMissing(iamGateway(iam).listGroupsForUser(userName))) ?? [];
    if (groups.some((g) => g.GroupName === groupName)) {
      ctx.observations.push(`user ${userName} is a member of group ${groupName}`);
      return { applicable: false, reason: `user ${userName} is already in group ${groupName}; nothing to do` };
    }
    ctx.observations.push(
      `user ${userName} is not in group ${groupName}` +
        (groups.length > 0 ? ` (member of ${groups.map((g) => g.GroupName).join(", ")})` : " (member of no group)"),
    );
    return {
      applicable: true,
      reason: `user ${userName} can be added back to group ${groupName} and regains the group's permissions`,
      calls: [
        { api: "AddUserToGroup", params: { GroupName: groupName, UserName: userName }, description: `Add user ${userName} to group ${groupName}` },
        {
          api: "TagUser",
          params: { UserName: userName, Tags: trailwatchTags(ctx.requestId, "readd-user-to-group") },
          description: `Tag user ${userName} with the trailwatch request and action`,
        },
      ],
    };
  },
  undoesEvent: true,
  summary: (p) => `re-added user ${p.userName} to group ${p.groupName}`,
};
