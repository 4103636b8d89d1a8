// Undo DeletePolicy: recreate the customer managed policy (path, description, tags, the default
// version's document) and attach it again to the users, groups and roles that had it and still exist.
import { checkRestoreParams, loadSnapshot, pinSnapshot, policyExists, policySummary, restoreTags, snapshotLabel, restoreFromEvent } from "../restore/common.js";
import { absentBinding, snapshotBinding } from "../restore/bindings.js";
import { groupBinding, parsePolicyDocument, roleBinding, userBinding } from "../bindings.js";
import { managedPolicyAdminReasons } from "../privilege.js";
import type { PlannedCall, RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-managed-policy";

export const restoreManagedPolicy: RemediationDefinition = {
  id: ACTION,
  title: "Restore deleted managed policy from snapshot",
  validate: (p) => checkRestoreParams(p, { policyArn: "policyArn" }),
  fromEvent: restoreFromEvent(["DeletePolicy"], { policyArn: "policyArn" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore managed policy ${p.policyArn}`,
  async plan(p, ctx) {
    const arn = p.policyArn ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const snap = loaded.snapshot;
    const policy = snap.policies.find((x) => x.arn === arn);
    if (!policy) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold policy ${arn}: it was created after that snapshot (or is AWS managed)` };
    ctx.bindings.push(snapshotBinding(loaded));
    if (await policyExists(iam, arn)) return { applicable: false, reason: `policy ${arn} exists again: someone recreated it; nothing is restored over it` };
    const version = policy.versions.find((v) => v.versionId === policy.defaultVersionId) ?? policy.versions.find((v) => v.isDefault);
    if (!version) return { applicable: false, reason: `${snapshotLabel(loaded)} holds policy ${arn} but not its default version's document` };
    ctx.bindings.push(absentBinding({ type: "policy", arn }));
    // Everyone it is re-attached to gets what the document allows.
    for (const r of managedPolicyAdminReasons(arn, parsePolicyDocument(version.document))) ctx.adminReasons.push(r);
    const notes: string[] = [];
    const calls: PlannedCall[] = [
      {
        api: "CreatePolicy",
        params: {
          PolicyName: policy.name,
          Path: policy.path,
          PolicyDocument: version.document,
          ...(policy.description ? { Description: policy.description } : {}),
        },
        description: `Create policy ${policy.name} at path ${policy.path}${policy.description ? " with its description" : ""}, document of ${version.versionId}: ${policySummary(version.document)}`,
      },
      {
        api: "TagPolicy",
        params: { PolicyArn: arn, Tags: restoreTags(policy.tags, ctx, ACTION, loaded.meta.id, notes) },
        description: `Tag policy ${policy.name} with its ${policy.tags.length} tag(s) and trailwatch's`,
      },
    ];
    const attach = async (kind: "user" | "group" | "role", names: string[]) => {
      for (const name of names) {
        const binding =
          kind === "user"
            ? await orMissing(iamGateway(iam).getUser(name)).then((r) => (r?.User ? userBinding(name, r.User.UserId) : undefined))
            : kind === "group"
              ? await orMissing(iamGateway(iam).getGroup(name)).then((r) =>
                  r?.Group ? groupBinding(name, r.Group.GroupId) : undefined,
                )
              : await orMissing(iamGateway(iam).getRole(name)).then((r) => (r?.Role ? roleBinding(name, r.Role, { trust: true }) : undefined));
        if (!binding) {
          notes.push(`${kind} ${name} had it attached but no longer exists; it is not attached there`);
          continue;
        }
        ctx.bindings.push(binding);
        const api = kind === "user" ? "AttachUserPolicy" : kind === "group" ? "AttachGroupPolicy" : "AttachRolePolicy";
        const key = kind === "user" ? "UserName" : kind === "group" ? "GroupName" : "RoleName";
        calls.push({ api, params: { [key]: name, PolicyArn: arn }, description: `Attach ${policy.name} to ${kind} ${name} again` });
      }
    };
    await attach("user", snap.users.filter((u) => u.managedPolicyArns.includes(arn)).map((u) => u.name));
    await attach("group", snap.groups.filter((g) => g.managedPolicyArns.includes(arn)).map((g) => g.name));
    await attach("role", snap.roles.filter((r) => r.managedPolicyArns.includes(arn)).map((r) => r.name));
    notes.push(`the restored policy will have a new PolicyId (${policy.id ? `the old one was ${policy.id}` : "the old id is not in the snapshot"}) and its document becomes version v1`);
    const others = policy.versions.length - 1;
    if (others > 0) notes.push(`its ${others} non-default version(s) are not recreated`);
    return { applicable: true, reason: `policy ${policy.name} can be rebuilt from ${snapshotLabel(loaded)} and re-attached to ${calls.length - 2} entit(ies)`, calls, notes };
  },
  undoesEvent: true,
  summary: (p) => `restored managed policy ${p.policyArn}`,
};
