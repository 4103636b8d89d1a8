// Audit finding: an unused or old access key. Deactivate it (reversible: UpdateAccessKey Active).
import { AwsCallError } from "../../aws/errors.js";
import { trailwatchTags } from "../aws.js";
import { userBinding } from "../bindings.js";
import { botUserName } from "../identity.js";
import { checkParams, requestString } from "../validate.js";
import type { RemediationDefinition, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const deactivateAccessKey: RemediationDefinition = {
  id: "deactivate-access-key",
  title: "Deactivate access key",
  validate: (p) => checkParams(p, { userName: "userName", accessKeyId: "accessKeyId" }),
  fromEvent(event): RemediationParams | { error: string } {
    // Normally offered by the audit; from an event only when it names both the user and the key.
    const accessKeyId = requestString(event, "accessKeyId");
    const userName = requestString(event, "userName") ?? (event.actor.type === "IAMUser" ? event.actor.userName : undefined);
    if (!accessKeyId || !userName) return { error: "the event does not name an access key and its user" };
    return { userName, accessKeyId };
  },
  planTitle: (p) => `Deactivate access key ${p.accessKeyId} of user ${p.userName}`,
  async plan(p, ctx) {
    const { iam } = ctx.deps;
    const userName = p.userName ?? "";
    const keyId = p.accessKeyId ?? "";
    if (botUserName(ctx.deps.botIdentity) === userName) {
      return { applicable: false, reason: `user ${userName} is the bot's own identity; deactivating its keys could lock the bot out` };
    }
    const user = await orMissing(iamGateway(iam).getUser(userName));
    if (!user?.User) return { applicable: false, reason: `user ${userName} no longer exists` };
    ctx.bindings.push(userBinding(userName, user.User.UserId));
    const keys = await orMissing(iamGateway(iam).listAccessKeys(userName));
    if (keys === undefined) return { applicable: false, reason: `user ${userName} no longer exists` };
    const key = keys.find((k) => k.AccessKeyId === keyId);
    if (!key) return { applicable: false, reason: `access key ${keyId} no longer exists for user ${userName}` };
    ctx.observations.push(`access key ${keyId} of ${userName} is ${key.Status ?? "of unknown status"}, created ${key.CreateDate?.toISOString() ?? "at an unknown time"}`);
    try {
      const used = await iamGateway(iam).getAccessKeyLastUsed(keyId);
      const last = used.AccessKeyLastUsed;
      ctx.observations.push(
        last?.LastUsedDate
          ? `last used ${last.LastUsedDate.toISOString()} (${last.ServiceName ?? "?"} in ${last.Region ?? "?"})`
          : "never used (no last-use record)",
      );
    } catch (error) {
      // Last use is only context for the approver; a failed read does not block the plan.
      if (!(error instanceof AwsCallError)) throw error;
      ctx.observations.push(`last use unknown: ${error.describe()}`);
    }
    if (key.Status !== "Active") return { applicable: false, reason: `access key ${keyId} is already ${key.Status ?? "not active"}` };
    return {
      applicable: true,
      reason: `access key ${keyId} will stop working; it can be reactivated later (UpdateAccessKey Active)`,
      calls: [
        {
          api: "UpdateAccessKey",
          params: { UserName: userName, AccessKeyId: keyId, Status: "Inactive" },
          description: `Deactivate access key ${keyId} of user ${userName}`,
        },
        {
          api: "TagUser",
          params: { UserName: userName, Tags: trailwatchTags(ctx.requestId, "deactivate-access-key") },
          description: `Tag user ${userName} with the trailwatch request and action`,
        },
      ],
    };
  },
  summary: (p) => `deactivated access key ${p.accessKeyId} of user ${p.userName}`,
};
