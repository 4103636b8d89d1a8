// Plans are bound to identities and content. Against moto: whatever an attacker changes between the request
// and the approval (a policy's default version, a role recreated under the same name, a group's policies,
// the account the bot acts in) makes the approval change nothing in IAM and say what changed.
import { describe, expect, test } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListGroupsForUserCommand,
  GetInstanceProfileCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, planRemediation, subjectFromEvent, type RemediationPlan } from "../../src/remediation/index.js";
import { policyDocumentSha256 } from "../../src/remediation/bindings.js";
import { ACCOUNT, BOT, CTX, createRole, depsFor, iamEvent, roleTags, useMoto } from "./helpers.js";

const moto = useMoto();
const APP_READ_ONLY = `arn:aws:iam::${ACCOUNT}:policy/AppReadOnly`;
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const REATTACH = { target: "role", name: "app-role", policyArn: APP_READ_ONLY };

const readOnlyDoc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*" }] };
const starDoc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const foreignTrust = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999988887777:root" }, Action: "sts:AssumeRole" }],
};

async function seedAppRole(iam: IAMClient): Promise<void> {
  await createRole(iam, "app-role");
  await iam.send(new CreatePolicyCommand({ PolicyName: "AppReadOnly", PolicyDocument: JSON.stringify(readOnlyDoc) }));
}

async function attachedToRole(iam: IAMClient, role: string): Promise<string[]> {
  return ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "");
}

/** A plan as it comes back from the store. */
const stored = (plan: RemediationPlan) => JSON.parse(JSON.stringify(plan)) as RemediationPlan;

describe("re-attach managed policy: bound to the policy's content and the role's identity", () => {
  test("the plan records the account, the role (id, trust) and the policy (id, default version, document hash)", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.adminReasons).toBeUndefined();
    expect(plan.bindings.map((b) => [b.kind, b.label, Object.keys(b.expected).sort()])).toEqual([
      ["account", `AWS account ${ACCOUNT}`, ["AccountId"]],
      ["role", "role app-role", ["Path", "RoleId", "TrustPolicySha256"]],
      ["managed-policy", `policy ${APP_READ_ONLY}`, ["DefaultVersionId", "DocumentSha256", "PolicyId"]],
    ]);
    const policy = plan.bindings.find((b) => b.kind === "managed-policy");
    expect(policy?.expected.DefaultVersionId).toBe("v1");
    expect(policy?.expected.DocumentSha256).toBe(policyDocumentSha256(JSON.stringify(readOnlyDoc)));
  });

  test("the default version swapped for Action * before approval: nothing is attached, the change is named", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId);
    await deps.iam.send(new CreatePolicyVersionCommand({ PolicyArn: APP_READ_ONLY, PolicyDocument: JSON.stringify(starDoc), SetAsDefault: true }));

    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.ok).toBe(false);
    expect(result.done).toEqual([]);
    expect(result.drift).toEqual([
      `policy ${APP_READ_ONLY}: DefaultVersionId was v1, is now v2`,
      expect.stringMatching(new RegExp(`^policy ${APP_READ_ONLY}: DocumentSha256 was [0-9a-f]{12}…, is now [0-9a-f]{12}…$`)),
    ]);
    expect(result.refused).toMatch(/^what the plan was approved for has changed since it was requested: /);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);
    expect(await roleTags(deps.iam, "app-role")).toEqual([]);
  });

  test("the role deleted and recreated with another trust policy before approval: refused, nothing attached", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId);
    await deps.iam.send(new DeleteRoleCommand({ RoleName: "app-role" }));
    await deps.iam.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: JSON.stringify(foreignTrust) }));

    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.drift).toEqual([
      expect.stringMatching(/^role app-role: RoleId was \S+, is now \S+$/),
      expect.stringMatching(/^role app-role: TrustPolicySha256 was [0-9a-f]{12}…, is now [0-9a-f]{12}…$/),
    ]);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);
  });

  test("only the trust policy changed (same RoleId): still refused", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId);
    const { UpdateAssumeRolePolicyCommand } = await import("@aws-sdk/client-iam");
    await deps.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "app-role", PolicyDocument: JSON.stringify(foreignTrust) }));
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.drift).toEqual([expect.stringMatching(/^role app-role: TrustPolicySha256 was /)]);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);
  });

  test("nothing changed: it runs", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId);
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result).toMatchObject({ ok: true, summary: `re-attached ${APP_READ_ONLY} to role app-role` });
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([APP_READ_ONLY]);
  });

  test("a stored plan without bindings (made before binding existed, or tampered with) is refused", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const plan = stored(await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId));
    const { bindings: _dropped, ...legacy } = plan;
    const result = await executePlan(legacy as RemediationPlan, deps, CTX);
    expect(result.refused).toBe("the plan does not record what it is bound to (it predates identity binding); request a new plan");
    const junk = await executePlan({ ...plan, bindings: [{ kind: "role", label: "x", ref: {}, expected: { RoleId: 1 } }] as never }, deps, CTX);
    expect(junk.refused).toBe("the plan's bindings are malformed");
    const partial = await executePlan({ ...plan, bindings: plan.bindings.filter((b) => b.kind !== "managed-policy") }, deps, CTX);
    expect(partial.refused).toMatch(/^what the plan acts on has changed since it was requested: now bound to policy /);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);
  });
});

describe("re-attach to a group is bound to its members", () => {
  test("someone joins the group while the request waits: refused, nothing attached", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    await deps.iam.send(new CreateGroupCommand({ GroupName: "readers" }));
    await deps.iam.send(new CreateUserCommand({ UserName: "bob" }));
    await deps.iam.send(new AddUserToGroupCommand({ GroupName: "readers", UserName: "bob" }));
    const plan = await planRemediation("reattach-managed-policy", { target: "group", name: "readers", policyArn: APP_READ_ONLY }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.observations).toContain("group readers has 1 member(s)");
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    await deps.iam.send(new AddUserToGroupCommand({ GroupName: "readers", UserName: "mallory" }));
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.drift).toEqual(["group readers: MemberCount was 1, is now 2", expect.stringMatching(/^group readers: MembersSha256 was /)]);
    expect((await deps.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "readers" }))).AttachedPolicies).toEqual([]);
  });
});

describe("admin-level plans need the approver's explicit confirmation", () => {
  test("AdministratorAccess is flagged; without confirmation nothing runs, with it the policy is attached", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "app-role");
    const plan = await planRemediation("reattach-managed-policy", { target: "role", name: "app-role", policyArn: ADMIN }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.adminReasons).toEqual([
      `${ADMIN} is AdministratorAccess, an admin-level policy`,
      `${ADMIN}: statement 1 allows * on every resource`,
    ]);

    const refused = await executePlan(stored(plan), deps, CTX);
    expect(refused).toMatchObject({ ok: false, done: [], refused: 'this plan grants admin-level access and the approver did not confirm "I understand this grants admin-level access"' });
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);

    const ran = await executePlan(stored(plan), deps, { ...CTX, adminConfirmed: true });
    expect(ran.ok).toBe(true);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([ADMIN]);
  });

  test("a customer policy with Action * is flagged with the statement that makes it admin-level", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "app-role");
    await deps.iam.send(new CreatePolicyCommand({ PolicyName: "AppReadOnly", PolicyDocument: JSON.stringify(starDoc) }));
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps);
    expect(plan.adminReasons).toEqual([`${APP_READ_ONLY}: statement 1 allows * on every resource`]);
  });

  test("re-adding a user to a group that gained an admin policy after the request: refused", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "bob" }));
    await deps.iam.send(new CreateGroupCommand({ GroupName: "ops" }));
    const plan = await planRemediation("readd-user-to-group", { groupName: "ops", userName: "bob" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.adminReasons).toBeUndefined();
    await deps.iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: ADMIN }));

    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.drift).toEqual([`group ops: AttachedPolicies was none, is now ${ADMIN}`]);
    expect((await deps.iam.send(new ListGroupsForUserCommand({ UserName: "bob" }))).Groups).toEqual([]);
  });

  test("a group that already grants admin-level access is flagged when the user is re-added", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "bob" }));
    await deps.iam.send(new CreateGroupCommand({ GroupName: "admins" }));
    await deps.iam.send(new AttachGroupPolicyCommand({ GroupName: "admins", PolicyArn: ADMIN }));
    await deps.iam.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "bob" }));
    await deps.iam.send(new RemoveUserFromGroupCommand({ GroupName: "admins", UserName: "bob" }));
    const plan = await planRemediation("readd-user-to-group", { groupName: "admins", userName: "bob" }, deps, CTX.requestId);
    expect(plan.adminReasons).toEqual([`group admins: ${ADMIN} is AdministratorAccess, an admin-level policy`, `group admins: ${ADMIN}: statement 1 allows * on every resource`]);
    expect((await executePlan(stored(plan), deps, CTX)).refused).toMatch(/did not confirm/);
    expect((await executePlan(stored(plan), deps, { ...CTX, adminConfirmed: true })).ok).toBe(true);
    expect((await deps.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "admins" }))).AttachedPolicies?.length).toBe(1);
  });

  test("re-adding a role to its instance profile after the role gained an inline iam:* policy: refused", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "web-role");
    await deps.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    const plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "web-profile", roleName: "web-role" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.bindings.map((b) => b.kind)).toEqual(["account", "instance-profile", "role"]);
    await deps.iam.send(
      new PutRolePolicyCommand({
        RoleName: "web-role",
        PolicyName: "x",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] }),
      }),
    );
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.drift).toEqual([expect.stringMatching(/^role web-role: InlinePoliciesSha256 was /)]);
    expect((await deps.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }))).InstanceProfile?.Roles).toEqual([]);

    const again = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "web-profile", roleName: "web-role" }, deps, CTX.requestId);
    expect(again.adminReasons).toEqual(["role web-role: inline policy x: statement 1 allows iam:* on every resource"]);
  });

  test("the instance profile deleted and recreated (new InstanceProfileId): refused", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "web-role");
    await deps.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    await deps.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "web-profile", RoleName: "web-role" }));
    await deps.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "web-profile", RoleName: "web-role" }));
    const plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "web-profile", roleName: "web-role" }, deps, CTX.requestId);
    const { DeleteInstanceProfileCommand } = await import("@aws-sdk/client-iam");
    await deps.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    await deps.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.drift).toEqual([expect.stringMatching(/^instance profile web-profile: InstanceProfileId was \S+, is now \S+$/)]);
  });
});

describe("accounts: the bot acts only in the event's account", () => {
  test("an event from another account gives a plan that cannot apply", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const event = iamEvent("DetachRolePolicy", { roleName: "app-role", policyArn: APP_READ_ONLY });
    const foreign = { ...event, accountId: "999988887777" };
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId, subjectFromEvent(foreign, BOT));
    expect(plan).toMatchObject({
      applicable: false,
      calls: [],
      reason: `the event happened in account 999988887777, but the bot acts in account ${ACCOUNT}; it does not change IAM in an account other than the event's`,
    });
    const same = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId, subjectFromEvent(event, BOT));
    expect(same).toMatchObject({ applicable: true, accountId: ACCOUNT });
    expect(same.undoes).toMatchObject({ eventName: "DetachRolePolicy", actor: event.actor.arn });
    // Containment does not undo the event: its plan does not claim to.
    await deps.iam.send(new CreateUserCommand({ UserName: "alice" }));
    const contain = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "alice" }, deps, CTX.requestId, subjectFromEvent(event, BOT));
    expect(contain).toMatchObject({ applicable: true, accountId: ACCOUNT });
    expect(contain.undoes).toBeUndefined();
  });

  test("the bot's identity unknown, or the event without an account: refused", async () => {
    const deps = depsFor(moto.get(), { botIdentity: null });
    await seedAppRole(deps.iam);
    const event = iamEvent("DetachRolePolicy", { roleName: "app-role", policyArn: APP_READ_ONLY });
    expect((await planRemediation("reattach-managed-policy", REATTACH, deps, undefined, subjectFromEvent(event, null))).reason).toBe(
      `the event happened in account ${ACCOUNT}, and the bot cannot tell which account it acts in (STS GetCallerIdentity failed)`,
    );
    expect((await planRemediation("reattach-managed-policy", REATTACH, depsFor(moto.get()), undefined, { accountId: "" })).reason).toBe(
      "the event does not say which AWS account it happened in, so the bot cannot confirm it would act in that account",
    );
  });

  test("credentials that now lead to another account at approval time: refused, nothing attached", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    const event = iamEvent("DetachRolePolicy", { roleName: "app-role", policyArn: APP_READ_ONLY });
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps, CTX.requestId, subjectFromEvent(event, BOT));
    const elsewhere = depsFor(moto.get(), { botIdentity: { arn: "arn:aws:sts::444455556666:assumed-role/trailwatch/x", accountId: "444455556666" } });
    const result = await executePlan(stored(plan), elsewhere, CTX);
    expect(result.drift).toEqual([`AWS account ${ACCOUNT}: AccountId was ${ACCOUNT}, is now 444455556666`]);
    expect(await attachedToRole(deps.iam, "app-role")).toEqual([]);
  });
});

describe("who made the change being undone", () => {
  test("the plan names the actor and says when it looks like a deliberate responder action", () => {
    const event = iamEvent("DetachRolePolicy", { roleName: "app-role", policyArn: ADMIN });
    expect(subjectFromEvent(event, BOT).undoes).toMatchObject({ eventName: "DetachRolePolicy", actor: event.actor.arn });
    const responder = {
      ...event,
      actor: { ...event.actor, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponse/alice`, roleName: "IncidentResponse", sessionName: "alice" },
    };
    expect(subjectFromEvent(responder, BOT).undoes?.deliberate).toBe(
      'the actor\'s name "IncidentResponse" suggests an incident responder; check with them before undoing it',
    );
    const bot = { ...event, actor: { ...event.actor, type: "AssumedRole", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/trailwatch-bot/other`, roleName: "trailwatch-bot" } };
    expect(subjectFromEvent(bot, BOT).undoes?.deliberate).toBe("it was made by trailwatch's own identity, i.e. a remediation approved in Slack");
  });
});

describe("policyDocumentSha256 canonicalises", () => {
  test("URL-encoded, reordered and re-spaced documents hash the same; a changed one does not", () => {
    const a = JSON.stringify(readOnlyDoc);
    const b = encodeURIComponent(JSON.stringify({ Statement: readOnlyDoc.Statement, Version: "2012-10-17" }, null, 2));
    expect(policyDocumentSha256(b)).toBe(policyDocumentSha256(a));
    expect(policyDocumentSha256(JSON.stringify(starDoc))).not.toBe(policyDocumentSha256(a));
  });
});

describe("every undo and containment remediation is bound", () => {
  test("contain-actor binds the user and the quarantine policy", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    const plan = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "mallory" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.bindings.map((b) => b.label)).toEqual([`AWS account ${ACCOUNT}`, "user mallory", "policy arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"]);
    const { DeleteUserCommand } = await import("@aws-sdk/client-iam");
    await deps.iam.send(new DeleteUserCommand({ UserName: "mallory" }));
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    const result = await executePlan(stored(plan), deps, CTX);
    expect(result.drift).toEqual([expect.stringMatching(/^user mallory: UserId was \S+, is now \S+$/)]);
  });

  test("a plan that cannot apply carries no bindings (nothing to approve)", async () => {
    const deps = depsFor(moto.get());
    await seedAppRole(deps.iam);
    await deps.iam.send(new AttachRolePolicyCommand({ RoleName: "app-role", PolicyArn: APP_READ_ONLY }));
    const plan = await planRemediation("reattach-managed-policy", REATTACH, deps);
    expect(plan).toMatchObject({ applicable: false, bindings: [] });
  });
});

describe("the bot never widens its own permissions", () => {
  test("re-attaching a policy to the bot's own role, or re-adding the bot's own user to a group, cannot apply", async () => {
    const deps = depsFor(moto.get());
    await createRole(deps.iam, "trailwatch-bot");
    const role = await planRemediation("reattach-managed-policy", { target: "role", name: "trailwatch-bot", policyArn: ADMIN }, deps);
    expect(role).toMatchObject({ applicable: false, reason: "role trailwatch-bot is the bot's own identity; trailwatch does not change its own permissions" });
    const asUser = depsFor(moto.get(), { botIdentity: { arn: `arn:aws:iam::${ACCOUNT}:user/trailwatch`, accountId: ACCOUNT } });
    await deps.iam.send(new CreateUserCommand({ UserName: "trailwatch" }));
    await deps.iam.send(new CreateGroupCommand({ GroupName: "admins" }));
    const group = await planRemediation("readd-user-to-group", { groupName: "admins", userName: "trailwatch" }, asUser);
    expect(group).toMatchObject({ applicable: false, reason: "user trailwatch is the bot's own identity; trailwatch does not change its own permissions" });
  });
});
