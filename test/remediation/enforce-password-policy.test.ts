import { describe, expect, test } from "vitest";
import { GetAccountPasswordPolicyCommand, UpdateAccountPasswordPolicyCommand } from "@aws-sdk/client-iam";
import { DEFAULT_PASSWORD_POLICY } from "../../src/domain.js";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, depsFor, useMoto } from "./helpers.js";

const moto = useMoto();

const BASELINE_CALL = {
  MinimumPasswordLength: 14,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
  AllowUsersToChangePassword: true,
  HardExpiry: false,
  MaxPasswordAge: 90,
  PasswordReusePrevention: 24,
};

describe("enforce-password-policy", () => {
  test("no policy set: sets the full baseline (every field sent)", async () => {
    const deps = depsFor(moto.get());
    const plan = await planRemediation("enforce-password-policy", {}, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.observations[0]).toBe("no password policy is set (AWS defaults apply)");
    expect(plan.observations).toContain("minimum length: not set → 14 (baseline 14)");
    expect(plan.calls).toHaveLength(1);
    expect(plan.calls[0]?.api).toBe("UpdateAccountPasswordPolicy");
    expect(plan.calls[0]?.params).toEqual(BASELINE_CALL);
    expect(plan.reason).toContain("recorded in Slack only");
  });

  test("weak policy: raised to the baseline; observations compare each setting", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, RequireNumbers: true, AllowUsersToChangePassword: true }));
    const plan = await planRemediation("enforce-password-policy", {}, deps);
    expect(plan.applicable).toBe(true);
    expect(plan.calls[0]?.params).toEqual(BASELINE_CALL);
    expect(plan.observations).toEqual([
      "minimum length: 8 → 14 (baseline 14)",
      "require symbols: no → yes (baseline yes)",
      "require numbers: yes (baseline yes) — meets it",
      "require uppercase: no → yes (baseline yes)",
      "require lowercase: no → yes (baseline yes)",
      "password reuse prevention: not prevented → last 24 (baseline last 24)",
      "maximum age: never expires → 90 days (baseline 90 days)",
      "users may change their password: yes (baseline yes) — meets it",
    ]);
  });

  test("never weakens a stricter setting (min length 20, max age 30, hard expiry stay)", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(
      new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 20, RequireSymbols: true, MaxPasswordAge: 30, PasswordReusePrevention: 5, HardExpiry: true }),
    );
    const plan = await planRemediation("enforce-password-policy", {}, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls[0]?.params).toEqual({ ...BASELINE_CALL, MinimumPasswordLength: 20, MaxPasswordAge: 30, HardExpiry: true });
    expect(plan.observations).toContain("minimum length: 20, stricter than the baseline 14 — kept");
    expect(plan.observations).toContain("maximum age: 30 days, stricter than the baseline 90 days — kept");
    expect(plan.observations).toContain("expired passwords need an administrator reset (HardExpiry): kept");

    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result).toMatchObject({ ok: true, summary: "enforced the password policy baseline" });
    expect(result.verification.details).toEqual(["the password policy matches the planned settings (GetAccountPasswordPolicy)"]);
    const got = (await moto.get().iam().send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
    expect(got).toMatchObject({
      MinimumPasswordLength: 20,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: true,
      MaxPasswordAge: 30,
      PasswordReusePrevention: 24,
      HardExpiry: true,
    });
  });

  test("a baseline without expiry keeps an existing expiry instead of removing it", async () => {
    const deps = depsFor(moto.get(), { passwordPolicy: { ...DEFAULT_PASSWORD_POLICY, maxPasswordAgeDays: 0 } });
    await deps.iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8, MaxPasswordAge: 180 }));
    const plan = await planRemediation("enforce-password-policy", {}, deps);
    expect(plan.calls[0]?.params).toMatchObject({ MaxPasswordAge: 180 });
  });

  test("not applicable when already at least as strict in every setting", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new UpdateAccountPasswordPolicyCommand({ ...BASELINE_CALL, MinimumPasswordLength: 16, PasswordReusePrevention: 24, MaxPasswordAge: 60 }));
    const plan = await planRemediation("enforce-password-policy", {}, deps);
    expect(plan).toMatchObject({
      applicable: false,
      reason: "the password policy is already at least as strict as the baseline in every setting",
      calls: [],
    });
  });

  test("a policy tightened between request and approval is not overwritten with the older plan", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8 }));
    const plan = await planRemediation("enforce-password-policy", {}, deps, CTX.requestId);
    await deps.iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 30 }));
    const result = await executePlan(plan, deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.refused).toMatch(/^IAM changed since the plan was made: .*request a new plan$/);
    expect((await deps.iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy?.MinimumPasswordLength).toBe(30);
  });

  test("an invalid baseline is reported, not sent", async () => {
    const deps = depsFor(moto.get(), { passwordPolicy: { ...DEFAULT_PASSWORD_POLICY, passwordReusePrevention: 50 } });
    const plan = await planRemediation("enforce-password-policy", {}, deps);
    expect(plan).toMatchObject({ applicable: false, reason: "the configured password policy baseline is invalid: reuse prevention must be 0-24" });
  });
});
