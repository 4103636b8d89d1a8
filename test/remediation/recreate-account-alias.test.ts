import { describe, expect, test } from "vitest";
import { CreateAccountAliasCommand, ListAccountAliasesCommand } from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, depsFor, useMoto } from "./helpers.js";

const moto = useMoto();

describe("recreate-account-alias", () => {
  test("plans CreateAccountAlias when the account has no alias; untaggable, recorded in Slack only", async () => {
    const deps = depsFor(moto.get());
    const plan = await planRemediation("recreate-account-alias", { accountAlias: "acme-prod" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.title).toBe("Recreate account alias acme-prod");
    expect(plan.calls).toEqual([{ api: "CreateAccountAlias", params: { AccountAlias: "acme-prod" }, description: "Create account alias acme-prod" }]);
    expect(plan.observations[0]).toBe("the account has no alias; acme-prod will be recreated");
    expect(plan.reason).toContain("Account aliases cannot be tagged: this change is recorded in Slack only");
  });

  test("not applicable when the account already has an alias (says which) or already has this one", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-new" }));
    let plan = await planRemediation("recreate-account-alias", { accountAlias: "acme-prod" }, deps);
    expect(plan).toMatchObject({
      applicable: false,
      reason: "the account already has alias acme-new (an account has at most one alias; creating acme-prod would replace it)",
      calls: [],
    });
    expect(plan.observations).toEqual(["the account alias is acme-new"]);
    plan = await planRemediation("recreate-account-alias", { accountAlias: "acme-new" }, deps);
    expect(plan).toMatchObject({ applicable: false, reason: "the account already has alias acme-new; nothing to do" });
  });

  test("invalid alias parameters never reach AWS", async () => {
    const plan = await planRemediation("recreate-account-alias", { accountAlias: "-bad--alias-" }, depsFor(moto.get()));
    expect(plan.applicable).toBe(false);
    expect(plan.reason).toMatch(/^invalid parameters: parameter accountAlias is not a valid accountAlias/);
  });

  test("executes from stored JSON and verifies with ListAccountAliases", async () => {
    const deps = depsFor(moto.get());
    const plan = JSON.parse(JSON.stringify(await planRemediation("recreate-account-alias", { accountAlias: "acme-prod" }, deps, CTX.requestId))) as RemediationPlan;
    const result = await executePlan(plan, deps, CTX);
    expect(result).toMatchObject({ ok: true, notDone: [], summary: "recreated account alias acme-prod" });
    expect(result.verification).toEqual({ ok: true, details: ["account alias acme-prod is set (ListAccountAliases: acme-prod)"] });
    const aliases = await moto.get().iam().send(new ListAccountAliasesCommand({}));
    expect(aliases.AccountAliases).toEqual(["acme-prod"]);
  });

  test("an alias created between request and approval is not replaced", async () => {
    const deps = depsFor(moto.get());
    const plan = await planRemediation("recreate-account-alias", { accountAlias: "acme-prod" }, deps, CTX.requestId);
    await deps.iam.send(new CreateAccountAliasCommand({ AccountAlias: "someone-else" }));
    const result = await executePlan(plan, deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.refused).toBe(
      "it no longer applies: the account already has alias someone-else (an account has at most one alias; creating acme-prod would replace it)",
    );
    expect((await deps.iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(["someone-else"]);
  });
});
