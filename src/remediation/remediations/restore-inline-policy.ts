// Undo Delete{Role,User,Group}Policy: put the inline policy back with the document from the last
// snapshot before the deletion; when no snapshot holds it, from the last Put*Policy call for it that
// CloudTrail still has (event history keeps 90 days).
import { CloudTrailLookup } from "../../cloudtrail/lookup.js";
import { beforeFromEventTime, checkSnapshotParams, pinSnapshot, policySummary, snapshotLabel } from "../restore/common.js";
import { absentBinding, judgeInlinePolicies, snapshotBinding } from "../restore/bindings.js";
import { groupBinding, readGroupMembers, roleBinding, userBinding, type Binding } from "../bindings.js";
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import type { PlanContext, RemediationDefinition, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

type Target = "user" | "group" | "role";
const EVENT_TARGET: Record<string, Target> = { DeleteUserPolicy: "user", DeleteGroupPolicy: "group", DeleteRolePolicy: "role" };
const NAME_KEY: Record<Target, string> = { user: "userName", group: "groupName", role: "roleName" };
const PUT_EVENT: Record<Target, string> = { user: "PutUserPolicy", group: "PutGroupPolicy", role: "PutRolePolicy" };
const PUT_API = PUT_EVENT;
const NAME_PARAM: Record<Target, string> = { user: "UserName", group: "GroupName", role: "RoleName" };
const DAY_MS = 86_400_000;
/** LookupEvents pages read when looking for the last Put*Policy (50 events each, at 2 calls/s). */
const MAX_LOOKUP_PAGES = 20;

function kindOf(t: Target): "userName" | "groupName" | "roleName" {
  return t === "user" ? "userName" : t === "group" ? "groupName" : "roleName";
}

/** The document of the newest Put*Policy for this principal and policy name before `before`, if any. */
async function lastPutEvent(ctx: PlanContext, t: Target, name: string, policyName: string, before: Date): Promise<{ document: string; at: string; eventId: string; by: string } | null> {
  const ct = ctx.deps.cloudtrail;
  if (!ct) return null;
  const lookup = new CloudTrailLookup(ct, { maxAttempts: 3 });
  let pages = 0;
  for await (const page of lookup.pages("EventName", PUT_EVENT[t], new Date(before.getTime() - 90 * DAY_MS), before)) {
    for (const ev of page.events) {
      let record: { requestParameters?: Record<string, unknown>; errorCode?: string; userIdentity?: { arn?: unknown } } = {};
      try {
        record = JSON.parse(ev.CloudTrailEvent ?? "{}") as typeof record;
      } catch {
        continue;
      }
      const rp = record.requestParameters ?? {};
      if (record.errorCode || rp[NAME_KEY[t]] !== name || rp.policyName !== policyName || typeof rp.policyDocument !== "string") continue;
      const by = typeof record.userIdentity?.arn === "string" ? record.userIdentity.arn.slice(0, 300) : "an unknown principal";
      return { document: rp.policyDocument, at: ev.EventTime ? new Date(ev.EventTime).toISOString() : "?", eventId: ev.EventId ?? "?", by };
    }
    if (++pages >= MAX_LOOKUP_PAGES) break;
  }
  return null;
}

/**
 * The principal the policy goes back on, bound by its unique id (a role also by whom it trusts; a group by who
 * is in it, since every member gets the policy); undefined when it does not exist.
 */
async function principalBinding(ctx: PlanContext, t: Target, name: string): Promise<Binding | undefined> {
  const { iam } = ctx.deps;
  if (t === "user") {
    const u = await orMissing(iamGateway(iam).getUser(name));
    return u?.User ? userBinding(name, u.User.UserId) : undefined;
  }
  if (t === "group") {
    const g = await orMissing(iamGateway(iam).getGroup(name));
    return g?.Group ? groupBinding(name, g.Group.GroupId, undefined, (await readGroupMembers(iam, name)) ?? []) : undefined;
  }
  const r = await orMissing(iamGateway(iam).getRole(name));
  return r?.Role ? roleBinding(name, r.Role, { trust: true }) : undefined;
}

async function currentPolicy(ctx: PlanContext, t: Target, name: string, policyName: string): Promise<boolean> {
  const { iam } = ctx.deps;
  const got =
    t === "user"
      ? await orMissing(iamGateway(iam).getUserPolicy(name, policyName))
      : t === "group"
        ? await orMissing(iamGateway(iam).getGroupPolicy(name, policyName))
        : await orMissing(iamGateway(iam).getRolePolicy(name, policyName));
  return got !== undefined;
}

export const restoreInlinePolicy: RemediationDefinition = {
  id: "restore-inline-policy",
  title: "Restore deleted inline policy",
  validate(p: RemediationParams) {
    const t = p.target;
    if (t !== "user" && t !== "group" && t !== "role") return "parameter target must be user, group or role";
    const { snapshotId: _s, before: _b, ...rest } = p;
    return checkParams(rest, { target: "userName", name: kindOf(t), policyName: "policyName" }) ?? checkSnapshotParams(p);
  },
  fromEvent(event) {
    const bad = checkUndoEvent(event, Object.keys(EVENT_TARGET));
    if (bad) return { error: bad };
    const t = EVENT_TARGET[event.eventName] as Target;
    const params = paramsFrom(event, { name: NAME_KEY[t], policyName: "policyName" });
    if ("error" in params) return params;
    const before = beforeFromEventTime(event.eventTime);
    if ("error" in before) return before;
    return { target: t, name: params.name ?? "", policyName: params.policyName ?? "", ...before };
  },
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore inline policy ${p.policyName} on ${p.target} ${p.name}`,
  async plan(p, ctx) {
    const t = p.target as Target;
    const name = p.name ?? "";
    const policyName = p.policyName ?? "";
    const principal = await principalBinding(ctx, t, name);
    if (!principal) {
      return { applicable: false, reason: `${t} ${name} does not exist now; restore the ${t} first (its restore brings its inline policies back too)` };
    }
    ctx.bindings.push(principal);
    if (await currentPolicy(ctx, t, name, policyName)) {
      return { applicable: false, reason: `${t} ${name} has an inline policy named ${policyName} again: someone put it back; nothing is overwritten` };
    }
    let document: string | undefined;
    let source = "";
    let whyNoSnapshot = "";
    if (p.snapshotId !== undefined && ctx.deps.snapshots) {
      const loaded = await ctx.deps.snapshots.get(Number(p.snapshotId));
      if (!loaded) return { applicable: false, reason: `snapshot #${p.snapshotId} is gone (older than SNAPSHOT_RETENTION_DAYS); request the restore again` };
      const holder = t === "user" ? loaded.snapshot.users : t === "group" ? loaded.snapshot.groups : loaded.snapshot.roles;
      const found = holder.find((h) => h.name === name)?.inlinePolicies.find((ip) => ip.name === policyName);
      if (found) {
        document = found.document;
        source = snapshotLabel(loaded);
        ctx.bindings.push(snapshotBinding(loaded));
      } else {
        whyNoSnapshot = `${snapshotLabel(loaded)} does not hold it`;
      }
    } else {
      whyNoSnapshot = ctx.deps.snapshots ? "no snapshot was taken before the deletion" : "no IAM snapshots are available";
    }
    if (document === undefined) {
      ctx.observations.push(`${whyNoSnapshot}; looked in CloudTrail for the last ${PUT_EVENT[t]} within 90 days`);
      const before = p.before ? new Date(p.before) : ctx.now;
      const ev = await lastPutEvent(ctx, t, name, policyName, before);
      if (!ev) {
        return { applicable: false, reason: `${whyNoSnapshot}, and CloudTrail has no ${PUT_EVENT[t]} of ${policyName} on ${t} ${name} in the 90 days before the deletion: its document is unknown` };
      }
      document = ev.document;
      source = `the ${PUT_EVENT[t]} event ${ev.eventId} of ${ev.at} (no snapshot held it; a later change made outside that call would be missing)`;
      ctx.observations.push(`that ${PUT_EVENT[t]} was made by ${ev.by}: check it was not the actor being investigated`);
    }
    ctx.observations.push(`the document comes from ${source}`);
    ctx.bindings.push(absentBinding({ type: "inline-policy", target: t, name, policyName }));
    judgeInlinePolicies(ctx, `${t} ${name}`, [{ name: policyName, document }]);
    return {
      applicable: true,
      reason: `inline policy ${policyName} can be put back on ${t} ${name} with the document from ${source}`,
      calls: [
        {
          api: PUT_API[t],
          params: { [NAME_PARAM[t]]: name, PolicyName: policyName, PolicyDocument: document },
          description: `Put inline policy ${policyName} on ${t} ${name}: ${policySummary(document)}`,
        },
      ],
      notes: ["inline policies cannot be tagged: this change is recorded in Slack and in the record of actions"],
    };
  },
  undoesEvent: true,
  summary: (p) => `restored inline policy ${p.policyName} on ${p.target} ${p.name}`,
};
