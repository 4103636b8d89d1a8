// Undo DeleteInstanceProfile: recreate the profile with its path and tags, and put its role back in it.
import { checkRestoreParams, loadSnapshot, pinSnapshot, restoreTags, snapshotLabel, restoreFromEvent } from "../restore/common.js";
import { absentBinding, snapshotBinding } from "../restore/bindings.js";
import { roleBinding } from "../bindings.js";
import type { PlannedCall, RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-instance-profile";

export const restoreInstanceProfile: RemediationDefinition = {
  id: ACTION,
  title: "Restore deleted instance profile from snapshot",
  validate: (p) => checkRestoreParams(p, { instanceProfileName: "instanceProfileName" }),
  fromEvent: restoreFromEvent(["DeleteInstanceProfile"], { instanceProfileName: "instanceProfileName" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore instance profile ${p.instanceProfileName}`,
  async plan(p, ctx) {
    const name = p.instanceProfileName ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = loaded.snapshot.instanceProfiles.find((ip) => ip.name === name);
    if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold instance profile ${name}: it was created after that snapshot` };
    ctx.bindings.push(snapshotBinding(loaded));
    const live = await orMissing(iamGateway(iam).getInstanceProfile(name));
    if (live?.InstanceProfile) {
      return { applicable: false, reason: `instance profile ${name} exists again (InstanceProfileId ${live.InstanceProfile.InstanceProfileId ?? "?"}): someone recreated it; nothing is restored over it` };
    }
    ctx.bindings.push(absentBinding({ type: "instance-profile", name }));
    const notes: string[] = [];
    const calls: PlannedCall[] = [
      {
        api: "CreateInstanceProfile",
        params: { InstanceProfileName: name, Path: saved.path, Tags: restoreTags(saved.tags, ctx, ACTION, loaded.meta.id, notes) },
        description: `Create instance profile ${name} at path ${saved.path} with ${saved.tags.length} tag(s)`,
      },
    ];
    for (const roleName of saved.roleNames) {
      const role = await orMissing(iamGateway(iam).getRole(roleName));
      if (!role?.Role) {
        notes.push(`its role ${roleName} no longer exists: restore the role (its DeleteRole alert), which puts it back into this profile`);
        continue;
      }
      ctx.observations.push(`role ${roleName} exists (RoleId ${role.Role.RoleId ?? "?"})`);
      // Instances using the profile get this role's permissions: bound to the role and whom it trusts.
      ctx.bindings.push(roleBinding(roleName, role.Role, { trust: true }));
      calls.push({ api: "AddRoleToInstanceProfile", params: { InstanceProfileName: name, RoleName: roleName }, description: `Add role ${roleName} to instance profile ${name}` });
    }
    notes.push(`the restored profile will have a new InstanceProfileId; the old one was ${saved.id}. Instances that had it attached must have it associated again (EC2 AssociateIamInstanceProfile)`);
    return { applicable: true, reason: `instance profile ${name} can be rebuilt from ${snapshotLabel(loaded)}`, calls, notes };
  },
  undoesEvent: true,
  summary: (p) => `restored instance profile ${p.instanceProfileName}`,
};
