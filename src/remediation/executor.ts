// executePlan: run an approved, stored plan.
//
// 1. Refuse outright when the plan is malformed, names an API outside the allow-list (calls.ts), was not
//    applicable, or the approver is the requester.
// 2. Re-read everything the plan is bound to (bindings.ts: unique ids, policy versions and document
//    hashes, the account) and refuse on any difference: the approval was for those things, not for
//    whatever now carries their names. Admin-level plans also need the approver's explicit confirmation.
// 3. Re-plan against live IAM. If the remediation no longer applies, do nothing and say why. If the
//    re-plan needs different calls than the approved ones, do nothing either: what changed must be
//    approved again. Two values may legitimately differ and are taken from the re-plan: the request-id
//    tag value (ctx.requestId) and contain-actor's revoke time (so it is "now" at approval time).
// 4. Send the calls in order; stop at the first AWS error and report done / failed / not done.
// 5. Read IAM back to verify every call that was done.
import { AwsCallError, classifyAwsError } from "../aws/errors.js";
import { PENDING_REQUEST_ID, stableJson, TAG_REQUEST, tagValue } from "./aws.js";
import { bindingsKey, bindingText, recheckBindings } from "./bindings.js";
import { allowedApi, checkCall } from "./calls.js";
import { definitionFor, planRemediation } from "./registry.js";
import { REVOKE_POLICY_NAME } from "./remediations/contain-actor.js";
import { verifyCalls } from "./verify.js";
import type { ExecutionContext, ExecutionResult, PlannedCall, PlanSubject, RemediationDeps, RemediationPlan } from "./types.js";

const VOLATILE = "<set at execution>";

/** The call with the values that may change between plan and execution blanked out. */
function comparable(call: PlannedCall): string {
  const params: Record<string, unknown> = { ...call.params };
  for (const key of ["Tags", "TagsList"]) {
    const tags = params[key];
    if (Array.isArray(tags)) {
      params[key] = tags.map((t: { Key?: unknown; Value?: unknown }) => (t.Key === TAG_REQUEST ? { Key: t.Key, Value: VOLATILE } : t));
    }
  }
  if (call.api === "PutRolePolicy" && params.PolicyName === REVOKE_POLICY_NAME && typeof params.PolicyDocument === "string") {
    try {
      const doc = JSON.parse(params.PolicyDocument) as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] };
      for (const st of doc.Statement ?? []) {
        if (st.Condition?.DateLessThan && "aws:TokenIssueTime" in st.Condition.DateLessThan) {
          st.Condition.DateLessThan["aws:TokenIssueTime"] = VOLATILE;
        }
      }
      params.PolicyDocument = stableJson(doc);
    } catch {
      // not JSON: compared verbatim, so it will not match the re-plan
    }
  }
  return stableJson({ api: call.api, params });
}

function requestTagValues(calls: PlannedCall[]): string[] {
  const values: string[] = [];
  for (const c of calls) {
    for (const key of ["Tags", "TagsList"]) {
      const tags = c.params[key];
      if (!Array.isArray(tags)) continue;
      for (const t of tags as { Key?: unknown; Value?: unknown }[]) {
        if (t.Key === TAG_REQUEST && typeof t.Value === "string") values.push(t.Value);
      }
    }
  }
  return values;
}

const listCalls = (calls: PlannedCall[]) => calls.map((c) => c.api).join(", ") || "none";

function storedCalls(plan: unknown): PlannedCall[] {
  const calls = (plan as { calls?: unknown } | null)?.calls;
  return Array.isArray(calls) ? (calls as PlannedCall[]) : [];
}

function refuse(plan: unknown, reason: string, drift?: string[]): ExecutionResult {
  const title = (plan as { title?: unknown } | null)?.title;
  return {
    ok: false,
    done: [],
    notDone: storedCalls(plan),
    verification: { ok: false, details: ["nothing was executed, so there is nothing to verify"] },
    summary: `did not run ${typeof title === "string" && title ? `"${title}"` : "the remediation"}: ${reason}`,
    refused: reason,
    ...(drift && drift.length > 0 ? { drift } : {}),
  };
}

export const ADMIN_CONFIRMATION = "I understand this grants admin-level access";

function subjectOf(plan: RemediationPlan): PlanSubject | undefined {
  if (plan.accountId === undefined && plan.undoes === undefined) return undefined;
  return { ...(plan.accountId !== undefined ? { accountId: plan.accountId } : {}), ...(plan.undoes ? { undoes: plan.undoes } : {}) };
}

const stringRecord = (v: unknown) =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v as Record<string, unknown>).every((x) => typeof x === "string");

function wellFormedBinding(b: unknown): boolean {
  const o = b as { kind?: unknown; label?: unknown; ref?: unknown; expected?: unknown } | null;
  return o !== null && typeof o === "object" && typeof o.kind === "string" && typeof o.label === "string" && stringRecord(o.ref) && stringRecord(o.expected);
}

const isAdmin = (plan: RemediationPlan) => Array.isArray(plan.adminReasons) && plan.adminReasons.length > 0;

// Defence in depth: the last gate before IAM changes re-checks what the types already promise (a stored plan, params
// from a Slack form), so a bug elsewhere fails closed here.
/* eslint-disable @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-unnecessary-type-conversion */
/** Why the stored plan or the context cannot be executed at all, or null. */
function precheck(plan: RemediationPlan, ctx: ExecutionContext): string | null {
  if (plan === null || typeof plan !== "object") return "the plan is not an object";
  if (!definitionFor(plan.remediationId)) return `unknown remediation ${JSON.stringify(String(plan.remediationId))}`;
  if (!Array.isArray(plan.calls)) return "the plan has no list of calls";
  if (plan.params === null || typeof plan.params !== "object" || Array.isArray(plan.params)) return "the plan has no parameters";
  for (const call of plan.calls) {
    const bad = checkCall(call);
    if (bad) return `the plan is refused: ${bad}`;
  }
  const invalidParams = definitionFor(plan.remediationId)?.validate(plan.params);
  if (invalidParams) return `the plan's parameters are invalid: ${invalidParams}`;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- anything but true refuses
  if (plan.applicable !== true) return `the plan was not applicable when computed: ${String(plan.reason)}`;
  if (plan.calls.length === 0) return "the plan has no calls";
  if (!Array.isArray(plan.bindings)) return "the plan does not record what it is bound to (it predates identity binding); request a new plan";
  if (!plan.bindings.every(wellFormedBinding)) return "the plan's bindings are malformed";
  if (!ctx || typeof ctx.requestId !== "string" || ctx.requestId.trim() === "") return "the execution has no request id";
  if (typeof ctx.requestedBy !== "string" || ctx.requestedBy.trim() === "") return "the execution does not say who requested it";
  if (typeof ctx.approvedBy !== "string" || ctx.approvedBy.trim() === "") return "the execution does not say who approved it";
  if (ctx.requestedBy === ctx.approvedBy) return `${ctx.approvedBy} requested this remediation and cannot also approve it (four-eyes rule)`;
  const expectedTag = tagValue(ctx.requestId);
  const foreign = requestTagValues(plan.calls).find((v) => v !== expectedTag && v !== PENDING_REQUEST_ID);
  if (foreign !== undefined) return `the plan was computed for request ${foreign}, not ${ctx.requestId}`;
  return null;
}
/* eslint-enable @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-unnecessary-type-conversion */

export async function executePlan(plan: RemediationPlan, deps: RemediationDeps, ctx: ExecutionContext): Promise<ExecutionResult> {
  const bad = precheck(plan, ctx);
  if (bad) return refuse(plan, bad);
  const def = definitionFor(plan.remediationId);
  if (!def) return refuse(plan, "unknown remediation");

  if (isAdmin(plan) && ctx.adminConfirmed !== true) {
    return refuse(plan, `this plan grants admin-level access and the approver did not confirm "${ADMIN_CONFIRMATION}"`);
  }

  const drift = await recheckBindings(deps, plan.bindings);
  if (drift.length > 0) {
    return refuse(plan, `what the plan was approved for has changed since it was requested: ${drift.join("; ")}`, drift);
  }

  const fresh = await planRemediation(plan.remediationId, plan.params, deps, ctx.requestId, subjectOf(plan));
  if (!fresh.applicable) return refuse(plan, `it no longer applies: ${fresh.reason}`);
  const approvedKeys = bindingsKey(plan.bindings);
  const freshKeys = bindingsKey(fresh.bindings);
  if (approvedKeys.length !== freshKeys.length || approvedKeys.some((k, i) => k !== freshKeys[i])) {
    const was = new Set(approvedKeys);
    const added = fresh.bindings.filter((b) => !was.has(bindingsKey([b])[0] ?? "")).map((b) => `now bound to ${bindingText(b)}`);
    const changes = added.length > 0 ? added : ["the set of things the plan acts on changed"];
    return refuse(plan, `what the plan acts on has changed since it was requested: ${changes.join("; ")}`, changes);
  }
  if (isAdmin(fresh) && !isAdmin(plan)) {
    const changes = (fresh.adminReasons ?? []).map((r) => `now grants admin-level access: ${r}`);
    return refuse(plan, `the plan now grants admin-level access, which it did not when it was requested: ${(fresh.adminReasons ?? []).join("; ")}`, changes);
  }
  const approved = plan.calls.map(comparable);
  const now = fresh.calls.map(comparable);
  if (approved.length !== now.length || approved.some((c, i) => c !== now[i])) {
    return refuse(
      plan,
      `IAM changed since the plan was made: it was approved to call ${listCalls(plan.calls)}, it would now call ${listCalls(fresh.calls)} with different parameters or order; request a new plan`,
    );
  }

  const calls = fresh.calls;
  const done: PlannedCall[] = [];
  for (const [i, call] of calls.entries()) {
    const spec = allowedApi(call.api);
    if (!spec) return refuse(plan, `API ${call.api} is not on the allow-list`); // unreachable: checked above
    try {
      await spec.send(deps, call.params);
      done.push(call);
    } catch (error) {
      const info = classifyAwsError(error);
      const notDone = calls.slice(i + 1);
      const { ok: verified, details } = await verifyCalls(deps, done);
      const why = error instanceof AwsCallError ? error.describe() : `${call.api} failed with ${info.code}: ${info.message}`;
      return {
        ok: false,
        done,
        failed: { call, errorName: info.code, message: info.message },
        notDone,
        verification: { ok: verified, details },
        summary: `"${fresh.title}" stopped: ${why} (${done.length} of ${calls.length} calls done${done.length > 0 ? `: ${listCalls(done)}` : ""})`,
      };
    }
  }
  const { ok, details, failures } = await verifyCalls(deps, done);
  const base = def.summary(plan.params, done);
  return {
    ok,
    done,
    notDone: [],
    verification: { ok, details },
    summary: ok ? base : `${base}, but read-back verification failed: ${failures.join("; ")}`,
  };
}
