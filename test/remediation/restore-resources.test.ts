// Restores other than restore-role, against moto: each from a snapshot, each with drift and "not in the
// snapshot" cases, and the "cannot come back" lines of the plans.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccountPasswordPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListGroupsForUserCommand,
  ListPolicyTagsCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  TagPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, paramsFromEvent, planRemediation } from "../../src/remediation/index.js";
import { decodePolicyDocument } from "../../src/remediation/aws.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { iamRecord } from "../support/records.js";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { TEST_CREDENTIALS } from "../support/moto.js";
import { APP_PROFILE, APP_ROLE, APP_USER, BOUNDARY_ARN, MANAGED_ARN, PROFILE_TAGS, seedAcceptanceIam, USER_INLINE } from "../support/iam-seed.js";
import { snapshotsFor, type Snapshots } from "../snapshot/helpers.js";
import { CTX, depsFor, iamEvent, useMoto } from "./helpers.js";

const moto = useMoto();
const DELETED_AT = new Date("2025-02-28T09:15:00Z");
const BEFORE = DELETED_AT.toISOString();
const at = { eventTime: DELETED_AT };

async function snapshotThen(change: (iam: IAMClient) => Promise<void>, seed: (iam: IAMClient) => Promise<void> = seedAcceptanceIam): Promise<{ iam: IAMClient; snaps: Snapshots; snapshotId: number }> {
  const iam = moto.get().iam();
  await seed(iam);
  const snaps = await snapshotsFor(iam);
  const snapshotId = await snaps.takeAt("2025-02-28T09:00:00Z");
  await change(iam);
  return { iam, snaps, snapshotId };
}

describe("restore-inline-policy", () => {
  let fakeCt: FakeCloudTrail;
  beforeAll(async () => {
    fakeCt = await startFakeCloudTrail({ ratePerSecond: false });
  });
  afterAll(async () => {
    await fakeCt.close();
  });

  test("from the snapshot: the user's policy comes back with an identical document", async () => {
    const { iam, snaps } = await snapshotThen((i) => i.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" })).then(() => undefined));
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-inline-policy", iamEvent("DeleteUserPolicy", { userName: APP_USER, policyName: "queue-access" }, undefined, at));
    const plan = await planRemediation("restore-inline-policy", params, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.calls).toEqual([{ api: "PutUserPolicy", params: { UserName: APP_USER, PolicyName: "queue-access", PolicyDocument: USER_INLINE }, description: `Put inline policy queue-access on user ${APP_USER}: Allow sqs:SendMessage, sqs:ReceiveMessage on arn:aws:sqs:us-east-1:123456789012:jobs` }]);
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok, result.summary).toBe(true);
    const got = await iam.send(new GetUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
    expect(decodePolicyDocument(got.PolicyDocument ?? "")).toEqual(JSON.parse(USER_INLINE));
  });

  test("without a snapshot: from the last PutUserPolicy in CloudTrail; none there says why", async () => {
    const iam = moto.get().iam();
    await iam.send(new CreateUserCommand({ UserName: "late-user" }));
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }] });
    const older = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }] });
    fakeCt.reset();
    fakeCt.addEvent(iamRecord({ eventName: "PutUserPolicy", eventTime: new Date("2025-02-20T10:00:00Z"), requestParameters: { userName: "late-user", policyName: "logs", policyDocument: older } }));
    fakeCt.addEvent(iamRecord({ eventName: "PutUserPolicy", eventTime: new Date("2025-02-27T10:00:00Z"), eventId: "put-latest", requestParameters: { userName: "late-user", policyName: "logs", policyDocument: doc } }));
    fakeCt.addEvent(iamRecord({ eventName: "PutUserPolicy", eventTime: new Date("2025-02-27T11:00:00Z"), requestParameters: { userName: "someone-else", policyName: "logs", policyDocument: older } }));
    const cloudtrail = new CloudTrailClient({ endpoint: fakeCt.url, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const snaps = await snapshotsFor(iam);
    const deps = depsFor(moto.get(), { cloudtrail, snapshots: snaps.service });
    const plan = await planRemediation("restore-inline-policy", { target: "user", name: "late-user", policyName: "logs", before: BEFORE }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.calls[0]?.params.PolicyDocument).toBe(doc);
    expect(plan.reason).toContain("the PutUserPolicy event put-latest of 2025-02-27T10:00:00.000Z (no snapshot held it");
    expect(plan.observations).toContain("that PutUserPolicy was made by arn:aws:iam::123456789012:user/alice: check it was not the actor being investigated");
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);

    const unknown = await planRemediation("restore-inline-policy", { target: "user", name: "late-user", policyName: "other", before: BEFORE }, deps);
    expect(unknown.applicable).toBe(false);
    expect(unknown.reason).toBe("no snapshot was taken before the deletion, and CloudTrail has no PutUserPolicy of other on user late-user in the 90 days before the deletion: its document is unknown");
  });

  test("drift: a policy put back by someone else is not overwritten; a group policy restores too", async () => {
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
    }, async (i) => {
      await seedAcceptanceIam(i);
      await i.send(new CreateGroupCommand({ GroupName: "ops" }));
      await i.send(new PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "ops-inline", PolicyDocument: USER_INLINE }));
    });
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-inline-policy", { target: "user", name: APP_USER, policyName: "queue-access", before: BEFORE }, deps, CTX.requestId);
    await iam.send(new PutUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }));
    const result = await executePlan(plan, deps, CTX);
    expect(result.drift).toEqual([`inline policy queue-access of user ${APP_USER} (to be put back): Exists was no, is now yes (a policy of that name is there)`]);
    expect(result.done).toEqual([]);

    await iam.send(new DeleteGroupPolicyCommand({ GroupName: "ops", PolicyName: "ops-inline" }));
    const g = await planRemediation("restore-inline-policy", { target: "group", name: "ops", policyName: "ops-inline", before: BEFORE }, deps, CTX.requestId);
    expect((await executePlan(g, deps, CTX)).ok).toBe(true);
    expect(decodePolicyDocument((await iam.send(new GetGroupPolicyCommand({ GroupName: "ops", PolicyName: "ops-inline" }))).PolicyDocument ?? "")).toEqual(JSON.parse(USER_INLINE));
  });
});

describe("restore-user", () => {
  test("path, tags, groups, policies and boundary come back; credentials never, and the plan says so", async () => {
    const seed = async (i: IAMClient) => {
      await seedAcceptanceIam(i);
      await i.send(new CreateGroupCommand({ GroupName: "ops" }));
      await i.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: APP_USER }));
      await i.send(new AttachUserPolicyCommand({ UserName: APP_USER, PolicyArn: MANAGED_ARN }));
      await i.send(new CreateLoginProfileCommand({ UserName: APP_USER, Password: "Correct-Horse-42!" }));
      await i.send(new CreateAccessKeyCommand({ UserName: APP_USER }));
      await i.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: "app-user-mfa" }));
    };
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new RemoveUserFromGroupCommand({ GroupName: "ops", UserName: APP_USER }));
      await i.send(new DetachUserPolicyCommand({ UserName: APP_USER, PolicyArn: MANAGED_ARN }));
      await i.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
      await i.send(new DeleteUserCommand({ UserName: APP_USER })).catch(async () => {
        // moto refuses while a login profile / key exists, as IAM does: remove them the console's way
        const { DeleteLoginProfileCommand, ListAccessKeysCommand, DeleteAccessKeyCommand } = await import("@aws-sdk/client-iam");
        await i.send(new DeleteLoginProfileCommand({ UserName: APP_USER }));
        for (const k of (await i.send(new ListAccessKeysCommand({ UserName: APP_USER }))).AccessKeyMetadata ?? []) {
          await i.send(new DeleteAccessKeyCommand({ UserName: APP_USER, AccessKeyId: k.AccessKeyId }));
        }
        await i.send(new DeleteUserCommand({ UserName: APP_USER }));
      });
    }, seed);
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-user", iamEvent("DeleteUser", { userName: APP_USER }, undefined, at));
    const plan = await planRemediation("restore-user", params, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.calls.map((c) => c.api)).toEqual(["CreateUser", "AddUserToGroup", "PutUserPolicy", "AttachUserPolicy"]);
    const notes = plan.notes?.join("\n") ?? "";
    for (const gone of ["console password", "access keys", "MFA devices and their seeds", "server certificate private keys"]) expect(notes).toContain(gone);
    expect(notes).toMatch(/the restored user will have a new UserId; the old one was \w+/);
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok, result.summary).toBe(true);
    const user = (await iam.send(new GetUserCommand({ UserName: APP_USER }))).User;
    expect(user?.Path).toBe("/people/");
    expect(user?.Tags).toEqual(expect.arrayContaining([{ Key: "dept", Value: "ops" }]));
    expect((await iam.send(new ListGroupsForUserCommand({ UserName: APP_USER }))).Groups?.map((g) => g.GroupName)).toEqual(["ops"]);
    const { ListAccessKeysCommand } = await import("@aws-sdk/client-iam");
    expect((await iam.send(new ListAccessKeysCommand({ UserName: APP_USER }))).AccessKeyMetadata).toEqual([]);
  });

  test("admin-level: a group the user rejoins that grants AdministratorAccess now needs confirmation; the group is bound, so a policy attached to it after the request refuses", async () => {
    const { iam, snaps } = await snapshotThen(
      async (i) => {
        await i.send(new RemoveUserFromGroupCommand({ GroupName: "ops", UserName: APP_USER }));
        await i.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
        await i.send(new DeleteUserCommand({ UserName: APP_USER }));
        // Meanwhile the group the user goes back into was made admin.
        await i.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
      },
      async (i) => {
        await seedAcceptanceIam(i);
        await i.send(new CreateGroupCommand({ GroupName: "ops" }));
        await i.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: APP_USER }));
      },
    );
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-user", { userName: APP_USER, before: BEFORE }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.adminReasons).toEqual(["group ops: arn:aws:iam::aws:policy/AdministratorAccess is AdministratorAccess, an admin-level policy", expect.stringMatching(/^group ops: arn:aws:iam::aws:policy\/AdministratorAccess: statement .* allows \* on every resource$/)]);
    expect(plan.bindings.map((b) => b.label)).toEqual(expect.arrayContaining(["user app-user (to be recreated)", "group ops", "policy arn:aws:iam::aws:policy/AdministratorAccess"]));
    const refused = await executePlan(plan, deps, CTX);
    expect(refused.refused).toBe('this plan grants admin-level access and the approver did not confirm "I understand this grants admin-level access"');

    await iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: MANAGED_ARN }));
    const drifted = await executePlan(plan, deps, { ...CTX, adminConfirmed: true });
    expect(drifted.done).toEqual([]);
    expect(drifted.drift).toEqual([expect.stringMatching(/^group ops: AttachedPolicies was arn:aws:iam::aws:policy\/AdministratorAccess, is now /)]);
    expect(await iam.send(new GetUserCommand({ UserName: APP_USER })).catch((e: unknown) => (e as Error).name)).toBe("NoSuchEntityException");
  });

  test("a user recreated meanwhile is not touched", async () => {
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
      await i.send(new DeleteUserCommand({ UserName: APP_USER }));
    });
    await iam.send(new CreateUserCommand({ UserName: APP_USER }));
    const plan = await planRemediation("restore-user", { userName: APP_USER, before: BEFORE }, depsFor(moto.get(), { snapshots: snaps.service }));
    expect(plan.applicable).toBe(false);
    expect(plan.reason).toMatch(/^user app-user exists again \(UserId \w+\): someone recreated it; nothing is restored over it$/);
  });
});

describe("restore-instance-profile", () => {
  test("the profile comes back with its path and tags, and its role", async () => {
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: APP_ROLE }));
      await i.send(new DeleteInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }));
    });
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-instance-profile", iamEvent("DeleteInstanceProfile", { instanceProfileName: APP_PROFILE }, undefined, at));
    const plan = await planRemediation("restore-instance-profile", params, deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["CreateInstanceProfile", "AddRoleToInstanceProfile"]);
    expect(plan.notes?.join("\n")).toContain("new InstanceProfileId");
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);
    const ip = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }))).InstanceProfile;
    expect(ip?.Path).toBe("/apps/");
    expect(ip?.Tags).toEqual(expect.arrayContaining(PROFILE_TAGS));
    expect(ip?.Roles?.map((r) => r.RoleName)).toEqual([APP_ROLE]);
  });
});

describe("restore-managed-policy", () => {
  test("path, description, tags and document come back, re-attached where it was; a new PolicyId is announced", async () => {
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: MANAGED_ARN }));
      await i.send(new DeletePolicyCommand({ PolicyArn: MANAGED_ARN }));
    }, async (i) => {
      await seedAcceptanceIam(i);
      await i.send(new TagPolicyCommand({ PolicyArn: MANAGED_ARN, Tags: [{ Key: "owner", Value: "apps" }] }));
    });
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-managed-policy", iamEvent("DeletePolicy", { policyArn: MANAGED_ARN }, undefined, at));
    const plan = await planRemediation("restore-managed-policy", params, deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["CreatePolicy", "TagPolicy", "AttachRolePolicy"]);
    expect(plan.notes?.join("\n")).toMatch(/new PolicyId \((the old one was ANPA\w+|the old id is not in the snapshot)\) and its document becomes version v1/); // moto omits PolicyId
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok, result.verification.details.join("; ")).toBe(true);
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: MANAGED_ARN }))).Policy;
    expect(policy).toMatchObject({ Path: "/apps/", Description: "read the app bucket" });
    expect((await iam.send(new ListPolicyTagsCommand({ PolicyArn: MANAGED_ARN }))).Tags).toEqual(expect.arrayContaining([{ Key: "owner", Value: "apps" }]));
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: MANAGED_ARN, VersionId: policy?.DefaultVersionId ?? "v1" }));
    expect(decodePolicyDocument(v.PolicyVersion?.Document ?? "")).toMatchObject({ Statement: [{ Action: "s3:ListBucket" }] });
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: APP_ROLE }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([MANAGED_ARN]);
  });

  test("a policy whose document allows iam:* is flagged admin-level; one recreated meanwhile is drift, named with its new id", async () => {
    const ADMINISH = "arn:aws:iam::123456789012:policy/ops-admin";
    const { iam, snaps } = await snapshotThen(
      async (i) => {
        await i.send(new DeletePolicyCommand({ PolicyArn: ADMINISH }));
      },
      async (i) => {
        await seedAcceptanceIam(i);
        const { CreatePolicyCommand } = await import("@aws-sdk/client-iam");
        await i.send(new CreatePolicyCommand({ PolicyName: "ops-admin", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Ops", Effect: "Allow", Action: "iam:*", Resource: "*" }] }) }));
      },
    );
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-managed-policy", { policyArn: ADMINISH, before: BEFORE }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.adminReasons).toEqual([`${ADMINISH}: statement "Ops" allows iam:* on every resource`]);
    const { CreatePolicyCommand } = await import("@aws-sdk/client-iam");
    await iam.send(new CreatePolicyCommand({ PolicyName: "ops-admin", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) }));
    const result = await executePlan(plan, deps, { ...CTX, adminConfirmed: true });
    expect(result.done).toEqual([]);
    expect(result.drift).toEqual([expect.stringMatching(/^policy arn:aws:iam::123456789012:policy\/ops-admin \(to be recreated\): Exists was no, is now yes \(PolicyId \w+\)$/)]);
  });
});

describe("restore-password-policy", () => {
  test("exactly the previous policy comes back; one set meanwhile is not overwritten", async () => {
    const { iam, snaps } = await snapshotThen((i) => i.send(new DeleteAccountPasswordPolicyCommand({})).then(() => undefined), async (i) => {
      await i.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 10, RequireNumbers: true, AllowUsersToChangePassword: true, PasswordReusePrevention: 5 }));
    });
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-password-policy", iamEvent("DeleteAccountPasswordPolicy", null, undefined, at));
    expect(params).toEqual({ before: BEFORE });
    const plan = await planRemediation("restore-password-policy", params, deps, CTX.requestId);
    expect(plan.calls[0]?.params).toEqual({ MinimumPasswordLength: 10, RequireSymbols: false, RequireNumbers: true, RequireUppercaseCharacters: false, RequireLowercaseCharacters: false, AllowUsersToChangePassword: true, HardExpiry: false, PasswordReusePrevention: 5 });
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({ MinimumPasswordLength: 10, PasswordReusePrevention: 5, RequireSymbols: false });
    const again = await planRemediation("restore-password-policy", params, deps);
    expect(again.reason).toBe("the account has a password policy again: someone set one; nothing is overwritten");
  });
});

describe("restore-permissions-boundary and restore-group", () => {
  test("the role's boundary comes back", async () => {
    const { iam, snaps } = await snapshotThen((i) => i.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: APP_ROLE })).then(() => undefined));
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-permissions-boundary", iamEvent("DeleteRolePermissionsBoundary", { roleName: APP_ROLE }, undefined, at));
    const plan = await planRemediation("restore-permissions-boundary", params, deps, CTX.requestId);
    expect(plan.calls).toEqual([{ api: "PutRolePermissionsBoundary", params: { RoleName: APP_ROLE, PermissionsBoundary: BOUNDARY_ARN }, description: `Set the permissions boundary of role ${APP_ROLE} to ${BOUNDARY_ARN}` }]);
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);
    expect((await iam.send(new GetRoleCommand({ RoleName: APP_ROLE }))).Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(BOUNDARY_ARN);
  });

  test("the group comes back with its policies and members", async () => {
    const { iam, snaps } = await snapshotThen(async (i) => {
      await i.send(new RemoveUserFromGroupCommand({ GroupName: "ops", UserName: APP_USER }));
      await i.send(new DetachGroupPolicyCommand({ GroupName: "ops", PolicyArn: MANAGED_ARN }));
      await i.send(new DeleteGroupPolicyCommand({ GroupName: "ops", PolicyName: "ops-inline" }));
      await i.send(new DeleteGroupCommand({ GroupName: "ops" }));
    }, async (i) => {
      await seedAcceptanceIam(i);
      await i.send(new CreateGroupCommand({ GroupName: "ops", Path: "/teams/" }));
      await i.send(new PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "ops-inline", PolicyDocument: USER_INLINE }));
      await i.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: MANAGED_ARN }));
      await i.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: APP_USER }));
    });
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-group", paramsFromEvent("restore-group", iamEvent("DeleteGroup", { groupName: "ops" }, undefined, at)), deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["CreateGroup", "PutGroupPolicy", "AttachGroupPolicy", "AddUserToGroup"]);
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);
    const g = await iam.send(new GetGroupCommand({ GroupName: "ops" }));
    expect(g.Group?.Path).toBe("/teams/");
    expect(g.Users?.map((u) => u.UserName)).toEqual([APP_USER]);
  });
});

