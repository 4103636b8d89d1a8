// Undo DeleteRole: rebuild the whole role as it was in a snapshot (path, trust policy, description, max
// session, boundary, tags, inline and managed policies, instance-profile memberships; a profile deleted
// in the same chain is recreated). Also the entry point for a deletion chain's single Restore:
// params { roleName, snapshotId } rebuild the role as of that snapshot.
import {
  checkRestoreParams,
  loadSnapshot,
  newIdNotes,
  pinSnapshot,
  policySummary,
  restoreTags,
  snapshotLabel,
  restoreFromEvent,
} from "../restore/common.js";
import { absentBinding, bindBoundary, bindManagedPolicies, judgeInlinePolicies, snapshotBinding } from "../restore/bindings.js";
import { instanceProfileBinding } from "../bindings.js";
import type { PlannedCall, RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-role";

export const restoreRole: RemediationDefinition = {
  id: ACTION,
  title: "Restore deleted role from snapshot",
  validate: (p) => checkRestoreParams(p, { roleName: "roleName" }),
  fromEvent: restoreFromEvent(["DeleteRole"], { roleName: "roleName" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore role ${p.roleName} from ${p.snapshotId ? `snapshot #${p.snapshotId}` : "the last snapshot before its deletion"}`,
  async plan(p, ctx) {
    const roleName = p.roleName ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const snap = loaded.snapshot;
    const role = snap.roles.find((r) => r.name === roleName);
    if (!role) {
      const gap = snap.gaps.length > 0 ? ` (the snapshot has gaps: ${snap.gaps.join("; ")})` : "";
      return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold role ${roleName}: it was created after that snapshot, so there is nothing to restore it from${gap}` };
    }
    if (role.path.startsWith("/aws-service-role/")) {
      return { applicable: false, reason: `role ${roleName} is a service-linked role; its service recreates it (CreateServiceLinkedRole), trailwatch does not` };
    }
    ctx.bindings.push(snapshotBinding(loaded));
    const live = await orMissing(iamGateway(iam).getRole(roleName));
    if (live?.Role) {
      return {
        applicable: false,
        reason: `role ${roleName} exists again (RoleId ${live.Role.RoleId ?? "?"}, created ${live.Role.CreateDate ? new Date(live.Role.CreateDate).toISOString() : "?"}): someone recreated it; nothing is restored over it`,
      };
    }
    ctx.observations.push(`role ${roleName} does not exist now; the snapshot holds it (RoleId ${role.id}, path ${role.path})`);
    ctx.bindings.push(absentBinding({ type: "role", name: roleName }));
    if (role.boundaryArn && !(await bindBoundary(ctx, role.boundaryArn))) {
      return {
        applicable: false,
        reason: `the role's permissions boundary ${role.boundaryArn} no longer exists; restore that policy first (a role restored without its boundary would have more access than before)`,
      };
    }
    const notes: string[] = [];
    const calls: PlannedCall[] = [];
    const after: PlannedCall[] = [];
    for (const profileName of role.instanceProfileNames) {
      const profile = await orMissing(iamGateway(iam).getInstanceProfile(profileName));
      if (!profile?.InstanceProfile) {
        const saved = snap.instanceProfiles.find((ip) => ip.name === profileName);
        if (!saved) {
          notes.push(`instance profile ${profileName} is gone and not in the snapshot, so it cannot be recreated`);
          continue;
        }
        calls.push({
          api: "CreateInstanceProfile",
          params: { InstanceProfileName: profileName, Path: saved.path, Tags: restoreTags(saved.tags, ctx, ACTION, loaded.meta.id, notes) },
          description: `Recreate instance profile ${profileName} (path ${saved.path}, ${saved.tags.length} tag(s)), deleted too`,
        });
        notes.push(`instance profile ${profileName} is recreated with a new InstanceProfileId (the old one was ${saved.id}); launch templates naming it by ARN keep working, by id do not`);
        ctx.bindings.push(absentBinding({ type: "instance-profile", name: profileName }));
      } else {
        const held = (profile.InstanceProfile.Roles ?? []).map((r) => r.RoleName ?? "?");
        if (held.length > 0) {
          ctx.observations.push(`instance profile ${profileName} now holds role ${held.join(", ")}; the role is not put back into it`);
          continue;
        }
        // The role goes into this very profile (the instances using it get the role), not a look-alike.
        ctx.bindings.push(instanceProfileBinding(profileName, profile.InstanceProfile.InstanceProfileId));
      }
      after.push({
        api: "AddRoleToInstanceProfile",
        params: { InstanceProfileName: profileName, RoleName: roleName },
        description: `Add role ${roleName} to instance profile ${profileName}`,
      });
    }
    const tags = restoreTags(role.tags, ctx, ACTION, loaded.meta.id, notes);
    calls.push({
      api: "CreateRole",
      params: {
        RoleName: roleName,
        Path: role.path,
        AssumeRolePolicyDocument: role.trustPolicy,
        Tags: tags,
        ...(role.description ? { Description: role.description } : {}),
        ...(role.maxSessionDuration !== undefined ? { MaxSessionDuration: role.maxSessionDuration } : {}),
        ...(role.boundaryArn ? { PermissionsBoundary: role.boundaryArn } : {}),
      },
      description: `Create role ${roleName} at path ${role.path} with its trust policy${role.description ? ", description" : ""}${role.maxSessionDuration ? `, ${role.maxSessionDuration} s sessions` : ""}${role.boundaryArn ? `, boundary ${role.boundaryArn}` : ""} and ${role.tags.length} tag(s)`,
    });
    judgeInlinePolicies(ctx, `role ${roleName}`, role.inlinePolicies);
    const attachable = await bindManagedPolicies(ctx, `role ${roleName}`, role.managedPolicyArns);
    for (const pol of role.inlinePolicies) {
      calls.push({
        api: "PutRolePolicy",
        params: { RoleName: roleName, PolicyName: pol.name, PolicyDocument: pol.document },
        description: `Put inline policy ${pol.name} on role ${roleName}: ${policySummary(pol.document)}`,
      });
    }
    for (const arn of role.managedPolicyArns) {
      if (!attachable.includes(arn)) {
        notes.push(`managed policy ${arn} no longer exists, so it is not attached; restore it from its DeletePolicy alert, then attach it`);
        continue;
      }
      calls.push({ api: "AttachRolePolicy", params: { RoleName: roleName, PolicyArn: arn }, description: `Attach managed policy ${arn} to role ${roleName}` });
    }
    calls.push(...after);
    notes.push(...newIdNotes("role", roleName, role.id, role.arn, snap));
    notes.push("sessions issued to the old role ended with it; nothing of them comes back");
    return {
      applicable: true,
      reason: `role ${roleName} can be rebuilt from ${snapshotLabel(loaded)}: ${role.inlinePolicies.length} inline and ${role.managedPolicyArns.length} managed polic(ies), ${role.instanceProfileNames.length} instance profile(s)`,
      calls,
      notes,
    };
  },
  undoesEvent: true,
  summary: (p, done) => `restored role ${p.roleName} from ${p.snapshotId ? `snapshot #${p.snapshotId}` : "a snapshot"} (${done.length} calls)`,
};

