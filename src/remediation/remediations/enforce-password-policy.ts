// Harden the account password policy to the baseline without ever weakening a stricter setting.
// UpdateAccountPasswordPolicy resets every omitted field to its default, so the call always carries
// every field: the stricter of baseline and current for each, and HardExpiry (not in the baseline) as is.
import { passwordPolicySettings, type PasswordPolicyBaseline, type PasswordPolicySettings as PolicySettings } from "../../domain.js";
import { checkParams } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

function baselineProblem(b: PasswordPolicyBaseline): string | null {
  const int = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
  if (!int(b.minimumPasswordLength, 6, 128)) return "minimum length must be 6-128";
  if (!int(b.passwordReusePrevention, 0, 24)) return "reuse prevention must be 0-24";
  if (!int(b.maxPasswordAgeDays, 0, 1095)) return "maximum age must be 0-1095 days";
  return null;
}

/** Stricter of two ages where 0 means "never expires". */
function stricterAge(a: number, b: number): number {
  if (a === 0) return b;
  if (b === 0) return a;
  return Math.min(a, b);
}

/** Target = for each setting, the stricter of baseline and current. Allowing users to change their own password counts as the stricter value. */
function targetSettings(current: PolicySettings | null, b: PasswordPolicyBaseline): PolicySettings {
  const c = current;
  return {
    MinimumPasswordLength: Math.max(c?.MinimumPasswordLength ?? 0, b.minimumPasswordLength),
    RequireSymbols: (c?.RequireSymbols ?? false) || b.requireSymbols,
    RequireNumbers: (c?.RequireNumbers ?? false) || b.requireNumbers,
    RequireUppercaseCharacters: (c?.RequireUppercaseCharacters ?? false) || b.requireUppercaseCharacters,
    RequireLowercaseCharacters: (c?.RequireLowercaseCharacters ?? false) || b.requireLowercaseCharacters,
    AllowUsersToChangePassword: (c?.AllowUsersToChangePassword ?? false) || b.allowUsersToChangePassword,
    HardExpiry: c?.HardExpiry ?? false,
    MaxPasswordAge: stricterAge(c?.MaxPasswordAge ?? 0, b.maxPasswordAgeDays),
    PasswordReusePrevention: Math.max(c?.PasswordReusePrevention ?? 0, b.passwordReusePrevention),
  };
}

/** UpdateAccountPasswordPolicy parameters: every field, except age/reuse when 0 (omitting them is how "none" is set). */
function updateParams(t: PolicySettings): Record<string, unknown> {
  return {
    MinimumPasswordLength: t.MinimumPasswordLength,
    RequireSymbols: t.RequireSymbols,
    RequireNumbers: t.RequireNumbers,
    RequireUppercaseCharacters: t.RequireUppercaseCharacters,
    RequireLowercaseCharacters: t.RequireLowercaseCharacters,
    AllowUsersToChangePassword: t.AllowUsersToChangePassword,
    HardExpiry: t.HardExpiry,
    ...(t.MaxPasswordAge > 0 ? { MaxPasswordAge: t.MaxPasswordAge } : {}),
    ...(t.PasswordReusePrevention > 0 ? { PasswordReusePrevention: t.PasswordReusePrevention } : {}),
  };
}

const yesNo = (v: boolean) => (v ? "yes" : "no");
const age = (d: number) => (d === 0 ? "never expires" : `${d} days`);
const reuse = (n: number) => (n === 0 ? "not prevented" : `last ${n}`);

interface Row {
  label: string;
  cur: string | undefined;
  base: string;
  target: string;
  curStricter: boolean;
}

function rows(c: PolicySettings | null, b: PasswordPolicyBaseline, t: PolicySettings): Row[] {
  const r = (label: string, cur: string | undefined, base: string, target: string, curStricter: boolean): Row => ({
    label,
    cur,
    base,
    target,
    curStricter,
  });
  return [
    r("minimum length", c ? String(c.MinimumPasswordLength) : undefined, String(b.minimumPasswordLength), String(t.MinimumPasswordLength), !!c && c.MinimumPasswordLength > b.minimumPasswordLength),
    r("require symbols", c ? yesNo(c.RequireSymbols) : undefined, yesNo(b.requireSymbols), yesNo(t.RequireSymbols), !!c && c.RequireSymbols && !b.requireSymbols),
    r("require numbers", c ? yesNo(c.RequireNumbers) : undefined, yesNo(b.requireNumbers), yesNo(t.RequireNumbers), !!c && c.RequireNumbers && !b.requireNumbers),
    r("require uppercase", c ? yesNo(c.RequireUppercaseCharacters) : undefined, yesNo(b.requireUppercaseCharacters), yesNo(t.RequireUppercaseCharacters), !!c && c.RequireUppercaseCharacters && !b.requireUppercaseCharacters),
    r("require lowercase", c ? yesNo(c.RequireLowercaseCharacters) : undefined, yesNo(b.requireLowercaseCharacters), yesNo(t.RequireLowercaseCharacters), !!c && c.RequireLowercaseCharacters && !b.requireLowercaseCharacters),
    r("password reuse prevention", c ? reuse(c.PasswordReusePrevention) : undefined, reuse(b.passwordReusePrevention), reuse(t.PasswordReusePrevention), !!c && c.PasswordReusePrevention > b.passwordReusePrevention),
    r("maximum age", c ? age(c.MaxPasswordAge) : undefined, age(b.maxPasswordAgeDays), age(t.MaxPasswordAge), !!c && c.MaxPasswordAge !== 0 && (b.maxPasswordAgeDays === 0 || c.MaxPasswordAge < b.maxPasswordAgeDays)),
    r("users may change their password", c ? yesNo(c.AllowUsersToChangePassword) : undefined, yesNo(b.allowUsersToChangePassword), yesNo(t.AllowUsersToChangePassword), !!c && c.AllowUsersToChangePassword && !b.allowUsersToChangePassword),
  ];
}

export const enforcePasswordPolicy: RemediationDefinition = {
  id: "enforce-password-policy",
  title: "Enforce the password policy baseline",
  validate: (p) => checkParams(p, {}),
  fromEvent: () => ({}),
  planTitle: () => "Enforce the password policy baseline",
  async plan(_p, ctx) {
    const b = ctx.deps.passwordPolicy;
    const bad = baselineProblem(b);
    if (bad) return { applicable: false, reason: `the configured password policy baseline is invalid: ${bad}` };
    const res = await orMissing(iamGateway(ctx.deps.iam).getAccountPasswordPolicy());
    const current = res?.PasswordPolicy ? passwordPolicySettings(res.PasswordPolicy) : null;
    if (!current) ctx.observations.push("no password policy is set (AWS defaults apply)");
    const target = targetSettings(current, b);
    for (const row of rows(current, b, target)) {
      if (row.cur === undefined) ctx.observations.push(`${row.label}: not set → ${row.target} (baseline ${row.base})`);
      else if (row.curStricter) ctx.observations.push(`${row.label}: ${row.cur}, stricter than the baseline ${row.base} — kept`);
      else if (row.cur === row.target) ctx.observations.push(`${row.label}: ${row.cur} (baseline ${row.base}) — meets it`);
      else ctx.observations.push(`${row.label}: ${row.cur} → ${row.target} (baseline ${row.base})`);
    }
    if (current?.HardExpiry) ctx.observations.push("expired passwords need an administrator reset (HardExpiry): kept");
    const params = updateParams(target);
    if (current && JSON.stringify(updateParams(current)) === JSON.stringify(params)) {
      return { applicable: false, reason: "the password policy is already at least as strict as the baseline in every setting" };
    }
    return {
      applicable: true,
      reason: `${current ? "raise the password policy" : "set a password policy"} to the baseline; settings already stricter are kept. Password policies cannot be tagged: this change is recorded in Slack only`,
      calls: [
        {
          api: "UpdateAccountPasswordPolicy",
          params,
          description: `Set the password policy: minimum length ${target.MinimumPasswordLength}, symbols ${yesNo(target.RequireSymbols)}, numbers ${yesNo(target.RequireNumbers)}, uppercase ${yesNo(target.RequireUppercaseCharacters)}, lowercase ${yesNo(target.RequireLowercaseCharacters)}, reuse ${reuse(target.PasswordReusePrevention)}, maximum age ${age(target.MaxPasswordAge)}, users may change ${yesNo(target.AllowUsersToChangePassword)}, hard expiry ${yesNo(target.HardExpiry)}`,
        },
      ],
    };
  },
  summary: () => "enforced the password policy baseline",
};
