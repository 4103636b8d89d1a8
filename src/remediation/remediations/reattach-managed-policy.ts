// Undo Detach{User,Group,Role}Policy: attach the managed policy again.
import type { AttachedPolicy, IAMClient } from "@aws-sdk/client-iam";
import { trailwatchTags } from "../aws.js";
import { groupBinding, managedPolicyBinding, readGroupMembers, readManagedPolicy, roleBinding, userBinding } from "../bindings.js";
import { botRoleName, botUserName } from "../identity.js";
import { managedPolicyAdminReasons } from "../privilege.js";
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import type { PlannedCall, RemediationDefinition, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

type Target = "user" | "group" | "role";
const EVENT_TARGET: Record<string, Target> = { DetachUserPolicy: "user", DetachGroupPolicy: "group", DetachRolePolicy: "role" };
const NAME_KEY: Record<Target, string> = { user: "userName", group: "groupName", role: "roleName" };

function target(p: RemediationParams): Target {
  return p.target as Target;
}

/** Attached policies of the principal, or undefined when it does not exist. */
async function attachedPolicies(iam: IAMClient, t: Target, name: string): Promise<AttachedPolicy[] | undefined> {
  switch (t) {
    case "user":
      return orMissing(iamGateway(iam).listAttachedUserPolicies(name));
    case "group":
      return orMissing(iamGateway(iam).listAttachedGroupPolicies(name));
    case "role":
      return orMissing(iamGateway(iam).listAttachedRolePolicies(name));
  }
}

export const reattachManagedPolicy: RemediationDefinition = {
  id: "reattach-managed-policy",
  title: "Re-attach managed policy",
  validate(p) {
    const t = p.target;
    if (t !== "user" && t !== "group" && t !== "role") return `parameter target must be user, group or role`;
    return checkParams(p, { target: "userName", name: t === "group" ? "groupName" : t === "role" ? "roleName" : "userName", policyArn: "policyArn" });
  },
  fromEvent(event) {
    const bad = checkUndoEvent(event, Object.keys(EVENT_TARGET));
    if (bad) return { error: bad };
    const t = EVENT_TARGET[event.eventName] as Target;
    const params = paramsFrom(event, { name: NAME_KEY[t], policyArn: "policyArn" });
    if ("error" in params) return params;
    return { target: t, name: params.name ?? "", policyArn: params.policyArn ?? "" };
  },
  planTitle: (p) => `Re-attach managed policy ${p.policyArn} to ${p.target} ${p.name}`,
  async plan(p, ctx) {
    const { iam } = ctx.deps;
    const t = target(p);
    const name = p.name ?? "";
    const arn = p.policyArn ?? "";
    // The bot never widens its own permissions (deploy/iam-policy.json denies it too).
    const bot = ctx.deps.botIdentity;
    if ((t === "user" && botUserName(bot) === name) || (t === "role" && botRoleName(bot) === name)) {
      return { applicable: false, reason: `${t} ${name} is the bot's own identity; trailwatch does not change its own permissions` };
    }
    let exists: boolean;
    if (t === "user") {
      const user = await orMissing(iamGateway(iam).getUser(name));
      exists = user?.User !== undefined;
      if (user?.User) ctx.bindings.push(userBinding(name, user.User.UserId));
    } else if (t === "group") {
      const group = await orMissing(iamGateway(iam).getGroup(name));
      exists = group?.Group !== undefined;
      // Every member gets the policy: whoever joins the group while the request waits must not.
      if (group?.Group) {
        const members = (await readGroupMembers(iam, name)) ?? [];
        ctx.bindings.push(groupBinding(name, group.Group.GroupId, undefined, members));
        ctx.observations.push(`group ${name} has ${members.length} member(s)`);
      }
    } else {
      const role = await orMissing(iamGateway(iam).getRole(name));
      exists = role?.Role !== undefined;
      // Decided by the path IAM reports, never by the name: anyone can name a role AWSServiceRoleFor….
      if (role?.Role?.Path?.startsWith("/aws-service-role/")) {
        return { applicable: false, reason: `role ${name} is a service-linked role (path ${role.Role.Path}); its policies are managed by the AWS service` };
      }
      // Whoever the trust policy admits gets the policy's permissions: the trust policy is part of the binding.
      if (role?.Role) ctx.bindings.push(roleBinding(name, role.Role, { trust: true }));
    }
    if (!exists) return { applicable: false, reason: `${t} ${name} no longer exists` };
    ctx.observations.push(`${t} ${name} exists`);
    const state = await readManagedPolicy(iam, arn);
    if (!state) return { applicable: false, reason: `policy ${arn} no longer exists` };
    const policy = { Policy: state.policy };
    if (policy.Policy.IsAttachable === false) return { applicable: false, reason: `policy ${arn} is not attachable` };
    ctx.observations.push(`policy ${policy.Policy.PolicyName ?? arn} exists (${policy.Policy.AttachmentCount ?? 0} attachment(s))`);
    ctx.bindings.push(managedPolicyBinding(arn, state));
    ctx.adminReasons.push(...managedPolicyAdminReasons(arn, state.document));
    const attached = (await attachedPolicies(iam, t, name)) ?? [];
    if (attached.some((a) => a.PolicyArn === arn)) {
      ctx.observations.push(`${arn} is attached to ${t} ${name}`);
      return { applicable: false, reason: `policy ${arn} is already attached to ${t} ${name}; nothing to do` };
    }
    ctx.observations.push(`${t} ${name} has ${attached.length} managed polic${attached.length === 1 ? "y" : "ies"} attached, not this one`);
    const calls: PlannedCall[] = [];
    const tags = trailwatchTags(ctx.requestId, "reattach-managed-policy");
    if (t === "user") {
      calls.push({ api: "AttachUserPolicy", params: { UserName: name, PolicyArn: arn }, description: `Attach ${arn} to user ${name}` });
      calls.push({ api: "TagUser", params: { UserName: name, Tags: tags }, description: `Tag user ${name} with the trailwatch request and action` });
    } else if (t === "group") {
      calls.push({ api: "AttachGroupPolicy", params: { GroupName: name, PolicyArn: arn }, description: `Attach ${arn} to group ${name}` });
    } else {
      calls.push({ api: "AttachRolePolicy", params: { RoleName: name, PolicyArn: arn }, description: `Attach ${arn} to role ${name}` });
      calls.push({ api: "TagRole", params: { RoleName: name, Tags: tags }, description: `Tag role ${name} with the trailwatch request and action` });
    }
    return {
      applicable: true,
      reason:
        `policy ${policy.Policy.PolicyName ?? arn} can be attached to ${t} ${name} again` +
        (t === "group" ? ". IAM groups cannot be tagged: this change is recorded in Slack only" : ""),
      calls,
    };
  },
  undoesEvent: true,
  summary: (p) => `re-attached ${p.policyArn} to ${p.target} ${p.name}`,
};
