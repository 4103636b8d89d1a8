import { describe, expect, test } from "vitest";
import {
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeleteUserCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, createRole, depsFor, roleTags, tagsOf, userTags, useMoto } from "./helpers.js";

const moto = useMoto();
const READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const CUSTOM = "arn:aws:iam::123456789012:policy/app-access";

async function seed(iam: IAMClient): Promise<void> {
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  await createRole(iam, "app-role");
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: "app-access",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
    }),
  );
}

describe("reattach-managed-policy", () => {
  test("user: plans AttachUserPolicy + TagUser", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", { target: "user", name: "bob", policyArn: READONLY }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.title).toBe(`Re-attach managed policy ${READONLY} to user bob`);
    expect(plan.calls).toEqual([
      { api: "AttachUserPolicy", params: { UserName: "bob", PolicyArn: READONLY }, description: `Attach ${READONLY} to user bob` },
      { api: "TagUser", params: { UserName: "bob", Tags: tagsOf("REQ-42", "reattach-managed-policy") }, description: "Tag user bob with the trailwatch request and action" },
    ]);
    expect(plan.observations).toEqual(["user bob exists", "policy ReadOnlyAccess exists (0 attachment(s))", "user bob has 0 managed policies attached, not this one"]);
  });

  test("group: plans AttachGroupPolicy only; groups cannot be tagged (recorded in Slack only)", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", { target: "group", name: "admins", policyArn: CUSTOM }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls).toEqual([{ api: "AttachGroupPolicy", params: { GroupName: "admins", PolicyArn: CUSTOM }, description: `Attach ${CUSTOM} to group admins` }]);
    expect(plan.reason).toBe("policy app-access can be attached to group admins again. IAM groups cannot be tagged: this change is recorded in Slack only");
  });

  test("not applicable: already attached, policy gone, principal gone, service-linked role", async () => {
    const deps = depsFor(moto.get());
    const { iam } = deps;
    await seed(iam);
    await iam.send(new AttachRolePolicyCommand({ RoleName: "app-role", PolicyArn: READONLY }));
    expect(await planRemediation("reattach-managed-policy", { target: "role", name: "app-role", policyArn: READONLY }, deps)).toMatchObject({
      applicable: false,
      reason: `policy ${READONLY} is already attached to role app-role; nothing to do`,
    });
    await iam.send(new DeletePolicyCommand({ PolicyArn: CUSTOM }));
    expect(await planRemediation("reattach-managed-policy", { target: "role", name: "app-role", policyArn: CUSTOM }, deps)).toMatchObject({
      applicable: false,
      reason: `policy ${CUSTOM} no longer exists`,
    });
    await iam.send(new DeleteUserCommand({ UserName: "bob" }));
    expect(await planRemediation("reattach-managed-policy", { target: "user", name: "bob", policyArn: READONLY }, deps)).toMatchObject({
      applicable: false,
      reason: "user bob no longer exists",
    });
    await createRole(iam, "svc-linked", "/aws-service-role/example.amazonaws.com/");
    expect(await planRemediation("reattach-managed-policy", { target: "role", name: "svc-linked", policyArn: READONLY }, deps)).toMatchObject({
      applicable: false,
      reason: "role svc-linked is a service-linked role (path /aws-service-role/example.amazonaws.com/); its policies are managed by the AWS service",
    });
    expect(await planRemediation("reattach-managed-policy", { target: "bucket", name: "x", policyArn: READONLY }, deps)).toMatchObject({
      applicable: false,
      reason: "invalid parameters: parameter target must be user, group or role",
    });
  });

  test.each([
    ["user", "bob", "AttachUserPolicy"],
    ["group", "admins", "AttachGroupPolicy"],
    ["role", "app-role", "AttachRolePolicy"],
  ] as const)("executes for a %s and verifies with ListAttached*Policies", async (target, name, api) => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = JSON.parse(JSON.stringify(await planRemediation("reattach-managed-policy", { target, name, policyArn: CUSTOM }, deps, CTX.requestId))) as RemediationPlan;
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok).toBe(true);
    expect(result.done[0]?.api).toBe(api);
    expect(result.summary).toBe(`re-attached ${CUSTOM} to ${target} ${name}`);
    expect(result.verification.details[0]).toBe(`${CUSTOM} is attached to ${target} ${name} (${api.replace("Attach", "ListAttached").replace("Policy", "Policies")})`);

    const admin = moto.get().iam();
    const attached =
      target === "user"
        ? await admin.send(new ListAttachedUserPoliciesCommand({ UserName: name }))
        : target === "group"
          ? await admin.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))
          : await admin.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    expect(attached.AttachedPolicies?.map((a) => a.PolicyArn)).toEqual([CUSTOM]);
    if (target === "user") expect(await userTags(admin, name)).toEqual(expect.arrayContaining(tagsOf("REQ-42", "reattach-managed-policy")));
    if (target === "role") expect(await roleTags(admin, name)).toEqual(expect.arrayContaining(tagsOf("REQ-42", "reattach-managed-policy")));
    if (target === "group") expect(result.done).toHaveLength(1);
  });
});
