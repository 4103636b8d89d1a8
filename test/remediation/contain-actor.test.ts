import { describe, expect, test } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, paramsFromEvent, planRemediation, type RemediationParams, type RemediationPlan } from "../../src/remediation/index.js";
import { ACCOUNT, BOT, CTX, FIXED_NOW, ROLE_ACTOR, createRole, depsFor, iamEvent, roleTags, tagsOf, userTags, useMoto } from "./helpers.js";

const moto = useMoto();
const QUARANTINE = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2";

async function seedUser(iam: IAMClient, name = "mallory"): Promise<{ keyId: string; otherKeyId: string }> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  const k1 = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  const k2 = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { keyId: k1.AccessKey?.AccessKeyId ?? "", otherKeyId: k2.AccessKey?.AccessKeyId ?? "" };
}

function userParams(keyId?: string): RemediationParams {
  return {
    principalType: "IAMUser",
    userName: "mallory",
    ...(keyId ? { accessKeyId: keyId } : {}),
    actorArn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
    accountId: ACCOUNT,
  };
}

const ROLE_PARAMS: RemediationParams = {
  principalType: "AssumedRole",
  roleName: "deploy-role",
  sessionName: "ci-session",
  actorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-role/ci-session`,
  accountId: ACCOUNT,
};

function revokeDoc(iso: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": iso } } }],
  });
}

describe("contain-actor: IAM user", () => {
  test("long-term active key: deactivate it, attach the quarantine policy, tag the user", async () => {
    const deps = depsFor(moto.get());
    const { keyId, otherKeyId } = await seedUser(deps.iam);
    const plan = await planRemediation("contain-actor", userParams(keyId), deps, CTX.requestId);
    expect(plan).toMatchObject({ applicable: true, title: "Contain IAM user mallory" });
    expect(plan.calls).toEqual([
      {
        api: "UpdateAccessKey",
        params: { UserName: "mallory", AccessKeyId: keyId, Status: "Inactive" },
        description: `Deactivate access key ${keyId} of user mallory`,
      },
      {
        api: "AttachUserPolicy",
        params: { UserName: "mallory", PolicyArn: QUARANTINE },
        description: "Attach AWSCompromisedKeyQuarantineV2 (denies IAM changes, key creation and other risky actions) to user mallory",
      },
      { api: "TagUser", params: { UserName: "mallory", Tags: tagsOf("REQ-42", "contain-actor") }, description: "Tag user mallory with the trailwatch request and action" },
    ]);
    expect(plan.observations).toContain(`access key ${keyId} (used in the event) is Active`);
    expect(plan.observations).toContain(
      `mallory has other active access key(s) ${otherKeyId}; they stay active, restricted by the quarantine policy`,
    );

    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result.ok).toBe(true);
    expect(result.summary).toBe(`contained IAM user mallory: deactivated access key ${keyId}, attached AWSCompromisedKeyQuarantineV2`);
    expect(result.verification.details).toEqual([
      `access key ${keyId} of mallory is Inactive (ListAccessKeys)`,
      `${QUARANTINE} is attached to user mallory (ListAttachedUserPolicies)`,
      "user mallory carries the trailwatch tags (ListUserTags)",
    ]);

    const admin = moto.get().iam();
    const keys = await admin.send(new ListAccessKeysCommand({ UserName: "mallory" }));
    expect(Object.fromEntries((keys.AccessKeyMetadata ?? []).map((k) => [k.AccessKeyId, k.Status]))).toEqual({ [keyId]: "Inactive", [otherKeyId]: "Active" });
    const attached = await admin.send(new ListAttachedUserPoliciesCommand({ UserName: "mallory" }));
    expect(attached.AttachedPolicies?.map((a) => a.PolicyArn)).toEqual([QUARANTINE]);
    expect(await userTags(admin, "mallory")).toEqual(expect.arrayContaining(tagsOf("REQ-42", "contain-actor")));
  });

  test("temporary (ASIA) key cannot be deactivated: said in observations, quarantine still applied", async () => {
    const deps = depsFor(moto.get());
    await seedUser(deps.iam);
    const plan = await planRemediation("contain-actor", userParams("ASIAEXAMPLETEMPKEY01"), deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls.map((c) => c.api)).toEqual(["AttachUserPolicy", "TagUser"]);
    expect(plan.observations.some((o) => o.startsWith("the event used temporary credentials ASIAEXAMPLETEMPKEY01; they cannot be deactivated"))).toBe(true);
  });

  test("a key that is not the user's is left alone; skip the policy when already attached; not applicable when already contained", async () => {
    const deps = depsFor(moto.get());
    const { keyId } = await seedUser(deps.iam);
    await deps.iam.send(new AttachUserPolicyCommand({ UserName: "mallory", PolicyArn: QUARANTINE }));
    let plan = await planRemediation("contain-actor", userParams("AKIAEXAMPLENOTHERS01"), deps);
    expect(plan.observations).toContain("access key AKIAEXAMPLENOTHERS01 is not one of mallory's keys (deleted already?); no key to deactivate");
    expect(plan.observations).toContain("AWSCompromisedKeyQuarantineV2 is already attached");
    expect(plan).toMatchObject({ applicable: false, calls: [] });
    expect(plan.reason).toBe("user mallory is already contained: no active key from the event and the quarantine policy is attached");

    plan = await planRemediation("contain-actor", userParams(keyId), deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["UpdateAccessKey", "TagUser"]);

    await deps.iam.send(new UpdateAccessKeyCommand({ UserName: "mallory", AccessKeyId: keyId, Status: "Inactive" }));
    plan = await planRemediation("contain-actor", userParams(keyId), deps);
    expect(plan.applicable).toBe(false);
    expect(plan.observations).toContain(`access key ${keyId} is already Inactive`);
  });

  test("user gone -> not applicable", async () => {
    const plan = await planRemediation("contain-actor", userParams("AKIAEXAMPLEALICE0001"), depsFor(moto.get()));
    expect(plan).toMatchObject({ applicable: false, reason: "user mallory no longer exists" });
  });
});

describe("contain-actor: assumed role", () => {
  test("plans the revoke-older-sessions inline policy with the plan time, then TagRole", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "deploy-role");
    const plan = await planRemediation("contain-actor", ROLE_PARAMS, deps, CTX.requestId);
    expect(plan).toMatchObject({ applicable: true, title: "Revoke active sessions of role deploy-role" });
    expect(plan.calls).toEqual([
      {
        api: "PutRolePolicy",
        params: { RoleName: "deploy-role", PolicyName: "TrailwatchRevokeOlderSessions", PolicyDocument: revokeDoc(FIXED_NOW.toISOString()) },
        description: `Put inline policy TrailwatchRevokeOlderSessions on role deploy-role: deny all actions to sessions issued before ${FIXED_NOW.toISOString()}`,
      },
      { api: "TagRole", params: { RoleName: "deploy-role", Tags: tagsOf("REQ-42", "contain-actor") }, description: "Tag role deploy-role with the trailwatch request and action" },
    ]);
    expect(plan.observations).toContain("the event came from session ci-session");
  });

  test("executes with the time of approval (re-planned), verifies GetRolePolicy and the tags", async () => {
    const planned = depsFor(moto.get());
    await createRole(planned.iam, "deploy-role");
    const plan = JSON.parse(JSON.stringify(await planRemediation("contain-actor", ROLE_PARAMS, planned, CTX.requestId))) as RemediationPlan;

    const approvedAt = new Date("2025-03-01T12:20:00.000Z");
    const deps = depsFor(moto.get(), { now: () => approvedAt });
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok).toBe(true);
    expect(result.summary).toBe("revoked sessions of role deploy-role issued before 2025-03-01T12:20:00.000Z");
    expect(result.done[0]?.params.PolicyDocument).toBe(revokeDoc(approvedAt.toISOString()));
    expect(result.verification.details).toEqual([
      "inline policy TrailwatchRevokeOlderSessions on role deploy-role has the planned document (GetRolePolicy)",
      "role deploy-role carries the trailwatch tags (ListRoleTags)",
    ]);

    const admin = moto.get().iam();
    const got = await admin.send(new GetRolePolicyCommand({ RoleName: "deploy-role", PolicyName: "TrailwatchRevokeOlderSessions" }));
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ""))).toEqual(JSON.parse(revokeDoc(approvedAt.toISOString())));
    expect(await roleTags(admin, "deploy-role")).toEqual(expect.arrayContaining(tagsOf("REQ-42", "contain-actor")));

    // planning again notices the existing policy and says it will be replaced
    const again = await planRemediation("contain-actor", ROLE_PARAMS, deps);
    expect(again.observations).toContain(
      "the role already has inline policy TrailwatchRevokeOlderSessions (denies sessions issued before 2025-03-01T12:20:00.000Z); it will be replaced",
    );
  });

  test("role gone, service-linked role (by its path, not its name) -> not applicable", async () => {
    const deps = depsFor(moto.get());
    expect(await planRemediation("contain-actor", ROLE_PARAMS, deps)).toMatchObject({ applicable: false, reason: "role deploy-role no longer exists" });
    await createRole(deps.iam, "odd-slr", "/aws-service-role/example.amazonaws.com/");
    const byPath = await planRemediation("contain-actor", { principalType: "AssumedRole", roleName: "odd-slr" }, deps);
    expect(byPath).toMatchObject({
      applicable: false,
      reason: "role odd-slr is a service-linked role (path /aws-service-role/example.amazonaws.com/); IAM does not allow changing it",
    });
    const slr = await deps.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com" }));
    const byName = await planRemediation("contain-actor", { principalType: "AssumedRole", roleName: slr.Role?.RoleName ?? "" }, deps);
    expect(byName).toMatchObject({
      applicable: false,
      reason: "role AWSServiceRoleForAutoScaling is a service-linked role (path /aws-service-role/autoscaling.amazonaws.com/); IAM does not allow changing it",
    });
  });

  test("a customer role merely named like a service-linked role is contained like any other role", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "AWSServiceRoleForLookalike", "/");
    const plan = await planRemediation("contain-actor", { principalType: "AssumedRole", roleName: "AWSServiceRoleForLookalike" }, deps);
    expect(plan).toMatchObject({ applicable: true, title: "Revoke active sessions of role AWSServiceRoleForLookalike" });
    expect(plan.calls.map((c) => c.api)).toEqual(["PutRolePolicy", "TagRole"]);
    expect(plan.bindings.map((b) => b.kind)).toEqual(["account", "role"]);
  });
});

describe("contain-actor refusals (never touches IAM)", () => {
  test("root", async () => {
    const plan = await planRemediation("contain-actor", { principalType: "Root" }, depsFor(moto.get()));
    expect(plan).toMatchObject({
      applicable: false,
      reason: "the actor is the account root user; the bot cannot contain root (secure the root credentials by hand)",
      calls: [],
    });
  });

  test("an AWS service", async () => {
    const plan = await planRemediation("contain-actor", { principalType: "AWSService" }, depsFor(moto.get()));
    expect(plan).toMatchObject({ applicable: false, reason: "the actor is an AWS service" });
  });

  test("the bot's own role (another session) and the bot's own IAM user", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "trailwatch-bot");
    const ev = iamEvent("DeleteRolePolicy", { roleName: "x", policyName: "y" }, {
      ...ROLE_ACTOR,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/trailwatch-bot/other`,
      roleName: "trailwatch-bot",
      sessionName: "other",
    });
    const params = paramsFromEvent("contain-actor", ev);
    if ("error" in params) throw new Error(params.error);
    expect(await planRemediation("contain-actor", params, deps)).toMatchObject({
      applicable: false,
      reason: "the actor is the bot's own identity; the bot does not contain itself",
    });
    const botUser = { arn: `arn:aws:iam::${ACCOUNT}:user/trailwatch`, accountId: ACCOUNT };
    const plan = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "trailwatch" }, depsFor(moto.get(), { botIdentity: botUser }));
    expect(plan.reason).toBe("the actor is the bot's own identity; the bot does not contain itself");
    // with the bot's identity unknown nothing is contained
    const unknown = await planRemediation("contain-actor", ROLE_PARAMS, depsFor(moto.get(), { botIdentity: null }));
    expect(unknown.reason).toBe("the bot's own identity is unknown (STS GetCallerIdentity failed), so it cannot rule out containing itself");
  });

  test("a tampered stored plan for the bot's identity is refused at execution", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "trailwatch-bot");
    const other = await planRemediation("contain-actor", { ...ROLE_PARAMS, roleName: "trailwatch-bot" }, depsFor(moto.get(), { botIdentity: { ...BOT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/x/y` } }), CTX.requestId);
    expect(other.applicable).toBe(true);
    const result = await executePlan(other, deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.refused).toBe("it no longer applies: the actor is the bot's own identity; the bot does not contain itself");
  });
});
