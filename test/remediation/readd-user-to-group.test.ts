import { describe, expect, test } from "vitest";
import { AddUserToGroupCommand, CreateGroupCommand, CreateUserCommand, DeleteGroupCommand, ListGroupsForUserCommand, type IAMClient } from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, depsFor, tagsOf, userTags, useMoto } from "./helpers.js";

const moto = useMoto();
const PARAMS = { groupName: "admins", userName: "bob" };

async function seed(iam: IAMClient): Promise<void> {
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  await iam.send(new CreateGroupCommand({ GroupName: "developers" }));
  await iam.send(new AddUserToGroupCommand({ GroupName: "developers", UserName: "bob" }));
}

describe("readd-user-to-group", () => {
  test("plans AddUserToGroup + TagUser", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("readd-user-to-group", PARAMS, deps, CTX.requestId);
    expect(plan).toMatchObject({ applicable: true, title: "Re-add user bob to group admins" });
    expect(plan.calls).toEqual([
      { api: "AddUserToGroup", params: { GroupName: "admins", UserName: "bob" }, description: "Add user bob to group admins" },
      { api: "TagUser", params: { UserName: "bob", Tags: tagsOf("REQ-42", "readd-user-to-group") }, description: "Tag user bob with the trailwatch request and action" },
    ]);
    expect(plan.observations).toEqual([
      "group admins and user bob exist",
      "group admins carries 0 managed and 0 inline policies",
      "user bob is not in group admins (member of developers)",
    ]);
  });

  test("not applicable: already a member, group gone, user gone", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    expect(await planRemediation("readd-user-to-group", { groupName: "developers", userName: "bob" }, deps)).toMatchObject({
      applicable: false,
      reason: "user bob is already in group developers; nothing to do",
    });
    expect(await planRemediation("readd-user-to-group", { groupName: "admins", userName: "carol" }, deps)).toMatchObject({
      applicable: false,
      reason: "user carol no longer exists",
    });
    await deps.iam.send(new DeleteGroupCommand({ GroupName: "admins" }));
    expect(await planRemediation("readd-user-to-group", PARAMS, deps)).toMatchObject({ applicable: false, reason: "group admins no longer exists" });
  });

  test("executes from stored JSON, tags the user and verifies with ListGroupsForUser", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = JSON.parse(JSON.stringify(await planRemediation("readd-user-to-group", PARAMS, deps, CTX.requestId))) as RemediationPlan;
    const result = await executePlan(plan, deps, CTX);
    expect(result).toMatchObject({ ok: true, notDone: [], summary: "re-added user bob to group admins" });
    expect(result.verification).toEqual({
      ok: true,
      details: ["user bob is in group admins (ListGroupsForUser)", "user bob carries the trailwatch tags (ListUserTags)"],
    });
    const admin = moto.get().iam();
    const groups = await admin.send(new ListGroupsForUserCommand({ UserName: "bob" }));
    expect(groups.Groups?.map((g) => g.GroupName).sort()).toEqual(["admins", "developers"]);
    expect(await userTags(admin, "bob")).toEqual(expect.arrayContaining(tagsOf("REQ-42", "readd-user-to-group")));
  });

  test("group deleted between plan and execute: re-check stops it, nothing is done", async () => {
    const deps = depsFor(moto.get());
    await seed(deps.iam);
    const plan = await planRemediation("readd-user-to-group", PARAMS, deps, CTX.requestId);
    await moto.get().iam().send(new DeleteGroupCommand({ GroupName: "admins" }));
    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result).toMatchObject({
      ok: false,
      done: [],
      refused: "what the plan was approved for has changed since it was requested: group admins no longer exists",
      drift: ["group admins no longer exists"],
      summary: 'did not run "Re-add user bob to group admins": what the plan was approved for has changed since it was requested: group admins no longer exists',
      verification: { ok: false },
    });
    expect(result.failed).toBeUndefined();
    expect(result.notDone.map((c) => c.api)).toEqual(["AddUserToGroup", "TagUser"]);
    expect(await userTags(moto.get().iam(), "bob")).toEqual([]);
  });
});
