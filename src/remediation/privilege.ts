// Does a policy grant admin-level access? A pure, deliberately conservative judgement: when a statement
// could grant it (NotAction, NotResource, wildcards, a document that cannot be read) it is flagged, because
// a false alarm costs one extra checkbox and a miss hands an attacker the account.

/** AWS managed policies that are admin-level by definition, whatever their current document says. */
const ADMIN_POLICY_NAMES: readonly string[] = ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"];

/**
 * Actions that let a principal give itself (or a role it controls) any permission. An Allow of any of
 * them on every resource is admin-level.
 */
const ESCALATION_ACTIONS: readonly string[] = [
  "iam:PassRole",
  "iam:AttachUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:AttachRolePolicy",
  "iam:PutUserPolicy",
  "iam:PutGroupPolicy",
  "iam:PutRolePolicy",
];

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
  Sid?: unknown;
}

const list = (v: unknown): string[] => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** IAM action and resource patterns: `*` any run of characters, `?` one; actions compare case-insensitively. */
function globMatches(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, caseInsensitive ? "is" : "s").test(value);
}

/** A resource pattern that names every resource: `*`, or an ARN whose resource part is only `*`. */
function coversEverything(resource: string): boolean {
  if (resource === "*") return true;
  const parts = resource.split(":");
  return parts.length >= 6 && parts[0] === "arn" && parts.slice(5).join(":") === "*";
}

function actionGranted(patterns: string[], action: string): boolean {
  return patterns.some((p) => globMatches(p, action, true));
}

function statementLabel(st: Statement, i: number): string {
  return typeof st.Sid === "string" && st.Sid !== "" ? `statement ${JSON.stringify(st.Sid.slice(0, 60))}` : `statement ${i + 1}`;
}

/** Why this policy document is admin-level (empty when it is not). `doc` is the parsed JSON. */
export function documentAdminReasons(doc: unknown): string[] {
  if (doc === null || typeof doc !== "object") return ["the policy document cannot be read, so it is treated as admin-level"];
  const raw = (doc as { Statement?: unknown }).Statement;
  const statements: unknown[] = Array.isArray(raw) ? raw : raw !== undefined ? [raw] : [];
  const reasons: string[] = [];
  statements.forEach((s, i) => {
    if (s === null || typeof s !== "object") return;
    const st = s as Statement;
    if (st.Effect !== "Allow") return;
    const label = statementLabel(st, i);
    const conditional = st.Condition !== undefined ? " (with conditions)" : "";
    const onAll = st.NotResource !== undefined || list(st.Resource).some(coversEverything);
    if (!onAll) return;
    const where = st.NotResource !== undefined ? "on every resource except those in NotResource" : "on every resource";
    if (st.NotAction !== undefined) {
      // Allow + NotAction grants everything not listed (sts:AssumeRole, services acting with roles, ...):
      // admin-level unless it excludes every action.
      const excluded = list(st.NotAction);
      if (!excluded.includes("*")) reasons.push(`${label} allows every action except ${excluded.join(", ") || "none"} ${where}${conditional}`);
      return;
    }
    const actions = list(st.Action);
    const full = actions.filter((a) => globMatches(a, "iam:*", true));
    if (full.length > 0) {
      reasons.push(`${label} allows ${full.join(", ")} ${where}${conditional}`);
      return;
    }
    const escalations = ESCALATION_ACTIONS.filter((a) => actionGranted(actions, a));
    if (escalations.length > 0) {
      reasons.push(`${label} allows ${escalations.join(", ")} ${where}${conditional}`);
    }
  });
  return reasons;
}

/** The policy's name when it is one of the named admin policies (any partition, AWS managed or not). */
function adminPolicyName(policyArn: string): string | undefined {
  const name = policyArn.slice(policyArn.lastIndexOf("/") + 1);
  return ADMIN_POLICY_NAMES.find((n) => n === name);
}

/** Why attaching this managed policy grants admin-level access (empty when it does not). */
export function managedPolicyAdminReasons(policyArn: string, doc: unknown): string[] {
  const reasons: string[] = [];
  const named = adminPolicyName(policyArn);
  if (named) reasons.push(`${policyArn} is ${named}, an admin-level policy`);
  for (const r of documentAdminReasons(doc)) reasons.push(`${policyArn}: ${r}`);
  return reasons;
}
