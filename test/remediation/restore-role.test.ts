import { describe, expect, test } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, paramsFromEvent, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { decodePolicyDocument } from "../../src/remediation/aws.js";
import { APP_PROFILE, APP_ROLE, BOUNDARY_ARN, MANAGED_ARN, PROFILE_TAGS, ROLE_INLINE, ROLE_TAGS, seedAcceptanceIam, TRUST } from "../support/iam-seed.js";
import { snapshotsFor, type Snapshots } from "../snapshot/helpers.js";
import { ACCOUNT, CTX, depsFor, iamEvent, useMoto } from "./helpers.js";

const moto = useMoto();
const DELETED_AT = new Date("2025-02-28T09:15:00Z");

/** The console's deletion of a role: out of its profile, policies off, boundary off, then the role (and here its profile too). */
async function deleteRoleLikeTheConsole(iam: IAMClient): Promise<void> {
  await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: APP_ROLE }));
  await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: MANAGED_ARN }));
  await iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline" }));
  await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: APP_ROLE }));
  await iam.send(new DeleteRoleCommand({ RoleName: APP_ROLE }));
  await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }));
}

async function setup(): Promise<{ iam: IAMClient; snaps: Snapshots; snapshotId: number; oldRoleId: string }> {
  const iam = moto.get().iam();
  await seedAcceptanceIam(iam);
  const oldRoleId = (await iam.send(new GetRoleCommand({ RoleName: APP_ROLE }))).Role?.RoleId ?? "";
  const snaps = await snapshotsFor(iam);
  const snapshotId = await snaps.takeAt("2025-02-28T09:00:00Z");
  await deleteRoleLikeTheConsole(iam);
  snaps.clock.now = new Date("2025-02-28T09:20:00Z");
  return { iam, snaps, snapshotId, oldRoleId };
}

const deleteRoleEvent = (roleName = APP_ROLE, eventTime = DELETED_AT) => iamEvent("DeleteRole", { roleName }, undefined, { eventTime });

describe("restore-role", () => {
  test("the plan rebuilds every property, lists every call and says what changes", async () => {
    const { snaps, snapshotId, oldRoleId } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const params = paramsFromEvent("restore-role", deleteRoleEvent());
    expect(params).toEqual({ roleName: APP_ROLE, before: DELETED_AT.toISOString() });
    const plan = await planRemediation("restore-role", params, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.params.snapshotId).toBe(String(snapshotId));
    expect(plan.calls.map((c) => c.api)).toEqual(["CreateInstanceProfile", "CreateRole", "PutRolePolicy", "AttachRolePolicy", "AddRoleToInstanceProfile"]);
    expect(plan.calls[1]?.params).toMatchObject({
      RoleName: APP_ROLE,
      Path: "/apps/",
      AssumeRolePolicyDocument: TRUST,
      Description: "payments worker",
      MaxSessionDuration: 7200,
      PermissionsBoundary: BOUNDARY_ARN,
      Tags: expect.arrayContaining([...ROLE_TAGS, { Key: "trailwatch:remediation-request", Value: "REQ-42" }, { Key: "trailwatch:restored-from", Value: `snapshot-${snapshotId}` }]),
    });
    expect(oldRoleId).toMatch(/^AROA/);
    expect(plan.notes?.join("\n")).toContain(`the restored role will have a new RoleId; the old one was ${oldRoleId}`);
    expect(plan.notes?.join("\n")).toContain("instance profile app-profile is recreated with a new InstanceProfileId");
  });

  test("approved: the role and its instance profile come back with every listed property, verified", async () => {
    const { iam, snaps, oldRoleId } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", paramsFromEvent("restore-role", deleteRoleEvent()), deps, CTX.requestId);
    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result.verification.details.join("\n")).not.toContain("differs");
    expect(result.ok, result.summary).toBe(true);

    const role = (await iam.send(new GetRoleCommand({ RoleName: APP_ROLE }))).Role;
    expect(role).toMatchObject({ Path: "/apps/", Description: "payments worker", MaxSessionDuration: 7200, PermissionsBoundary: { PermissionsBoundaryArn: BOUNDARY_ARN } });
    expect(role?.RoleId).not.toBe(oldRoleId);
    expect(decodePolicyDocument(role?.AssumeRolePolicyDocument ?? "")).toEqual(JSON.parse(TRUST));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: APP_ROLE }))).Tags).toEqual(expect.arrayContaining(ROLE_TAGS));
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline" }));
    expect(decodePolicyDocument(inline.PolicyDocument ?? "")).toEqual(JSON.parse(ROLE_INLINE));
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: APP_ROLE }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([MANAGED_ARN]);
    const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }))).InstanceProfile;
    expect(profile?.Path).toBe("/apps/");
    expect(profile?.Tags).toEqual(expect.arrayContaining(PROFILE_TAGS));
    expect(profile?.Roles?.map((r) => r.RoleName)).toEqual([APP_ROLE]);
  });

  test("drift: a role recreated before approval is never overwritten; a pruned snapshot refuses", async () => {
    const { iam, snaps } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", paramsFromEvent("restore-role", deleteRoleEvent()), deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    await iam.send(new CreateRoleCommand({ RoleName: APP_ROLE, AssumeRolePolicyDocument: TRUST }));
    const recreated = await executePlan(plan, deps, CTX);
    expect(recreated).toMatchObject({ ok: false, done: [] });
    // The plan is bound to the role not existing: a role created meanwhile is drift, named with its new id.
    expect(plan.bindings).toContainEqual({ kind: "absent", label: "role app-role (to be recreated)", ref: { type: "role", name: APP_ROLE }, expected: { Exists: "no" } });
    expect(recreated.drift).toEqual([expect.stringMatching(/^role app-role \(to be recreated\): Exists was no, is now yes \(RoleId AROA\w+\)$/)]);
    expect(recreated.refused).toMatch(/^what the plan was approved for has changed since it was requested: role app-role \(to be recreated\): Exists was no, is now yes/);

    await iam.send(new DeleteRoleCommand({ RoleName: APP_ROLE }));
    // A later snapshot (the role is gone now) lets retention drop the one the plan is bound to.
    await snaps.takeAt("2030-01-01T00:00:00Z");
    const gone = await executePlan(plan, deps, CTX);
    expect(gone.done).toEqual([]);
    expect(gone.drift).toEqual([`snapshot #${plan.params.snapshotId} no longer exists`]);
  });

  test("drift: a profile that now holds another role is left alone; a deleted managed policy is not attached and the plan says so", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    await iam.send(new CreateRoleCommand({ RoleName: "other-role", AssumeRolePolicyDocument: TRUST }));
    const snaps = await snapshotsFor(iam);
    await snaps.takeAt("2025-02-28T09:00:00Z");
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: APP_ROLE }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: "other-role" }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: MANAGED_ARN }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: MANAGED_ARN }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline" }));
    await iam.send(new DeleteRoleCommand({ RoleName: APP_ROLE }));
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, depsFor(moto.get(), { snapshots: snaps.service }), CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls.map((c) => c.api)).toEqual(["CreateRole", "PutRolePolicy"]);
    expect(plan.observations).toContain("instance profile app-profile now holds role other-role; the role is not put back into it");
    expect(plan.notes).toContain(`managed policy ${MANAGED_ARN} no longer exists, so it is not attached; restore it from its DeletePolicy alert, then attach it`);
  });

  test("a boundary policy that is gone refuses the restore rather than rebuild a role with more access", async () => {
    const { iam, snaps } = await setup();
    await iam.send(new DeletePolicyCommand({ PolicyArn: BOUNDARY_ARN }));
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, depsFor(moto.get(), { snapshots: snaps.service }));
    expect(plan.applicable).toBe(false);
    expect(plan.reason).toBe(`the role's permissions boundary ${BOUNDARY_ARN} no longer exists; restore that policy first (a role restored without its boundary would have more access than before)`);
  });

  test("a role newer than the last snapshot, or a deletion before any snapshot, is not restorable and the plan says why", async () => {
    const { iam, snaps, snapshotId } = await setup();
    await iam.send(new CreateRoleCommand({ RoleName: "fresh-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new DeleteRoleCommand({ RoleName: "fresh-role" }));
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const newer = await planRemediation("restore-role", { roleName: "fresh-role", before: DELETED_AT.toISOString() }, deps);
    expect(newer.applicable).toBe(false);
    expect(newer.reason).toBe(
      `snapshot #${snapshotId} (taken 2025-02-28T09:00:00.000Z, last confirmed 2025-02-28T09:00:00.000Z) does not hold role fresh-role: it was created after that snapshot, so there is nothing to restore it from`,
    );
    const early = await planRemediation("restore-role", { roleName: APP_ROLE, before: "2025-02-27T00:00:00Z" }, deps);
    expect(early.reason).toBe("no snapshot was taken before 2025-02-27T00:00:00.000Z: the oldest kept is from 2025-02-28T09:00:00.000Z, after the deletion");
    const none = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, depsFor(moto.get()));
    expect(none.reason).toBe("no IAM snapshots are available to this bot");
  });

  test("trust policies that named the old role are listed: they stop matching the new one", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/apps/${APP_ROLE}`;
    const trustsApp = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: roleArn }, Action: "sts:AssumeRole" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "downstream-role", AssumeRolePolicyDocument: trustsApp }));
    const snaps = await snapshotsFor(iam);
    await snaps.takeAt("2025-02-28T09:00:00Z");
    await deleteRoleLikeTheConsole(iam);
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, depsFor(moto.get(), { snapshots: snaps.service }));
    expect(plan.notes?.join("\n")).toContain("trust policies that named the old role stop matching it (IAM rewrote them to the old id when it was deleted): downstream-role.");
  });

  test("whole-role entry point: { roleName, snapshotId } restores as of that snapshot", async () => {
    const { snaps, snapshotId } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, snapshotId: String(snapshotId) }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.title).toBe(`Restore role app-role from snapshot #${snapshotId}`);
    expect((await executePlan(plan, deps, CTX)).ok).toBe(true);
  });

  test("bound: the plan names the snapshot, the role's absence and each policy it hands back by id, version and hash", async () => {
    const { snaps, snapshotId } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    const kinds = plan.bindings.map((b) => `${b.kind} ${b.label}`);
    expect(kinds).toEqual([
      `account AWS account ${ACCOUNT}`,
      `snapshot snapshot #${snapshotId}`,
      "absent role app-role (to be recreated)",
      `managed-policy policy ${BOUNDARY_ARN}`,
      "absent instance profile app-profile (to be recreated)",
      `managed-policy policy ${MANAGED_ARN}`,
    ]);
    expect(plan.bindings.find((b) => b.label === `policy ${MANAGED_ARN}`)?.expected).toEqual({ PolicyId: expect.stringMatching(/^[A-Z0-9]{16,}$/), DefaultVersionId: "v1", DocumentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(plan.adminReasons).toBeUndefined();
  });

  test("drift: a managed policy's default version swapped for Action * before approval refuses the restore, and nothing is created", async () => {
    const { iam, snaps } = await setup();
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: MANAGED_ARN,
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
        SetAsDefault: true,
      }),
    );
    const result = await executePlan(plan, deps, { ...CTX, adminConfirmed: true });
    expect(result.done).toEqual([]);
    expect(result.drift).toEqual([`policy ${MANAGED_ARN}: DefaultVersionId was v1, is now v2`, expect.stringMatching(new RegExp(`^policy ${MANAGED_ARN.replace(/[/.]/g, "\\$&")}: DocumentSha256 was [0-9a-f]{12}…, is now [0-9a-f]{12}…$`))]);
    expect((await iam.send(new GetRoleCommand({ RoleName: APP_ROLE })).catch((e: unknown) => (e as Error).name))).toBe("NoSuchEntityException");
  });

  test("admin-level: a role that had AdministratorAccess comes back only when the approver confirms it", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    await iam.send(new AttachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    const snaps = await snapshotsFor(iam);
    await snaps.takeAt("2025-02-28T09:00:00Z");
    await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await deleteRoleLikeTheConsole(iam);
    snaps.clock.now = new Date("2025-02-28T09:20:00Z");
    const deps = depsFor(moto.get(), { snapshots: snaps.service });
    const plan = await planRemediation("restore-role", { roleName: APP_ROLE, before: DELETED_AT.toISOString() }, deps, CTX.requestId);
    expect(plan.applicable, plan.reason).toBe(true);
    expect(plan.calls.filter((c) => c.api === "AttachRolePolicy").map((c) => c.params.PolicyArn)).toContain("arn:aws:iam::aws:policy/AdministratorAccess");
    expect(plan.adminReasons).toContain("role app-role: arn:aws:iam::aws:policy/AdministratorAccess is AdministratorAccess, an admin-level policy");

    const unconfirmed = await executePlan(plan, deps, CTX);
    expect(unconfirmed.done).toEqual([]);
    expect(unconfirmed.refused).toBe('this plan grants admin-level access and the approver did not confirm "I understand this grants admin-level access"');
    expect((await iam.send(new GetRoleCommand({ RoleName: APP_ROLE })).catch((e: unknown) => (e as Error).name))).toBe("NoSuchEntityException");

    const confirmed = await executePlan(plan, deps, { ...CTX, adminConfirmed: true });
    expect(confirmed.ok, confirmed.summary).toBe(true);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: APP_ROLE }))).AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual(
      ["arn:aws:iam::aws:policy/AdministratorAccess", MANAGED_ARN].sort(),
    );
  });
});
