// Undo Delete{Role,User}PermissionsBoundary: put the boundary from the snapshot back.
import type { Role, User } from "@aws-sdk/client-iam";
import { beforeFromEventTime, checkSnapshotParams, loadSnapshot, pinSnapshot, snapshotLabel } from "../restore/common.js";
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import { bindBoundary, snapshotBinding } from "../restore/bindings.js";
import { roleBinding, userBinding } from "../bindings.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const EVENT_TARGET: Record<string, "role" | "user"> = { DeleteRolePermissionsBoundary: "role", DeleteUserPermissionsBoundary: "user" };

export const restorePermissionsBoundary: RemediationDefinition = {
  id: "restore-permissions-boundary",
  title: "Restore the deleted permissions boundary",
  validate(p) {
    if (p.target !== "role" && p.target !== "user") return "parameter target must be role or user";
    const { snapshotId: _s, before: _b, ...rest } = p;
    return checkParams(rest, { target: "userName", name: p.target === "role" ? "roleName" : "userName" }) ?? checkSnapshotParams(p);
  },
  fromEvent(event) {
    const bad = checkUndoEvent(event, Object.keys(EVENT_TARGET));
    if (bad) return { error: bad };
    const t = EVENT_TARGET[event.eventName] ?? "role";
    const params = paramsFrom(event, { name: t === "role" ? "roleName" : "userName" });
    if ("error" in params) return params;
    const before = beforeFromEventTime(event.eventTime);
    return "error" in before ? before : { target: t, name: params.name ?? "", ...before };
  },
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore the permissions boundary of ${p.target} ${p.name}`,
  async plan(p, ctx) {
    const t = p.target as "role" | "user";
    const name = p.name ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = (t === "role" ? loaded.snapshot.roles : loaded.snapshot.users).find((x) => x.name === name);
    if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold ${t} ${name}: it was created after that snapshot` };
    if (!saved.boundaryArn) return { applicable: false, reason: `${snapshotLabel(loaded)} shows no boundary on ${t} ${name}` };
    const live =
      t === "role"
        ? (await orMissing(iamGateway(iam).getRole(name)))?.Role
        : (await orMissing(iamGateway(iam).getUser(name)))?.User;
    if (!live) return { applicable: false, reason: `${t} ${name} no longer exists` };
    if (live.PermissionsBoundary?.PermissionsBoundaryArn) {
      return { applicable: false, reason: `${t} ${name} has a boundary again (${live.PermissionsBoundary.PermissionsBoundaryArn}); nothing is overwritten` };
    }
    ctx.bindings.push(snapshotBinding(loaded));
    ctx.bindings.push(t === "role" ? roleBinding(name, live as Role) : userBinding(name, (live as User).UserId));
    if (!(await bindBoundary(ctx, saved.boundaryArn))) return { applicable: false, reason: `the boundary policy ${saved.boundaryArn} no longer exists; restore it first` };
    ctx.observations.push(`${t} ${name} exists and has no boundary`);
    const api = t === "role" ? "PutRolePermissionsBoundary" : "PutUserPermissionsBoundary";
    return {
      applicable: true,
      reason: `boundary ${saved.boundaryArn} from ${snapshotLabel(loaded)} can be put back on ${t} ${name}`,
      calls: [{ api, params: { [t === "role" ? "RoleName" : "UserName"]: name, PermissionsBoundary: saved.boundaryArn }, description: `Set the permissions boundary of ${t} ${name} to ${saved.boundaryArn}` }],
    };
  },
  undoesEvent: true,
  summary: (p) => `restored the permissions boundary of ${p.target} ${p.name}`,
};
