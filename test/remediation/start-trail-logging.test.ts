import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { describe, expect, test } from "vitest";
import { CreateTrailCommand, GetTrailStatusCommand, ListTagsCommand, StartLoggingCommand } from "@aws-sdk/client-cloudtrail";
import { executePlan, planRemediation, type RemediationPlan } from "../../src/remediation/index.js";
import { CTX, createBucket, depsFor, tagsOf, useMoto } from "./helpers.js";

const moto = useMoto();
const TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/main-trail";

async function seed(): Promise<void> {
  await createBucket(moto.get(), "trail-logs");
  await moto.get().cloudtrail().send(new CreateTrailCommand({ Name: "main-trail", S3BucketName: "trail-logs" }));
}

describe("start-trail-logging", () => {
  test("plans StartLogging + AddTags for a stopped trail, executes and verifies IsLogging", async () => {
    await seed();
    const deps = depsFor(moto.get());
    const plan = await planRemediation("start-trail-logging", { trailName: "main-trail" }, deps, CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls).toEqual([
      { api: "StartLogging", params: { Name: "main-trail" }, description: "Start logging on trail main-trail" },
      { api: "AddTags", params: { ResourceId: TRAIL_ARN, TagsList: tagsOf("REQ-42", "start-trail-logging") }, description: "Tag trail main-trail with the trailwatch request and action" },
    ]);
    expect(plan.observations).toEqual(["trail main-trail is not logging", "delivers to s3://trail-logs"]);

    const result = await executePlan(JSON.parse(JSON.stringify(plan)) as RemediationPlan, deps, CTX);
    expect(result).toMatchObject({ ok: true, summary: "started logging on trail main-trail" });
    expect(result.verification.details).toEqual([
      "trail main-trail is logging (GetTrailStatus)",
      `trail ${TRAIL_ARN} carries the trailwatch tags (ListTags)`,
    ]);
    const ct = moto.get().cloudtrail();
    expect((await ct.send(new GetTrailStatusCommand({ Name: "main-trail" }))).IsLogging).toBe(true);
    const tags = await ct.send(new ListTagsCommand({ ResourceIdList: [TRAIL_ARN] }));
    expect(tags.ResourceTagList?.[0]?.TagsList).toEqual(expect.arrayContaining(tagsOf("REQ-42", "start-trail-logging")));
  });

  test("not applicable: already logging, trail gone, no CloudTrail client", async () => {
    await seed();
    const deps = depsFor(moto.get());
    await deps.cloudtrail?.send(new StartLoggingCommand({ Name: "main-trail" }));
    expect(await planRemediation("start-trail-logging", { trailName: "main-trail" }, deps)).toMatchObject({
      applicable: false,
      reason: "trail main-trail is already logging",
    });
    expect(await planRemediation("start-trail-logging", { trailName: "gone-trail" }, deps)).toMatchObject({
      applicable: false,
      reason: "trail gone-trail no longer exists",
    });
    expect(await planRemediation("start-trail-logging", { trailName: "main-trail" }, depsFor(moto.get(), { cloudtrail: undefined as unknown as CloudTrailClient }))).toMatchObject({
      applicable: false,
      reason: "the bot has no CloudTrail client configured",
    });
  });

  test("a trail named by ARN is started by its name (moto's StartLogging accepts names only)", async () => {
    await seed();
    const plan = await planRemediation("start-trail-logging", { trailName: TRAIL_ARN }, depsFor(moto.get()), CTX.requestId);
    expect(plan.applicable).toBe(true);
    expect(plan.calls[0]).toEqual({ api: "StartLogging", params: { Name: "main-trail" }, description: "Start logging on trail main-trail" });
    const result = await executePlan(plan, depsFor(moto.get()), CTX);
    expect(result.ok).toBe(true);
  });
});
