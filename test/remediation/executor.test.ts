// executePlan safety: allow-list, tampering, four-eyes, AWS errors mid-plan, permission errors (moto's
// IAM enforcement), and read-back verification that catches a change undone behind the bot's back.
import { describe, expect, test } from "vitest";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreateUserCommand,
  DeleteUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { ACCOUNT, CTX, createRole, depsFor, instanceProfileTags, setMotoAuth, userTags, useMoto } from "./helpers.js";

const moto = useMoto();

/** Runs `hook` (through another client) just before the bot's client sends `commandName`. */
function beforeCommand(client: IAMClient, commandName: string, hook: () => Promise<void>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === commandName) await hook();
      return next(args);
    },
    { step: "initialize", name: `test-hook-${commandName}` },
  );
}

async function groupPlan(): Promise<{ deps: ReturnType<typeof depsFor>; plan: RemediationPlan }> {
  const deps = depsFor(moto.get());
  await deps.iam.send(new CreateUserCommand({ UserName: "bob" }));
  await deps.iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  const plan = await planRemediation("readd-user-to-group", { groupName: "admins", userName: "bob" }, deps, CTX.requestId);
  expect(plan.applicable).toBe(true);
  return { deps, plan: JSON.parse(JSON.stringify(plan)) as RemediationPlan };
}

async function bobsGroups(): Promise<string[]> {
  const res = await moto.get().iam().send(new ListGroupsForUserCommand({ UserName: "bob" }));
  return (res.Groups ?? []).map((g) => g.GroupName ?? "");
}

describe("executePlan refuses before calling AWS", () => {
  test("an unknown api in a tampered stored plan", async () => {
    const { deps, plan } = await groupPlan();
    plan.calls.splice(1, 0, { api: "DeleteUser", params: { UserName: "bob" }, description: "harmless, promise" });
    const result = await executePlan(plan, deps, CTX);
    expect(result).toMatchObject({ ok: false, done: [], refused: 'the plan is refused: API "DeleteUser" is not on the allow-list' });
    expect(result.notDone).toHaveLength(3);
    expect(await bobsGroups()).toEqual([]);
    // prototype keys are not APIs either
    const proto = JSON.parse(JSON.stringify(plan)) as RemediationPlan;
    proto.calls = [{ api: "constructor", params: {}, description: "" }];
    expect((await executePlan(proto, deps, CTX)).refused).toBe('the plan is refused: API "constructor" is not on the allow-list');
  });

  test("allowed APIs with tampered parameters: extra keys, or different values than the params imply", async () => {
    const { deps, plan } = await groupPlan();
    const extra = JSON.parse(JSON.stringify(plan)) as RemediationPlan;
    (extra.calls[0] as { params: Record<string, unknown> }).params.Path = "/x/";
    expect((await executePlan(extra, deps, CTX)).refused).toBe("the plan is refused: AddUserToGroup has an unexpected parameter Path");

    const badParams = JSON.parse(JSON.stringify(plan)) as RemediationPlan;
    badParams.params = { ...badParams.params, groupName: "admins; rm -rf" };
    expect((await executePlan(badParams, deps, CTX)).refused).toBe(
      'the plan\'s parameters are invalid: parameter groupName is not a valid groupName: "admins; rm -rf"',
    );

    await deps.iam.send(new CreateGroupCommand({ GroupName: "root-admins" }));
    const swapped = JSON.parse(JSON.stringify(plan)) as RemediationPlan;
    (swapped.calls[0] as { params: Record<string, unknown> }).params.GroupName = "root-admins";
    const result = await executePlan(swapped, deps, CTX);
    expect(result.done).toEqual([]);
    expect(result.refused).toMatch(/^IAM changed since the plan was made: it was approved to call AddUserToGroup, TagUser/);
    expect(await bobsGroups()).toEqual([]);
  });

  test("the requester approving their own request (four-eyes), a missing approver, a foreign request id", async () => {
    const { deps, plan } = await groupPlan();
    expect((await executePlan(plan, deps, { ...CTX, approvedBy: CTX.requestedBy })).refused).toBe(
      "U_REQUESTER requested this remediation and cannot also approve it (four-eyes rule)",
    );
    expect((await executePlan(plan, deps, { ...CTX, approvedBy: "" })).refused).toBe("the execution does not say who approved it");
    expect((await executePlan(plan, deps, { ...CTX, requestId: "REQ-99" })).refused).toBe("the plan was computed for request REQ-42, not REQ-99");
    expect(await bobsGroups()).toEqual([]);
  });

  test("a plan that was not applicable, or names an unknown remediation", async () => {
    const deps = depsFor(moto.get());
    const plan = await planRemediation("readd-user-to-group", { groupName: "admins", userName: "bob" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(false);
    expect((await executePlan(plan, deps, CTX)).refused).toBe("the plan was not applicable when computed: group admins no longer exists");
    const bogus = { ...plan, remediationId: "delete-everything" } as unknown as RemediationPlan;
    expect((await executePlan(bogus, deps, CTX)).refused).toBe('unknown remediation "delete-everything"');
  });

  test("a plan computed without a request id executes with the approval's request id in the tags", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "bob" }));
    await deps.iam.send(new CreateGroupCommand({ GroupName: "admins" }));
    const preview = await planRemediation("readd-user-to-group", { groupName: "admins", userName: "bob" }, deps);
    expect(preview.calls[1]?.params.Tags).toEqual([
      { Key: "trailwatch:remediation-request", Value: "pending" },
      { Key: "trailwatch:action", Value: "readd-user-to-group" },
    ]);
    const result = await executePlan(preview, deps, CTX);
    expect(result.ok).toBe(true);
    expect(await userTags(moto.get().iam(), "bob")).toEqual(
      expect.arrayContaining([{ Key: "trailwatch:remediation-request", Value: "REQ-42" }]),
    );
  });
});

describe("AWS errors during execution", () => {
  test("stops at the first error and reports done / failed / notDone exactly as AWS said", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    const key = await deps.iam.send(new CreateAccessKeyCommand({ UserName: "mallory" }));
    const keyId = key.AccessKey?.AccessKeyId ?? "";
    const plan = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "mallory", accessKeyId: keyId, accountId: ACCOUNT }, deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["UpdateAccessKey", "AttachUserPolicy", "TagUser"]);

    // the user is deleted after the re-check, between the first and the second call
    const other = moto.get().iam();
    beforeCommand(deps.iam, "AttachUserPolicyCommand", async () => {
      await other.send(new DeleteUserCommand({ UserName: "mallory" }));
    });
    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result.ok).toBe(false);
    expect(result.done.map((c) => c.api)).toEqual(["UpdateAccessKey"]);
    expect(result.failed).toEqual({
      call: plan.calls[1],
      errorName: "NoSuchEntity",
      message: "The user with name mallory cannot be found.",
    });
    expect(result.notDone.map((c) => c.api)).toEqual(["TagUser"]);
    expect(result.summary).toBe(
      '"Contain IAM user mallory" stopped: AttachUserPolicy failed with NoSuchEntity: The user with name mallory cannot be found. (1 of 3 calls done: UpdateAccessKey)',
    );
    // what was done is verified by reading back (the user is gone, so that read fails and says so)
    expect(result.verification.ok).toBe(false);
    expect(result.verification.details[0]).toBe(
      "could not verify UpdateAccessKey: ListAccessKeys failed with NoSuchEntity: The user with name mallory cannot be found.",
    );
  });

  test("a change undone behind the bot's back fails verification", async () => {
    const { deps, plan } = await groupPlan();
    const other = moto.get().iam();
    beforeCommand(deps.iam, "TagUserCommand", async () => {
      await other.send(new RemoveUserFromGroupCommand({ GroupName: "admins", UserName: "bob" }));
    });
    const result = await executePlan(plan, deps, CTX);
    expect(result.done).toHaveLength(2);
    expect(result.failed).toBeUndefined();
    expect(result.ok).toBe(false);
    expect(result.verification).toEqual({
      ok: false,
      details: ["user bob is NOT in group admins (ListGroupsForUser)", "user bob carries the trailwatch tags (ListUserTags)"],
    });
    expect(result.summary).toBe(
      "re-added user bob to group admins, but read-back verification failed: user bob is NOT in group admins (ListGroupsForUser)",
    );
  });
});

describe("permissions (moto IAM enforcement on)", () => {
  /** A bot user allowed to read IAM and the given extra actions; returns its client. */
  async function limitedBot(extraActions: string[]): Promise<IAMClient> {
    const admin = moto.get().iam();
    await admin.send(new CreateUserCommand({ UserName: "trailwatch" }));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: "trailwatch",
        PolicyName: "bot",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["iam:List*", ...extraActions], Resource: "*" }],
        }),
      }),
    );
    const key = await admin.send(new CreateAccessKeyCommand({ UserName: "trailwatch" }));
    return new IAMClient({
      endpoint: moto.get().endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: key.AccessKey?.AccessKeyId ?? "", secretAccessKey: key.AccessKey?.SecretAccessKey ?? "" },
    });
  }

  test("a denied read makes the plan not applicable and names the missing permission", async () => {
    const iam = await limitedBot(["iam:GetRole"]);
    const admin = moto.get().iam();
    await createRole(admin, "app-role");
    await admin.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    await setMotoAuth(moto.get(), 0);
    try {
      const plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "app-profile", roleName: "app-role" }, { ...depsFor(moto.get()), iam });
      expect(plan.applicable).toBe(false);
      expect(plan.reason).toBe(
        "AWS denied GetInstanceProfile: User: arn:aws:iam::123456789012:user/trailwatch is not authorized to perform: iam:GetInstanceProfile — the bot lacks iam:GetInstanceProfile",
      );
    } finally {
      await setMotoAuth(moto.get(), Infinity);
    }
  });

  test("a denied write stops execution with AccessDenied and what was done", async () => {
    const iam = await limitedBot(["iam:Get*", "iam:AddRoleToInstanceProfile"]);
    const admin = moto.get().iam();
    await createRole(admin, "app-role");
    await admin.send(new CreateInstanceProfileCommand({ InstanceProfileName: "app-profile" }));
    const deps = { ...depsFor(moto.get()), iam };
    await setMotoAuth(moto.get(), 0);
    let result;
    try {
      const plan = await planRemediation("readd-role-to-instance-profile", { instanceProfileName: "app-profile", roleName: "app-role" }, deps, CTX.requestId);
      expect(plan.applicable).toBe(true);
      result = await executePlan(plan, deps, CTX);
    } finally {
      await setMotoAuth(moto.get(), Infinity);
    }
    expect(result.done.map((c) => c.api)).toEqual(["AddRoleToInstanceProfile"]);
    expect(result.failed?.call.api).toBe("TagInstanceProfile");
    expect(result.failed?.errorName).toBe("AccessDenied");
    expect(result.failed?.message).toBe("User: arn:aws:iam::123456789012:user/trailwatch is not authorized to perform: iam:TagInstanceProfile");
    expect(result.notDone).toEqual([]);
    expect(result.summary).toContain("the bot lacks iam:TagInstanceProfile (1 of 2 calls done: AddRoleToInstanceProfile)");
    expect(result.verification).toEqual({ ok: true, details: ["role app-role is in instance profile app-profile (ListInstanceProfilesForRole)"] });
    const profiles = await admin.send(new ListInstanceProfilesForRoleCommand({ RoleName: "app-role" }));
    expect(profiles.InstanceProfiles?.map((p) => p.InstanceProfileName)).toEqual(["app-profile"]);
    expect(await instanceProfileTags(admin, "app-profile")).toEqual([]);
  });
});

describe("degraded environments", () => {
  test("contain-actor without the AWS managed quarantine policy still deactivates the key", async () => {
    // Simulate an account/partition without AWSCompromisedKeyQuarantineV2: GetPolicy answers NoSuchEntity.
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    const key = await deps.iam.send(new CreateAccessKeyCommand({ UserName: "mallory" }));
    const keyId = key.AccessKey?.AccessKeyId ?? "";
    deps.iam.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetPolicyCommand") {
          throw Object.assign(new Error("Policy arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2 was not found."), {
            name: "NoSuchEntityException",
            Code: "NoSuchEntity",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "no-quarantine-policy" },
    );
    const plan = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "mallory", accessKeyId: keyId }, deps, CTX.requestId);
    expect(plan.calls.map((c) => c.api)).toEqual(["UpdateAccessKey", "TagUser"]);
    expect(plan.observations).toContain(
      "the AWS managed policy arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2 is not available here; it cannot be attached",
    );
    const result = await executePlan(plan, deps, CTX);
    expect(result.ok).toBe(true);
    const keys = await moto.get().iam().send(new ListAccessKeysCommand({ UserName: "mallory" }));
    expect(keys.AccessKeyMetadata?.[0]?.Status).toBe("Inactive");
  });

  test("quarantine policy already attached is skipped, not re-attached", async () => {
    const deps = depsFor(moto.get());
    await deps.iam.send(new CreateUserCommand({ UserName: "mallory" }));
    await deps.iam.send(new AttachUserPolicyCommand({ UserName: "mallory", PolicyArn: "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2" }));
    const plan = await planRemediation("contain-actor", { principalType: "IAMUser", userName: "mallory" }, deps);
    expect(plan.applicable).toBe(false);
    expect(plan.observations).toContain("the event was made without an access key (a console session?); no key to deactivate");
  });
});
