// Undo RemoveRoleFromInstanceProfile: put the role back into its instance profile.
import { trailwatchTags } from "../aws.js";
import { instanceProfileBinding, roleBinding } from "../bindings.js";
import { bindPermissions } from "../grants.js";
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const readdRoleToInstanceProfile: RemediationDefinition = {
  id: "readd-role-to-instance-profile",
  title: "Re-add role to instance profile",
  validate: (p) => checkParams(p, { instanceProfileName: "instanceProfileName", roleName: "roleName" }),
  fromEvent(event) {
    const bad = checkUndoEvent(event, ["RemoveRoleFromInstanceProfile"]);
    if (bad) return { error: bad };
    return paramsFrom(event, { instanceProfileName: "instanceProfileName", roleName: "roleName" });
  },
  planTitle: (p) => `Re-add role ${p.roleName} to instance profile ${p.instanceProfileName}`,
  async plan(p, ctx) {
    const profileName = p.instanceProfileName ?? "";
    const roleName = p.roleName ?? "";
    const { iam } = ctx.deps;
    const profile = await orMissing(iamGateway(iam).getInstanceProfile(profileName));
    if (!profile?.InstanceProfile) return { applicable: false, reason: `instance profile ${profileName} no longer exists` };
    const role = await orMissing(iamGateway(iam).getRole(roleName));
    if (!role?.Role) return { applicable: false, reason: `role ${roleName} no longer exists` };
    ctx.observations.push(`role ${roleName} exists (${role.Role.Arn ?? "no ARN"})`);
    ctx.bindings.push(instanceProfileBinding(profileName, profile.InstanceProfile.InstanceProfileId));
    // Instances using the profile get the role's credentials: bind who the role trusts and what it may do.
    const perms = await bindPermissions(ctx, "role", roleName);
    ctx.bindings.push(roleBinding(roleName, role.Role, { trust: true, permissions: perms }));
    const held = (profile.InstanceProfile.Roles ?? []).map((r) => r.RoleName ?? "?");
    if (held.includes(roleName)) {
      ctx.observations.push(`instance profile ${profileName} holds role ${roleName}`);
      return { applicable: false, reason: `instance profile ${profileName} already holds role ${roleName}; nothing to do` };
    }
    if (held.length > 0) {
      ctx.observations.push(`instance profile ${profileName} holds role ${held.join(", ")}`);
      return {
        applicable: false,
        reason: `instance profile already holds role ${held.join(", ")} (an instance profile holds at most one role)`,
      };
    }
    ctx.observations.push(`instance profile ${profileName} exists and holds no role`);
    return {
      applicable: true,
      reason: `role ${roleName} can go back into instance profile ${profileName}; instances using the profile get the role's credentials again`,
      calls: [
        {
          api: "AddRoleToInstanceProfile",
          params: { InstanceProfileName: profileName, RoleName: roleName },
          description: `Add role ${roleName} to instance profile ${profileName}`,
        },
        {
          api: "TagInstanceProfile",
          params: { InstanceProfileName: profileName, Tags: trailwatchTags(ctx.requestId, "readd-role-to-instance-profile") },
          description: `Tag instance profile ${profileName} with the trailwatch request and action`,
        },
      ],
    };
  },
  undoesEvent: true,
  summary: (p) => `re-added role ${p.roleName} to instance profile ${p.instanceProfileName}`,
};
