// cloudtrail: at least one multi-region trail must be logging, and every trail should be logging.
import type { Trail } from "@aws-sdk/client-cloudtrail";
import { mapLimit, type CheckContext } from "../context.js";
import { AuditCallError } from "../errors.js";
import type { AuditFinding } from "../types.js";
import { cloudTrailGateway } from "../../aws/cloudtrail-gateway.js";

function trailLabel(t: Trail): string {
  return t.Name ?? t.TrailARN ?? "(unnamed trail)";
}

export async function cloudtrailCheck(ctx: CheckContext): Promise<void> {
  const { cloudtrail } = ctx.deps;
  const res = await ctx.call("cloudtrail", "DescribeTrails", () =>
    cloudTrailGateway(cloudtrail).describeTrails(),
  );
  // Shadow trails (multi-region or organization trails seen from another region) share their ARN.
  const byKey = new Map<string, Trail>();
  for (const t of res) {
    const key = t.TrailARN ?? t.Name;
    if (key && !byKey.has(key)) byKey.set(key, t);
  }
  const trails = [...byKey.values()];

  const statuses = await mapLimit(trails, 4, async (trail) => {
    const ref = trail.TrailARN ?? trail.Name ?? "";
    try {
      const st = await ctx.call("cloudtrail", "GetTrailStatus", () =>
        cloudTrailGateway(cloudtrail).getTrailStatus(ref),
      );
      return { trail, ref, isLogging: st.IsLogging === true, known: true };
    } catch (err) {
      if (!(err instanceof AuditCallError)) throw err;
      ctx.recordError(err.info);
      return { trail, ref, isLogging: false, known: false };
    }
  });

  const findings: AuditFinding[] = [];
  for (const s of statuses) {
    if (!s.known || s.isLogging) continue;
    const name = trailLabel(s.trail);
    const scope = s.trail.IsMultiRegionTrail ? "multi-region" : `single-region (${s.trail.HomeRegion ?? "unknown region"})`;
    findings.push({
      id: `trail-not-logging:${s.ref}`,
      check: "cloudtrail",
      severity: "high",
      title: `Trail ${name} is not logging`,
      detail: `CloudTrail trail ${name} (${scope}${s.trail.HomeRegion ? `, home region ${s.trail.HomeRegion}` : ""}) exists but logging is stopped, so API activity it covers is not recorded. Start logging on the trail.`,
      resource: { type: "trail", name: s.ref },
      remediation: { id: "start-trail-logging", params: { trailName: s.ref } },
    });
  }

  const multiRegion = statuses.filter((s) => s.trail.IsMultiRegionTrail === true);
  const someoneLogs = multiRegion.some((s) => s.known && s.isLogging);
  const allKnown = multiRegion.every((s) => s.known);
  // When a multi-region trail's status could not be read, the error says so; do not guess.
  if (!someoneLogs && allKnown) {
    const stopped = multiRegion[0];
    const finding: AuditFinding = {
      id: "cloudtrail:no-multi-region-logging",
      check: "cloudtrail",
      severity: "critical",
      title: "No multi-region trail is logging",
      detail:
        trails.length === 0
          ? "The account has no CloudTrail trail, so API activity is kept only in the 90-day event history and is not delivered anywhere. Create a multi-region trail that includes global service events and start logging."
          : multiRegion.length === 0
            ? `None of the ${trails.length} trail(s) is multi-region, so activity in other regions is not recorded. Create a multi-region trail (or convert one) and start logging.`
            : `${multiRegion.length} multi-region trail(s) exist but none is logging. Start logging on ${stopped ? trailLabel(stopped.trail) : "one of them"}.`,
      resource: { type: "account", name: "cloudtrail" },
    };
    if (stopped) finding.remediation = { id: "start-trail-logging", params: { trailName: stopped.ref } };
    findings.push(finding);
  }
  ctx.findings.push(...findings);
}
