// access-keys: Active access keys that are unused (90+ days, or never used and past a 7-day grace
// period) or due for rotation (older than 90 days), for every IAM user.
import type { AccessKeyMetadata, IAMClient } from "@aws-sdk/client-iam";
import type { Severity } from "../../domain.js";
import { DAY_MS, mapLimit, wholeDaysBetween, type CheckContext } from "../context.js";
import { AuditCallError, isNotFound } from "../errors.js";
import type { AccessKeyPosture, AuditFinding } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";

/** A key not used for this many days is "unused". */
const UNUSED_KEY_DAYS = 90;
/** A never-used key younger than this is not reported (it was just handed out). */
const NEVER_USED_GRACE_DAYS = 7;
/** A key older than this many days should be rotated. */
const ROTATION_DAYS = 90;
/** A key older than this many days is reported as medium rather than low. */
const ROTATION_OVERDUE_DAYS = 365;

/** Users whose keys are inspected at the same time (each costs 1 + one call per key). */
const USER_CONCURRENCY = 4;

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Findings for one key (at most one: an unused key is to be deactivated, which also settles its
 * rotation). Only Active keys are judged. Dates are compared as UTC instants. When `lastUseKnown` is
 * false (GetAccessKeyLastUsed failed), the key is judged on age only: no date must not read as "never used".
 */
export function evaluateAccessKey(
  userName: string,
  key: AccessKeyPosture,
  now: Date,
  lastUseKnown = true,
): AuditFinding[] {
  if (key.status !== "Active") return [];
  const id = key.accessKeyId;
  const remediation = { id: "deactivate-access-key" as const, params: { userName, accessKeyId: id } };
  const resource = { type: "access-key" as const, name: id };
  const nowMs = now.getTime();
  const created = key.created;
  const ageMs = created ? nowMs - created.getTime() : undefined;
  const ageDays = created ? wholeDaysBetween(created, now) : undefined;
  const ageText = created ? `created ${day(created)} (${ageDays} days ago)` : "creation date unknown";

  if (lastUseKnown && key.lastUsedDate) {
    const idleDays = wholeDaysBetween(key.lastUsedDate, now);
    if (nowMs - key.lastUsedDate.getTime() >= UNUSED_KEY_DAYS * DAY_MS) {
      const where = key.lastUsedService ? ` by ${key.lastUsedService}` : "";
      return [
        {
          id: `access-key-unused:${id}`,
          check: "access-keys",
          severity: "medium",
          title: `Access key ${id} of ${userName} unused for ${idleDays} days`,
          detail: `Active access key ${id} of IAM user ${userName} was last used ${day(key.lastUsedDate)}${where}, ${idleDays} days ago; ${ageText}. Keys unused for ${UNUSED_KEY_DAYS} days or more should be deactivated, then deleted.`,
          resource,
          remediation,
        },
      ];
    }
  } else if (lastUseKnown && ageMs !== undefined && ageMs >= NEVER_USED_GRACE_DAYS * DAY_MS) {
    return [
      {
        id: `access-key-unused:${id}`,
        check: "access-keys",
        severity: "medium",
        title: `Access key ${id} of ${userName} has never been used`,
        detail: `Active access key ${id} of IAM user ${userName} has never been used; ${ageText}. Keys not used within ${NEVER_USED_GRACE_DAYS} days of creation should be deactivated, then deleted.`,
        resource,
        remediation,
      },
    ];
  }

  if (ageMs !== undefined && ageDays !== undefined && ageMs > ROTATION_DAYS * DAY_MS) {
    const severity: Severity = ageMs > ROTATION_OVERDUE_DAYS * DAY_MS ? "medium" : "low";
    const used = key.lastUsedDate ? `last used ${day(key.lastUsedDate)}` : "never used";
    return [
      {
        id: `access-key-old:${id}`,
        check: "access-keys",
        severity,
        title: `Access key ${id} of ${userName} is ${ageDays} days old`,
        detail: `Active access key ${id} of IAM user ${userName} was ${ageText} and is ${used}. Rotate keys at least every ${ROTATION_DAYS} days: create a new key, move its users over, then deactivate this one.`,
        resource,
        remediation,
      },
    ];
  }
  return [];
}

function toPosture(meta: AccessKeyMetadata, now: Date): AccessKeyPosture | undefined {
  if (!meta.AccessKeyId) return undefined;
  const key: AccessKeyPosture = { accessKeyId: meta.AccessKeyId, status: meta.Status ?? "Unknown" };
  if (meta.CreateDate) {
    key.created = meta.CreateDate;
    key.ageDays = wholeDaysBetween(meta.CreateDate, now);
  }
  return key;
}

/**
 * Lists a user's access keys and, for Active ones, when they were last used. Failures of
 * GetAccessKeyLastUsed are recorded through `onError` and leave the key without last-use data.
 */
export async function loadAccessKeys(
  ctx: CheckContext,
  iam: IAMClient,
  userName: string,
  onError: (err: AuditCallError) => void,
): Promise<{ keys: AccessKeyPosture[]; lastUsedKnown: Set<string> }> {
  const keys: AccessKeyPosture[] = [];
  for (const meta of await ctx.call("iam", "ListAccessKeys", () => iamGateway(iam).listAccessKeys(userName))) {
    const key = toPosture(meta, ctx.now);
    if (key) keys.push(key);
  }
  const lastUsedKnown = new Set<string>();
  for (const key of keys) {
    if (key.status !== "Active") continue;
    try {
      const res = await ctx.call("iam", "GetAccessKeyLastUsed", () =>
        iamGateway(iam).getAccessKeyLastUsed(key.accessKeyId),
      );
      const lu = res.AccessKeyLastUsed;
      if (lu?.LastUsedDate) key.lastUsedDate = lu.LastUsedDate;
      if (lu?.ServiceName && lu.ServiceName !== "N/A") key.lastUsedService = lu.ServiceName;
      if (lu?.Region && lu.Region !== "N/A") key.lastUsedRegion = lu.Region;
      lastUsedKnown.add(key.accessKeyId);
    } catch (err) {
      if (!(err instanceof AuditCallError)) throw err;
      onError(err);
    }
  }
  return { keys, lastUsedKnown };
}

export function accessKeyFindings(
  userName: string,
  keys: AccessKeyPosture[],
  lastUsedKnown: ReadonlySet<string>,
  now: Date,
): AuditFinding[] {
  return keys.flatMap((key) => evaluateAccessKey(userName, key, now, lastUsedKnown.has(key.accessKeyId)));
}

export async function accessKeysCheck(ctx: CheckContext): Promise<void> {
  const { iam } = ctx.deps;
  const users = await ctx.call("iam", "ListUsers", () => iamGateway(iam).listUsers());
  const userNames = users.flatMap((u) => (u.UserName ? [u.UserName] : []));
  const perUser = await mapLimit(userNames, USER_CONCURRENCY, async (userName) => {
    try {
      const { keys, lastUsedKnown } = await loadAccessKeys(ctx, iam, userName, (e) => { ctx.recordError(e.info); });
      return accessKeyFindings(userName, keys, lastUsedKnown, ctx.now);
    } catch (err) {
      if (!(err instanceof AuditCallError)) throw err;
      // The user was deleted while the audit ran: nothing to report.
      if (!isNotFound(err.cause)) ctx.recordError(err.info);
      return [];
    }
  });
  ctx.findings.push(...perUser.flat());
}
