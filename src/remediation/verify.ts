// Read-back verification: after execution, read IAM / CloudTrail again and confirm each executed call
// took effect. Reads are retried a few times because IAM is eventually consistent.
import { AwsCallError } from "../aws/errors.js";
import type { PlannedCall, RemediationDeps } from "./types.js";
import { inlinePolicyCheck, RESTORE_CHECKS } from "./restore/verify.js";
import { iamGateway } from "../aws/iam-gateway.js";
import { cloudTrailGateway } from "../aws/cloudtrail-gateway.js";
import { passwordPolicySettings, type PasswordPolicySettings } from "../domain.js";
import { DEFAULT_VERIFY_DELAYS_MS } from "../config.js";

/** ok + a line saying what was seen. */
export interface Check {
  ok: boolean;
  detail: string;
}

interface Tag {
  Key?: string | undefined;
  Value?: string | undefined;
}

export type Checker = (deps: RemediationDeps, p: Record<string, unknown>) => Promise<Check>;

const str = (p: Record<string, unknown>, k: string) => String(p[k]);

function tagsContain(actual: Tag[] | undefined, wanted: unknown): string[] {
  const missing: string[] = [];
  for (const w of (wanted as Tag[] | undefined) ?? []) {
    const got = actual?.find((t) => t.Key === w.Key);
    if (got?.Value !== w.Value) missing.push(`${w.Key ?? "?"}=${w.Value ?? "?"}`);
  }
  return missing;
}

function tagCheck(what: string, actual: Tag[] | undefined, wanted: unknown, via: string): Check {
  const missing = tagsContain(actual, wanted);
  return missing.length === 0
    ? { ok: true, detail: `${what} carries the trailwatch tags (${via})` }
    : { ok: false, detail: `${what} lacks tag(s) ${missing.join(", ")} (${via})` };
}

function cloudtrail(deps: RemediationDeps) {
  if (!deps.cloudtrail) throw new Error("no CloudTrail client is configured");
  return deps.cloudtrail;
}

const attachedCheck =
  (kind: "user" | "group" | "role"): Checker =>
  async (deps, p) => {
    const name = str(p, kind === "user" ? "UserName" : kind === "group" ? "GroupName" : "RoleName");
    const arn = str(p, "PolicyArn");
    const api = kind === "user" ? "ListAttachedUserPolicies" : kind === "group" ? "ListAttachedGroupPolicies" : "ListAttachedRolePolicies";
    const iam = iamGateway(deps.iam);
    const list =
      kind === "user" ? await iam.listAttachedUserPolicies(name) : kind === "group" ? await iam.listAttachedGroupPolicies(name) : await iam.listAttachedRolePolicies(name);
    const ok = list.some((a) => a.PolicyArn === arn);
    return { ok, detail: `${arn} is ${ok ? "" : "NOT "}attached to ${kind} ${name} (${api})` };
  };

const CHECKS: Record<string, Checker> = {
  async AddRoleToInstanceProfile(deps, p) {
    const role = str(p, "RoleName");
    const profile = str(p, "InstanceProfileName");
    const list = await iamGateway(deps.iam).listInstanceProfilesForRole(role);
    const ok = list.some((ip) => ip.InstanceProfileName === profile);
    return { ok, detail: `role ${role} is ${ok ? "" : "NOT "}in instance profile ${profile} (ListInstanceProfilesForRole)` };
  },
  async TagInstanceProfile(deps, p) {
    // GetInstanceProfile returns the tags too; moto 5.2.1 lacks ListInstanceProfileTags.
    const name = str(p, "InstanceProfileName");
    const res = await iamGateway(deps.iam).getInstanceProfile(name);
    return tagCheck(`instance profile ${name}`, res.InstanceProfile?.Tags, p.Tags, "GetInstanceProfile");
  },
  async CreateAccountAlias(deps, p) {
    const alias = str(p, "AccountAlias");
    const aliases = await iamGateway(deps.iam).listAccountAliases();
    const ok = aliases.includes(alias);
    return { ok, detail: `account alias ${alias} is ${ok ? "" : "NOT "}set (ListAccountAliases: ${aliases.join(", ") || "none"})` };
  },
  AttachUserPolicy: attachedCheck("user"),
  AttachGroupPolicy: attachedCheck("group"),
  AttachRolePolicy: attachedCheck("role"),
  async AddUserToGroup(deps, p) {
    const user = str(p, "UserName");
    const group = str(p, "GroupName");
    const list = await iamGateway(deps.iam).listGroupsForUser(user);
    const ok = list.some((g) => g.GroupName === group);
    return { ok, detail: `user ${user} is ${ok ? "" : "NOT "}in group ${group} (ListGroupsForUser)` };
  },
  async TagUser(deps, p) {
    const name = str(p, "UserName");
    return tagCheck(`user ${name}`, await iamGateway(deps.iam).listUserTags(name), p.Tags, "ListUserTags");
  },
  async TagRole(deps, p) {
    const name = str(p, "RoleName");
    return tagCheck(`role ${name}`, await iamGateway(deps.iam).listRoleTags(name), p.Tags, "ListRoleTags");
  },
  async UpdateAccessKey(deps, p) {
    const user = str(p, "UserName");
    const keyId = str(p, "AccessKeyId");
    const keys = await iamGateway(deps.iam).listAccessKeys(user);
    const status = keys.find((k) => k.AccessKeyId === keyId)?.Status;
    return { ok: status === p.Status, detail: `access key ${keyId} of ${user} is ${status ?? "missing"} (ListAccessKeys)` };
  },
  async PutRolePolicy(deps, p) {
    const role = str(p, "RoleName");
    const name = str(p, "PolicyName");
    return inlinePolicyCheck(`role ${role}`, name, (await iamGateway(deps.iam).getRolePolicy(role, name)).PolicyDocument, p.PolicyDocument, "GetRolePolicy");
  },
  async UpdateAccountPasswordPolicy(deps, p) {
    const res = await iamGateway(deps.iam).getAccountPasswordPolicy();
    // Both sides with IAM's defaults where unset.
    const have = passwordPolicySettings(res.PasswordPolicy ?? {});
    const want = passwordPolicySettings(p);
    const mismatches: string[] = [];
    for (const f of Object.keys(want) as (keyof PasswordPolicySettings)[]) {
      if (want[f] !== have[f]) mismatches.push(`${f} is ${JSON.stringify(have[f])}, expected ${JSON.stringify(want[f])}`);
    }
    return mismatches.length === 0
      ? { ok: true, detail: "the password policy matches the planned settings (GetAccountPasswordPolicy)" }
      : { ok: false, detail: `the password policy differs: ${mismatches.join("; ")} (GetAccountPasswordPolicy)` };
  },
  async StartLogging(deps, p) {
    const name = str(p, "Name");
    const ct = cloudtrail(deps);
    const res = await cloudTrailGateway(ct).getTrailStatus(name);
    return { ok: res.IsLogging === true, detail: `trail ${name} is ${res.IsLogging ? "" : "NOT "}logging (GetTrailStatus)` };
  },
  async AddTags(deps, p) {
    const arn = str(p, "ResourceId");
    const ct = cloudtrail(deps);
    const tags = (await cloudTrailGateway(ct).listTags([arn])).find((r) => r.ResourceId === arn)?.TagsList;
    return tagCheck(`trail ${arn}`, tags, p.TagsList, "ListTags");
  },
  ...RESTORE_CHECKS,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Verifies every executed call; ok only when each read-back confirms it. */
export async function verifyCalls(
  deps: RemediationDeps,
  done: PlannedCall[],
): Promise<{ ok: boolean; details: string[]; failures: string[] }> {
  if (done.length === 0) {
    const nothing = "nothing was executed, so there is nothing to verify";
    return { ok: false, details: [nothing], failures: [nothing] };
  }
  const delays = deps.verifyRetryDelaysMs ?? DEFAULT_VERIFY_DELAYS_MS;
  const details: string[] = [];
  const failures: string[] = [];
  for (const call of done) {
    const checker = Object.hasOwn(CHECKS, call.api) ? CHECKS[call.api] : undefined;
    if (!checker) {
      details.push(`${call.api}: no read-back check exists`);
      failures.push(`${call.api}: no read-back check exists`);
      continue;
    }
    let result: Check = { ok: false, detail: `${call.api}: not checked` };
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 0);
      try {
        result = await checker(deps, call.params);
      } catch (error) {
        const text = error instanceof AwsCallError ? error.describe() : error instanceof Error ? error.message : String(error);
        result = { ok: false, detail: `could not verify ${call.api}: ${text}` };
        if (error instanceof AwsCallError && error.denied) break; // retrying will not help
      }
      if (result.ok) break;
    }
    if (!result.ok) failures.push(result.detail);
    details.push(result.detail);
  }
  return { ok: failures.length === 0, details, failures };
}

/** What reading IAM back says about one planned call, when it is unknown whether the call was sent. */
export interface ReadBack {
  call: PlannedCall;
  /** confirmed: IAM shows the change; absent: it does not; unreadable: IAM could not be read (why in detail). */
  status: "confirmed" | "absent" | "unreadable";
  detail: string;
}

/**
 * Reads IAM back for each planned call without assuming it was sent (crash recovery). Same checks and
 * retries as verifyCalls, but a failed read is kept apart from a change that is not there.
 */
export async function readBackCalls(deps: RemediationDeps, calls: PlannedCall[]): Promise<ReadBack[]> {
  const delays = deps.verifyRetryDelaysMs ?? DEFAULT_VERIFY_DELAYS_MS;
  const out: ReadBack[] = [];
  for (const call of calls) {
    const checker = Object.hasOwn(CHECKS, call.api) ? CHECKS[call.api] : undefined;
    if (!checker) {
      out.push({ call, status: "unreadable", detail: `${call.api}: no read-back check exists` });
      continue;
    }
    let result: ReadBack = { call, status: "unreadable", detail: `${call.api}: not checked` };
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 0);
      try {
        const check = await checker(deps, call.params);
        result = { call, status: check.ok ? "confirmed" : "absent", detail: check.detail };
      } catch (error) {
        const text = error instanceof AwsCallError ? error.describe() : error instanceof Error ? error.message : String(error);
        // "Does not exist" is an answer: the change is not in IAM (the policy was never put, the role is gone).
        const missing = error instanceof AwsCallError && error.kind === "not-found";
        result = missing
          ? { call, status: "absent", detail: `${call.api}: not in IAM (${text})` }
          : { call, status: "unreadable", detail: `could not read back ${call.api}: ${text}` };
        if (error instanceof AwsCallError && error.denied) break;
      }
      if (result.status === "confirmed") break;
    }
    out.push(result);
  }
  return out;
}
