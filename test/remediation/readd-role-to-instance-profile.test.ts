import { describe, expect, test } from "vitest";
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  ListInstanceProfilesForRoleCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, createRole, depsFor, instanceProfileTags, tagsOf, useMoto } from "./helpers.js";

const moto = useMoto();
const PARAMS = { instanceProfileName: "app-profile", roleName: "app-role" };

async function seed(iam: IAMClient): Promise<void> {
  await createRole(iam, "app-role");
  await createRole(iam, "other-role");
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
}

describe("readd-role-to-instance-profile", () => {
  test("plans AddRoleToInstanceProfile then TagInstanceProfile when the profile is empty", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("readd-role-to-instance-profile", PARAMS, deps, CTX.requestId);
    expect(plan).toMatchObject({
      remediationId: "readd-role-to-instance-profile",
      title: "Re-add role app-role to instance profile app-profile",
      params: PARAMS,
      applicable: true,
    });
    expect(plan.calls).toEqual([
      {
        api: "AddRoleToInstanceProfile",
        params: { InstanceProfileName: "app-profile", RoleName: "app-role" },
        description: "Add role app-role to instance profile app-profile",
      },
      {
        api: "TagInstanceProfile",
        params: { InstanceProfileName: "app-profile", Tags: tagsOf("REQ-42", "readd-role-to-instance-profile") },
        description: "Tag instance profile app-profile with the trailwatch request and action",
      },
    ]);
    expect(plan.observations).toContain("instance profile app-profile exists and holds no role");
    expect(plan.observations).toContain("role app-role exists (arn:aws:iam::123456789012:role/app-role)");
  });

  test("not applicable: profile gone, role gone, profile holds another role, already re-added", async () => {
    const deps = depsFor(moto.get());
    const { iam } = deps;
    await seed(iam);

    await iam.send(new DeleteRoleCommand({ RoleName: "app-role" }));
    let plan = await planRemediation("readd-role-to-instance-profile", PARAMS, deps);
    expect(plan).toMatchObject({ applicable: false, reason: "role app-role no longer exists", calls: [] });

    await createRole(iam, "app-role");
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: "app-profile", RoleName: "other-role" }));
    plan = await planRemediation("readd-role-to-instance-profile", PARAMS, deps);
    expect(plan.applicable).toBe(false);
    expect(plan.reason).toBe("instance profile already holds role other-role (an instance profile holds at most one role)");

    plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "app-profile", roleName: "other-role" }, deps);
    expect(plan).toMatchObject({ applicable: false, reason: "instance profile app-profile already holds role other-role; nothing to do" });

    plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "gone-profile", roleName: "app-role" }, deps);
    expect(plan).toMatchObject({ applicable: false, reason: "instance profile gone-profile no longer exists" });
  });

  test("executes the stored plan, tags the profile and verifies by reading IAM back", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("readd-role-to-instance-profile", PARAMS, deps, CTX.requestId);
    const stored = JSON.parse(JSON.stringify(plan)) as RemediationPlan;
    const result = await executePlan(stored, deps, CTX);

    expect(result.ok).toBe(true);
    expect(result.failed).toBeUndefined();
    expect(result.notDone).toEqual([]);
    expect(result.done.map((c) => c.api)).toEqual(["AddRoleToInstanceProfile", "TagInstanceProfile"]);
    expect(result.summary).toBe("re-added role app-role to instance profile app-profile");
    expect(result.verification).toEqual({
      ok: true,
      details: [
        "role app-role is in instance profile app-profile (ListInstanceProfilesForRole)",
        "instance profile app-profile carries the trailwatch tags (GetInstanceProfile)",
      ],
    });

    // independent read-back
    const admin = moto.get().iam();
    const profiles = await admin.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app-role" }));
    expect(profiles.InstanceProfiles?.map((p) => p.InstanceProfileName)).toEqual(["app-profile"]);
    expect(await instanceProfileTags(admin, "app-profile")).toEqual(expect.arrayContaining(tagsOf("REQ-42", "readd-role-to-instance-profile")));

    // a second execution of the same approval changes nothing
    const again = await executePlan(stored, deps, CTX);
    expect(again.ok).toBe(false);
    expect(again.done).toEqual([]);
    expect(again.summary).toBe(
      'did not run "Re-add role app-role to instance profile app-profile": it no longer applies: instance profile app-profile already holds role app-role; nothing to do',
    );
  });

  test("a profile deleted between request and approval: nothing is done, the reason is given", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("readd-role-to-instance-profile", PARAMS, deps, CTX.requestId);
    await deps.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    const result = await executePlan(plan, deps, CTX);
    expect(result).toMatchObject({
      ok: false,
      done: [],
      refused: "what the plan was approved for has changed since it was requested: instance profile app-profile no longer exists",
      drift: ["instance profile app-profile no longer exists"],
    });
    expect(result.notDone).toEqual(plan.calls);
  });
});
