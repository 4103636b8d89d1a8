// What a group or role would hand out: its attached and inline policies, bound to the plan (so a policy
// swapped or attached before approval refuses it) and judged for admin-level access.
import { groupBinding, managedPolicyBinding, readManagedPolicy, readPermissions, type PrincipalPermissions } from "./bindings.js";
import { documentAdminReasons, managedPolicyAdminReasons } from "./privilege.js";
import type { PlanContext } from "./types.js";

/** Reads, binds and judges the permissions of a group or role. The group or role binding itself is the caller's. */
export async function bindPermissions(ctx: PlanContext, kind: "group" | "role", name: string): Promise<PrincipalPermissions> {
  const { iam } = ctx.deps;
  const perms = await readPermissions(iam, kind, name);
  for (const arn of perms.attached) {
    const state = await readManagedPolicy(iam, arn);
    if (!state) {
      ctx.adminReasons.push(`${kind} ${name}: attached policy ${arn} could not be read, so it is treated as admin-level`);
      continue;
    }
    ctx.bindings.push(managedPolicyBinding(arn, state));
    for (const r of managedPolicyAdminReasons(arn, state.document)) ctx.adminReasons.push(`${kind} ${name}: ${r}`);
  }
  for (const inline of perms.inline) {
    for (const r of documentAdminReasons(inline.document)) ctx.adminReasons.push(`${kind} ${name}: inline policy ${inline.name}: ${r}`);
  }
  ctx.observations.push(
    `${kind} ${name} carries ${perms.attached.length} managed and ${perms.inline.length} inline polic${perms.attached.length + perms.inline.length === 1 ? "y" : "ies"}`,
  );
  return perms;
}

export { groupBinding };
