import { describe, expect, test } from "vitest";
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, ListAccessKeysCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { ACCOUNT } from "./helpers.js";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, depsFor, tagsOf, userTags, useMoto } from "./helpers.js";

const moto = useMoto();

async function seed(deps: ReturnType<typeof depsFor>): Promise<string> {
  await deps.iam.send(new CreateUserCommand({ UserName: "svc-old" }));
  const k = await deps.iam.send(new CreateAccessKeyCommand({ UserName: "svc-old" }));
  return k.AccessKey?.AccessKeyId ?? "";
}

describe("deactivate-access-key", () => {
  test("plans UpdateAccessKey Inactive + TagUser, executes, verifies", async () => {
    const deps = depsFor(moto.get());
    const keyId = await seed(deps);
    const plan = await planRemediation("deactivate-access-key", { userName: "svc-old", accessKeyId: keyId }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls).toEqual([
      { api: "UpdateAccessKey", params: { UserName: "svc-old", AccessKeyId: keyId, Status: "Inactive" }, description: `Deactivate access key ${keyId} of user svc-old` },
      { api: "TagUser", params: { UserName: "svc-old", Tags: tagsOf("REQ-42", "deactivate-access-key") }, description: "Tag user svc-old with the trailwatch request and action" },
    ]);
    expect(plan.observations[0]).toMatch(new RegExp(`^access key ${keyId} of svc-old is Active, created `));
    expect(plan.observations[1]).toBe("never used (no last-use record)");

    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result).toMatchObject({ ok: true, summary: `deactivated access key ${keyId} of user svc-old` });
    const admin = moto.get().iam();
    const keys = await admin.send(new ListAccessKeysCommand({ UserName: "svc-old" }));
    expect(keys.AccessKeyMetadata?.[0]?.Status).toBe("Inactive");
    expect(await userTags(admin, "svc-old")).toEqual(expect.arrayContaining(tagsOf("REQ-42", "deactivate-access-key")));
  });

  test("not applicable: already inactive, key deleted, user gone, the bot's own user", async () => {
    const deps = depsFor(moto.get());
    const keyId = await seed(deps);
    await deps.iam.send(new UpdateAccessKeyCommand({ UserName: "svc-old", AccessKeyId: keyId, Status: "Inactive" }));
    expect(await planRemediation("deactivate-access-key", { userName: "svc-old", accessKeyId: keyId }, deps)).toMatchObject({
      applicable: false,
      reason: `access key ${keyId} is already Inactive`,
    });
    await deps.iam.send(new DeleteAccessKeyCommand({ UserName: "svc-old", AccessKeyId: keyId }));
    expect(await planRemediation("deactivate-access-key", { userName: "svc-old", accessKeyId: keyId }, deps)).toMatchObject({
      applicable: false,
      reason: `access key ${keyId} no longer exists for user svc-old`,
    });
    expect(await planRemediation("deactivate-access-key", { userName: "nobody", accessKeyId: keyId }, deps)).toMatchObject({
      applicable: false,
      reason: "user nobody no longer exists",
    });
    const asBotUser = depsFor(moto.get(), { botIdentity: { arn: `arn:aws:iam::${ACCOUNT}:user/svc-old`, accountId: ACCOUNT } });
    expect(await planRemediation("deactivate-access-key", { userName: "svc-old", accessKeyId: keyId }, asBotUser)).toMatchObject({
      applicable: false,
      reason: "user svc-old is the bot's own identity; deactivating its keys could lock the bot out",
    });
  });
});
