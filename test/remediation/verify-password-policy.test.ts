// The read-back of UpdateAccountPasswordPolicy: the planned settings against what IAM returns, both with
// IAM's defaults where a field is unset (an unset maximum age is "never expires", 0).
import type { IAMClient } from "@aws-sdk/client-iam";
import { describe, expect, test } from "vitest";
import { DEFAULT_PASSWORD_POLICY } from "../../src/domain.js";
import { verifyCalls } from "../../src/remediation/verify.js";

const PLANNED = { MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, HardExpiry: false };

/** IAM answering GetAccountPasswordPolicy with `policy`. */
const iamWith = (policy: Record<string, unknown>) => ({ send: () => Promise.resolve({ PasswordPolicy: policy }) }) as unknown as IAMClient;
const verify = (policy: Record<string, unknown>, params: Record<string, unknown>) =>
  verifyCalls({ iam: iamWith(policy), botIdentity: null, passwordPolicy: DEFAULT_PASSWORD_POLICY, verifyRetryDelaysMs: [] }, [{ api: "UpdateAccountPasswordPolicy", params, description: "set the policy" }]);

describe("UpdateAccountPasswordPolicy read-back", () => {
  test("fields unset on both sides take IAM's defaults and match", async () => {
    const r = await verify({ ...PLANNED, ExpirePasswords: false }, PLANNED);
    expect(r).toEqual({ ok: true, details: ["the password policy matches the planned settings (GetAccountPasswordPolicy)"], failures: [] });
  });

  test("each differing field is named with what IAM has and what was planned", async () => {
    const r = await verify({ ...PLANNED, MinimumPasswordLength: 8, PasswordReusePrevention: 24 }, { ...PLANNED, MaxPasswordAge: 90, PasswordReusePrevention: 24 });
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(["the password policy differs: MinimumPasswordLength is 8, expected 14; MaxPasswordAge is 0, expected 90 (GetAccountPasswordPolicy)"]);
  });
});
