// What a restore plan is bound to, beyond the kinds every plan uses (bindings.ts): the snapshot it rebuilds
// from, and the absence of what it recreates. A restore approved while the role was gone must not run after
// someone created a role of that name (maybe trusting another account), and one approved from snapshot #12
// must not run from different content. The policies a restore hands back are bound by PolicyId, default
// version and document hash, and judged for admin-level access like every re-attach.
import type { LoadedSnapshot } from "../../snapshot/service.js";
import { managedPolicyBinding, parsePolicyDocument, readManagedPolicy, registerBindingKind, type Binding } from "../bindings.js";
import { documentAdminReasons, managedPolicyAdminReasons } from "../privilege.js";
import type { PlanContext, RemediationDeps } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

/** What a restore recreates, and must therefore not exist when it runs. */
export type AbsentThing =
  | { type: "role" | "user" | "group" | "instance-profile"; name: string }
  | { type: "policy"; arn: string }
  | { type: "password-policy" }
  | { type: "inline-policy"; target: "role" | "user" | "group"; name: string; policyName: string };

const ABSENT = { Exists: "no" };

function absentLabel(t: AbsentThing): string {
  switch (t.type) {
    case "policy":
      return `policy ${t.arn} (to be recreated)`;
    case "password-policy":
      return "the account password policy (to be set again)";
    case "inline-policy":
      return `inline policy ${t.policyName} of ${t.target} ${t.name} (to be put back)`;
    case "instance-profile":
      return `instance profile ${t.name} (to be recreated)`;
    default:
      return `${t.type} ${t.name} (to be recreated)`;
  }
}

/** Binds the plan to the thing it recreates not existing. */
export function absentBinding(t: AbsentThing): Binding {
  const ref: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) ref[k] = v;
  return { kind: "absent", label: absentLabel(t), ref, expected: ABSENT };
}

/** "yes (RoleId …)" when it exists now, so the refusal says what appeared in its place. */
async function presence(deps: RemediationDeps, ref: Record<string, string>): Promise<Record<string, string>> {
  const { iam } = deps;
  const name = ref.name ?? "";
  const yes = (what: string) => ({ Exists: `yes (${what})` });
  switch (ref.type) {
    case "role": {
      const r = await orMissing(iamGateway(iam).getRole(name));
      return r?.Role ? yes(`RoleId ${r.Role.RoleId ?? "?"}`) : ABSENT;
    }
    case "user": {
      const u = await orMissing(iamGateway(iam).getUser(name));
      return u?.User ? yes(`UserId ${u.User.UserId ?? "?"}`) : ABSENT;
    }
    case "group": {
      const g = await orMissing(iamGateway(iam).getGroup(name));
      return g?.Group ? yes(`GroupId ${g.Group.GroupId ?? "?"}`) : ABSENT;
    }
    case "instance-profile": {
      const ip = await orMissing(iamGateway(iam).getInstanceProfile(name));
      return ip?.InstanceProfile ? yes(`InstanceProfileId ${ip.InstanceProfile.InstanceProfileId ?? "?"}`) : ABSENT;
    }
    case "policy": {
      const p = await orMissing(iamGateway(iam).getPolicy(ref.arn ?? ""));
      return p?.Policy ? yes(`PolicyId ${p.Policy.PolicyId ?? "?"}`) : ABSENT;
    }
    case "password-policy": {
      const pp = await orMissing(iamGateway(iam).getAccountPasswordPolicy());
      return pp?.PasswordPolicy ? yes("a password policy is set") : ABSENT;
    }
    case "inline-policy": {
      const policyName = ref.policyName ?? "";
      const got =
        ref.target === "user"
          ? await orMissing(iamGateway(iam).getUserPolicy(name, policyName))
          : ref.target === "group"
            ? await orMissing(iamGateway(iam).getGroupPolicy(name, policyName))
            : await orMissing(iamGateway(iam).getRolePolicy(name, policyName));
      return got ? yes("a policy of that name is there") : ABSENT;
    }
    default:
      // An unknown type cannot be checked: report it as present so the executor fails closed.
      return yes(`unknown kind ${String(ref.type)}`);
  }
}

registerBindingKind("absent", presence);

/** Binds the plan to the snapshot it rebuilds from, by content hash (a snapshot pruned meanwhile refuses). */
export function snapshotBinding(loaded: LoadedSnapshot): Binding {
  return { kind: "snapshot", label: `snapshot #${loaded.meta.id}`, ref: { snapshotId: String(loaded.meta.id) }, expected: { ContentSha256: loaded.meta.hash } };
}

registerBindingKind("snapshot", async (deps, ref) => {
  if (!deps.snapshots) return undefined;
  const loaded = await deps.snapshots.get(Number(ref.snapshotId));
  return loaded ? { ContentSha256: loaded.meta.hash } : undefined;
});

/**
 * Binds each managed policy a restore attaches (PolicyId, default version, document hash) and judges it for
 * admin-level access. Returns the ARNs that exist now; the others cannot be attached.
 */
export async function bindManagedPolicies(ctx: PlanContext, holder: string, arns: readonly string[]): Promise<string[]> {
  const present: string[] = [];
  for (const arn of arns) {
    const state = await readManagedPolicy(ctx.deps.iam, arn);
    if (!state) continue;
    ctx.bindings.push(managedPolicyBinding(arn, state));
    for (const r of managedPolicyAdminReasons(arn, state.document)) ctx.adminReasons.push(`${holder}: ${r}`);
    present.push(arn);
  }
  return present;
}

/** A boundary to put back, bound like a managed policy; false when the policy no longer exists. */
export async function bindBoundary(ctx: PlanContext, arn: string): Promise<boolean> {
  const state = await readManagedPolicy(ctx.deps.iam, arn);
  if (!state) return false;
  ctx.bindings.push(managedPolicyBinding(arn, state));
  return true;
}

/** Judges the inline policies a restore puts back (their documents are in the plan's calls, compared at execution). */
export function judgeInlinePolicies(ctx: PlanContext, holder: string, policies: readonly { name: string; document: string }[]): void {
  for (const pol of policies) {
    for (const r of documentAdminReasons(parsePolicyDocument(pol.document))) ctx.adminReasons.push(`${holder}: inline policy ${pol.name}: ${r}`);
  }
}
