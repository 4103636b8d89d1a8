// password-policy: the account password policy against the baseline (CIS AWS Foundations defaults).
import type { PasswordPolicy } from "@aws-sdk/client-iam";
import type { PasswordPolicyBaseline, Severity } from "../../domain.js";
import type { CheckContext } from "../context.js";
import { AuditCallError, isNotFound } from "../errors.js";
import type { AuditFinding } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";

const RESOURCE = { type: "password-policy", name: "account password policy" } as const;

function finding(id: string, severity: Severity, title: string, detail: string): AuditFinding {
  return {
    id: `password-policy:${id}`,
    check: "password-policy",
    severity,
    title,
    detail,
    resource: { ...RESOURCE },
    remediation: { id: "enforce-password-policy", params: {} },
  };
}

function describeBaseline(b: PasswordPolicyBaseline): string {
  const parts = [`minimum length ${b.minimumPasswordLength}`];
  if (b.passwordReusePrevention > 0) parts.push(`remember ${b.passwordReusePrevention} previous passwords`);
  const classes = [
    b.requireUppercaseCharacters ? "uppercase" : "",
    b.requireLowercaseCharacters ? "lowercase" : "",
    b.requireNumbers ? "numbers" : "",
    b.requireSymbols ? "symbols" : "",
  ].filter((s) => s !== "");
  if (classes.length > 0) parts.push(`require ${classes.join(", ")}`);
  if (b.maxPasswordAgeDays > 0) parts.push(`expire after ${b.maxPasswordAgeDays} days`);
  return parts.join("; ");
}

/** One finding per setting of `policy` weaker than `baseline`. Pure, so it is tested without AWS. */
export function comparePasswordPolicy(policy: PasswordPolicy, baseline: PasswordPolicyBaseline): AuditFinding[] {
  const out: AuditFinding[] = [];
  const minLen = policy.MinimumPasswordLength ?? 6; // IAM's default when unset
  if (minLen < baseline.minimumPasswordLength) {
    out.push(
      finding(
        "min-length",
        "medium",
        `Password minimum length is ${minLen} (recommended ${baseline.minimumPasswordLength} or more)`,
        `The account password policy allows passwords of ${minLen} characters. Set MinimumPasswordLength to at least ${baseline.minimumPasswordLength} (CIS AWS Foundations).`,
      ),
    );
  }
  if (baseline.passwordReusePrevention > 0) {
    const reuse = policy.PasswordReusePrevention ?? 0;
    if (reuse < baseline.passwordReusePrevention) {
      out.push(
        finding(
          "reuse-prevention",
          "medium",
          reuse === 0
            ? `Password reuse is not prevented (recommended: remember ${baseline.passwordReusePrevention})`
            : `Password reuse prevention remembers ${reuse} passwords (recommended ${baseline.passwordReusePrevention})`,
          `${reuse === 0 ? "Users can reuse any previous password." : `Users can reuse a password after ${reuse} changes.`} Set PasswordReusePrevention to ${baseline.passwordReusePrevention} (CIS AWS Foundations).`,
        ),
      );
    }
  }
  const classes: [boolean, boolean | undefined, string, string, string][] = [
    [baseline.requireUppercaseCharacters, policy.RequireUppercaseCharacters, "require-uppercase", "an uppercase letter", "RequireUppercaseCharacters"],
    [baseline.requireLowercaseCharacters, policy.RequireLowercaseCharacters, "require-lowercase", "a lowercase letter", "RequireLowercaseCharacters"],
    [baseline.requireNumbers, policy.RequireNumbers, "require-numbers", "a number", "RequireNumbers"],
    [baseline.requireSymbols, policy.RequireSymbols, "require-symbols", "a symbol", "RequireSymbols"],
  ];
  for (const [wanted, actual, id, what, field] of classes) {
    if (wanted && actual !== true) {
      out.push(
        finding(
          id,
          "low",
          `Passwords are not required to contain ${what}`,
          `The account password policy does not set ${field}. Set ${field} to true (CIS AWS Foundations).`,
        ),
      );
    }
  }
  if (baseline.maxPasswordAgeDays > 0) {
    // ExpirePasswords is derived from MaxPasswordAge > 0; an absent age means passwords never expire.
    const maxAge = policy.MaxPasswordAge ?? 0;
    if (maxAge <= 0) {
      out.push(
        finding(
          "max-age",
          "low",
          `Passwords never expire (recommended: expire after ${baseline.maxPasswordAgeDays} days)`,
          `The account password policy has no maximum password age. Set MaxPasswordAge to ${baseline.maxPasswordAgeDays} days or less.`,
        ),
      );
    } else if (maxAge > baseline.maxPasswordAgeDays) {
      out.push(
        finding(
          "max-age",
          "low",
          `Passwords expire after ${maxAge} days (recommended ${baseline.maxPasswordAgeDays} or less)`,
          `The account password policy lets a password live ${maxAge} days. Set MaxPasswordAge to ${baseline.maxPasswordAgeDays} days or less.`,
        ),
      );
    }
  }
  if (baseline.allowUsersToChangePassword && policy.AllowUsersToChangePassword !== true) {
    out.push(
      finding(
        "allow-change",
        "low",
        "Users cannot change their own password",
        "The account password policy does not set AllowUsersToChangePassword, so users cannot rotate their own password. Set it to true.",
      ),
    );
  }
  return out;
}

export async function passwordPolicyCheck(ctx: CheckContext): Promise<void> {
  const { iam, baseline } = ctx.deps;
  let policy: PasswordPolicy | undefined;
  try {
    const res = await ctx.call("iam", "GetAccountPasswordPolicy", () => iamGateway(iam).getAccountPasswordPolicy());
    policy = res.PasswordPolicy;
  } catch (err) {
    if (!(err instanceof AuditCallError) || !isNotFound(err.cause)) throw err;
  }
  if (policy === undefined) {
    ctx.findings.push(
      finding(
        "missing",
        "high",
        "No account password policy",
        `The account has no IAM password policy, so console passwords only need IAM's defaults (8+ characters, no expiry, reuse allowed). Recommended: ${describeBaseline(baseline)}.`,
      ),
    );
    return;
  }
  ctx.findings.push(...comparePasswordPolicy(policy, baseline));
}
