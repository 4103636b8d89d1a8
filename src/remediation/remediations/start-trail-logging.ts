// Audit finding: a trail that is not logging. Start it again and tag it.
import { trailwatchTags } from "../aws.js";
import { checkParams, requestString } from "../validate.js";
import type { RemediationDefinition, RemediationParams } from "../types.js";
import { cloudTrailGateway } from "../../aws/cloudtrail-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const startTrailLogging: RemediationDefinition = {
  id: "start-trail-logging",
  title: "Start trail logging",
  validate: (p) => checkParams(p, { trailName: "trailName" }),
  fromEvent(event): RemediationParams | { error: string } {
    // Normally offered by the audit; from an event (StopLogging) when it names the trail.
    const trailName = requestString(event, "name") ?? requestString(event, "trailName");
    if (!trailName) return { error: "the event does not name a trail" };
    return { trailName };
  },
  planTitle: (p) => `Start logging on trail ${p.trailName}`,
  async plan(p, ctx) {
    const ct = ctx.deps.cloudtrail;
    if (!ct) return { applicable: false, reason: "the bot has no CloudTrail client configured" };
    const name = p.trailName ?? "";
    const trail = await orMissing(cloudTrailGateway(ct).getTrail(name));
    if (!trail?.Trail) return { applicable: false, reason: `trail ${name} no longer exists` };
    const region = await ct.config.region();
    const home = trail.Trail.HomeRegion;
    if (home && home !== region) {
      return { applicable: false, reason: `trail ${name} is managed from ${home}; the bot's CloudTrail client is in ${region}` };
    }
    const trailName = trail.Trail.Name ?? name;
    const status = await cloudTrailGateway(ct).getTrailStatus(trailName);
    if (status.IsLogging) {
      ctx.observations.push(`trail ${trailName} is logging`);
      return { applicable: false, reason: `trail ${trailName} is already logging` };
    }
    ctx.observations.push(
      `trail ${trailName} is not logging` +
        (status.StopLoggingTime ? ` (stopped ${status.StopLoggingTime.toISOString()})` : "") +
        (status.LatestDeliveryError ? `; latest delivery error: ${status.LatestDeliveryError}` : ""),
    );
    ctx.observations.push(`delivers to s3://${trail.Trail.S3BucketName ?? "?"}${trail.Trail.IsMultiRegionTrail ? ", all regions" : ""}`);
    if (trail.Trail.IsOrganizationTrail) ctx.observations.push("it is an organization trail: only the management account can start it");
    const calls = [
      { api: "StartLogging", params: { Name: trailName }, description: `Start logging on trail ${trailName}` },
      ...(trail.Trail.TrailARN
        ? [
            {
              api: "AddTags",
              params: { ResourceId: trail.Trail.TrailARN, TagsList: trailwatchTags(ctx.requestId, "start-trail-logging") },
              description: `Tag trail ${trailName} with the trailwatch request and action`,
            },
          ]
        : []),
    ];
    return { applicable: true, reason: `trail ${trailName} records no events while stopped; start it again`, calls };
  },
  summary: (p) => `started logging on trail ${p.trailName}`,
};
