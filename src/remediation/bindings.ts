// Bindings: what a plan is about, by identity and content, not by name. A planner records one binding per
// thing it acts on (the role by its RoleId and trust policy, a policy by its PolicyId, default version and
// document hash, ...). At execution every binding is read again with its kind's re-check function and any
// difference refuses the plan: a role deleted and recreated under the same name, or a policy whose
// default version was swapped, is not the thing the approver approved.
//
// New remediations (e.g. restores) reuse the kinds below or add their own with registerBindingKind.
import { createHash } from "node:crypto";
import type { IAMClient, Policy, Role } from "@aws-sdk/client-iam";
import { decodePolicyDocument, stableJson } from "./aws.js";
import type { RemediationDeps } from "./types.js";
import { iamGateway } from "../aws/iam-gateway.js";
import { orMissing } from "../aws/errors.js";

/** What a plan is bound to. JSON-safe: stored with the plan and shown to the approver. */
export interface Binding {
  /** Which re-check function applies: "role", "user", "group", "instance-profile", "managed-policy", "account", ... */
  kind: string;
  /** For people, e.g. "role app-role". Built from names, which are attacker-controlled: escape when rendering. */
  label: string;
  /** How to find it again, e.g. { roleName: "app-role" }. */
  ref: Record<string, string>;
  /** The values seen when planning, e.g. { RoleId: "AROA…", TrustPolicySha256: "…" }. */
  expected: Record<string, string>;
}

/** Reads the current values of a binding; undefined when the thing no longer exists. */
export type BindingReader = (deps: RemediationDeps, ref: Record<string, string>) => Promise<Record<string, string> | undefined>;

/** SHA-256 of a policy document, URL-decoded and canonicalised (sorted keys, no whitespace). */
export function policyDocumentSha256(document: string | undefined): string {
  if (document === undefined || document === "") return "none";
  let canonical: string;
  try {
    canonical = stableJson(decodePolicyDocument(document));
  } catch {
    canonical = document; // not JSON: hash as sent, so any change still shows
  }
  return createHash("sha256").update(canonical).digest("hex");
}

export function parsePolicyDocument(document: string | undefined): unknown {
  try {
    return document ? decodePolicyDocument(document) : null;
  } catch {
    return null;
  }
}

// ---- the values of each kind, shared by planners (from what they already read) and re-checks ----

function roleValues(role: Role, opts: { trust?: boolean } = {}): Record<string, string> {
  return {
    RoleId: role.RoleId ?? "unknown",
    Path: role.Path ?? "/",
    ...(opts.trust ? { TrustPolicySha256: policyDocumentSha256(role.AssumeRolePolicyDocument) } : {}),
  };
}

/** A role by RoleId; with trust, its trust policy's hash; with permissions, what it is allowed to do. */
export function roleBinding(roleName: string, role: Role, opts: { trust?: boolean; permissions?: PrincipalPermissions } = {}): Binding {
  return {
    kind: "role",
    label: `role ${roleName}`,
    ref: { roleName, ...(opts.trust ? { trust: "yes" } : {}), ...(opts.permissions ? { permissions: "yes" } : {}) },
    expected: { ...roleValues(role, opts), ...(opts.permissions ? permissionsValues(opts.permissions) : {}) },
  };
}

/**
 * A group by GroupId; with permissions, what it grants; with members (user ids), who is in it, for when the
 * plan hands the group a permission and an attacker could join the group while the request waits.
 */
export function groupBinding(groupName: string, groupId: string | undefined, permissions?: PrincipalPermissions, members?: string[]): Binding {
  return {
    kind: "group",
    label: `group ${groupName}`,
    ref: { groupName, ...(permissions ? { permissions: "yes" } : {}), ...(members ? { members: "yes" } : {}) },
    expected: { GroupId: groupId ?? "unknown", ...(permissions ? permissionsValues(permissions) : {}), ...(members ? membersValues(members) : {}) },
  };
}

function membersValues(userIds: string[]): Record<string, string> {
  const sorted = [...userIds].sort();
  return { MemberCount: String(sorted.length), MembersSha256: createHash("sha256").update(sorted.join(",")).digest("hex") };
}

/** The user ids of a group's members, all pages; undefined when the group does not exist. */
export async function readGroupMembers(iam: IAMClient, groupName: string): Promise<string[] | undefined> {
  const users = await orMissing(iamGateway(iam).listGroupUsers(groupName));
  return users?.map((u) => u.UserId ?? "?");
}

export function userBinding(userName: string, userId: string | undefined): Binding {
  return { kind: "user", label: `user ${userName}`, ref: { userName }, expected: { UserId: userId ?? "unknown" } };
}

export function instanceProfileBinding(name: string, id: string | undefined): Binding {
  return { kind: "instance-profile", label: `instance profile ${name}`, ref: { instanceProfileName: name }, expected: { InstanceProfileId: id ?? "unknown" } };
}

export function accountBinding(accountId: string): Binding {
  return { kind: "account", label: `AWS account ${accountId}`, ref: {}, expected: { AccountId: accountId } };
}

export interface ManagedPolicyState {
  policy: Policy;
  values: Record<string, string>;
  /** The parsed default version document (null when it could not be read or parsed). */
  document: unknown;
}

/** PolicyId, DefaultVersionId and the default document's hash; undefined when the policy does not exist. */
export async function readManagedPolicy(iam: IAMClient, policyArn: string): Promise<ManagedPolicyState | undefined> {
  const policy = await orMissing(iamGateway(iam).getPolicy(policyArn));
  if (!policy?.Policy) return undefined;
  const versionId = policy.Policy.DefaultVersionId ?? "";
  const version = versionId
    ? await orMissing(iamGateway(iam).getPolicyVersion(policyArn, versionId))
    : undefined;
  const document = version?.PolicyVersion?.Document;
  return {
    policy: policy.Policy,
    values: { PolicyId: policy.Policy.PolicyId ?? "unknown", DefaultVersionId: versionId || "unknown", DocumentSha256: policyDocumentSha256(document) },
    document: parsePolicyDocument(document),
  };
}

export function managedPolicyBinding(policyArn: string, state: ManagedPolicyState): Binding {
  return { kind: "managed-policy", label: `policy ${policyArn}`, ref: { policyArn }, expected: state.values };
}

/** The permissions a group or role carries: attached policy ARNs and its inline documents. */
export interface PrincipalPermissions {
  attached: string[];
  /** Inline policy documents by name, parsed (null when unreadable). */
  inline: { name: string; document: unknown; raw: string }[];
}

export async function readPermissions(iam: IAMClient, kind: "group" | "role", name: string): Promise<PrincipalPermissions> {
  const gw = iamGateway(iam);
  const attached = kind === "group" ? await gw.listAttachedGroupPolicies(name) : await gw.listAttachedRolePolicies(name);
  const names = kind === "group" ? await gw.listGroupPolicies(name) : await gw.listRolePolicies(name);
  const inline: PrincipalPermissions["inline"] = [];
  for (const policyName of names.slice().sort()) {
    const raw =
      kind === "group" ? (await gw.getGroupPolicy(name, policyName)).PolicyDocument : (await gw.getRolePolicy(name, policyName)).PolicyDocument;
    inline.push({ name: policyName, document: parsePolicyDocument(raw), raw: raw ?? "" });
  }
  return { attached: attached.map((a) => a.PolicyArn ?? "?").sort(), inline };
}

/** Values that change whenever a policy is attached, detached or an inline policy is put or deleted. */
function permissionsValues(p: PrincipalPermissions): Record<string, string> {
  const inlineHash = createHash("sha256")
    .update(stableJson(p.inline.map((i) => ({ name: i.name, sha: policyDocumentSha256(i.raw) }))))
    .digest("hex");
  return { AttachedPolicies: p.attached.join(",") || "none", InlinePoliciesSha256: inlineHash };
}

// ---- re-check functions, one per kind ----

const READERS = new Map<string, BindingReader>();

export function registerBindingKind(kind: string, reader: BindingReader): void {
  READERS.set(kind, reader);
}

registerBindingKind("account", (deps) => Promise.resolve(deps.botIdentity ? { AccountId: deps.botIdentity.accountId } : { AccountId: "unknown (STS GetCallerIdentity failed)" }));

registerBindingKind("role", async (deps, ref) => {
  const res = await orMissing(iamGateway(deps.iam).getRole(ref.roleName ?? ""));
  if (!res?.Role) return undefined;
  const values = roleValues(res.Role, { trust: ref.trust === "yes" });
  if (ref.permissions === "yes") Object.assign(values, permissionsValues(await readPermissions(deps.iam, "role", ref.roleName ?? "")));
  return values;
});

registerBindingKind("user", async (deps, ref) => {
  const res = await orMissing(iamGateway(deps.iam).getUser(ref.userName ?? ""));
  return res?.User ? { UserId: res.User.UserId ?? "unknown" } : undefined;
});

registerBindingKind("group", async (deps, ref) => {
  const res = await orMissing(iamGateway(deps.iam).getGroup(ref.groupName ?? ""));
  if (!res?.Group) return undefined;
  const values: Record<string, string> = { GroupId: res.Group.GroupId ?? "unknown" };
  if (ref.permissions === "yes") Object.assign(values, permissionsValues(await readPermissions(deps.iam, "group", ref.groupName ?? "")));
  if (ref.members === "yes") Object.assign(values, membersValues((await readGroupMembers(deps.iam, ref.groupName ?? "")) ?? []));
  return values;
});

registerBindingKind("instance-profile", async (deps, ref) => {
  const res = await orMissing(iamGateway(deps.iam).getInstanceProfile(ref.instanceProfileName ?? ""));
  return res?.InstanceProfile ? { InstanceProfileId: res.InstanceProfile.InstanceProfileId ?? "unknown" } : undefined;
});

registerBindingKind("managed-policy", async (deps, ref) => (await readManagedPolicy(deps.iam, ref.policyArn ?? ""))?.values);

const short = (v: string) => (/^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : v);

/**
 * Re-reads every binding. Returns one line per difference, e.g. "role app-role: RoleId was AROA1, is now
 * AROA2". A binding that cannot be re-read counts as a difference: the executor fails closed.
 */
export async function recheckBindings(deps: RemediationDeps, bindings: Binding[]): Promise<string[]> {
  const differences: string[] = [];
  for (const b of bindings) {
    const reader = READERS.get(b.kind);
    if (!reader) {
      differences.push(`${b.label}: trailwatch cannot re-check bindings of kind ${b.kind}`);
      continue;
    }
    let now: Record<string, string> | undefined;
    try {
      now = await reader(deps, b.ref);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      differences.push(`${b.label}: could not be re-read (${text})`);
      continue;
    }
    if (now === undefined) {
      differences.push(`${b.label} no longer exists`);
      continue;
    }
    for (const [key, want] of Object.entries(b.expected)) {
      const have = now[key] ?? "absent";
      if (have !== want) differences.push(`${b.label}: ${key} was ${short(want)}, is now ${short(have)}`);
    }
  }
  return differences;
}

/** Shown in the plan: "role app-role — RoleId AROA…, TrustPolicySha256 3f2a…". */
export function bindingText(b: Binding): string {
  return `${b.label} — ${Object.entries(b.expected)
    .map(([k, v]) => `${k} ${short(v)}`)
    .join(", ")}`;
}

/** Order-independent identity of a binding list, to compare an approved plan with a fresh one. */
export function bindingsKey(bindings: Binding[]): string[] {
  return bindings.map((b) => stableJson({ kind: b.kind, ref: b.ref, expected: b.expected })).sort();
}
