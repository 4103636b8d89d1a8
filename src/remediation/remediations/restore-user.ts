// Undo DeleteUser: recreate the user with its path, tags, boundary, groups and policies. Never its
// credentials: passwords, access keys and MFA seeds cannot be recovered, and re-issuing them is a
// decision for the user's owner, not for an alert.
import {
  checkRestoreParams,
  CREDENTIALS_GONE,
  loadSnapshot,
  newIdNotes,
  pinSnapshot,
  policySummary,
  restoreTags,
  snapshotLabel,
  restoreFromEvent,
} from "../restore/common.js";
import { absentBinding, bindBoundary, bindManagedPolicies, judgeInlinePolicies, snapshotBinding } from "../restore/bindings.js";
import { bindPermissions, groupBinding } from "../grants.js";
import type { PlannedCall, RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-user";

export const restoreUser: RemediationDefinition = {
  id: ACTION,
  title: "Restore deleted user from snapshot",
  validate: (p) => checkRestoreParams(p, { userName: "userName" }),
  fromEvent: restoreFromEvent(["DeleteUser"], { userName: "userName" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore user ${p.userName} (without credentials)`,
  async plan(p, ctx) {
    const userName = p.userName ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const user = loaded.snapshot.users.find((u) => u.name === userName);
    if (!user) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold user ${userName}: it was created after that snapshot` };
    ctx.bindings.push(snapshotBinding(loaded));
    const live = await orMissing(iamGateway(iam).getUser(userName));
    if (live?.User) {
      return { applicable: false, reason: `user ${userName} exists again (UserId ${live.User.UserId ?? "?"}): someone recreated it; nothing is restored over it` };
    }
    ctx.bindings.push(absentBinding({ type: "user", name: userName }));
    if (user.boundaryArn && !(await bindBoundary(ctx, user.boundaryArn))) {
      return { applicable: false, reason: `the user's permissions boundary ${user.boundaryArn} no longer exists; restore that policy first (a user restored without its boundary would have more access than before)` };
    }
    const notes: string[] = [CREDENTIALS_GONE];
    if (user.sshPublicKeys.length + user.signingCertificates.length > 0) {
      notes.push(`its ${user.sshPublicKeys.length} SSH public key(s) and ${user.signingCertificates.length} signing certificate(s) are not re-uploaded by this restore`);
    }
    const calls: PlannedCall[] = [
      {
        api: "CreateUser",
        params: { UserName: userName, Path: user.path, Tags: restoreTags(user.tags, ctx, ACTION, loaded.meta.id, notes), ...(user.boundaryArn ? { PermissionsBoundary: user.boundaryArn } : {}) },
        description: `Create user ${userName} at path ${user.path} with ${user.tags.length} tag(s)${user.boundaryArn ? ` and boundary ${user.boundaryArn}` : ""}`,
      },
    ];
    for (const group of user.groups) {
      const found = await orMissing(iamGateway(iam).getGroup(group));
      if (found?.Group === undefined) {
        notes.push(`group ${group} no longer exists, so the user is not added to it`);
        continue;
      }
      // Joining a group hands the user what the group grants now: bind it and judge it like a re-add.
      const perms = await bindPermissions(ctx, "group", group);
      ctx.bindings.push(groupBinding(group, found.Group.GroupId, perms));
      calls.push({ api: "AddUserToGroup", params: { GroupName: group, UserName: userName }, description: `Add user ${userName} to group ${group}` });
    }
    judgeInlinePolicies(ctx, `user ${userName}`, user.inlinePolicies);
    const attachable = await bindManagedPolicies(ctx, `user ${userName}`, user.managedPolicyArns);
    for (const pol of user.inlinePolicies) {
      calls.push({ api: "PutUserPolicy", params: { UserName: userName, PolicyName: pol.name, PolicyDocument: pol.document }, description: `Put inline policy ${pol.name} on user ${userName}: ${policySummary(pol.document)}` });
    }
    for (const arn of user.managedPolicyArns) {
      if (!attachable.includes(arn)) {
        notes.push(`managed policy ${arn} no longer exists, so it is not attached`);
        continue;
      }
      calls.push({ api: "AttachUserPolicy", params: { UserName: userName, PolicyArn: arn }, description: `Attach managed policy ${arn} to user ${userName}` });
    }
    notes.push(...newIdNotes("user", userName, user.id, user.arn, loaded.snapshot));
    return { applicable: true, reason: `user ${userName} can be rebuilt from ${snapshotLabel(loaded)}, without any credential`, calls, notes };
  },
  undoesEvent: true,
  summary: (p) => `restored user ${p.userName} (no credentials)`,
};
